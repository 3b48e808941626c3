/**
 * Issuing a first password: on Create, and on an Update that moves the login profile to another
 * user or secret (no password of that secret is in use yet). The user is claimed for the secret
 * first, the password then takes `AWSCURRENT` at once and becomes the user's login profile. A
 * failed Create is undone before the failure is reported.
 */
import { CreateLoginProfileCommand, UpdateLoginProfileCommand } from '@aws-sdk/client-iam';
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import { call } from '../aws/call';
import { deleteLoginProfile, iam, tagUser, userTags } from '../aws/iam';
import { HandlerError, errorName, isAwsError, mayHaveApplied } from '../runtime/errors';
import { Invocation, UNDO_RESERVE_MS } from '../runtime/invocation';
import { log } from '../runtime/log';
import { RETRY, retryOn } from '../runtime/retry';
import { EventIdentity } from './plan';
import { LoginProfileSettings } from './properties';
import { storeThenSet } from './store-then-set';

/** Claims the user, stores a new password as `AWSCURRENT`, gives the user a login profile with it. */
export async function issuePassword(
  settings: LoginProfileSettings,
  event: EventIdentity,
  inv: Invocation,
): Promise<string> {
  // Every call of a Create leaves time for its undo (a failed Update is undone by the rollback).
  if (event.requestType === 'Create') inv.deadline.reserve(UNDO_RESERVE_MS);
  const previousOwner = await claimUser(settings, event.stackId, inv);
  // Whether a call carrying a password may have reached IAM (it succeeded, or failed ambiguously):
  // a failed Create must then remove the profile.
  let profileTouched = false;
  const touching = (send: () => Promise<unknown>) => async () => {
    try {
      await send();
      profileTouched = true;
    } catch (error) {
      if (mayHaveApplied(error)) profileTouched = true;
      throw error;
    }
  };
  try {
    return await storeThenSet(settings, event, inv, {
      action: 'create',
      stage: 'AWSCURRENT',
      setProfile: async (password) => {
        const profile = {
          UserName: settings.userName,
          Password: password,
          PasswordResetRequired: settings.passwordResetRequired,
        };
        try {
          await retryOn(
            touching(() => call(inv.deadline, iam(), new CreateLoginProfileCommand(profile))),
            RETRY.newProfile,
            inv.clock,
          );
        } catch (error) {
          // A replay of this event, or a profile that existed before us: make it ours.
          if (!isAwsError(error, 'EntityAlreadyExists')) throw error;
          await retryOn(
            touching(() => call(inv.deadline, iam(), new UpdateLoginProfileCommand(profile))),
            RETRY.unmodifiable,
            inv.clock,
          );
        }
      },
    });
  } catch (error) {
    // The rollback deletes the new secret: a profile this event may have set must go now, and the
    // user goes back to the secret that held it before (only this invocation knows whether it
    // touched the profile). The Delete that CloudFormation sends next finds nothing of ours left;
    // when the handler dies before this, that Delete removes the profile its secret owns.
    // (A failed Update is followed by the rollback Update instead, which sets a stored password.)
    if (event.requestType === 'Create') {
      await undoCreate(settings, previousOwner, profileTouched || previousOwner === settings.secretArn, inv);
    }
    throw error;
  }
}

/**
 * Tags the user with the secret that owns its login profile, and with this stack's ID (which lets
 * the handler delete the profile after the user left the stack's policy), retrying while IAM
 * catches up with a new user. Returns the secret that owned it before, if any.
 */
export async function claimUser(
  settings: LoginProfileSettings,
  stackId: string,
  inv: Invocation,
): Promise<string | undefined> {
  // Only the undo of a failed Create needs the previous owner, so reading it is best effort. A
  // user IAM does not show yet (just created) has no tags: undefined is the right answer then.
  let previousOwner: string | undefined;
  try {
    previousOwner = (await userTags(inv.deadline, settings.userName))?.[OWNER_TAG_KEY];
  } catch (error) {
    log('could not read the owner tag; a failed Create will not restore it', {
      userName: settings.userName,
      error: errorName(error),
    });
  }
  try {
    await retryOn(
      () => tagUser(inv.deadline, settings.userName, { [OWNER_TAG_KEY]: settings.secretArn, [STACK_TAG_KEY]: stackId }),
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

/**
 * Best-effort undo of a failed Create: delete the login profile it may have set (or that an
 * earlier delivery of it set), and give the owner tag back to the secret that held it before.
 */
export async function undoCreate(
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
      const deleted = await retryOn(() => deleteLoginProfile(inv.deadline, userName), RETRY.undoCreate, inv.clock);
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
      await tagUser(inv.deadline, userName, { [OWNER_TAG_KEY]: previousOwner });
      log('failed Create: gave the user back to its previous secret', { userName, action: 'TagUser' });
    } catch (error) {
      log('failed Create: could not restore the owner tag', { userName, error: errorName(error) });
    }
  }
}
