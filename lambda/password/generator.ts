/**
 * Pure password logic: the effective policy, the generator, and the compliance check.
 * No AWS calls here, so all of it can be tested exhaustively.
 */
import { randomInt } from 'node:crypto';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../lib/login-profile/contract';

/** IAM's own symbol set: the only characters `RequireSymbols` counts. */
export const IAM_SYMBOLS = "!@#$%^&*()_+-=[]{}|'";
export const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
export const DIGITS = '0123456789';
/** Every character the generator may draw. */
export const ALPHABET = UPPERCASE + LOWERCASE + DIGITS + IAM_SYMBOLS;

/** The minimum length AWS applies when an account has no custom password policy. */
export const DEFAULT_POLICY_MINIMUM_LENGTH = 8;

/** The fields of an IAM account password policy that constrain a new password. */
export interface PasswordPolicy {
  readonly MinimumPasswordLength?: number;
  readonly RequireSymbols?: boolean;
  readonly RequireNumbers?: boolean;
  readonly RequireUppercaseCharacters?: boolean;
  readonly RequireLowercaseCharacters?: boolean;
}

/**
 * AWS's rules when `GetAccountPasswordPolicy` answers `NoSuchEntity`: at least 8 characters and
 * at least three of the four classes. We require all four, which satisfies "three of four".
 */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  MinimumPasswordLength: DEFAULT_POLICY_MINIMUM_LENGTH,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
};

/** The length a password gets: the requested length raised to the policy minimum, at most 128. */
export function effectiveLength(requested: number, policy: PasswordPolicy): number {
  const minimum = policy.MinimumPasswordLength ?? MIN_PASSWORD_LENGTH;
  return Math.min(MAX_PASSWORD_LENGTH, Math.max(requested, minimum, MIN_PASSWORD_LENGTH));
}

/** Returns the policy rules a password breaks, by name only (never echoing the password). */
export function policyViolations(password: string, policy: PasswordPolicy): string[] {
  const violations: string[] = [];
  const minimum = policy.MinimumPasswordLength ?? MIN_PASSWORD_LENGTH;
  if (password.length < minimum) violations.push(`MinimumPasswordLength (${minimum})`);
  if (password.length > MAX_PASSWORD_LENGTH) violations.push(`maximum length (${MAX_PASSWORD_LENGTH})`);
  if (policy.RequireSymbols && !containsAny(password, IAM_SYMBOLS)) violations.push('RequireSymbols');
  if (policy.RequireNumbers && !containsAny(password, DIGITS)) violations.push('RequireNumbers');
  if (policy.RequireUppercaseCharacters && !containsAny(password, UPPERCASE)) {
    violations.push('RequireUppercaseCharacters');
  }
  if (policy.RequireLowercaseCharacters && !containsAny(password, LOWERCASE)) {
    violations.push('RequireLowercaseCharacters');
  }
  return violations;
}

/** A source of uniform random integers in [0, max): `crypto.randomInt` in production. */
export type RandomInt = (max: number) => number;

/**
 * Generates a password of `effectiveLength(requestedLength, policy)` characters drawn uniformly
 * from `ALPHABET` (upper, lower, digits, IAM's 20 symbols), containing all four classes.
 *
 * Rejection sampling keeps the result uniform over all compliant passwords of that length:
 * draw every character independently, and start again if a class is missing. Even at the
 * minimum length of 6, a draw is accepted with probability above 0.3, so the bound on attempts
 * is never reached in practice; `crypto.randomInt` has no modulo bias.
 */
export function generatePassword(
  requestedLength: number,
  policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
  random: RandomInt = randomInt,
): string {
  const length = effectiveLength(requestedLength, policy);
  const allClasses: PasswordPolicy = { ...DEFAULT_PASSWORD_POLICY, MinimumPasswordLength: length };
  for (let attempt = 0; attempt < 1000; attempt++) {
    let password = '';
    for (let i = 0; i < length; i++) password += ALPHABET[random(ALPHABET.length)];
    if (policyViolations(password, allClasses).length === 0 && policyViolations(password, policy).length === 0) {
      return password;
    }
  }
  throw new Error(`could not generate a compliant password of length ${length} in 1000 attempts`);
}

/** Bits of entropy of a password drawn by `generatePassword` at `length` (uniform over compliant strings). */
export function entropyBits(length: number): number {
  // Count compliant strings by inclusion-exclusion over the four classes, in log space.
  const classes = [UPPERCASE.length, LOWERCASE.length, DIGITS.length, IAM_SYMBOLS.length];
  let total = 0;
  for (let mask = 0; mask < 16; mask++) {
    let size = 0;
    let excluded = 0;
    classes.forEach((n, i) => {
      if (mask & (1 << i)) excluded++;
      else size += n;
    });
    const sign = excluded % 2 === 0 ? 1 : -1;
    total += sign * Math.pow(size / ALPHABET.length, length);
  }
  return length * Math.log2(ALPHABET.length) + Math.log2(total);
}

function containsAny(value: string, characters: string): boolean {
  for (const c of value) if (characters.includes(c)) return true;
  return false;
}
