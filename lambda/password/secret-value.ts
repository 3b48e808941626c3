/**
 * The secret's JSON value, written by the login-profile handler and the rotation function and
 * read back by both (and by people: `aws secretsmanager get-secret-value`).
 */
import { HandlerError } from '../runtime/errors';

/** The secret's JSON value. */
export interface SecretValue {
  readonly username: string;
  readonly password: string;
  readonly signInUrl: string;
}

/** The secret string that stores `value` (only these three keys, in this order). */
export function formatSecretValue(value: SecretValue): string {
  return JSON.stringify({ username: value.username, password: value.password, signInUrl: value.signInUrl });
}

/**
 * Parses a stored secret string; never echoes it. Only the password is required: a value edited
 * by hand without `username` or `signInUrl` still yields its password (they read as `''`).
 */
export function parseSecretValue(secretString: string): SecretValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new HandlerError('the secret version is not JSON');
  }
  const value = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof value.password !== 'string' || value.password.length === 0) {
    throw new HandlerError('the secret version holds no password');
  }
  return {
    username: typeof value.username === 'string' ? value.username : '',
    password: value.password,
    signInUrl: typeof value.signInUrl === 'string' ? value.signInUrl : '',
  };
}
