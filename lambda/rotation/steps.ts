/**
 * The four steps of a Secrets Manager rotation of a console password.
 *
 * Secrets Manager calls the function once per step with the same `ClientRequestToken` (the ID of
 * the new version) and retries a failed rotation with that same token, so every step is
 * idempotent. Where the password that works is, at each point:
 * - before `setSecret` took effect: the `AWSCURRENT` version (the new one is only `AWSPENDING`);
 * - after: the `AWSPENDING` version (the token), until `finishSecret` makes it `AWSCURRENT`.
 *   `setSecret` tags the user with the token once IAM took the password, so a retry and
 *   `testSecret` know which version IAM holds. `testSecret` puts the `AWSCURRENT` password back
 *   when its checks fail, so a failed test leaves the previous password working and recorded.
 */
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { HandlerError, isAwsError } from '../runtime/errors';
import { Invocation } from '../runtime/invocation';
import { log } from '../runtime/log';
import { RETRY, retryOn } from '../runtime/retry';
import * as aws from '../shared/aws';
import { parseBooleanText, parsePasswordLength, parseUserName } from '../shared/parse';
import { DEFAULT_PASSWORD_POLICY, generatePassword } from '../shared/password';
import { SecretValue, formatSecretValue, parseSecretValue } from '../shared/secret-value';

/** The rotation settings of a secret, from its tags (written at synth by `LoginProfile`). */
export interface RotationSettings {
  readonly secretArn: string;
  readonly userName: string;
  readonly passwordLength: number;
  readonly passwordResetRequired: boolean;
  /** Version ID -> stages. */
  readonly versions: Record<string, string[]>;
}

/** Reads the secret's tags and versions; refuses a secret this library does not rotate. */
export async function readSettings(secretId: string, inv: Invocation): Promise<RotationSettings> {
  const secret = await aws.describeSecret(inv.deadline, secretId);
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

/** createSecret: writes a new compliant password as `AWSPENDING` version `token` (once per token). */
export async function createSecret(settings: RotationSettings, token: string, inv: Invocation): Promise<void> {
  const stages = settings.versions[token] ?? [];
  if (stages.includes('AWSCURRENT')) {
    log('version is already current; nothing to create', { step: 'createSecret', secretVersionId: token });
    return;
  }
  if (settings.versions[token] !== undefined && !stages.includes('AWSPENDING')) {
    throw new HandlerError(`version ${token} is neither AWSPENDING nor AWSCURRENT; it cannot be rotated to`);
  }
  if ((await readVersion(settings, token, inv)) !== undefined) {
    log('pending version already written', { step: 'createSecret', secretVersionId: token });
    return;
  }
  const current = await readCurrent(settings, inv);
  // The live policy: the one in force when IAM checks the password at setSecret.
  const policy = (await aws.readPasswordPolicy(inv.deadline)) ?? DEFAULT_PASSWORD_POLICY;
  const password = inv.redaction.add(generatePassword(settings.passwordLength, policy));
  const value = formatSecretValue({ username: settings.userName, password, signInUrl: current.signInUrl });
  // Idempotent on the token: a concurrent duplicate gets ResourceExists and keeps the first value.
  await aws.putSecretVersion(inv.deadline, settings.secretArn, token, value, 'AWSPENDING');
  log('wrote the pending password', { step: 'createSecret', userName: settings.userName, secretVersionId: token });
}

/** setSecret: gives the user the pending password, then records on the user which version IAM holds. */
export async function setSecret(settings: RotationSettings, token: string, inv: Invocation): Promise<void> {
  if (isCurrent(settings, token)) {
    log('version is already current; nothing to set', { step: 'setSecret', secretVersionId: token });
    return;
  }
  const pending = await requirePending(settings, token, inv);
  const tags = await requireOwnedUser(settings, inv);
  if (tags[ROTATED_VERSION_TAG_KEY] === token) {
    // A retry after IAM took this password: setting it again could trip PasswordReusePrevention.
    log('user already has the pending password', { step: 'setSecret', userName: settings.userName });
    return;
  }
  try {
    await retryOn(
      () => aws.updateLoginProfile(inv.deadline, settings.userName, pending.password, settings.passwordResetRequired),
      RETRY.unmodifiable,
      inv.clock,
    );
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
  await aws.tagUser(inv.deadline, settings.userName, ROTATED_VERSION_TAG_KEY, token);
  log('set the pending password', { step: 'setSecret', userName: settings.userName, secretVersionId: token });
}

/**
 * testSecret: IAM cannot check a password without a sign-in, so this checks what it can: the user
 * still has a login profile owned by this secret, and the version IAM holds is the pending one.
 * When Secrets Manager only tests the configuration (the pending version holds no new password),
 * the checks on the user and profile are all there is.
 */
export async function testSecret(settings: RotationSettings, token: string, inv: Invocation): Promise<void> {
  if (isCurrent(settings, token)) {
    log('version is already current; nothing to test', { step: 'testSecret', secretVersionId: token });
    return;
  }
  if (!(settings.versions[token] ?? []).includes('AWSPENDING')) {
    throw new HandlerError(`version ${token} is not AWSPENDING; nothing to test`);
  }
  const tags = await requireOwnedUser(settings, inv);
  if (!(await aws.hasLoginProfile(inv.deadline, settings.userName))) {
    throw new HandlerError(`user ${settings.userName} has no login profile`);
  }
  const pending = await readVersion(settings, token, inv);
  const current = await readCurrent(settings, inv);
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
    await retryOn(
      () => aws.updateLoginProfile(inv.deadline, settings.userName, current.password, settings.passwordResetRequired),
      RETRY.unmodifiable,
      inv.clock,
    );
    throw new HandlerError(
      `user ${settings.userName} does not hold pending version ${token} (tag ${ROTATED_VERSION_TAG_KEY} differs); restored the AWSCURRENT password`,
    );
  }
  log('pending password is the one IAM holds', { step: 'testSecret', userName: settings.userName });
}

/** finishSecret: makes version `token` `AWSCURRENT` (the old one becomes `AWSPREVIOUS`) and clears `AWSPENDING`. */
export async function finishSecret(settings: RotationSettings, token: string, inv: Invocation): Promise<void> {
  const stages = settings.versions[token];
  if (stages === undefined) throw new HandlerError(`version ${token} does not exist`);
  const current = Object.keys(settings.versions).find((id) => settings.versions[id].includes('AWSCURRENT'));
  if (current !== token) {
    if (!stages.includes('AWSPENDING')) throw new HandlerError(`version ${token} is not AWSPENDING; nothing to finish`);
    await aws.moveStage(inv.deadline, settings.secretArn, 'AWSCURRENT', token, current);
  }
  if (stages.includes('AWSPENDING')) await aws.removeStage(inv.deadline, settings.secretArn, 'AWSPENDING', token);
  log('rotation finished', { step: 'finishSecret', userName: settings.userName, secretVersionId: token });
}

function isCurrent(settings: RotationSettings, token: string): boolean {
  return (settings.versions[token] ?? []).includes('AWSCURRENT');
}

/** The user's tags, after checking the user exists and its login profile belongs to this secret. */
async function requireOwnedUser(settings: RotationSettings, inv: Invocation): Promise<Record<string, string>> {
  const tags = await aws.userTags(inv.deadline, settings.userName);
  if (tags === undefined) throw new HandlerError(`IAM user ${settings.userName} does not exist`);
  const owner = tags[OWNER_TAG_KEY];
  if (owner !== settings.secretArn) {
    throw new HandlerError(
      `the login profile of ${settings.userName} is not owned by secret ${settings.secretArn} (tag ${OWNER_TAG_KEY} is ${owner === undefined ? 'absent' : JSON.stringify(owner)}); refusing to rotate it`,
    );
  }
  return tags;
}

async function requirePending(settings: RotationSettings, token: string, inv: Invocation): Promise<SecretValue> {
  const pending = (settings.versions[token] ?? []).includes('AWSPENDING')
    ? await readVersion(settings, token, inv)
    : undefined;
  if (pending === undefined)
    throw new HandlerError(`version ${token} holds no pending password; run createSecret first`);
  if (pending.username !== settings.userName) {
    throw new HandlerError(
      `the pending version names user ${JSON.stringify(pending.username)}, not ${settings.userName}`,
    );
  }
  return pending;
}

/** Version `token` with stage AWSPENDING, or `undefined` when it holds no value yet. */
async function readVersion(
  settings: RotationSettings,
  token: string,
  inv: Invocation,
): Promise<SecretValue | undefined> {
  try {
    return remembered(
      await aws.getSecretString(inv.deadline, settings.secretArn, { versionId: token, stage: 'AWSPENDING' }),
      inv,
    );
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFound')) return undefined;
    throw error;
  }
}

async function readCurrent(settings: RotationSettings, inv: Invocation): Promise<SecretValue> {
  try {
    return remembered(await aws.getSecretString(inv.deadline, settings.secretArn, { stage: 'AWSCURRENT' }), inv);
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

/** Parses a stored secret string (never echoing it) and remembers its password for redaction. */
function remembered(secretString: string, inv: Invocation): SecretValue {
  const value = parseSecretValue(secretString);
  inv.redaction.add(value.password);
  return value;
}
