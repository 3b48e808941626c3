/**
 * checkov findings on the resources this library creates that its design answers, acknowledged on
 * each resource the way checkov reads them (`Metadata: { checkov: { skip: [{ id, comment }] } }`),
 * each with its reason. Only the library's own resources carry them, and only for the findings
 * their configuration raises (a customer managed key given removes that acknowledgement), so a
 * scan of the user's template hides nothing of theirs. `test/compliance/checkov.integ.test.ts`
 * fails when a library resource shows a finding not listed here.
 */
import { CfnResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';

/** The metadata key checkov reads its skips from. */
const CHECKOV_METADATA_KEY = 'checkov';

/** The reasons, one per kind of finding (also listed in docs/security.md). */
export const CHECKOV_REASONS = {
  concurrencyCustomResource:
    'CloudFormation invokes this function once per event of the custom resources it serves, up to 150 Creates at ' +
    'once in one stack: a reserved concurrency below that throttles them, and the function drops events older than ' +
    "one minute, so Creates would fail; reserving 150 or more would take that much from the account's unreserved " +
    'concurrency, which Lambda keeps at 100 or more, and fail to deploy in accounts with a low concurrency quota.',
  concurrencyRotation:
    "Secrets Manager invokes this function one rotation step at a time per secret, on each secret's schedule: a " +
    'reserved concurrency below the number of secrets rotating at once would fail rotations, and a larger one would ' +
    "take that much from the account's unreserved concurrency; nothing else may invoke it.",
  deadLetterCustomResource:
    'CloudFormation invokes this function asynchronously and the handler answers FAILED itself on every error it ' +
    'can catch. An event it cannot answer (a crash, a timeout, an event dropped after a minute in the queue) leaves ' +
    'CloudFormation to fail the resource at its ServiceTimeout, and must not be replayed after that: a dead-letter ' +
    "queue would only keep the event, whose pre-signed ResponseURL lets its reader answer for the stack. The function's " +
    'log group records crashes and timeouts; Lambda counts dropped events in the AsyncEventsDropped metric.',
  deadLetterRotation:
    'Secrets Manager invokes the rotation function synchronously, one step at a time, and records a failed step ' +
    '(the rotation fails, the secret keeps its current password, and the next scheduled rotation tries again); a ' +
    'dead-letter queue receives only failed asynchronous invocations, so it would stay empty.',
  noVpc:
    'The function accepts no connections and calls only public AWS endpoints (IAM, Secrets Manager, and the S3 ' +
    'pre-signed URL CloudFormation gives a custom resource its answer through), over TLS with SigV4; what it can do ' +
    'is bounded by its IAM role. A VPC would add NAT or interface endpoints without narrowing that.',
  environmentNotSecret:
    "The environment variables are the stack's own ID (CDK_CONSOLE_USERS_STACK_ID, AWS::StackId), the ARN of the " +
    "stack's handover bus (CDK_CONSOLE_USERS_HANDOVER_BUS_ARN) and, for a custom-resource function, " +
    'CFN_SERVICE_TIMEOUT_SECONDS, a number of seconds derived from the function timeout: all are visible in the ' +
    'template and none is secret; Lambda encrypts environment variables at rest with an ' +
    'AWS managed key, and a customer managed key would protect nothing secret.',
  logGroupAwsManagedKey:
    'CloudWatch Logs encrypts this log group with a key it manages; the handlers never log a password. A customer ' +
    'managed key is your choice: pass it as logEncryptionKey to HandlerSettings.configure (for every library ' +
    'function of the stack).',
  secretAwsManagedKey:
    'Secrets Manager encrypts this secret with the AWS managed key aws/secretsmanager. A customer managed key is ' +
    'your choice (needed to read the password from another account, or to control its key policy): pass it as ' +
    'encryptionKey.',
  changePasswordOnUser:
    'The policy lets this one user change its own password (iam:ChangePassword on the user ARN, and reading the ' +
    'account password policy to do it), which a reset-required login profile needs. The user is imported, so no ' +
    'managed policy can be attached to it; a group would grant the same to every member, and adding a user from ' +
    'outside the stack to a group counts against its 10 groups. The policy is removed with the login profile.',
  requireMfaSessionToken:
    'The policy allows sts:GetSessionToken because it is how a user with access keys signs in with MFA: the ' +
    'session credentials it returns are for the calling user only, carry no more than that user is granted, and ' +
    'are the only credentials this policy lets act beyond the MFA enrollment actions.',
} as const;

/** One checkov skip as checkov reads it. */
interface CheckovSkip {
  readonly id: string;
  readonly comment: string;
}

/**
 * Adds `skips` (check id -> reason) to the `checkov` metadata of `resource`, keeping the skips
 * already there and every other metadata key (cdk-nag's included).
 */
export function addCheckovSkips(resource: CfnResource, skips: Record<string, string>): void {
  const existing = (resource.getMetadata(CHECKOV_METADATA_KEY) ?? {}) as { skip?: CheckovSkip[] };
  const merged = new Map<string, string>((existing.skip ?? []).map((s) => [s.id, s.comment]));
  for (const [id, comment] of Object.entries(skips)) merged.set(id, comment);
  resource.addMetadata(CHECKOV_METADATA_KEY, {
    ...existing,
    skip: [...merged].map(([id, comment]) => ({ id, comment })),
  });
}

function cfnOf(construct: IConstruct): CfnResource {
  const cfn = construct.node.defaultChild;
  if (!(cfn instanceof CfnResource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return cfn;
}

/** Who invokes a library function. */
export type FunctionInvoker = 'cloudformation' | 'secretsmanager';

/** Acknowledges the concurrency, dead-letter, VPC and environment findings of `fn`. */
export function acknowledgeFunctionFindings(fn: lambda.Function, invoker: FunctionInvoker): void {
  const custom = invoker === 'cloudformation';
  addCheckovSkips(cfnOf(fn), {
    CKV_AWS_115: custom ? CHECKOV_REASONS.concurrencyCustomResource : CHECKOV_REASONS.concurrencyRotation,
    CKV_AWS_116: custom ? CHECKOV_REASONS.deadLetterCustomResource : CHECKOV_REASONS.deadLetterRotation,
    CKV_AWS_117: CHECKOV_REASONS.noVpc,
    CKV_AWS_173: CHECKOV_REASONS.environmentNotSecret,
  });
}

/** Acknowledges that `logGroup` has no customer managed key (call only when it has none). */
export function acknowledgeLogGroupWithoutKey(logGroup: logs.LogGroup): void {
  addCheckovSkips(cfnOf(logGroup), { CKV_AWS_158: CHECKOV_REASONS.logGroupAwsManagedKey });
}

/** Acknowledges that `secret` has no customer managed key (call only when it has none). */
export function acknowledgeSecretWithoutKey(secret: secretsmanager.Secret): void {
  addCheckovSkips(cfnOf(secret), { CKV_AWS_149: CHECKOV_REASONS.secretAwsManagedKey });
}

/** Acknowledges that the change-password `policy` of an imported user is attached to that user. */
export function acknowledgeChangePasswordOnUser(policy: iam.Policy): void {
  addCheckovSkips(cfnOf(policy), { CKV_AWS_40: CHECKOV_REASONS.changePasswordOnUser });
}

/** Acknowledges the credentials-exposure finding (`sts:GetSessionToken`) of the stack's require-MFA `policy`. */
export function acknowledgeRequireMfaPolicyFindings(policy: iam.ManagedPolicy): void {
  addCheckovSkips(cfnOf(policy), { CKV_AWS_107: CHECKOV_REASONS.requireMfaSessionToken });
}
