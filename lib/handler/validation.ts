/**
 * Synth-time checks of the settings of the library's functions. `prop` is how a message names the
 * setting, quotes included; tokens are left to CloudFormation where it can check them.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { PropValidationError } from '../core/validation';
import { HandlerCode } from './handler-code';

/** How long the library's functions keep their logs unless told otherwise. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

const HANDLER_CODES: readonly string[] = Object.values(HandlerCode);

/** `value` when it is one of `HandlerCode`. A token is refused: the choice changes what is synthesized. */
export function validatedHandlerCode(
  construct: IConstruct,
  prop: string,
  value: HandlerCode | undefined,
): HandlerCode | undefined {
  if (value === undefined) return undefined;
  if (!HANDLER_CODES.includes(value as string)) {
    const given = typeof value === 'string' && Token.isUnresolved(value) ? 'an unresolved token' : describe(value);
    throw new PropValidationError(
      construct,
      `${prop} must be HandlerCode.ASSET ('ASSET') or HandlerCode.INLINE ('INLINE'), known at synth, got ${given}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return `an object (${JSON.stringify(value)})`;
  return String(value);
}

/**
 * `value` when it is a KMS key (not an alias: CloudWatch Logs takes only a key ARN).
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
      `${prop} must be a KMS key (kms.Key, or kms.Key.fromKeyArn with a key ARN; CloudWatch Logs does not accept an alias), got ${describeKey(value)}`,
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

/** `value` when it is one of `logs.RetentionDays` (tokens are left to CloudFormation), else the default. */
export function validatedLogRetention(
  construct: IConstruct,
  prop: string,
  value: logs.RetentionDays | undefined,
): logs.RetentionDays {
  if (value === undefined) return DEFAULT_LOG_RETENTION;
  if (!Token.isUnresolved(value) && !RETENTION_DAYS.has(value)) {
    throw new PropValidationError(
      construct,
      `${prop} must be one of the logs.RetentionDays values (${[...RETENTION_DAYS].filter((d) => d !== logs.RetentionDays.INFINITE).join(', ')} days, or ${logs.RetentionDays.INFINITE} for INFINITE), got ${value}`,
    );
  }
  return value;
}

/** The function timeout, checked against the range the handlers' retries fit in (skipping tokens). */
export function validatedTimeout(
  construct: IConstruct,
  prop: string,
  value: Duration | undefined,
): Duration | undefined {
  if (value === undefined || Token.isUnresolved(value.toSeconds())) return value;
  const seconds = value.toSeconds();
  if (seconds < 30 || seconds > 900) {
    throw new PropValidationError(
      construct,
      `${prop} must be from 30 seconds to 15 minutes, got ${value.toHumanString()}`,
    );
  }
  return value;
}

/** `value` when it is a Node.js runtime: the handlers are JavaScript bundles. */
export function validatedRuntime(
  construct: IConstruct,
  prop: string,
  value: lambda.Runtime | undefined,
): lambda.Runtime | undefined {
  if (value === undefined) return undefined;
  // By its family rather than `instanceof`: an app may load a second copy of aws-cdk-lib.
  const { family, name } = value as Partial<lambda.Runtime>;
  if (family !== lambda.RuntimeFamily.NODEJS) {
    const given = typeof name === 'string' ? name : describe(value);
    throw new PropValidationError(
      construct,
      `${prop} must be a Node.js runtime (lambda.Runtime.NODEJS_*), got ${given}`,
    );
  }
  return value;
}
