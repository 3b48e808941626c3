/**
 * Each standard's password-policy criteria, written from the control text of AWS Security Hub's
 * controls reference (IAM.7, IAM.10, IAM.11-IAM.17:
 * https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html), not from the
 * library, as data: a preset that drifts from its standard fails the tests that evaluate it.
 */
import { PasswordPolicyPreset } from '../../lib';

/** An account password policy as IAM holds it (a field left out: the API default). */
export interface IamPolicy {
  readonly minimumPasswordLength: number;
  readonly requireUppercase: boolean;
  readonly requireLowercase: boolean;
  readonly requireSymbols: boolean;
  readonly requireNumbers: boolean;
  readonly passwordReusePrevention?: number;
  readonly maxPasswordAgeDays?: number;
}

export type Criterion = readonly [label: string, test: (p: IamPolicy) => boolean];

const uppercase: Criterion = ['at least one uppercase letter', (p) => p.requireUppercase];
const lowercase: Criterion = ['at least one lowercase letter', (p) => p.requireLowercase];
const symbol: Criterion = ['at least one symbol', (p) => p.requireSymbols];
const number: Criterion = ['at least one number', (p) => p.requireNumbers];
const minLength = (n: number): Criterion => [`length >= ${n}`, (p) => p.minimumPasswordLength >= n];
const reuseExactly = (n: number): Criterion => [
  `reuse prevention exactly ${n}`,
  (p) => p.passwordReusePrevention === n,
];
const reuseAtLeast = (n: number): Criterion => [
  `reuse prevention >= ${n}`,
  (p) => p.passwordReusePrevention !== undefined && p.passwordReusePrevention >= n,
];
const expiresWithin = (days: number): Criterion => [
  `expiry <= ${days} days`,
  (p) => p.maxPasswordAgeDays !== undefined && p.maxPasswordAgeDays <= days,
];

/** Each standard's criteria, from the control text. */
export const STANDARDS = {
  // IAM.7, default parameters: RequireUppercaseCharacters, RequireLowercaseCharacters, RequireSymbols,
  // RequireNumbers true; MinimumPasswordLength 8.
  'AWS FSBP (IAM.7)': [uppercase, lowercase, symbol, number, minLength(8)],
  // IAM.11 uppercase, IAM.12 lowercase, IAM.13 symbol, IAM.14 number, IAM.15 minimum 14 or greater,
  // IAM.16 "checks whether the number of passwords to remember is set to 24", IAM.17 expires within 90 days or less.
  'CIS v1.2.0 (IAM.11-IAM.17)': [
    uppercase,
    lowercase,
    symbol,
    number,
    minLength(14),
    reuseExactly(24),
    expiresWithin(90),
  ],
  // IAM.15 and IAM.16 are the password-policy controls of CIS v1.4.0 (1.8, 1.9) and v3.0.0 (1.8, 1.9).
  'CIS v1.4.0 / v3.0.0 (IAM.15, IAM.16)': [minLength(14), reuseExactly(24)],
  // IAM.10: RequireUppercaseCharacters, RequireLowercaseCharacters, RequireNumbers true; MinimumPasswordLength
  // 7 or longer; PasswordReusePrevention 4; MaxPasswordAge 90.
  'PCI DSS v3.2.1 (IAM.10)': [uppercase, lowercase, number, minLength(7), reuseAtLeast(4), expiresWithin(90)],
} satisfies Record<string, readonly Criterion[]>;

export type Standard = keyof typeof STANDARDS;

export function unmet(standard: Standard, policy: IamPolicy): string[] {
  return STANDARDS[standard].filter(([, test]) => !test(policy)).map(([label]) => label);
}

/** The standard each preset is for. */
export const PRESET_STANDARD: Record<PasswordPolicyPreset, Standard> = {
  [PasswordPolicyPreset.AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES]: 'AWS FSBP (IAM.7)',
  [PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_2_0]: 'CIS v1.2.0 (IAM.11-IAM.17)',
  [PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_4_0]: 'CIS v1.4.0 / v3.0.0 (IAM.15, IAM.16)',
  [PasswordPolicyPreset.PCI_DSS_V3_2_1]: 'PCI DSS v3.2.1 (IAM.10)',
};
