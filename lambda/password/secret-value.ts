/**
 * The secret's JSON value, written by the login-profile handler and the rotation function and
 * read back by both (and by people: `aws secretsmanager get-secret-value`). It is one of two
 * shapes: a password (`{"username","password","signInUrl"}`) while console access is on, or the
 * off value (`{"username","signInUrl","consoleAccess":"off"}`, no password) while it is off.
 */
import { CONSOLE_ACCESS_OFF, CONSOLE_ACCESS_OFF_KEY } from '../../lib/login-profile/contract';
import { HandlerError } from '../runtime/errors';

/** The secret's JSON value while console access is on. */
export interface SecretValue {
  readonly username: string;
  readonly password: string;
  readonly signInUrl: string;
}

/** The secret's JSON value while console access is off: no password. */
export interface AccessOffValue {
  readonly username: string;
  readonly signInUrl: string;
  readonly consoleAccess: typeof CONSOLE_ACCESS_OFF;
}

/** Either shape of a stored value. */
export type StoredValue = SecretValue | AccessOffValue;

/** Whether `value` says console access is off (it then holds no password). */
export function isAccessOff(value: StoredValue): value is AccessOffValue {
  return (value as Partial<AccessOffValue>).consoleAccess === CONSOLE_ACCESS_OFF;
}

/** The secret string that stores `value` (only these three keys, in this order). */
export function formatSecretValue(value: SecretValue): string {
  return JSON.stringify({ username: value.username, password: value.password, signInUrl: value.signInUrl });
}

/**
 * The secret string that says console access is off for `username` (these three keys, in this
 * order): the same input always gives the same text, so a replayed write is the same version.
 */
export function formatAccessOffValue(value: { readonly username: string; readonly signInUrl: string }): string {
  return JSON.stringify({
    username: value.username,
    signInUrl: value.signInUrl,
    [CONSOLE_ACCESS_OFF_KEY]: CONSOLE_ACCESS_OFF,
  });
}

/**
 * Parses a stored secret string of either shape; never echoes it. A value with a password is a
 * password value (a value edited by hand without `username` or `signInUrl` still yields its
 * password; they read as `''`); one without a password must carry the off marker. A value with
 * neither is refused.
 */
export function parseStoredValue(secretString: string): StoredValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new HandlerError('the secret version is not JSON');
  }
  const value = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const username = typeof value.username === 'string' ? value.username : '';
  const signInUrl = typeof value.signInUrl === 'string' ? value.signInUrl : '';
  if (typeof value.password === 'string' && value.password.length > 0) {
    return { username, password: value.password, signInUrl };
  }
  if (value[CONSOLE_ACCESS_OFF_KEY] === CONSOLE_ACCESS_OFF) {
    return { username, signInUrl, consoleAccess: CONSOLE_ACCESS_OFF };
  }
  throw new HandlerError('the secret version holds no password and does not say console access is off');
}

/**
 * Parses a stored secret string that must hold a password; never echoes it. An off value is
 * refused with a message that says so.
 */
export function parseSecretValue(secretString: string): SecretValue {
  const value = parseStoredValue(secretString);
  if (isAccessOff(value)) throw new HandlerError('the secret version says console access is off; it holds no password');
  return value;
}
