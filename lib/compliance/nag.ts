/**
 * cdk-nag findings that this library's own design justifies, acknowledged where they arise, with
 * their reasons, in the construct metadata entry cdk-nag 3 reads (`aws:cdk:acknowledged-rules`):
 * through aws-cdk-lib core's `Validations.of(scope).acknowledge` for the constructs a stack has
 * once, and as the metadata entry itself for the constructs a stack has once per user (see
 * `acknowledgePerUser`). Users need no cdk-nag dependency, and each acknowledgement is scoped to
 * the construct the library created, so it hides nothing of theirs.
 */
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';

/** Metadata key aws-cdk-lib's `Validations.acknowledge` writes and cdk-nag 3 reads. */
const ACKNOWLEDGED_RULES_METADATA_KEY = 'aws:cdk:acknowledged-rules';

/** The reasons, one per kind of finding (also listed in the README). */
export const NAG_REASONS = {
  lambdaBasicExecution:
    'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs (CreateLogGroup, ' +
    'CreateLogStream, PutLogEvents); aws-cdk-lib attaches it to every function it creates a role for.',
  accountPasswordPolicyRead:
    'iam:GetAccountPasswordPolicy has no resource type: IAM accepts only "*" for it. It is the only wildcard ' +
    'the handler has; login profiles and secrets are named one by one.',
  rotationPasswordPolicyRead:
    'iam:GetAccountPasswordPolicy has no resource type: IAM accepts only "*" for it. It is the only wildcard ' +
    'the rotation function has; users and secrets are named one by one.',
  accountPasswordPolicy:
    'iam:GetAccountPasswordPolicy, UpdateAccountPasswordPolicy and DeleteAccountPasswordPolicy act on the ' +
    'account, have no resource type, and IAM accepts only "*" for them; the role has nothing else.',
  deleteClaimedProfiles:
    "iam:GetUser and iam:DeleteLoginProfile on user/* apply only to users tagged with this stack's ID " +
    '(aws:ResourceTag condition), which the handler sets on the users it claims: CloudFormation updates the ' +
    'policy before it deletes a login profile that left the stack, so the per-user statements cannot cover it.',
  secretWithoutRotation:
    'The password is rotated by changing resetToken (a new password set on the login profile in place) or ' +
    'by the rotation option; plain Secrets Manager rotation would change the secret without IAM.',
  changePasswordManagedPolicy:
    'IAMUserChangePassword is the AWS managed policy for exactly this: iam:ChangePassword on the user ' +
    'itself (${aws:username}) and iam:GetAccountPasswordPolicy, so a user told to reset can.',
  changePasswordInline:
    'A user changing their own password must read the account password policy: iam:GetAccountPasswordPolicy ' +
    'accepts only "*". ChangePassword itself is granted on this user only.',
  requireMfaAccountActions:
    'iam:GetAccountPasswordPolicy, iam:ListVirtualMFADevices and sts:GetSessionToken have no resource type: ' +
    'IAM accepts only "*". A user without MFA needs them to change their password, enroll in the console, and ' +
    'get MFA session credentials.',
  requireMfaVirtualDevices:
    "Users name their virtual MFA devices, so CreateVirtualMFADevice needs mfa/* (as in AWS's example " +
    'policy); a device is tied to a user only by EnableMFADevice, which is allowed on the user itself only.',
  changePasswordGroupWithPath:
    'user/*/${aws:username} is the member itself when it has a path: IAM user names are unique in an account ' +
    'whatever the path, so the pattern names no other user. IAMUserChangePassword names user/${aws:username} only.',
  requireMfaUserWithPath:
    'user/*/${aws:username} is the user itself when it has a path: IAM user names are unique in an account ' +
    'whatever the path, so the pattern names no other user.',
} as const;

/** Records `rules` (finding id -> reason) on `scope` (and its children) as acknowledged. */
function acknowledge(scope: IConstruct, rules: Record<string, string>): void {
  // Where `Validations.acknowledge` is missing (aws-cdk-lib releases before it, in the peer range
  // ^2.245) or refuses the id (2.263.0 reserves '::', which cdk-nag's IAM4/IAM5 ids contain), write
  // the metadata entry it would write, which is what cdk-nag reads.
  const validations = (cdk as { Validations?: typeof cdk.Validations }).Validations;
  if (typeof validations?.of === 'function' && typeof validations.of(scope).acknowledge === 'function') {
    try {
      validations.of(scope).acknowledge(...Object.entries(rules).map(([id, reason]) => ({ id, reason })));
      return;
    } catch {
      // refused: fall through to the metadata entry
    }
  }
  scope.node.addMetadata(ACKNOWLEDGED_RULES_METADATA_KEY, { ...rules });
}

/**
 * Records `rules` (finding id -> reason) on `scope` (and its children) as acknowledged, as the
 * metadata entry cdk-nag reads, without `Validations.acknowledge`: for the constructs a stack has
 * once per user. `Validations.acknowledge` also captures a stack trace for the entry and walks
 * `scope`'s subtree to withdraw aws-cdk-lib warnings of the same id (there are none: cdk-nag 3
 * reports its findings to the validation report, not as warnings), which at 150 users was about a
 * twentieth of the library's synth time, and its traces most of the stack's metadata file.
 */
function acknowledgePerUser(scope: IConstruct, rules: Record<string, string>): void {
  scope.node.addMetadata(ACKNOWLEDGED_RULES_METADATA_KEY, { ...rules });
}

/** The AwsSolutions-IAM4 finding id of an AWS managed policy, as cdk-nag names it. */
function managedPolicyFinding(name: string): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;
}

const BASIC_EXECUTION_FINDING = managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole');

/** Acknowledges the AWSLambdaBasicExecutionRole that aws-cdk-lib attached to the role of `handler`. */
export function acknowledgeFunctionRole(handler: lambda.Function): void {
  if (handler.role) acknowledge(handler.role, { [BASIC_EXECUTION_FINDING]: NAG_REASONS.lambdaBasicExecution });
}

/** Acknowledges the `"*"` of `policy`, which holds only actions that IAM accepts on no other resource. */
export function acknowledgeAccountWideActions(
  policy: iam.Policy,
  reason: (typeof NAG_REASONS)['accountPasswordPolicyRead' | 'rotationPasswordPolicyRead' | 'accountPasswordPolicy'],
): void {
  acknowledge(policy, { 'AwsSolutions-IAM5[Resource::*]': reason });
}

/** Acknowledges the `user/*` (conditioned on the stack tag) of the login-profile handler's `policy`. */
export function acknowledgeClaimedProfileDeletes(policy: iam.Policy): void {
  const stack = cdk.Stack.of(policy);
  const account = cdk.Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  acknowledge(policy, {
    [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${account}:user/*]`]: NAG_REASONS.deleteClaimedProfiles,
  });
}

/** Acknowledges that a login profile's secret has no Secrets Manager rotation (call only when it has none). */
export function acknowledgeSecretWithoutRotation(secret: secretsmanager.Secret): void {
  acknowledgePerUser(secret, { 'AwsSolutions-SMG4': NAG_REASONS.secretWithoutRotation });
}

/** Acknowledges the AWS managed policy IAMUserChangePassword the library attached to `user`. */
export function acknowledgeChangePasswordManagedPolicy(user: iam.User): void {
  acknowledgePerUser(user, {
    [managedPolicyFinding('IAMUserChangePassword')]: NAG_REASONS.changePasswordManagedPolicy,
  });
}

/** Acknowledges the wildcards of the stack's require-MFA managed policy, each with its reason. */
export function acknowledgeRequireMfaPolicy(policy: iam.ManagedPolicy, account: string): void {
  const accountInFinding = cdk.Token.isUnresolved(account) ? '<AWS::AccountId>' : account;
  const iamArn = `arn:<AWS::Partition>:iam::${accountInFinding}`;
  acknowledge(policy, {
    'AwsSolutions-IAM5[Resource::*]': NAG_REASONS.requireMfaAccountActions,
    [`AwsSolutions-IAM5[Resource::${iamArn}:mfa/*]`]: NAG_REASONS.requireMfaVirtualDevices,
    [`AwsSolutions-IAM5[Resource::${iamArn}:user/*/<aws:username>]`]: NAG_REASONS.requireMfaUserWithPath,
  });
}

/** Acknowledges the `*` of the inline change-password policy the library gave an imported user. */
export function acknowledgeChangePasswordInline(policy: iam.Policy): void {
  acknowledgePerUser(policy, { 'AwsSolutions-IAM5[Resource::*]': NAG_REASONS.changePasswordInline });
}

/** Acknowledges the findings of the stack's change-password group: the AWS managed policy, and `user/*\/${aws:username}`. */
export function acknowledgeChangePasswordGroup(group: iam.Group, account: string): void {
  const accountInFinding = cdk.Token.isUnresolved(account) ? '<AWS::AccountId>' : account;
  acknowledge(group, {
    [managedPolicyFinding('IAMUserChangePassword')]: NAG_REASONS.changePasswordManagedPolicy,
    [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${accountInFinding}:user/*/<aws:username>]`]:
      NAG_REASONS.changePasswordGroupWithPath,
  });
}
