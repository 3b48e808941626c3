/**
 * Changing a login profile in place: a new password when the reset token changes (stored as
 * `AWSPENDING`, promoted once IAM took it, so the working password stays in `AWSCURRENT` until
 * then), and the reset flag alone when only `passwordResetRequired` changes.
 */
import { CreateLoginProfileCommand, UpdateLoginProfileCommand } from '@aws-sdk/client-iam';
import { call } from '../aws/call';
import { iam } from '../aws/iam';
import { isAwsError } from '../runtime/errors';
import { Invocation } from '../runtime/invocation';
import { log } from '../runtime/log';
import { RETRY, retryOn } from '../runtime/retry';
import { EventIdentity } from './plan';
import { LoginProfileSettings } from './properties';
import { readPassword, storeThenSet } from './store-then-set';

/** Stores a new password as `AWSPENDING`, sets it on the user, then makes it `AWSCURRENT`. */
export async function resetPassword(
  settings: LoginProfileSettings,
  event: EventIdentity,
  inv: Invocation,
): Promise<string> {
  return storeThenSet(settings, event, inv, {
    action: 'reset',
    stage: 'AWSPENDING',
    setProfile: async (password) => {
      try {
        await updateProfile(settings, password, inv);
      } catch (error) {
        // Someone deleted the profile by hand: give it back.
        if (!isAwsError(error, 'NoSuchEntity')) throw error;
        await retryOn(() => createProfile(settings, password, inv), RETRY.newProfile, inv.clock);
      }
    },
  });
}

/** Sets the reset flag on the login profile; the password stays. */
export async function setResetFlag(settings: LoginProfileSettings, inv: Invocation): Promise<void> {
  try {
    await updateProfile(settings, undefined, inv);
  } catch (error) {
    if (!isAwsError(error, 'NoSuchEntity')) throw error;
    // Someone deleted the profile by hand: give it back, with the password the secret holds
    // (failing here would also fail the rollback, which flips the flag back the same way).
    await restoreProfile(settings, inv);
    return;
  }
  log('updated the reset flag', { userName: settings.userName, action: 'UpdateLoginProfile' });
}

/** Creates the login profile again with the secret's AWSCURRENT password. */
async function restoreProfile(settings: LoginProfileSettings, inv: Invocation): Promise<void> {
  const password = await readPassword(settings.secretArn, { stage: 'AWSCURRENT' }, inv);
  try {
    await retryOn(() => createProfile(settings, password, inv), RETRY.unmodifiable, inv.clock);
  } catch (error) {
    if (!isAwsError(error, 'EntityAlreadyExists')) throw error;
    // IAM's NoSuchEntity was stale: the profile is there; only the flag was asked for.
    await updateProfile(settings, undefined, inv);
    log('updated the reset flag', { userName: settings.userName, action: 'UpdateLoginProfile' });
    return;
  }
  log('login profile was missing; restored it with the stored password', {
    userName: settings.userName,
    action: 'CreateLoginProfile',
  });
}

/** UpdateLoginProfile (the password when given, and the reset flag), retried while IAM is changing the profile. */
async function updateProfile(settings: LoginProfileSettings, password: string | undefined, inv: Invocation) {
  const input = {
    UserName: settings.userName,
    Password: password,
    PasswordResetRequired: settings.passwordResetRequired,
  };
  await retryOn(() => call(inv.deadline, iam(), new UpdateLoginProfileCommand(input)), RETRY.unmodifiable, inv.clock);
}

/** CreateLoginProfile with `password` and the reset flag (one attempt: the caller retries). */
async function createProfile(settings: LoginProfileSettings, password: string, inv: Invocation) {
  const input = {
    UserName: settings.userName,
    Password: password,
    PasswordResetRequired: settings.passwordResetRequired,
  };
  await call(inv.deadline, iam(), new CreateLoginProfileCommand(input));
}
