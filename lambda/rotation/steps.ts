/**
 * The four steps of a Secrets Manager rotation of a console password.
 *
 * Secrets Manager calls the function once per step with the same `ClientRequestToken` (the ID of
 * the new version) and retries a failed rotation with that same token, so every step is
 * idempotent. Every step first checks who asks (`checks.ts`): a secret of this function's stack,
 * whose rotation is on and runs this function, a token Secrets Manager staged `AWSPENDING`, and a
 * user whose owner tag names this secret. Where the password that works is, at each point:
 * - before `setSecret` took effect: the `AWSCURRENT` version (the new one is only `AWSPENDING`);
 * - after: the `AWSPENDING` version (the token), until `finishSecret` makes it `AWSCURRENT`.
 *   `setSecret` tags the user with the token once IAM took the password, so a retry, `testSecret`
 *   and `finishSecret` know which version IAM holds. `testSecret` puts the `AWSCURRENT` password
 *   back when its checks fail, so a failed test leaves the previous password working and recorded.
 *
 * A crash between two calls, and the retry with the same token:
 * - `createSecret` after tagging the user, before writing: no value under the token; the retry
 *   generates a new password, tags again (replacing the commitment) and writes it. IAM untouched.
 * - `createSecret` after writing: the retry finds the value, matching the tag: nothing to do.
 * - `setSecret` after IAM took the password, before tagging: IAM holds the `AWSPENDING` password;
 *   the retry sets the same password again (IAM may refuse it under `PasswordReusePrevention`: the
 *   step then fails, and IAM and `AWSPENDING` stay in step until an operator finishes the rotation).
 * - `finishSecret` between moving `AWSCURRENT` and clearing `AWSPENDING`: the retry only clears it.
 *
 * While console access is off (the `AWSCURRENT` value says so: the login-profile handler writes it
 * after deleting the profile, so it is what IAM has now, whereas the secret's tags change at another
 * point of a deployment) every step succeeds without issuing anything: `createSecret` stages a copy
 * of the off value as `AWSPENDING`, `setSecret` touches no profile, `testSecret` checks that the
 * user has no login profile and that the pending value is that copy, and `finishSecret` promotes
 * it. A pending value of the other access state (a rotation that started before access was
 * switched) is never set or promoted: `finishSecret` only removes its `AWSPENDING`, so no password
 * becomes current while access is off and no off value replaces a password a profile uses.
 */

import { PENDING_VERSION_TAG_KEY, ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { HandlerError, isAwsError } from '../runtime/errors';
import { Invocation } from '../runtime/invocation';
import { log } from '../runtime/log';
import { RETRY, retryOn } from '../runtime/retry';
import { UpdateLoginProfileCommand } from '@aws-sdk/client-iam';
import { call } from '../aws/call';
import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { hasLoginProfile, iam, readPasswordPolicy, tagUser, userTags } from '../aws/iam';
import {
  describeSecret,
  getSecretString,
  promoteVersion,
  putSecretVersion,
  secrets,
  stageHolder,
} from '../aws/secrets';
import { DEFAULT_PASSWORD_POLICY, generatePassword } from '../password/generator';
import { parsePasswordLength, parseUserName } from '../password/rules';
import {
  AccessOffValue,
  StoredValue,
  formatAccessOffValue,
  formatSecretValue,
  isAccessOff,
  parseStoredValue,
} from '../password/secret-value';
import { parseBooleanText } from '../runtime/parse';
import * as checks from './checks';
import { REASON_ROTATION } from '../../lib/handover/contract';
import { announce } from '../handover/publish';

/** The rotation settings of a secret, from its tags (written at synth by `LoginProfile`). */
export interface RotationSettings {
  readonly secretArn: string;
  readonly userName: string;
  readonly passwordLength: number;
  readonly passwordResetRequired: boolean;
  /** Version ID -> stages. */
  readonly versions: Record<string, string[]>;
}

/**
 * Reads the secret's tags, versions and rotation configuration; refuses a secret of another stack,
 * one whose rotation is off or runs another function, and one this library does not rotate.
 */
export async function readSettings(
  secretId: string,
  inv: Invocation,
  caller: checks.Caller,
): Promise<RotationSettings> {
  const secret = await describeSecret(inv.deadline, secretId);
  checks.requireOwnStack(secret, caller.stackId);
  checks.requireRotationBySecretsManager(secret, caller.invokedFunctionArn);
  const userName = secret.tags[ROTATION_TAGS.userName];
  const lengthText = secret.tags[ROTATION_TAGS.passwordLength];
  const resetText = secret.tags[ROTATION_TAGS.passwordResetRequired];
  if (userName === undefined || lengthText === undefined || resetText === undefined) {
    throw new HandlerError(
      `secret ${secret.arn} is not a cdk-console-users login profile secret with rotation (tags ${Object.values(ROTATION_TAGS).join(', ')} are required)`,
    );
  }
  return {
    secretArn: secret.arn,
    userName: parseUserName(`tag ${ROTATION_TAGS.userName}`, userName),
    passwordLength: parsePasswordLength(`tag ${ROTATION_TAGS.passwordLength}`, lengthText),
    passwordResetRequired: parseBooleanText(`tag ${ROTATION_TAGS.passwordResetRequired}`, resetText),
    versions: secret.versions,
  };
}

/**
 * createSecret: writes a new compliant password as `AWSPENDING` version `token` (once per token),
 * after recording on the user the token and a commitment to the value. A value already under the
 * token that the function did not write is refused.
 */
export async function createSecret(settings: RotationSettings, token: string, inv: Invocation): Promise<void> {
  if (checks.requireRotationToken(settings.versions, token) === 'current') {
    log('version is already current; nothing to create', { step: 'createSecret', secretVersionId: token });
    return;
  }
  // Before anything is written: the user the secret's (changeable) tag names must be this secret's.
  const tags = await ownedUserTags(settings, inv);
  const existing = await readPending(settings, token, inv);
  const current = await readCurrent(settings, inv);
  if (isAccessOff(current)) {
    await stageOffCopy(settings, token, current, existing, inv);
    return;
  }
  if (existing !== undefined && isAccessOff(existing.value)) {
    log('the pending version says console access is off (staged while it was); it is never promoted', {
      step: 'createSecret',
      secretVersionId: token,
    });
    return;
  }
  if (existing !== undefined) {
    checks.requireOwnPendingVersion(
      tags,
      settings.userName,
      settings.secretArn,
      token,
      current.password,
      existing.text,
    );
    log('pending version already written', { step: 'createSecret', secretVersionId: token });
    return;
  }
  // The live policy: the one in force when IAM checks the password at setSecret.
  const policy = (await readPasswordPolicy(inv.deadline)) ?? DEFAULT_PASSWORD_POLICY;
  const password = inv.redaction.add(generatePassword(settings.passwordLength, policy));
  const value = formatSecretValue({ username: settings.userName, password, signInUrl: current.signInUrl });
  await tagUser(inv.deadline, settings.userName, {
    [PENDING_VERSION_TAG_KEY]: checks.pendingVersionTag(settings.secretArn, token, current.password, value),
  });
  // Idempotent on the token and value; another value under the token (written since the read
  // above) answers ResourceExists, and is neither ours nor used.
  const written = await putSecretVersion(inv.deadline, settings.secretArn, token, value, 'AWSPENDING');
  if (written.secretString !== value) {
    throw new HandlerError(
      `version ${token} already holds a value this function did not write (PutSecretValue answered ResourceExists); refusing to use it`,
    );
  }
  log('wrote the pending password', { step: 'createSecret', userName: settings.userName, secretVersionId: token });
}

/**
 * createSecret while console access is off: stages a copy of the off value (`offCopy`) as
 * `AWSPENDING` version `token`, once per token. A value already under the token that is not the
 * copy (one staged while access was on, or another writer's) is left alone: nothing sets or
 * promotes it.
 */
async function stageOffCopy(
  settings: RotationSettings,
  token: string,
  current: AccessOffValue,
  existing: { text: string } | undefined,
  inv: Invocation,
): Promise<void> {
  const copy = offCopy(settings, current);
  if (existing !== undefined) {
    log(
      existing.text === copy
        ? 'pending version already written'
        : 'console access is off and the pending version is not the off value; it is never promoted',
      { step: 'createSecret', secretVersionId: token },
    );
    return;
  }
  const written = await putSecretVersion(inv.deadline, settings.secretArn, token, copy, 'AWSPENDING');
  if (written.secretString !== copy) {
    throw new HandlerError(
      `version ${token} already holds a value this function did not write (PutSecretValue answered ResourceExists); refusing to use it`,
    );
  }
  log('console access is off: staged a copy of the off value, no password', {
    step: 'createSecret',
    userName: settings.userName,
    secretVersionId: token,
  });
}

/**
 * setSecret: gives the user the pending password (only a value createSecret wrote), then records
 * on the user which version IAM holds.
 */
export async function setSecret(settings: RotationSettings, token: string, inv: Invocation): Promise<void> {
  if (checks.requireRotationToken(settings.versions, token) === 'current') {
    log('version is already current; nothing to set', { step: 'setSecret', secretVersionId: token });
    return;
  }
  const tags = await ownedUserTags(settings, inv);
  const pending = await readPending(settings, token, inv);
  if (pending === undefined) {
    throw new HandlerError(`version ${token} holds no pending password; run createSecret first`);
  }
  const current = await readCurrent(settings, inv);
  if (isAccessOff(current) || isAccessOff(pending.value)) {
    log(
      isAccessOff(current)
        ? 'console access is off; no login profile to set'
        : 'the pending version says console access is off (staged while it was); nothing to set',
      { step: 'setSecret', userName: settings.userName, secretVersionId: token },
    );
    return;
  }
  if (pending.value.username !== settings.userName) {
    throw new HandlerError(
      `the pending version names user ${JSON.stringify(pending.value.username)}, not ${settings.userName}`,
    );
  }
  checks.requireOwnPendingVersion(tags, settings.userName, settings.secretArn, token, current.password, pending.text);
  if (tags[ROTATED_VERSION_TAG_KEY] === token) {
    // A retry after IAM took this password: setting it again could trip PasswordReusePrevention.
    log('user already has the pending password', { step: 'setSecret', userName: settings.userName });
    return;
  }
  try {
    await setPassword(settings, pending.value.password, inv);
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) {
      throw new HandlerError(
        `user ${settings.userName} has no login profile; rotation does not create one (deploy the stack to restore it)`,
        { cause: error },
      );
    }
    if (isAwsError(error, 'PasswordPolicyViolation')) {
      throw new HandlerError(
        `IAM refused the pending password of ${settings.userName} for the account password policy; the previous password still works; rotate again to generate one for the current policy`,
        { cause: error },
      );
    }
    throw error;
  }
  await tagUser(inv.deadline, settings.userName, { [ROTATED_VERSION_TAG_KEY]: token });
  log('set the pending password', { step: 'setSecret', userName: settings.userName, secretVersionId: token });
}

/**
 * testSecret: IAM cannot check a password without a sign-in, so this checks what it can: the user
 * still has a login profile owned by this secret, and the version IAM holds is the pending one.
 * When Secrets Manager only tests the configuration (the pending version holds no new password),
 * the checks on the user and profile are all there is.
 */
export async function testSecret(settings: RotationSettings, token: string, inv: Invocation): Promise<void> {
  if (checks.requireRotationToken(settings.versions, token) === 'current') {
    log('version is already current; nothing to test', { step: 'testSecret', secretVersionId: token });
    return;
  }
  const tags = await ownedUserTags(settings, inv);
  const hasProfile = await hasLoginProfile(inv.deadline, settings.userName);
  const pendingEntry = await readPending(settings, token, inv);
  const current = await readCurrent(settings, inv);
  if (isAccessOff(current)) {
    testWhileOff(settings, token, current, hasProfile, pendingEntry);
    return;
  }
  if (!hasProfile) throw new HandlerError(`user ${settings.userName} has no login profile`);
  const pending = pendingEntry?.value;
  if (pending !== undefined && isAccessOff(pending)) {
    log('the pending version says console access is off (staged while it was); finishSecret drops it', {
      step: 'testSecret',
      secretVersionId: token,
    });
    return;
  }
  if (pending === undefined || pending.password === current.password) {
    log('configuration test passed (no new password in the pending version)', { step: 'testSecret' });
    return;
  }
  if (pending.username !== settings.userName) {
    throw new HandlerError(
      `the pending version names user ${JSON.stringify(pending.username)}, not ${settings.userName}`,
    );
  }
  if (tags[ROTATED_VERSION_TAG_KEY] !== token) {
    // IAM does not hold the pending password (someone reset it since setSecret): put the recorded
    // AWSCURRENT password back so that what works is what the secret says.
    await setPassword(settings, current.password, inv);
    throw new HandlerError(
      `user ${settings.userName} does not hold pending version ${token} (tag ${ROTATED_VERSION_TAG_KEY} differs); restored the AWSCURRENT password`,
    );
  }
  log('pending password is the one IAM holds', { step: 'testSecret', userName: settings.userName });
}

/**
 * testSecret while console access is off: the user has no login profile (one made by hand since
 * fails the rotation, which has no permission to delete it: the failure is the signal), and the
 * pending value is the off copy, or a password staged before access went off (never promoted).
 */
function testWhileOff(
  settings: RotationSettings,
  token: string,
  current: AccessOffValue,
  hasProfile: boolean,
  pending: { text: string; value: StoredValue } | undefined,
): void {
  if (hasProfile) {
    throw new HandlerError(
      `console access of ${settings.userName} is off, but the user has a login profile (the library deleted its own, so someone made this one); the rotation sets no password while access is off: delete the profile, or switch console access on`,
    );
  }
  if (pending !== undefined && pending.text !== offCopy(settings, current) && isAccessOff(pending.value)) {
    throw new HandlerError(`the pending version ${token} is not the off value of ${settings.userName}`);
  }
  log('console access is off: no login profile, nothing to test', {
    step: 'testSecret',
    userName: settings.userName,
    secretVersionId: token,
  });
}

/**
 * finishSecret: makes version `token` `AWSCURRENT` (the old one becomes `AWSPREVIOUS`) and clears
 * `AWSPENDING`; only once IAM holds it (setSecret recorded the token on the user), so that
 * `AWSCURRENT` never names a password IAM does not have. Then announces the password (the
 * handover event, `../handover/publish.ts`).
 */
export async function finishSecret(settings: RotationSettings, token: string, inv: Invocation): Promise<void> {
  checks.requireRotationToken(settings.versions, token);
  // Whether the version made current holds a password (console access on): only then is one issued.
  let issued: boolean;
  if (stageHolder(settings.versions, 'AWSCURRENT') !== token) {
    const tags = await ownedUserTags(settings, inv);
    const current = await readCurrent(settings, inv);
    issued = !isAccessOff(current);
    if (isAccessOff(current)) {
      // Only the off copy becomes current while access is off: never a password.
      const pending = await readPending(settings, token, inv);
      if (pending?.text !== offCopy(settings, current)) {
        await dropPending(settings, token, inv);
        return;
      }
    } else if (tags[ROTATED_VERSION_TAG_KEY] !== token) {
      // An off value staged before access went on is never made current over the password in use.
      const pending = await readPending(settings, token, inv);
      if (pending !== undefined && isAccessOff(pending.value)) {
        await dropPending(settings, token, inv);
        return;
      }
      checks.requireIamHolds(tags, settings.userName, token);
    }
  } else {
    // A retry of a step that made the version current: announce it again if it holds a password
    // (the first run's publish may have failed), never the off copy.
    issued = !isAccessOff(await readCurrent(settings, inv));
  }
  await promoteVersion(inv.deadline, settings.secretArn, token, settings.versions);
  log('rotation finished', { step: 'finishSecret', userName: settings.userName, secretVersionId: token });
  if (!issued) return;
  // Only now is the password both IAM's and AWSCURRENT. A failed publish fails the step (the
  // rotation is recorded as failed, the password stays working and stored); a retry of the step
  // publishes the same version again.
  await announce(
    {
      reason: REASON_ROTATION,
      userName: settings.userName,
      secretArn: settings.secretArn,
      secretVersionId: token,
      passwordResetRequired: settings.passwordResetRequired,
    },
    inv,
  );
}

/**
 * Ends a rotation whose pending version is of the other access state: removes `AWSPENDING` from
 * it (so that the next rotation can start) and leaves `AWSCURRENT` where it is.
 */
async function dropPending(settings: RotationSettings, token: string, inv: Invocation): Promise<void> {
  await call(
    inv.deadline,
    secrets(),
    new UpdateSecretVersionStageCommand({
      SecretId: settings.secretArn,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: token,
    }),
  );
  log('the pending version is of the other console access state; AWSCURRENT stays, AWSPENDING removed', {
    step: 'finishSecret',
    userName: settings.userName,
    secretVersionId: token,
  });
}

/** The value createSecret stages while access is off: the off value for the secret's user. */
function offCopy(settings: RotationSettings, current: AccessOffValue): string {
  return formatAccessOffValue({ username: settings.userName, signInUrl: current.signInUrl });
}

/** Gives the user `password` (UpdateLoginProfile, with the rotation's reset flag), retried while IAM is changing the profile. */
async function setPassword(settings: RotationSettings, password: string, inv: Invocation): Promise<void> {
  const input = {
    UserName: settings.userName,
    Password: password,
    PasswordResetRequired: settings.passwordResetRequired,
  };
  await retryOn(() => call(inv.deadline, iam(), new UpdateLoginProfileCommand(input)), RETRY.unmodifiable, inv.clock);
}

/** The user's tags, after checking the user exists and its owner tag names this secret. */
async function ownedUserTags(settings: RotationSettings, inv: Invocation): Promise<Record<string, string>> {
  return checks.requireUserOwnedBy(
    await userTags(inv.deadline, settings.userName),
    settings.userName,
    settings.secretArn,
  );
}

/** Version `token` with stage AWSPENDING (its secret string and parsed value), or `undefined` when it holds no value yet. */
async function readPending(
  settings: RotationSettings,
  token: string,
  inv: Invocation,
): Promise<{ text: string; value: StoredValue } | undefined> {
  let text: string;
  try {
    text = await getSecretString(inv.deadline, settings.secretArn, { versionId: token, stage: 'AWSPENDING' });
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFound')) return undefined;
    throw error;
  }
  return { text, value: remembered(text, inv) };
}

/** The `AWSCURRENT` value: a password, or the off value while console access is off. */
async function readCurrent(settings: RotationSettings, inv: Invocation): Promise<StoredValue> {
  try {
    return remembered(await getSecretString(inv.deadline, settings.secretArn, { stage: 'AWSCURRENT' }), inv);
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFound')) {
      throw new HandlerError(
        `secret ${settings.secretArn} has no AWSCURRENT password yet; the login profile must be created before it rotates`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Parses a stored secret string (never echoing it) and remembers its password, if any, for redaction. */
function remembered(secretString: string, inv: Invocation): StoredValue {
  const value = parseStoredValue(secretString);
  if (!isAccessOff(value)) inv.redaction.add(value.password);
  return value;
}
