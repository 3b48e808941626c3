/**
 * The rules of a login profile's user name and password length, as the handlers read them from
 * strings (custom-resource properties, the rotation tags of a secret). The rules themselves come
 * from `lib/login-profile/contract.ts`, which the constructs check at synth.
 */
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USER_NAME_PATTERN } from '../../lib/login-profile/contract';
import { HandlerError } from '../runtime/errors';
import { parseWholeNumber } from '../runtime/parse';

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

/** `text` as a password length IAM accepts and a policy can require. */
export function parsePasswordLength(label: string, text: string): number {
  return parseWholeNumber(label, text, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH);
}
