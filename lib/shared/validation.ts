/** Synth-time checks of props. Unresolved tokens are skipped: the handler checks them at deploy time. */
import { Token } from 'aws-cdk-lib';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, SECRET_NAME_PATTERN, USER_NAME_PATTERN } from './rules';

export function validateUserName(prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!USER_NAME_PATTERN.test(value)) {
    throw new Error(
      `'${prop}' must be 1-64 characters of letters, digits and +=,.@_- (IAM user name rules), got ${JSON.stringify(value)}`,
    );
  }
}

/** Checks that `value` is a whole number from `min` to `max`. */
export function validateWholeNumber(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`'${prop}' must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

export function validatePasswordLength(prop: string, value: number | undefined): void {
  validateWholeNumber(prop, value, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH);
}

export function validateSecretName(prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!SECRET_NAME_PATTERN.test(value)) {
    throw new Error(
      `'${prop}' must be 1-512 characters of letters, digits and /_+=.@- (Secrets Manager name rules), got ${JSON.stringify(value)}`,
    );
  }
}

export function validateResetToken(prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (value.length === 0 || value.length > 256) {
    throw new Error(`'${prop}' must be 1-256 characters, got ${value.length} characters`);
  }
}
