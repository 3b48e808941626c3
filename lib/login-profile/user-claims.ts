/**
 * One login profile per IAM user. Two would both deploy and then overwrite each other's password
 * (and delete the profile from under each other), so a second one is a synth error.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { PropValidationError } from '../core/validation';

/** On a user construct: the path of the construct that gave it a login profile. */
const CLAIMED = Symbol.for('cdk-console-users.LoginProfile.claimed');
/**
 * On the root of the construct tree (the app): the login profiles by account and user name. Kept
 * there, not in a module variable, so that apps in one process (tests) never see each other's.
 */
const CLAIMS_BY_NAME = Symbol.for('cdk-console-users.LoginProfile.claimsByUserName');

interface NameClaim {
  /** The user name as written, for the message (the key is lower-cased). */
  readonly userName: string;
  /** Path of the construct that holds the login profile. */
  readonly path: string;
}

/**
 * Claims `user` for the login profile declared on `owner` (the `LoginProfile`, or the `ConsoleUser`
 * that holds one), or fails naming both constructs when the user already has one:
 *
 * - the same user construct, whatever its name (also generated names);
 * - or the same resolved `userName` in the same account: the stacks' resolved `env.account`, or,
 *   for a stack whose account is a token (env-agnostic), the same stack. IAM user names are unique
 *   without regard to case, so names are compared lower-cased. Stacks in different accounts, two
 *   env-agnostic stacks, and names that are tokens are not compared.
 */
export function claimUser(owner: IConstruct, user: iam.IUser, userName: string | undefined): void {
  const holder = user as unknown as Record<symbol, string | undefined>;
  const previous = holder[CLAIMED];
  if (previous !== undefined) {
    throw new PropValidationError(
      owner,
      `'user' ${user.node.path} already has a login profile (${previous}); an IAM user has at most one`,
    );
  }

  const named = userName !== undefined && !Token.isUnresolved(userName);
  const scope = accountScope(owner);
  const claims = claimsOf(owner);
  const key = named ? `${scope.key}\u0000${userName.toLowerCase()}` : undefined;
  const other = key === undefined ? undefined : claims.get(key);
  if (other !== undefined) {
    const spelled = other.userName === userName ? '' : ` as ${JSON.stringify(other.userName)}`;
    throw new PropValidationError(
      owner,
      `IAM user ${JSON.stringify(userName)} already has a login profile ${scope.description} (${other.path}${spelled}); an IAM user has at most one, and two would overwrite each other's password at deploy`,
    );
  }

  Object.defineProperty(user, CLAIMED, { value: owner.node.path, enumerable: false });
  if (key !== undefined) claims.set(key, { userName: userName!, path: owner.node.path });
}

/** Which login profiles are in the same account as `owner`'s, as a key and in words. */
function accountScope(owner: IConstruct): { key: string; description: string } {
  const stack = Stack.of(owner);
  const account = stack.account;
  if (!Token.isUnresolved(account)) return { key: `account ${account}`, description: `in account ${account}` };
  // Env-agnostic: the account is unknown, but one stack deploys to one account.
  return { key: `stack ${stack.node.path}`, description: `in stack ${stack.node.path}` };
}

function claimsOf(owner: IConstruct): Map<string, NameClaim> {
  const root = owner.node.root as unknown as Record<symbol, Map<string, NameClaim> | undefined>;
  let claims = root[CLAIMS_BY_NAME];
  if (claims === undefined) {
    claims = new Map();
    Object.defineProperty(root, CLAIMS_BY_NAME, { value: claims, enumerable: false });
  }
  return claims;
}
