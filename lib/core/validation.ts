/**
 * Synth-time checks of props. Unresolved tokens are skipped: the handler checks them at deploy time.
 *
 * Every message starts with the path of the construct the prop was written on, then names the prop
 * as the user wrote it there, what is allowed and what was given: with 150 users in a stack, the
 * path says which one.
 */
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  SECRET_NAME_PATTERN,
  USER_NAME_PATTERN,
} from '../login-profile/contract';

/**
 * A construct was given props it cannot synthesize. Its message starts with the construct's path.
 *
 * Internal: jsii cannot export subclasses of `Error`, and aws-cdk-lib's own `ValidationError` is
 * marked `@internal` there (not part of its public API), so this library does not throw that one.
 */
export class PropValidationError extends Error {
  /** Path of the construct the bad prop was written on. */
  public readonly constructPath: string;

  constructor(construct: IConstruct | string, message: string) {
    const path = typeof construct === 'string' ? construct : construct.node.path;
    super(`${path || '(app root)'}: ${message}`);
    this.name = 'ValidationError';
    this.constructPath = path;
  }
}

/** Checks an IAM user name. `prop` is how the message names it, quotes included: `"'userName'"`. */
export function validateUserName(construct: IConstruct, prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!USER_NAME_PATTERN.test(value)) {
    throw new PropValidationError(
      construct,
      `${prop} must be 1-64 characters of letters, digits and +=,.@_- (IAM user name rules), got ${JSON.stringify(value)}`,
    );
  }
}

/** Checks that `value` is a whole number from `min` to `max`. */
export function validateWholeNumber(
  construct: IConstruct,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PropValidationError(construct, `'${prop}' must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

export function validatePasswordLength(construct: IConstruct, prop: string, value: number | undefined): void {
  validateWholeNumber(construct, prop, value, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH);
}

export function validateSecretName(construct: IConstruct, prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!SECRET_NAME_PATTERN.test(value)) {
    throw new PropValidationError(
      construct,
      `'${prop}' must be 1-512 characters of letters, digits and /_+=.@- (Secrets Manager name rules), got ${JSON.stringify(value)}`,
    );
  }
}

export function validateResetToken(construct: IConstruct, prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (value.length === 0 || value.length > 256) {
    throw new PropValidationError(construct, `'${prop}' must be 1-256 characters, got ${value.length} characters`);
  }
}
