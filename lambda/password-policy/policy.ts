/**
 * Pure parts of the account-password-policy handler: parsing the resource properties into an
 * `UpdateAccountPasswordPolicy` request, and recording the previous policy in the physical ID.
 *
 * Why the physical ID: it is the one value CloudFormation keeps for a custom resource and sends
 * back with every later Update and Delete, without any other store (no SSM parameter, no tag,
 * no table) that could be lost, deleted first or left behind. A password policy is not secret,
 * and its nine fields fit easily within the physical ID's length limit.
 */
import type { AccountPasswordPolicyResourceProperties } from '../../lib/password-policy/contract';
import { HandlerError } from '../runtime/errors';
import { parseBooleanText, parseWholeNumber } from '../runtime/parse';

/** The fields of `UpdateAccountPasswordPolicy` (and of `GetAccountPasswordPolicy`'s answer). */
export interface PolicyFields {
  MinimumPasswordLength?: number;
  RequireSymbols?: boolean;
  RequireNumbers?: boolean;
  RequireUppercaseCharacters?: boolean;
  RequireLowercaseCharacters?: boolean;
  AllowUsersToChangePassword?: boolean;
  MaxPasswordAge?: number;
  PasswordReusePrevention?: number;
  HardExpiry?: boolean;
}

type NumberField = 'MinimumPasswordLength' | 'MaxPasswordAge' | 'PasswordReusePrevention';
type BooleanField = Exclude<keyof PolicyFields, NumberField>;

/** AWS's ranges for the numeric fields. */
export const NUMBER_RANGES: Record<NumberField, readonly [number, number]> = {
  MinimumPasswordLength: [6, 128],
  MaxPasswordAge: [1, 1095],
  PasswordReusePrevention: [1, 24],
};
export const BOOLEAN_FIELDS: readonly BooleanField[] = [
  'RequireSymbols',
  'RequireNumbers',
  'RequireUppercaseCharacters',
  'RequireLowercaseCharacters',
  'AllowUsersToChangePassword',
  'HardExpiry',
];
const NUMBER_FIELDS = Object.keys(NUMBER_RANGES) as NumberField[];

/** Prefix of the physical ID; the rest records the policy that was in force before Create. */
export const PHYSICAL_ID_PREFIX = 'cdk-console-users:account-password-policy:previous=';
const NONE = 'none';

/** Parses the resource properties (strings) into the request; every message names field, value and rule. */
export function parseProperties(raw: Record<string, unknown> | undefined): PolicyFields {
  const props = (raw ?? {}) as Partial<Record<keyof AccountPasswordPolicyResourceProperties, unknown>>;
  const fields: PolicyFields = {};
  for (const name of NUMBER_FIELDS) {
    const value = props[name];
    if (value === undefined || value === '') continue;
    fields[name] = parseNumber(name, value);
  }
  for (const name of BOOLEAN_FIELDS) {
    const value = props[name];
    if (value === undefined || value === '') continue;
    fields[name] = parseBoolean(name, value);
  }
  return fields;
}

/** The physical ID that records `previous` (the policy before Create; `undefined` = none). */
export function encodePhysicalId(previous: PolicyFields | undefined): string {
  if (previous === undefined) return PHYSICAL_ID_PREFIX + NONE;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(normalise(previous))) params.set(name, String(value));
  return PHYSICAL_ID_PREFIX + params.toString();
}

/** The previous policy recorded in `physicalId` (`undefined` = there was none). Throws if it is not ours. */
export function decodePhysicalId(physicalId: string | undefined): PolicyFields | undefined {
  if (typeof physicalId !== 'string' || !physicalId.startsWith(PHYSICAL_ID_PREFIX)) {
    throw new HandlerError(
      `physical ID ${JSON.stringify(physicalId)} does not record a previous password policy (expected it to start with ${PHYSICAL_ID_PREFIX})`,
    );
  }
  const rest = physicalId.slice(PHYSICAL_ID_PREFIX.length);
  if (rest === NONE) return undefined;
  const params = new URLSearchParams(rest);
  const known = new Set<string>([...NUMBER_FIELDS, ...BOOLEAN_FIELDS]);
  for (const key of params.keys()) {
    if (!known.has(key)) throw new HandlerError(`physical ID records an unknown field ${JSON.stringify(key)}`);
  }
  return parseProperties(Object.fromEntries(params.entries()));
}

/**
 * Only the fields `UpdateAccountPasswordPolicy` accepts with their values: `GetAccountPasswordPolicy`
 * also answers `ExpirePasswords`, and `MaxPasswordAge`/`PasswordReusePrevention` of 0 mean "off",
 * which the update call expresses by leaving them out.
 */
export function normalise(policy: PolicyFields & { ExpirePasswords?: boolean }): PolicyFields {
  const result: PolicyFields = {};
  for (const name of NUMBER_FIELDS) {
    const value = policy[name];
    if (typeof value === 'number' && value >= NUMBER_RANGES[name][0]) result[name] = value;
  }
  for (const name of BOOLEAN_FIELDS) {
    const value = policy[name];
    if (typeof value === 'boolean') result[name] = value;
  }
  return result;
}

function parseNumber(name: NumberField, value: unknown): number {
  const [min, max] = NUMBER_RANGES[name];
  return parseWholeNumber(name, String(value), min, max);
}

function parseBoolean(name: BooleanField, value: unknown): boolean {
  return parseBooleanText(name, String(value));
}
