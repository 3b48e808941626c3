import { IAMClient, CreateUserCommand, GetLoginProfileCommand } from '@aws-sdk/client-iam';
import { SecretsManagerClient, CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { bundledHandler } from '../tooling/bundles';
import { useCloudFormationRecord } from '../tooling/moto-harness';

const STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1';
const cloudFormation = useCloudFormationRecord(STACK);

test('bundled handler creates a login profile in moto', async () => {
  const iam = new IAMClient({});
  const sm = new SecretsManagerClient({});
  await iam.send(new CreateUserCommand({ UserName: 'smoke' }));
  const secret = await sm.send(new CreateSecretCommand({ Name: 'smoke-secret' }));
  const handler = bundledHandler('login-profile-handler');
  // CloudFormation records the resource being created, with these properties in its Metadata.
  await handler(
    cloudFormation.sending({
      RequestType: 'Create',
      RequestId: 'r1',
      StackId: STACK,
      LogicalResourceId: 'L',
      ResourceType: 'Custom::ConsoleLoginProfile',
      ResourceProperties: {
        UserName: 'smoke',
        SecretArn: secret.ARN,
        PasswordLength: '24',
        PasswordResetRequired: 'true',
      },
    }),
    // The handler tells the account and partition of the sign-in URL from its own function's ARN.
    {
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke',
      getRemainingTimeInMillis: () => 60_000,
    },
  );
  const profile = await iam.send(new GetLoginProfileCommand({ UserName: 'smoke' }));
  expect(profile.LoginProfile?.UserName).toBe('smoke');
  const value = await sm.send(new GetSecretValueCommand({ SecretId: secret.ARN }));
  expect(JSON.parse(value.SecretString!)).toMatchObject({
    username: 'smoke',
    signInUrl: 'https://123456789012.signin.aws.amazon.com/console',
  });
});
