/** Synth-time checks of props. Unresolved tokens are skipped: the handler checks them at deploy time. */
import { Token } from 'aws-cdk-lib';

/** IAM user names: 1-64 characters of letters, digits and `+=,.@_-`. */
export const USER_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
/** Secrets Manager secret names: 1-512 characters of letters, digits and `/_+=.@-`. */
export const SECRET_NAME_PATTERN = /^[\w/+=.@-]{1,512}$/;
export const MIN_PASSWORD_LENGTH = 6;
export const MAX_PASSWORD_LENGTH = 128;
export const DEFAULT_PASSWORD_LENGTH = 24;

export function validateUserName(prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!USER_NAME_PATTERN.test(value)) {
    throw new Error(
      `'${prop}' must be 1-64 characters of letters, digits and +=,.@_- (IAM user name rules), got ${JSON.stringify(value)}`,
    );
  }
}

export function validatePasswordLength(prop: string, value: number | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < MIN_PASSWORD_LENGTH || value > MAX_PASSWORD_LENGTH) {
    throw new Error(
      `'${prop}' must be a whole number from ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}, got ${value}`,
    );
  }
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
