/**
 * What each CloudFormation event does to a login profile and its secret.
 *
 * The invariant ("nothing lost"): whenever the user has a login profile, its password is in the
 * secret, in `AWSCURRENT`, or in `AWSPENDING` while a retry of the same event is still due.
 * - A new password is written to the secret before IAM sees it.
 * - Secret versions are keyed by a token derived from the event, so a replayed event finds the
 *   version its first delivery wrote and sets that same password instead of a new one.
 * - A reset writes the new password as `AWSPENDING` and promotes it only after IAM took it.
 */
import { createHash } from 'node:crypto';
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import * as aws from '../shared/aws';
import { HandlerError, errorName, isAwsError, mayHaveApplied } from '../runtime/errors';
import { log } from '../runtime/log';
import { DEFAULT_PASSWORD_POLICY, PasswordPolicy, generatePassword } from '../shared/password';
import { retryOn } from '../runtime/retry';
import { LoginProfileSettings } from './properties';

/** How many freshly generated passwords to try when IAM answers `PasswordPolicyViolation`. */
export const MAX_POLICY_ATTEMPTS = 3;

/** What the handler knows about the event besides the properties. */
export interface EventIdentity {
  readonly stackId: string;
  readonly logicalResourceId: string;
  readonly requestId: string;
  readonly requestType: string;
}

/** The clock the handler must answer by: milliseconds left before the Lambda times out. */
export type Deadline = () => number;

/** Every password this invocation generated or read, so error messages can be scrubbed. */
export const passwordsSeen = new Set<string>();

/** The secret's JSON value. */
export interface SecretValue {
  readonly username: string;
  readonly password: string;
  readonly signInUrl: string;
}

/**
 * The client request token of the secret version written for `event` (attempt `attempt`):
 * the same event always maps to the same token, a different event never does.
 */
export function versionToken(event: EventIdentity, attempt: number): string {
  const hex = createHash('sha256')
    .update([event.stackId, event.logicalResourceId, event.requestId, String(attempt)].join('\n'))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** How a new password reaches the secret and IAM. */
enum Issue {
  /** No login profile of ours yet: the password becomes `AWSCURRENT` at once, then IAM gets it. */
  CREATE = 'create',
  /** The profile's password is in this secret: `AWSPENDING` first, promoted after IAM took it. */
  RESET = 'reset',
}

/** Create: claim the user, write a new password to the secret, give the user a login profile. */
export async function createProfile(
  settings: LoginProfileSettings,
  event: EventIdentity,
  deadline: Deadline,
): Promise<string> {
  const previousOwner = await claimUser(settings, event.stackId, deadline);
  const progress: Progress = { profileTouched: false };
  try {
    return await issuePassword(settings, event, Issue.CREATE, deadline, progress);
  } catch (error) {
    // After a failed Create the provider framework sends no Delete, and the rollback deletes the
    // new secret: a profile this event may have set would keep a password that is nowhere.
    // (A failed Update is followed by the rollback Update instead, which sets a stored password.)
    if (event.requestType === 'Create') {
      await undoCreate(
        settings,
        previousOwner,
        progress.profileTouched || previousOwner === settings.secretArn,
        deadline,
      );
    }
    throw error;
  }
}

/** What an invocation may have changed so far. */
interface Progress {
  /** A call carrying a password may have reached IAM (it succeeded, or failed ambiguously). */
  profileTouched: boolean;
}

/**
 * Best-effort undo of a failed Create: delete the login profile it may have set (or that an
 * earlier delivery of it set), and give the owner tag back to the secret that held it before.
 */
async function undoCreate(
  settings: LoginProfileSettings,
  previousOwner: string | undefined,
  deleteProfileToo: boolean,
  deadline: Deadline,
): Promise<void> {
  const userName = settings.userName;
  if (deleteProfileToo) {
    try {
      const deleted = await retryOn(() => aws.deleteLoginProfile(userName), {
        codes: ['EntityTemporarilyUnmodifiable'],
        attempts: 3,
        baseDelayMs: 1_000,
        deadline,
      });
      log(deleted ? 'failed Create: removed the login profile it set' : 'failed Create: no login profile to remove', {
        userName,
        action: 'DeleteLoginProfile',
      });
    } catch (error) {
      log('failed Create: could not remove the login profile', { userName, error: errorName(error) });
    }
  }
  if (previousOwner !== undefined && previousOwner !== settings.secretArn) {
    try {
      await aws.tagUser(userName, OWNER_TAG_KEY, previousOwner);
      log('failed Create: gave the user back to its previous secret', { userName, action: 'TagUser' });
    } catch (error) {
      log('failed Create: could not restore the owner tag', { userName, error: errorName(error) });
    }
  }
}

/** Update: decide from old and new settings whether to issue a password, flip the flag, or do nothing. */
export async function updateProfile(
  settings: LoginProfileSettings,
  old: LoginProfileSettings,
  event: EventIdentity,
  deadline: Deadline,
): Promise<string | undefined> {
  if (settings.userName !== old.userName) {
    // Another user: a new physical resource. The old user's profile goes first, while its
    // password is still AWSCURRENT: the new user's password is about to take that stage, and
    // CloudFormation ignores a failed cleanup Delete, which would leave it with a lost password.
    await deleteProfile(old.userName, old.secretArn, deadline);
    return createProfile(settings, event, deadline);
  }
  if (settings.secretArn !== old.secretArn) {
    // Another secret: it holds no password yet; the old one keeps the current password until then.
    return createProfile(settings, event, deadline);
  }
  if (settings.resetToken !== old.resetToken) {
    return issuePassword(settings, event, Issue.RESET, deadline);
  }
  if (settings.passwordResetRequired !== old.passwordResetRequired) {
    try {
      await retryOn(() => aws.updateLoginProfile(settings.userName, undefined, settings.passwordResetRequired), {
        codes: ['EntityTemporarilyUnmodifiable'],
        attempts: 5,
        baseDelayMs: 1_000,
        deadline,
      });
    } catch (error) {
      if (!isAwsError(error, 'NoSuchEntity')) throw error;
      // Someone deleted the profile by hand: give it back, with the password the secret holds
      // (failing here would also fail the rollback, which flips the flag back the same way).
      await restoreProfile(settings, deadline);
      return undefined;
    }
    log('updated the reset flag', { userName: settings.userName, action: 'UpdateLoginProfile' });
    return undefined;
  }
  log('nothing to change', { userName: settings.userName });
  return undefined;
}

/**
 * Delete: remove the login profile, unless another secret has claimed the user since (a
 * replacement custom resource for the same user was created before this one is deleted).
 */
export async function deleteProfile(
  userName: string,
  secretArn: string | undefined,
  deadline: Deadline,
): Promise<void> {
  const tags = await aws.userTags(userName);
  // GetUser can answer NoSuchEntity for a user IAM has not caught up with yet: the
  // DeleteLoginProfile below is what settles whether there is a profile (NoSuchEntity = none).
  const owner = tags?.[OWNER_TAG_KEY];
  if (owner !== undefined && owner !== secretArn) {
    log('login profile belongs to another secret now; leaving it', { userName });
    return;
  }
  const deleted = await retryOn(() => aws.deleteLoginProfile(userName), {
    codes: ['EntityTemporarilyUnmodifiable'],
    attempts: 6,
    baseDelayMs: 1_000,
    deadline,
  });
  log(deleted ? 'deleted the login profile' : 'login profile was already gone', {
    userName,
    action: 'DeleteLoginProfile',
  });
}

/** Creates the login profile again with the secret's AWSCURRENT password. */
async function restoreProfile(settings: LoginProfileSettings, deadline: Deadline): Promise<void> {
  const password = passwordOf(await aws.getSecretString(settings.secretArn, { stage: 'AWSCURRENT' }));
  passwordsSeen.add(password);
  const retry = { codes: ['EntityTemporarilyUnmodifiable'], attempts: 5, baseDelayMs: 1_000, deadline };
  try {
    await retryOn(() => aws.createLoginProfile(settings.userName, password, settings.passwordResetRequired), retry);
  } catch (error) {
    if (!isAwsError(error, 'EntityAlreadyExists')) throw error;
    // IAM's NoSuchEntity was stale: the profile is there; only the flag was asked for.
    await retryOn(() => aws.updateLoginProfile(settings.userName, undefined, settings.passwordResetRequired), retry);
    log('updated the reset flag', { userName: settings.userName, action: 'UpdateLoginProfile' });
    return;
  }
  log('login profile was missing; restored it with the stored password', {
    userName: settings.userName,
    action: 'CreateLoginProfile',
  });
}

/**
 * Tags the user with the secret that owns its login profile, and with this stack's ID (which lets
 * the handler delete the profile after the user left the stack's policy), retrying while IAM
 * catches up with a new user. Returns the secret that owned it before, if any.
 */
async function claimUser(
  settings: LoginProfileSettings,
  stackId: string,
  deadline: Deadline,
): Promise<string | undefined> {
  // Only the undo of a failed Create needs the previous owner, so reading it is best effort. A
  // user IAM does not show yet (just created) has no tags: undefined is the right answer then.
  let previousOwner: string | undefined;
  try {
    previousOwner = (await aws.userTags(settings.userName))?.[OWNER_TAG_KEY];
  } catch (error) {
    log('could not read the owner tag; a failed Create will not restore it', {
      userName: settings.userName,
      error: errorName(error),
    });
  }
  try {
    await retryOn(
      () => aws.tagUser(settings.userName, OWNER_TAG_KEY, settings.secretArn, { [STACK_TAG_KEY]: stackId }),
      {
        codes: ['NoSuchEntity', 'ConcurrentModification'],
        attempts: 5,
        baseDelayMs: 1_000,
        deadline,
      },
    );
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) {
      throw new HandlerError(`IAM user ${JSON.stringify(settings.userName)} does not exist`, { cause: error });
    }
    throw error;
  }
  return previousOwner;
}

async function issuePassword(
  settings: LoginProfileSettings,
  event: EventIdentity,
  mode: Issue,
  deadline: Deadline,
  progress: Progress = { profileTouched: false },
): Promise<string> {
  let policy = await readPolicy();
  for (let attempt = 0; ; attempt++) {
    const stage = mode === Issue.CREATE ? 'AWSCURRENT' : 'AWSPENDING';
    const token = versionToken(event, attempt);
    const fresh = generatePassword(settings.passwordLength, policy);
    passwordsSeen.add(fresh);
    const value: SecretValue = { username: settings.userName, password: fresh, signInUrl: settings.signInUrl };
    const stored = await aws.putSecretVersion(settings.secretArn, token, JSON.stringify(value), stage);
    const password = passwordOf(stored.secretString);
    passwordsSeen.add(password);
    const replayed = stored.existingStages;
    if (replayed !== undefined && !replayed.includes(stage) && !replayed.includes('AWSCURRENT')) {
      // A delivery of an event whose version has since lost its stage: to a later attempt of
      // this same event, or to a later event. Setting this version's password would undo that.
      return settleOvertakenReplay(settings, event, mode, stored.versionId, deadline, progress);
    }

    try {
      await setPassword(settings, password, mode, deadline, progress);
    } catch (error) {
      if (isAwsError(error, 'PasswordPolicyViolation') && attempt + 1 < MAX_POLICY_ATTEMPTS) {
        // The policy changed between our read and IAM's check: read it again and regenerate.
        log('IAM refused the password for its policy; regenerating', { userName: settings.userName });
        policy = await readPolicy();
        continue;
      }
      throw error;
    }

    if (mode === Issue.RESET) await promote(settings.secretArn, stored.versionId);
    log('login profile password set', {
      userName: settings.userName,
      action: mode,
      secretVersionId: stored.versionId,
    });
    return stored.versionId;
  }
}

/**
 * A replay whose first version was overtaken. When the version holding AWSPENDING or AWSCURRENT
 * is one of this event's own later attempts (after a PasswordPolicyViolation), finish with that
 * one: set its password and promote it. Otherwise a later event (a reset, a rotation, a rollback)
 * has changed the password since: this late delivery changes nothing.
 */
async function settleOvertakenReplay(
  settings: LoginProfileSettings,
  event: EventIdentity,
  mode: Issue,
  overtakenVersionId: string,
  deadline: Deadline,
  progress: Progress,
): Promise<string> {
  const stages = await aws.secretVersionStages(settings.secretArn);
  const holder = (stage: string) => Object.keys(stages).find((id) => stages[id].includes(stage));
  const current = holder('AWSCURRENT');
  const own = new Set(Array.from({ length: MAX_POLICY_ATTEMPTS }, (_, attempt) => versionToken(event, attempt)));
  const latest = [holder('AWSPENDING'), current].find((id) => id !== undefined && own.has(id));
  if (latest === undefined) {
    log('a later change overtook this event; a late delivery changes nothing', {
      userName: settings.userName,
      secretVersionId: current,
    });
    return current ?? overtakenVersionId;
  }
  const password = passwordOf(await aws.getSecretString(settings.secretArn, { versionId: latest }));
  passwordsSeen.add(password);
  await setPassword(settings, password, mode, deadline, progress);
  if (latest !== current) await promote(settings.secretArn, latest);
  log('login profile password set', { userName: settings.userName, action: mode, secretVersionId: latest });
  return latest;
}

/** Sets `password` on the user, creating or updating the login profile as needed. */
async function setPassword(
  settings: LoginProfileSettings,
  password: string,
  mode: Issue,
  deadline: Deadline,
  progress: Progress,
): Promise<void> {
  const retry = { codes: ['EntityTemporarilyUnmodifiable', 'NoSuchEntity'], attempts: 5, baseDelayMs: 1_000, deadline };
  // Remember whether IAM may have taken the password: a failed Create must then remove the profile.
  const touching = (call: () => Promise<void>) => async () => {
    try {
      await call();
      progress.profileTouched = true;
    } catch (error) {
      if (mayHaveApplied(error)) progress.profileTouched = true;
      throw error;
    }
  };
  const create = touching(() => aws.createLoginProfile(settings.userName, password, settings.passwordResetRequired));
  const update = touching(() => aws.updateLoginProfile(settings.userName, password, settings.passwordResetRequired));
  if (mode === Issue.CREATE) {
    try {
      await retryOn(create, retry);
    } catch (error) {
      // A replay of this event, or a profile that existed before us: make it ours.
      if (!isAwsError(error, 'EntityAlreadyExists')) throw error;
      await retryOn(update, { ...retry, codes: ['EntityTemporarilyUnmodifiable'] });
    }
    return;
  }
  try {
    await retryOn(update, { ...retry, codes: ['EntityTemporarilyUnmodifiable'] });
  } catch (error) {
    // Someone deleted the profile by hand: give it back.
    if (!isAwsError(error, 'NoSuchEntity')) throw error;
    await retryOn(create, retry);
  }
}

/** Makes `versionId` the secret's `AWSCURRENT` version (idempotent) and clears `AWSPENDING`. */
async function promote(secretArn: string, versionId: string): Promise<void> {
  const stages = await aws.secretVersionStages(secretArn);
  const current = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT'));
  if (current !== versionId) await aws.moveStage(secretArn, 'AWSCURRENT', versionId, current);
  if ((stages[versionId] ?? []).includes('AWSPENDING')) await aws.removeStage(secretArn, 'AWSPENDING', versionId);
}

async function readPolicy(): Promise<PasswordPolicy> {
  return (await aws.readPasswordPolicy()) ?? DEFAULT_PASSWORD_POLICY;
}

/** The password in a stored secret string, checked for shape (never echoed). */
function passwordOf(secretString: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new HandlerError('the secret version is not JSON');
  }
  const password = (parsed as Partial<SecretValue> | null)?.password;
  if (typeof password !== 'string' || password.length === 0) {
    throw new HandlerError('the secret version holds no password');
  }
  return password;
}
