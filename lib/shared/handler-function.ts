/** The Lambda functions of the library: each runs a handler that `npm run bundle` wrote to `assets/`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { PropValidationError } from './validation';

/** The bundled handlers, by the folder `npm run bundle` writes each one to under `assets/`. */
export type HandlerAsset = 'login-profile-handler' | 'rotation-handler' | 'account-password-policy-handler';

/** How long the library's functions keep their logs unless told otherwise. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** Where `npm run bundle` writes `asset` (shipped in the package, so consumers need no bundler). */
export function handlerAssetDir(asset: HandlerAsset): string {
  return path.join(__dirname, '..', '..', 'assets', asset);
}

/** What differs between the library's functions. */
export interface HandlerFunctionProps {
  readonly asset: HandlerAsset;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** @default - the newest Node.js runtime that aws-cdk-lib knows for the stack's region */
  readonly runtime?: lambda.Runtime;
  /** How long the function's log group keeps its events (checked by `validatedLogRetention` first). */
  readonly logRetention: logs.RetentionDays;
}

/**
 * A function running the bundled handler `props.asset` on ARM64, with the latest Node.js runtime
 * unless given, logging to a log group of its own (`<id>LogGroup`).
 */
export function handlerFunction(scope: Construct, id: string, props: HandlerFunctionProps): lambda.Function {
  const dir = handlerAssetDir(props.asset);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    throw new Error(`The ${props.asset} is not bundled at ${dir}; run 'npm run bundle'`);
  }
  return new lambda.Function(scope, id, {
    description: `cdk-console-users: ${props.description}`,
    runtime: props.runtime ?? lambda.determineLatestNodeRuntime(scope),
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(dir),
    timeout: props.timeout,
    memorySize: props.memorySize,
    logGroup: ownedLogGroup(scope, `${id}LogGroup`, props.logRetention),
  });
}

/** The aws-cdk-lib provider framework in front of `onEventHandler`, its function logging to a log group of its own. */
export function handlerProvider(
  scope: Construct,
  id: string,
  onEventHandler: lambda.IFunction,
  logRetention: logs.RetentionDays,
): cr.Provider {
  return new cr.Provider(scope, id, {
    onEventHandler,
    logGroup: ownedLogGroup(scope, `${id}LogGroup`, logRetention),
  });
}

/**
 * A log group deleted with the stack. Without one, Lambda creates `/aws/lambda/<name>` on first
 * invocation, outside CloudFormation, with no retention, and it stays after the stack is gone.
 */
function ownedLogGroup(scope: Construct, id: string, retention: logs.RetentionDays): logs.LogGroup {
  return new logs.LogGroup(scope, id, { retention, removalPolicy: RemovalPolicy.DESTROY });
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
