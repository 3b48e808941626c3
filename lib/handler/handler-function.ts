/** The Lambda functions of the library: each runs a handler that `npm run bundle` wrote to `assets/`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeFunctionFindings, acknowledgeLogGroupWithoutKey } from '../compliance/checkov';
import { checkTemplateSize } from '../core/deployment';
import { SERVICE_TIMEOUT_ENV, STACK_ID_ENV } from './contract';
import { PropValidationError } from '../core/validation';
import { HandlerAsset } from './bundles';
import { HandlerCode } from './handler-code';

const HANDLER_CODES: readonly string[] = Object.values(HandlerCode);

/**
 * The handler code of `construct`'s functions: `value` when it is one of `HandlerCode`, else
 * `fallback` when it is not given. A token is refused: the choice changes what is synthesized.
 */
export function validatedHandlerCode(
  construct: IConstruct,
  prop: string,
  value: HandlerCode | undefined,
  fallback: HandlerCode,
): HandlerCode {
  if (value === undefined) return fallback;
  if (!HANDLER_CODES.includes(value as string)) {
    const given = typeof value === 'string' && Token.isUnresolved(value) ? 'an unresolved token' : describe(value);
    throw new PropValidationError(
      construct,
      `'${prop}' must be HandlerCode.ASSET ('ASSET') or HandlerCode.INLINE ('INLINE'), known at synth, got ${given}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return `an object (${JSON.stringify(value)})`;
  return String(value);
}

/** How long the library's functions keep their logs unless told otherwise. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** Where `npm run bundle` writes `asset` (shipped in the package, so consumers need no bundler). */
export function handlerAssetDir(asset: HandlerAsset): string {
  return path.join(__dirname, '..', '..', 'assets', asset);
}

/** What differs between the library's functions. */
export interface HandlerFunctionProps {
  readonly asset: HandlerAsset;
  /** Whether the bundle is a file asset or inline code in the template. */
  readonly code: HandlerCode;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** @default - the newest Node.js runtime that aws-cdk-lib knows for the stack's region */
  readonly runtime?: lambda.Runtime;
  /** How long the function's log group keeps its events (checked by `validatedLogRetention` first). */
  readonly logRetention: logs.RetentionDays;
  /**
   * Customer managed key of the function's log group (checked by `validatedLogEncryptionKey` first).
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Whether CloudFormation invokes the function for custom resources (its ARN is their service
   * token): see `customResourceServiceTimeout` for what that sets.
   * @default false
   */
  readonly customResources?: boolean;
}

/**
 * How long Lambda keeps an asynchronous event of a custom-resource function queued (while the
 * function is throttled) before it drops the event: the shortest Lambda allows. A dropped event
 * ends in CloudFormation's `ServiceTimeout`, a late one must not run after it.
 */
export const CUSTOM_RESOURCE_MAX_EVENT_AGE = Duration.minutes(1);

/** What a custom resource's `ServiceTimeout` leaves beyond the longest an invocation can end after the event was sent. */
export const SERVICE_TIMEOUT_MARGIN = Duration.minutes(1);

/** The longest Lambda timeout (used when the timeout is a token). */
const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);

/**
 * The `ServiceTimeout` of the custom resources served by a function with `timeout`: how long
 * CloudFormation waits for an answer. The function takes no retries and drops events older than
 * `CUSTOM_RESOURCE_MAX_EVENT_AGE`, so every invocation for an event starts within that age and
 * ends within `timeout` after: CloudFormation, waiting that long and a margin more, gives up (and
 * sends the rollback Delete of a failed Create) only when no invocation of the event can still run
 * or start. The handlers also stop their work before this time, from the time CloudFormation
 * signed the event (`lambda/runtime/custom-resource.ts`), in case an event is delivered twice.
 */
export function customResourceServiceTimeout(timeout: Duration): Duration {
  const seconds = Token.isUnresolved(timeout.toSeconds()) ? MAX_LAMBDA_TIMEOUT.toSeconds() : timeout.toSeconds();
  return Duration.seconds(CUSTOM_RESOURCE_MAX_EVENT_AGE.toSeconds() + seconds + SERVICE_TIMEOUT_MARGIN.toSeconds());
}

/**
 * A function running the bundled handler `props.asset` on ARM64, from a file asset or inline in
 * the template (`props.code`), with the latest Node.js runtime unless given, logging to a log group of its own (`<id>LogGroup`). A custom-resource function
 * (`customResources`) takes no retries of an asynchronous invocation (its handler answers FAILED
 * itself; a retry could run after CloudFormation gave up), drops events older than
 * `CUSTOM_RESOURCE_MAX_EVENT_AGE`, and knows its resources' `ServiceTimeout` from its environment. Every
 * function knows its stack's ID (`STACK_ID_ENV`).
 */
export function handlerFunction(scope: Construct, id: string, props: HandlerFunctionProps): lambda.Function {
  const dir = handlerAssetDir(props.asset);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    throw new Error(`The ${props.asset} is not bundled at ${dir}; run 'npm run bundle'`);
  }
  const logGroup = ownedLogGroup(scope, `${id}LogGroup`, props.logRetention, props.logEncryptionKey);
  const fn = new lambda.Function(scope, id, {
    description: `cdk-console-users: ${props.description}`,
    runtime: props.runtime ?? lambda.determineLatestNodeRuntime(scope),
    architecture: lambda.Architecture.ARM_64,
    // Inline code is the same bundle: CloudFormation writes `ZipFile` to index.js, so the handler
    // is `index.handler` either way (scripts/bundle.mjs keeps the bundle one self-contained
    // CommonJS file for this).
    handler: 'index.handler',
    code:
      props.code === HandlerCode.INLINE
        ? lambda.Code.fromInline(fs.readFileSync(path.join(dir, 'index.js'), 'utf8'))
        : lambda.Code.fromAsset(dir),
    timeout: props.timeout,
    memorySize: props.memorySize,
    logGroup,
    // The stack's own ID: a handler acts only for resources CloudFormation records in this stack.
    environment: {
      [STACK_ID_ENV]: Stack.of(scope).stackId,
      ...(props.customResources
        ? { [SERVICE_TIMEOUT_ENV]: String(customResourceServiceTimeout(props.timeout).toSeconds()) }
        : {}),
    },
    ...(props.customResources ? { retryAttempts: 0, maxEventAge: CUSTOM_RESOURCE_MAX_EVENT_AGE } : {}),
  });
  acknowledgeFunctionFindings(fn, props.customResources ? 'cloudformation' : 'secretsmanager');
  checkTemplateSize(fn);
  return fn;
}

/**
 * A log group deleted with the stack. Without one, Lambda creates `/aws/lambda/<name>` on first
 * invocation, outside CloudFormation, with no retention, and it stays after the stack is gone.
 * With `encryptionKey`, CloudWatch Logs encrypts it with that key, which lets the regional
 * CloudWatch Logs service use it for this account's log groups (for a key defined in the app; an
 * imported key's policy must allow it already, or the log group fails to create).
 */
function ownedLogGroup(
  scope: Construct,
  id: string,
  retention: logs.RetentionDays,
  encryptionKey: kms.IKey | undefined,
): logs.LogGroup {
  const logGroup = new logs.LogGroup(scope, id, { retention, removalPolicy: RemovalPolicy.DESTROY, encryptionKey });
  if (encryptionKey) {
    // The key policy is part of the key's resource, which the log group references: CloudFormation
    // sets the policy before it creates the log group.
    allowLogsToUse(encryptionKey);
  } else {
    acknowledgeLogGroupWithoutKey(logGroup);
  }
  return logGroup;
}

/** Sid of the statement that lets CloudWatch Logs use a key for the account's log groups in the stack's region. */
const LOGS_KEY_SID = 'CdkConsoleUsersLogGroupEncryption';

/** Keys given that statement already (weakly held: nothing outlives its app). */
const keysAllowingLogs = new WeakSet<kms.IKey>();

/** Adds the statement to `key`'s policy, once per key (no-op for an imported key, as `addToResourcePolicy` is). */
function allowLogsToUse(key: kms.IKey): void {
  if (keysAllowingLogs.has(key)) return;
  keysAllowingLogs.add(key);
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: LOGS_KEY_SID,
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}

/**
 * The customer managed key of `construct`'s log groups: `value` when it is a KMS key (not an
 * alias: CloudWatch Logs takes only a key ARN), else undefined when it is not given.
 */
export function validatedLogEncryptionKey(
  construct: IConstruct,
  prop: string,
  value: kms.IKey | undefined,
): kms.IKey | undefined {
  if (value === undefined) return undefined;
  const keyArn = (value as Partial<kms.IKey>).keyArn;
  if (
    typeof keyArn !== 'string' ||
    (!Token.isUnresolved(keyArn) && !/^arn:[\w-]+:kms:[\w-]+:\d{12}:key\/[\w-]+$/.test(keyArn))
  ) {
    throw new PropValidationError(
      construct,
      `'${prop}' must be a KMS key (kms.Key, or kms.Key.fromKeyArn with a key ARN; CloudWatch Logs does not accept an alias), got ${describeKey(value)}`,
    );
  }
  return value;
}

function describeKey(value: unknown): string {
  const keyArn = (value as { keyArn?: unknown } | null)?.keyArn;
  if (typeof keyArn === 'string') return `a key with ARN ${keyArn}`;
  return typeof value === 'object' && value !== null ? `an object without a key ARN` : JSON.stringify(value);
}

const RETENTION_DAYS = new Set<number>(Object.values(logs.RetentionDays).filter((v) => typeof v === 'number'));

/**
 * The log retention of `construct`'s functions: `value` when it is one of `logs.RetentionDays`
 * (tokens are left to CloudFormation), else `DEFAULT_LOG_RETENTION` when it is not given.
 */
export function validatedLogRetention(
  construct: IConstruct,
  prop: string,
  value: logs.RetentionDays | undefined,
): logs.RetentionDays {
  if (value === undefined) return DEFAULT_LOG_RETENTION;
  if (!Token.isUnresolved(value) && !RETENTION_DAYS.has(value)) {
    throw new PropValidationError(
      construct,
      `'${prop}' must be one of the logs.RetentionDays values (${[...RETENTION_DAYS].filter((d) => d !== logs.RetentionDays.INFINITE).join(', ')} days, or ${logs.RetentionDays.INFINITE} for INFINITE), got ${value}`,
    );
  }
  return value;
}
