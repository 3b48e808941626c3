/**
 * cdk-nag findings of the lifecycle constructs (rotation function, account password policy) that
 * their design justifies, acknowledged on the constructs the library created, with reasons. Same
 * mechanism as `nag-acknowledgements.ts`: core's `Validations.acknowledge`, which cdk-nag 3 reads.
 */
import { acknowledge } from './nag-acknowledgements';

/** The reasons, one per kind of finding. */
export const LIFECYCLE_NAG_REASONS = {
  lambdaBasicExecution:
    'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs (CreateLogGroup, ' +
    'CreateLogStream, PutLogEvents); aws-cdk-lib attaches it to every function it creates a role for.',
  rotationPasswordPolicyRead:
    'iam:GetAccountPasswordPolicy has no resource type: IAM accepts only "*" for it. It is the only wildcard ' +
    'the rotation function has; users and secrets are named one by one.',
  accountPasswordPolicy:
    'iam:GetAccountPasswordPolicy, UpdateAccountPasswordPolicy and DeleteAccountPasswordPolicy act on the ' +
    'account, have no resource type, and IAM accepts only "*" for them; the role has nothing else.',
  frameworkInvoke:
    'The custom-resource provider framework (aws-cdk-lib) may invoke the handler function and its versions ' +
    '("<function ARN>:*"); nothing else.',
} as const;

/** The AwsSolutions-IAM4 finding id of an AWS managed policy, as cdk-nag names it. */
export const BASIC_EXECUTION_FINDING =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';

/** Records `rules` (finding id -> reason) on `scope` and its children as acknowledged. */
export const acknowledgeFindings = acknowledge;
