/** Removing a login profile: on Delete, and from the old user when an Update moves to another user. */
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { deleteLoginProfile, userTags } from '../aws/iam';
import { Invocation } from '../runtime/invocation';
import { log } from '../runtime/log';
import { RETRY, retryOn } from '../runtime/retry';
import { ownsProfile } from './plan';

/**
 * Removes the login profile if this resource's secret owns it (see `ownsProfile`): not a profile
 * set by hand, nor one another secret has claimed since (a replacement custom resource for the
 * same user is created before this one is deleted).
 */
export async function deleteProfile(userName: string, secretArn: string | undefined, inv: Invocation): Promise<void> {
  const tags = await userTags(inv.deadline, userName);
  // GetUser can answer NoSuchEntity for a user IAM has not caught up with yet: the
  // DeleteLoginProfile below is what settles whether there is a profile (NoSuchEntity = none).
  if (!ownsProfile(tags, OWNER_TAG_KEY, secretArn)) {
    log("login profile is not this secret's; leaving it", { userName });
    return;
  }
  const deleted = await retryOn(() => deleteLoginProfile(inv.deadline, userName), RETRY.deleteProfile, inv.clock);
  log(deleted ? 'deleted the login profile' : 'login profile was already gone', {
    userName,
    action: 'DeleteLoginProfile',
  });
}
