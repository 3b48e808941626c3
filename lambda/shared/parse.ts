/**
 * Parsing of the string values the handlers receive (custom-resource properties, secret tags).
 * Every message names the value (`label`), the rule, and what was given. The rules themselves come
 * from `lib/login-profile/contract.ts`, which the constructs check at synth.
 */
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USER_NAME_PATTERN } from '../../lib/login-profile/contract';
import { HandlerError } from '../runtime/errors';

/** True when `value` is a valid IAM user name. */
export function isUserName(value: string): boolean {
  return USER_NAME_PATTERN.test(value);
}

/** `text` as an IAM user name. */
export function parseUserName(label: string, text: string): string {
  if (!isUserName(text)) {
    throw new HandlerError(
      `${label} must be 1-64 characters of letters, digits and +=,.@_- ; got ${JSON.stringify(text)}`,
    );
  }
  return text;
}

/** `text` as a whole number from `min` to `max`. */
export function parseWholeNumber(label: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new HandlerError(`${label} must be a whole number from ${min} to ${max}; got ${JSON.stringify(text)}`);
  }
  return n;
}

/** `text` as a password length IAM accepts and a policy can require. */
export function parsePasswordLength(label: string, text: string): number {
  return parseWholeNumber(label, text, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH);
}

/** `"true"` or `"false"` as a boolean. */
export function parseBooleanText(label: string, text: string): boolean {
  if (text !== 'true' && text !== 'false') {
    throw new HandlerError(`${label} must be "true" or "false"; got ${JSON.stringify(text)}`);
  }
  return text === 'true';
}

/** `value` as a property string; a number or boolean is taken in its string form. */
export function requireString(value: unknown, name: string, allowEmpty = false): string {
  // CloudFormation sends scalars as strings; a number or boolean arriving directly (a direct
  // invocation) is accepted in its string form.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) throw new HandlerError(`${name} is required but missing`);
  if (typeof value !== 'string') throw new HandlerError(`${name} must be a string; got ${typeof value}`);
  if (!allowEmpty && value.length === 0) throw new HandlerError(`${name} must not be empty`);
  return value;
}
