/**
 * The step every new password takes: store it in the secret, then set it on the user.
 *
 * The invariant ("nothing lost"): whenever the user has a login profile, its password is in the
 * secret, in `AWSCURRENT`, or in `AWSPENDING` while a retry of the same event is still due.
 * - A new password is written to the secret before IAM sees it.
 * - Secret versions are keyed by a token derived from the event, so a replayed event finds the
 *   version its first delivery wrote and sets that same password instead of a new one.
 * - A password written as `AWSPENDING` is promoted to `AWSCURRENT` only after IAM took it.
 */
import { describeSecret, getSecretString, promoteVersion, putSecretVersion } from '../aws/secrets';
import { readPasswordPolicy } from '../aws/iam';
import { DEFAULT_PASSWORD_POLICY, PasswordPolicy, generatePassword } from '../password/generator';
import { formatSecretValue, parseSecretValue } from '../password/secret-value';
import { isAwsError } from '../runtime/errors';
import { Invocation } from '../runtime/invocation';
import { log } from '../runtime/log';
import { EventIdentity, MAX_POLICY_ATTEMPTS, settleReplay, versionToken, versionTokens } from './plan';
import { LoginProfileSettings } from './properties';

/** How an entry point (`issue.ts`, `reset.ts`) has its new password stored and set. */
export interface StoreThenSet {
  /** What the log calls it. */
  readonly action: 'create' | 'reset';
  /**
   * The stage a new version is written with: `AWSCURRENT` when no password of this secret is in
   * use yet (it takes the stage at once), `AWSPENDING` when one is (promoted once IAM took it).
   */
  readonly stage: 'AWSCURRENT' | 'AWSPENDING';
  /** Gives the user `password` (creating or updating the login profile). */
  setProfile(password: string): Promise<void>;
}

/**
 * Generates a password for the live policy, stores it as version `versionToken(event, attempt)`
 * with `how.stage`, sets it with `how.setProfile`, and promotes it when it was stored as
 * `AWSPENDING`. A policy that changed since the read (`PasswordPolicyViolation`) is read again and
 * a new password generated, up to `MAX_POLICY_ATTEMPTS`. Returns the version set.
 */
export async function storeThenSet(
  settings: LoginProfileSettings,
  event: EventIdentity,
  inv: Invocation,
  how: StoreThenSet,
): Promise<string> {
  let policy = await readPolicy(inv);
  for (let attempt = 0; ; attempt++) {
    const token = versionToken(event, attempt);
    const fresh = generatePassword(settings.passwordLength, policy);
    inv.redaction.add(fresh);
    const value = formatSecretValue({ username: settings.userName, password: fresh, signInUrl: settings.signInUrl });
    const stored = await putSecretVersion(inv.deadline, settings.secretArn, token, value, how.stage);
    const password = inv.redaction.add(parseSecretValue(stored.secretString).password);
    const replayed = stored.existingStages;
    if (replayed !== undefined && !replayed.includes(how.stage) && !replayed.includes('AWSCURRENT')) {
      // A delivery of an event whose version has since lost its stage: to a later attempt of
      // this same event, or to a later event. Setting this version's password would undo that.
      return settleOvertakenReplay(settings, event, stored.versionId, inv, how);
    }

    try {
      await how.setProfile(password);
    } catch (error) {
      if (isAwsError(error, 'PasswordPolicyViolation') && attempt + 1 < MAX_POLICY_ATTEMPTS) {
        // The policy changed between our read and IAM's check: read it again and regenerate.
        log('IAM refused the password for its policy; regenerating', { userName: settings.userName });
        policy = await readPolicy(inv);
        continue;
      }
      throw error;
    }

    if (how.stage === 'AWSPENDING') await promote(settings.secretArn, stored.versionId, inv);
    log('login profile password set', {
      userName: settings.userName,
      action: how.action,
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
  overtakenVersionId: string,
  inv: Invocation,
  how: StoreThenSet,
): Promise<string> {
  const { versions } = await describeSecret(inv.deadline, settings.secretArn);
  const { finish: latest, current } = settleReplay(versions, versionTokens(event));
  if (latest === undefined) {
    log('a later change overtook this event; a late delivery changes nothing', {
      userName: settings.userName,
      secretVersionId: current,
    });
    return current ?? overtakenVersionId;
  }
  const password = await readPassword(settings.secretArn, { versionId: latest }, inv);
  await how.setProfile(password);
  if (latest !== current) await promote(settings.secretArn, latest, inv);
  log('login profile password set', { userName: settings.userName, action: how.action, secretVersionId: latest });
  return latest;
}

/** Makes `versionId` the secret's `AWSCURRENT` version (idempotent) and clears `AWSPENDING`. */
async function promote(secretArn: string, versionId: string, inv: Invocation): Promise<void> {
  const { versions } = await describeSecret(inv.deadline, secretArn);
  await promoteVersion(inv.deadline, secretArn, versionId, versions);
}

async function readPolicy(inv: Invocation): Promise<PasswordPolicy> {
  return (await readPasswordPolicy(inv.deadline)) ?? DEFAULT_PASSWORD_POLICY;
}

/** The password of one version of the secret, remembered for redaction (never echoed). */
export async function readPassword(
  secretArn: string,
  version: { versionId?: string; stage?: string },
  inv: Invocation,
): Promise<string> {
  return inv.redaction.add(parseSecretValue(await getSecretString(inv.deadline, secretArn, version)).password);
}
