/**
 * Console access off: the login profile goes, the user and everything else it has stay, and the
 * secret's `AWSCURRENT` value says access is off and holds no password (`formatAccessOffValue`).
 * Access switched back on is a first password again (`issue.ts`): nothing of this secret is in
 * use while access is off.
 *
 * The order, for invariant 1 ("whenever a login profile exists, its password is in the secret's
 * `AWSCURRENT` or `AWSPENDING`"): the profile is deleted before the off value is written. Written
 * first, the off value would move the profile's password to `AWSPREVIOUS` while the profile still
 * accepts it, and a crash there would leave a profile whose password the secret no longer serves.
 * Deleted first, a crash after any call leaves either the profile with its password still
 * `AWSCURRENT` (nothing happened yet), or no profile and a password nobody can use; a replay
 * (Lambda's retry, with the same version token) or the rollback (access back on: a new password)
 * finishes from either.
 */
import { deleteLoginProfile } from '../aws/iam';
import { describeSecret, putSecretVersion } from '../aws/secrets';
import { formatAccessOffValue } from '../password/secret-value';
import { HandlerError } from '../runtime/errors';
import { Invocation, UNDO_RESERVE_MS } from '../runtime/invocation';
import { log } from '../runtime/log';
import { RETRY, retryOn } from '../runtime/retry';
import { deleteProfile } from './delete';
import { claimUser, undoCreate } from './issue';
import { EventIdentity, planAccessOff, versionToken } from './plan';
import { LoginProfileSettings } from './properties';

/** How the user comes to be this secret's when access goes off. */
export enum OffFrom {
  /**
   * The same user and secret had access on: the profile goes only if this secret owns it (as
   * `deleteProfile` decides), so a switch cannot remove a profile another resource has claimed.
   */
  SAME_PROFILE = 'same-profile',
  /**
   * A Create, or a move to another user or secret: the user is claimed for the secret first (as
   * `issuePassword` claims it), and then loses any login profile it has, as a Create with access
   * on would replace it. The old user of a move loses its profile only if the old secret owns it.
   */
  CLAIM = 'claim',
}

/**
 * Switches console access off for `settings` (from `old` on a move): removes the login profile,
 * then writes the off value as `AWSCURRENT`, keyed by the event's version token, so that a replay
 * writes the same version. A late delivery whose off version was overtaken changes nothing.
 */
export async function switchAccessOff(
  settings: LoginProfileSettings,
  event: EventIdentity,
  inv: Invocation,
  from: OffFrom,
  old?: LoginProfileSettings,
): Promise<void> {
  const isCreate = event.requestType === 'Create';
  // Every call of a Create leaves time for its undo (a failed Update is undone by the rollback).
  if (isCreate) inv.deadline.reserve(UNDO_RESERVE_MS);
  const token = versionToken(event, 0);
  const { versions } = await describeSecret(inv.deadline, settings.secretArn);
  if (planAccessOff(versions, token) === 'overtaken') {
    log('a later change overtook this event; a late delivery changes nothing', {
      userName: settings.userName,
      secretVersionId: token,
    });
    return;
  }

  if (old !== undefined && old.userName !== settings.userName) {
    // The old user's profile goes first, while its password is still its secret's AWSCURRENT.
    await deleteProfile(old.userName, old.secretArn, inv);
  }

  let previousOwner: string | undefined;
  let claimed = false;
  try {
    if (from === OffFrom.CLAIM) {
      previousOwner = await claimUser(settings, event.stackId, inv);
      claimed = true;
      await removeProfile(settings.userName, inv);
    } else {
      await deleteProfile(settings.userName, settings.secretArn, inv);
    }
    const value = formatAccessOffValue({ username: settings.userName, signInUrl: settings.signInUrl });
    const stored = await putSecretVersion(inv.deadline, settings.secretArn, token, value, 'AWSCURRENT');
    if (stored.secretString !== value) {
      throw new HandlerError(`version ${token} of the secret holds another value than this event writes`);
    }
  } catch (error) {
    // A failed Create gives the user back to the secret that held it before (the rollback's
    // Delete then finds nothing of this secret's). No profile is restored: the one a Create with
    // access off removes had a password this secret never held.
    if (isCreate && claimed) await undoCreate(settings, previousOwner, false, inv);
    throw error;
  }
  log('console access is off: no login profile, the secret holds no password', {
    userName: settings.userName,
    secretVersionId: token,
  });
}

/** Deletes the login profile of a user this secret has just claimed (`NoSuchEntity`: there was none). */
async function removeProfile(userName: string, inv: Invocation): Promise<void> {
  const deleted = await retryOn(() => deleteLoginProfile(inv.deadline, userName), RETRY.deleteProfile, inv.clock);
  log(deleted ? 'deleted the login profile' : 'no login profile to delete', {
    userName,
    action: 'DeleteLoginProfile',
  });
}
