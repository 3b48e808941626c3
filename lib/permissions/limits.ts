/**
 * IAM's policy limits, and upper bounds on how many characters a policy will have once deployed.
 *
 * IAM counts a policy's characters after CloudFormation resolved every token, without whitespace.
 * At synth most ARNs are still tokens, so they are counted at their longest: the longest partition
 * and region names (unless the stack's region is known), 12-digit accounts, and the longest names
 * IAM, Secrets Manager and KMS allow, wherever the template does not give the name.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { userNameOf } from '../core/user-name';

/** Characters of all inline policies of one IAM role together. */
export const MAX_ROLE_INLINE_POLICY_CHARS = 10_240;
/** Characters of one customer managed policy. */
export const MAX_MANAGED_POLICY_CHARS = 6_144;
/** Managed policies attached to one IAM role (the default quota). */
export const MAX_MANAGED_POLICIES_PER_ROLE = 10;

/** The longest ARN any AWS service returns: the bound of a value nothing here knows. */
const MAX_ARN_LENGTH = 2048;
const ACCOUNT_LENGTH = 12;
const MAX_USER_NAME_LENGTH = 64;
const MAX_IAM_PATH_LENGTH = 512;
const MAX_STACK_NAME_LENGTH = 128;
const UUID_LENGTH = 36;
/** CloudFormation names an unnamed secret `<logical ID>-<12 random characters>`. */
const GENERATED_SECRET_SUFFIX_LENGTH = 13;
/** Secrets Manager appends `-` and 6 random characters to a secret's name in its ARN. */
const SECRET_ARN_SUFFIX_LENGTH = 7;

const longest = (values: readonly string[]) => Math.max(...values.map((v) => v.length));
const REGIONS = RegionInfo.regions.map((r) => r.name);
const LONGEST_REGION = longest(REGIONS);
const LONGEST_PARTITION = longest(REGIONS.map((r) => RegionInfo.get(r).partition ?? 'aws'));

/** Upper bounds of the pseudo parameters of `stack` (exact where its region is known). */
function pseudoParameterBounds(stack: Stack): Record<string, number> {
  const region = Token.isUnresolved(stack.region) ? undefined : stack.region;
  const partition = (region && RegionInfo.get(region).partition) || undefined;
  const regionLength = region?.length ?? LONGEST_REGION;
  const partitionLength = partition?.length ?? LONGEST_PARTITION;
  const stackName = Token.isUnresolved(stack.stackName) ? MAX_STACK_NAME_LENGTH : stack.stackName.length;
  return {
    'AWS::Partition': partitionLength,
    'AWS::Region': regionLength,
    'AWS::AccountId': ACCOUNT_LENGTH,
    'AWS::URLSuffix': 'amazonaws.com.cn'.length,
    'AWS::StackName': stackName,
    // arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/NAME/UUID
    'AWS::StackId':
      'arn:::cloudformation:::stack//'.length +
      partitionLength +
      regionLength +
      ACCOUNT_LENGTH +
      stackName +
      UUID_LENGTH,
  };
}

/** arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, at its longest for `stack`. */
function arnBound(stack: Stack, service: string, regional: boolean, resourceLength: number): number {
  const bounds = pseudoParameterBounds(stack);
  return (
    'arn:::::'.length +
    bounds['AWS::Partition'] +
    service.length +
    (regional ? bounds['AWS::Region'] : 0) +
    ACCOUNT_LENGTH +
    resourceLength
  );
}

/** The longest `value` (an ARN or an ARN token) can be once deployed: its length when it is a literal. */
function literalOr(value: string, bound: () => number): number {
  return Token.isUnresolved(value) ? bound() : value.length;
}

/** Characters of `user`'s ARN once deployed, at most (`user/PATH/NAME`; an imported user by name has the path `/`). */
export function userArnBound(user: iam.IUser): number {
  return literalOr(user.userArn, () => {
    const cfn = user.node.defaultChild;
    const name = userNameOf(user);
    const path = cfn instanceof iam.CfnUser ? (cfn.path ?? '/') : Token.isUnresolved(user.userName) ? undefined : '/';
    const nameLength = name === undefined || Token.isUnresolved(name) ? MAX_USER_NAME_LENGTH : name.length;
    const pathLength = path === undefined || Token.isUnresolved(path) ? MAX_IAM_PATH_LENGTH : path.length;
    return arnBound(Stack.of(user), 'iam', false, 'user'.length + pathLength + nameLength);
  });
}

/** Characters of `secret`'s ARN once deployed, at most (`secret:NAME-RANDOM`). */
export function secretArnBound(secret: secretsmanager.ISecret): number {
  return literalOr(secret.secretArn, () => {
    const cfn = secret.node.defaultChild;
    if (!(cfn instanceof secretsmanager.CfnSecret)) return MAX_ARN_LENGTH;
    const stack = Stack.of(cfn);
    // A Secret's name is a token even when it has none (a physical name): resolve just that.
    const name: unknown = stack.resolve(cfn.name);
    const nameLength =
      typeof name === 'string'
        ? name.length
        : name === undefined
          ? stack.getLogicalId(cfn).length + GENERATED_SECRET_SUFFIX_LENGTH
          : 512;
    return arnBound(stack, 'secretsmanager', true, 'secret:'.length + nameLength + SECRET_ARN_SUFFIX_LENGTH);
  });
}

/** Characters of `key`'s ARN once deployed, at most (`key/KEY-ID`). */
export function keyArnBound(key: kms.IKey): number {
  return literalOr(key.keyArn, () =>
    key.node.defaultChild instanceof kms.CfnKey
      ? arnBound(Stack.of(key), 'kms', true, 'key/'.length + UUID_LENGTH)
      : MAX_ARN_LENGTH,
  );
}

/**
 * Characters IAM will count in `value` (a resolved policy document or part of one), at most: its
 * JSON without whitespace, each token at its longest. `known` holds the bounds of the tokens the
 * caller measured (by their resolved JSON); pseudo parameters and `Fn::Join` are bounded here;
 * anything else counts as the longest ARN.
 */
export function policyCharactersBound(stack: Stack, value: unknown, known: ReadonlyMap<string, number>): number {
  const pseudo = pseudoParameterBounds(stack);
  /** Characters of a string value, without its quotes. */
  const stringBound = (v: unknown): number => {
    if (typeof v === 'string') return JSON.stringify(v).replace(/\s/g, '').length - 2;
    const json = JSON.stringify(v);
    const bound = known.get(json);
    if (bound !== undefined) return bound;
    const [fn, arg] = Object.entries(v as object)[0] ?? [];
    if (fn === 'Ref' && typeof arg === 'string' && arg in pseudo) return pseudo[arg];
    if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) {
      const parts = arg[1] as unknown[];
      return (
        parts.reduce<number>((sum, part) => sum + stringBound(part), 0) + String(arg[0]).length * (parts.length - 1)
      );
    }
    return MAX_ARN_LENGTH;
  };
  const isIntrinsic = (v: object) => {
    const keys = Object.keys(v);
    return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
  };
  const bound = (v: unknown): number => {
    if (Array.isArray(v)) return 2 + v.reduce<number>((sum, item) => sum + bound(item), 0) + Math.max(v.length - 1, 0);
    if (v !== null && typeof v === 'object') {
      if (isIntrinsic(v)) return 2 + stringBound(v);
      const entries = Object.entries(v).filter(([, item]) => item !== undefined);
      return (
        2 +
        entries.reduce((sum, [key, item]) => sum + JSON.stringify(key).length + 1 + bound(item), 0) +
        Math.max(entries.length - 1, 0)
      );
    }
    return typeof v === 'string' ? 2 + stringBound(v) : String(JSON.stringify(v)).length;
  };
  return bound(value);
}
