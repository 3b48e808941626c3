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
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import { HandlerError, errorName, isAwsError, mayHaveApplied } from '../runtime/errors';
import { Invocation, UNDO_RESERVE_MS } from '../runtime/invocation';
import { log } from '../runtime/log';
import { RETRY, retryOn } from '../runtime/retry';
import * as aws from '../shared/aws';
import { DEFAULT_PASSWORD_POLICY, PasswordPolicy, generatePassword } from '../shared/password';
import { formatSecretValue, parseSecretValue } from '../shared/secret-value';
import {
  EventIdentity,
  MAX_POLICY_ATTEMPTS,
  UpdatePlan,
  ownsProfile,
  planUpdate,
  settleReplay,
  stageHolder,
  versionToken,
  versionTokens,
} from './plan';
import { LoginProfileSettings } from './properties';

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
  inv: Invocation,
): Promise<string> {
  // Every call of a Create leaves time for its undo (a failed Update is undone by the rollback).
  if (event.requestType === 'Create') inv.deadline.reserve(UNDO_RESERVE_MS);
  const previousOwner = await claimUser(settings, event.stackId, inv);
  const progress: Progress = { profileTouched: false };
  try {
    return await issuePassword(settings, event, Issue.CREATE, inv, progress);
  } catch (error) {
    // The rollback deletes the new secret: a profile this event may have set must go now, and the
    // user goes back to the secret that held it before (only this invocation knows whether it
    // touched the profile). The Delete that CloudFormation sends next finds nothing of ours left;
    // when the handler dies before this, that Delete removes the profile its secret owns.
    // (A failed Update is followed by the rollback Update instead, which sets a stored password.)
    if (event.requestType === 'Create') {
      await undoCreate(settings, previousOwner, progress.profileTouched || previousOwner === settings.secretArn, inv);
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
  inv: Invocation,
): Promise<void> {
  const userName = settings.userName;
  // The undo may spend the time every other call of the Create left for it (`UNDO_RESERVE_MS`).
  inv.deadline.reserve(0);
  if (deleteProfileToo) {
    try {
      const deleted = await retryOn(() => aws.deleteLoginProfile(inv.deadline, userName), RETRY.undoCreate, inv.clock);
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
      await aws.tagUser(inv.deadline, userName, OWNER_TAG_KEY, previousOwner);
      log('failed Create: gave the user back to its previous secret', { userName, action: 'TagUser' });
    } catch (error) {
      log('failed Create: could not restore the owner tag', { userName, error: errorName(error) });
    }
  }
}

/** Update: carries out the plan `planUpdate` makes from the old and new settings. */
export async function updateProfile(
  settings: LoginProfileSettings,
  old: LoginProfileSettings,
  event: EventIdentity,
  inv: Invocation,
): Promise<string | undefined> {
  switch (planUpdate(old, settings)) {
    case UpdatePlan.NEW_USER:
      // The old user's profile goes first, while its password is still AWSCURRENT: the new user's
      // password is about to take that stage, and CloudFormation ignores a failed cleanup Delete,
      // which would leave it with a lost password.
      await deleteProfile(old.userName, old.secretArn, inv);
      return createProfile(settings, event, inv);
    case UpdatePlan.NEW_SECRET:
      // The old secret keeps the current password until the new one holds one.
      return createProfile(settings, event, inv);
    case UpdatePlan.NEW_PASSWORD:
      return issuePassword(settings, event, Issue.RESET, inv);
    case UpdatePlan.RESET_FLAG:
      try {
        await retryOn(
          () => aws.updateLoginProfile(inv.deadline, settings.userName, undefined, settings.passwordResetRequired),
          RETRY.unmodifiable,
          inv.clock,
        );
      } catch (error) {
        if (!isAwsError(error, 'NoSuchEntity')) throw error;
        // Someone deleted the profile by hand: give it back, with the password the secret holds
        // (failing here would also fail the rollback, which flips the flag back the same way).
        await restoreProfile(settings, inv);
        return undefined;
      }
      log('updated the reset flag', { userName: settings.userName, action: 'UpdateLoginProfile' });
      return undefined;
    case UpdatePlan.NOTHING:
      log('nothing to change', { userName: settings.userName });
      return undefined;
  }
}

/**
 * Delete: remove the login profile if this resource's secret owns it (see `ownsProfile`): not a
 * profile set by hand, nor one another secret has claimed since (a replacement custom resource
 * for the same user is created before this one is deleted).
 */
export async function deleteProfile(userName: string, secretArn: string | undefined, inv: Invocation): Promise<void> {
  const tags = await aws.userTags(inv.deadline, userName);
  // GetUser can answer NoSuchEntity for a user IAM has not caught up with yet: the
  // DeleteLoginProfile below is what settles whether there is a profile (NoSuchEntity = none).
  if (!ownsProfile(tags, OWNER_TAG_KEY, secretArn)) {
    log("login profile is not this secret's; leaving it", { userName });
    return;
  }
  const deleted = await retryOn(() => aws.deleteLoginProfile(inv.deadline, userName), RETRY.deleteProfile, inv.clock);
  log(deleted ? 'deleted the login profile' : 'login profile was already gone', {
    userName,
    action: 'DeleteLoginProfile',
  });
}

/** Creates the login profile again with the secret's AWSCURRENT password. */
async function restoreProfile(settings: LoginProfileSettings, inv: Invocation): Promise<void> {
  const password = await readPassword(settings.secretArn, { stage: 'AWSCURRENT' }, inv);
  try {
    await retryOn(
      () => aws.createLoginProfile(inv.deadline, settings.userName, password, settings.passwordResetRequired),
      RETRY.unmodifiable,
      inv.clock,
    );
  } catch (error) {
    if (!isAwsError(error, 'EntityAlreadyExists')) throw error;
    // IAM's NoSuchEntity was stale: the profile is there; only the flag was asked for.
    await retryOn(
      () => aws.updateLoginProfile(inv.deadline, settings.userName, undefined, settings.passwordResetRequired),
      RETRY.unmodifiable,
      inv.clock,
    );
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
  inv: Invocation,
): Promise<string | undefined> {
  // Only the undo of a failed Create needs the previous owner, so reading it is best effort. A
  // user IAM does not show yet (just created) has no tags: undefined is the right answer then.
  let previousOwner: string | undefined;
  try {
    previousOwner = (await aws.userTags(inv.deadline, settings.userName))?.[OWNER_TAG_KEY];
  } catch (error) {
    log('could not read the owner tag; a failed Create will not restore it', {
      userName: settings.userName,
      error: errorName(error),
    });
  }
  try {
    await retryOn(
      () =>
        aws.tagUser(inv.deadline, settings.userName, OWNER_TAG_KEY, settings.secretArn, { [STACK_TAG_KEY]: stackId }),
      RETRY.newUser,
      inv.clock,
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
  inv: Invocation,
  progress: Progress = { profileTouched: false },
): Promise<string> {
  let policy = await readPolicy(inv);
  for (let attempt = 0; ; attempt++) {
    const stage = mode === Issue.CREATE ? 'AWSCURRENT' : 'AWSPENDING';
    const token = versionToken(event, attempt);
    const fresh = generatePassword(settings.passwordLength, policy);
    inv.redaction.add(fresh);
    const value = formatSecretValue({ username: settings.userName, password: fresh, signInUrl: settings.signInUrl });
    const stored = await aws.putSecretVersion(inv.deadline, settings.secretArn, token, value, stage);
    const password = inv.redaction.add(parseSecretValue(stored.secretString).password);
    const replayed = stored.existingStages;
    if (replayed !== undefined && !replayed.includes(stage) && !replayed.includes('AWSCURRENT')) {
      // A delivery of an event whose version has since lost its stage: to a later attempt of
      // this same event, or to a later event. Setting this version's password would undo that.
      return settleOvertakenReplay(settings, event, mode, stored.versionId, inv, progress);
    }

    try {
      await setPassword(settings, password, mode, inv, progress);
    } catch (error) {
      if (isAwsError(error, 'PasswordPolicyViolation') && attempt + 1 < MAX_POLICY_ATTEMPTS) {
        // The policy changed between our read and IAM's check: read it again and regenerate.
        log('IAM refused the password for its policy; regenerating', { userName: settings.userName });
        policy = await readPolicy(inv);
        continue;
      }
      throw error;
    }

    if (mode === Issue.RESET) await promote(settings.secretArn, stored.versionId, inv);
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
  inv: Invocation,
  progress: Progress,
): Promise<string> {
  const stages = await aws.secretVersionStages(inv.deadline, settings.secretArn);
  const { finish: latest, current } = settleReplay(stages, versionTokens(event));
  if (latest === undefined) {
    log('a later change overtook this event; a late delivery changes nothing', {
      userName: settings.userName,
      secretVersionId: current,
    });
    return current ?? overtakenVersionId;
  }
  const password = await readPassword(settings.secretArn, { versionId: latest }, inv);
  await setPassword(settings, password, mode, inv, progress);
  if (latest !== current) await promote(settings.secretArn, latest, inv);
  log('login profile password set', { userName: settings.userName, action: mode, secretVersionId: latest });
  return latest;
}

/** Sets `password` on the user, creating or updating the login profile as needed. */
async function setPassword(
  settings: LoginProfileSettings,
  password: string,
  mode: Issue,
  inv: Invocation,
  progress: Progress,
): Promise<void> {
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
  const create = touching(() =>
    aws.createLoginProfile(inv.deadline, settings.userName, password, settings.passwordResetRequired),
  );
  const update = touching(() =>
    aws.updateLoginProfile(inv.deadline, settings.userName, password, settings.passwordResetRequired),
  );
  if (mode === Issue.CREATE) {
    try {
      await retryOn(create, RETRY.newProfile, inv.clock);
    } catch (error) {
      // A replay of this event, or a profile that existed before us: make it ours.
      if (!isAwsError(error, 'EntityAlreadyExists')) throw error;
      await retryOn(update, RETRY.unmodifiable, inv.clock);
    }
    return;
  }
  try {
    await retryOn(update, RETRY.unmodifiable, inv.clock);
  } catch (error) {
    // Someone deleted the profile by hand: give it back.
    if (!isAwsError(error, 'NoSuchEntity')) throw error;
    await retryOn(create, RETRY.newProfile, inv.clock);
  }
}

/** Makes `versionId` the secret's `AWSCURRENT` version (idempotent) and clears `AWSPENDING`. */
async function promote(secretArn: string, versionId: string, inv: Invocation): Promise<void> {
  const stages = await aws.secretVersionStages(inv.deadline, secretArn);
  const current = stageHolder(stages, 'AWSCURRENT');
  if (current !== versionId) await aws.moveStage(inv.deadline, secretArn, 'AWSCURRENT', versionId, current);
  if ((stages[versionId] ?? []).includes('AWSPENDING'))
    await aws.removeStage(inv.deadline, secretArn, 'AWSPENDING', versionId);
}

async function readPolicy(inv: Invocation): Promise<PasswordPolicy> {
  return (await aws.readPasswordPolicy(inv.deadline)) ?? DEFAULT_PASSWORD_POLICY;
}

/** The password of one version of the secret, remembered for redaction (never echoed). */
async function readPassword(secretArn: string, version: { versionId?: string; stage?: string }, inv: Invocation) {
  return inv.redaction.add(parseSecretValue(await aws.getSecretString(inv.deadline, secretArn, version)).password);
}
