// The SDK warns that a future release needs Node.js 22; the Lambda runtime is newer anyway.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Tests never reach a real AWS account.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'testing';
process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
// aws-cdk-lib's built-in CloudFormation validation runs on every Template.fromStack (seconds each);
// cfn-lint checks the synthesized templates instead (test/tooling/templates.ts). The pack test keeps it on.
process.env.CDK_VALIDATION ??= 'false';
