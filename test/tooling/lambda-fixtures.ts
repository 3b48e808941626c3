/**
 * What every handler test builds the same way: the account and its ARNs, custom-resource events
 * (typed by `@types/aws-lambda`), Secrets Manager rotation events, and the Lambda context with its
 * deadline. No jest here: `scripts/bench.ts` uses these too.
 */
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceResourcePropertiesCommon,
  CloudFormationCustomResourceUpdateEvent,
  Context,
  SecretsManagerRotationEvent,
  SecretsManagerRotationEventStep,
} from 'aws-lambda';
import type { LoginProfileResourceProperties } from '../../lib/login-profile/contract';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/app/11111111-2222-3333-4444-555555555555`;
export const FUNCTION_ARN = functionArnOf('app-LoginProfileHandler');

function functionArnOf(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}
/** The handler function: the `ServiceToken` of every custom resource. */
export const SERVICE_TOKEN = functionArnOf('app-LoginProfileHandler');
/**
 * Where handlers answer in tests that record the answer rather than send it. The `.invalid`
 * top-level domain never resolves (RFC 6761): a handler that does send fails at once, offline.
 */
export const RESPONSE_URL = 'https://cloudformation-custom-resource-response.invalid/response';
export const SIGN_IN_URL = `https://${ACCOUNT}.signin.aws.amazon.com/console`;
/** The provider's default Lambda timeout (lib/login-profile/provider.ts). */
export const LAMBDA_TIMEOUT_MS = 120_000;
/** An account password policy longer than the default password length (24), with every class required. */
export const STRICT_POLICY = {
  MinimumPasswordLength: 40,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
};
/**
 * The login-profile handler's calls for a new reset token, in order: the new password written as
 * AWSPENDING, set in IAM, then promoted (AWSCURRENT moved to it, AWSPENDING removed from it).
 */
export const RESET_TOKEN_CALLS = [
  'GetAccountPasswordPolicy',
  'PutSecretValue',
  'UpdateLoginProfile',
  'DescribeSecret',
  'UpdateSecretVersionStage',
  'UpdateSecretVersionStage',
];

export function userArn(name: string, path = '/'): string {
  return `arn:aws:iam::${ACCOUNT}:user${path}${name}`;
}

/** A secret ARN as Secrets Manager forms it: the name, a dash and six random characters. */
export function secretArn(name: string, suffix = 'AbCdEf', account = ACCOUNT): string {
  return `arn:aws:secretsmanager:${REGION}:${account}:secret:${name}-${suffix}`;
}

/**
 * A Lambda context whose deadline is `timeoutMs` after now (read from `Date.now()`, so it follows
 * jest's fake clock when one is installed).
 */
export function lambdaContext(timeoutMs = LAMBDA_TIMEOUT_MS, functionArn = FUNCTION_ARN): Context {
  const deadline = Date.now() + timeoutMs;
  const functionName = functionArn.split(':').pop() ?? 'handler';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: '128',
    awsRequestId: '00000000-0000-4000-8000-000000000000',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]00000000000000000000000000000000',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

type Properties<P> = P & CloudFormationCustomResourceResourcePropertiesCommon;

/** Who sends a custom-resource event: the fields that are the same for each of its request types. */
export interface EventSource<P> {
  readonly logicalResourceId: string;
  readonly resourceType: string;
  /** The properties without `ServiceToken` (added here). */
  readonly properties: P;
  /** @default a fresh one per event */
  readonly requestId?: string;
  /** @default STACK_ID */
  readonly stackId?: string;
}

let requestCounter = 0;
/** A fresh CloudFormation request ID (a replay reuses the event object, and so its ID). */
export function requestId(): string {
  return `req-${++requestCounter}-${Math.random().toString(16).slice(2)}`;
}

function common<P>(source: EventSource<P>) {
  return {
    ServiceToken: SERVICE_TOKEN,
    ResponseURL: RESPONSE_URL,
    StackId: source.stackId ?? STACK_ID,
    RequestId: source.requestId ?? requestId(),
    LogicalResourceId: source.logicalResourceId,
    ResourceType: source.resourceType,
    ResourceProperties: withServiceToken(source.properties),
  };
}

function withServiceToken<P>(properties: P): Properties<P> {
  return { ServiceToken: SERVICE_TOKEN, ...properties };
}

export function createEventOf<P>(source: EventSource<P>): CloudFormationCustomResourceCreateEvent<Properties<P>> {
  return { RequestType: 'Create', ...common(source) };
}

export function updateEventOf<P>(
  source: EventSource<P>,
  physicalResourceId: string,
  oldProperties: P,
): CloudFormationCustomResourceUpdateEvent<Properties<P>, Properties<P>> {
  return {
    RequestType: 'Update',
    ...common(source),
    PhysicalResourceId: physicalResourceId,
    OldResourceProperties: withServiceToken(oldProperties),
  };
}

export function deleteEventOf<P>(
  source: EventSource<P>,
  physicalResourceId: string,
): CloudFormationCustomResourceDeleteEvent<Properties<P>> {
  return { RequestType: 'Delete', ...common(source), PhysicalResourceId: physicalResourceId };
}

/** The properties of a login profile (what `LoginProfile` passes), with the defaults it uses. */
export type LoginProfileProps = Pick<LoginProfileResourceProperties, 'UserName' | 'SecretArn'> &
  Partial<LoginProfileResourceProperties>;

export function loginProfileProperties(p: LoginProfileProps): LoginProfileResourceProperties {
  return { PasswordLength: '24', PasswordResetRequired: 'true', ...p };
}

/** The source of a login profile's events: `Custom::ConsoleLoginProfile` `logicalId` with `props`. */
export function loginProfileSource(
  logicalId: string,
  props: LoginProfileProps,
  requestId?: string,
): EventSource<LoginProfileResourceProperties> {
  return {
    logicalResourceId: logicalId,
    resourceType: 'Custom::ConsoleLoginProfile',
    properties: loginProfileProperties(props),
    requestId,
  };
}

/** One step of a Secrets Manager rotation of `secretId` to version `token`. */
export function rotationEvent(
  step: SecretsManagerRotationEventStep,
  secretId: string,
  token: string,
): SecretsManagerRotationEvent {
  return { Step: step, SecretId: secretId, ClientRequestToken: token };
}
