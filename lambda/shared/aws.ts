/**
 * Thin AWS calls. Each function is one API call plus the translation of the errors that
 * have a meaning for us; the decisions live in the handlers.
 *
 * Transient failures (throttling, 5xx, timeouts) are retried by the SDK's standard retry
 * strategy, bounded so that the handler always answers before the Lambda times out.
 */
import {
  CreateLoginProfileCommand,
  DeleteAccountPasswordPolicyCommand,
  DeleteLoginProfileCommand,
  GetAccountPasswordPolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  PasswordPolicy as IamPasswordPolicy,
  TagUserCommand,
  UpdateAccountPasswordPolicyCommand,
  UpdateAccountPasswordPolicyCommandInput,
  UpdateLoginProfileCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { isAwsError } from '../runtime/errors';
import { PasswordPolicy } from './password';

/** SDK attempts per call (1 + retries) and per-attempt timeouts: worst case about 20 s per call. */
export const MAX_ATTEMPTS = 4;
const CLIENT_CONFIG = {
  maxAttempts: MAX_ATTEMPTS,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000 },
} as const;

let iamClient: IAMClient | undefined;
let secretsClient: SecretsManagerClient | undefined;

/** The IAM client (created once per Lambda container). */
export function iam(): IAMClient {
  iamClient ??= new IAMClient(CLIENT_CONFIG);
  return iamClient;
}

/** The Secrets Manager client (created once per Lambda container). */
export function secrets(): SecretsManagerClient {
  secretsClient ??= new SecretsManagerClient(CLIENT_CONFIG);
  return secretsClient;
}

/** Forgets the cached clients (tests change endpoints and mocks between cases). */
export function resetClients(): void {
  iamClient = undefined;
  secretsClient = undefined;
}

/** The account's password policy, or `undefined` when the account has none (`NoSuchEntity`). */
export async function readPasswordPolicy(): Promise<PasswordPolicy | undefined> {
  return readAccountPasswordPolicy();
}

/** Result of writing a secret version. */
export interface SecretVersion {
  /** The version ID (the client request token). */
  readonly versionId: string;
  /** The secret string stored in that version: ours, or a replayed event's. */
  readonly secretString: string;
  /**
   * When the version already existed (a replayed event wrote it): its staging labels now, which
   * need not include the stage asked for (a later version may have taken it). Undefined when the
   * version is new, or when Secrets Manager did not say.
   */
  readonly existingStages?: readonly string[];
}

/**
 * Writes `secretString` as version `token` with `stage`. Idempotent: when version `token`
 * already exists (a replayed event wrote it with another password), returns what it holds.
 */
export async function putSecretVersion(
  secretArn: string,
  token: string,
  secretString: string,
  stage: string,
): Promise<SecretVersion> {
  try {
    await secrets().send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        ClientRequestToken: token,
        SecretString: secretString,
        VersionStages: [stage],
      }),
    );
    return { versionId: token, secretString };
  } catch (error) {
    if (!isAwsError(error, 'ResourceExists')) throw error;
    const response = await secrets().send(new GetSecretValueCommand({ SecretId: secretArn, VersionId: token }));
    if (response.SecretString === undefined) throw new Error('the secret version holds no SecretString');
    return { versionId: token, secretString: response.SecretString, existingStages: response.VersionStages };
  }
}

/** The secret string of one version, chosen by ID or by stage. */
export async function getSecretString(
  secretArn: string,
  version: { versionId?: string; stage?: string },
): Promise<string> {
  const response = await secrets().send(
    new GetSecretValueCommand({ SecretId: secretArn, VersionId: version.versionId, VersionStage: version.stage }),
  );
  if (response.SecretString === undefined) throw new Error('the secret version holds no SecretString');
  return response.SecretString;
}

/** The secret's version IDs and their stages. */
export async function secretVersionStages(secretArn: string): Promise<Record<string, string[]>> {
  const response = await secrets().send(new DescribeSecretCommand({ SecretId: secretArn }));
  return response.VersionIdsToStages ?? {};
}

/** Moves `stage` to `versionId`, from whichever version holds it now (if any). */
export async function moveStage(
  secretArn: string,
  stage: string,
  versionId: string,
  fromVersionId: string | undefined,
): Promise<void> {
  await secrets().send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretArn,
      VersionStage: stage,
      MoveToVersionId: versionId,
      RemoveFromVersionId: fromVersionId,
    }),
  );
}

/** Removes `stage` from `versionId`. */
export async function removeStage(secretArn: string, stage: string, versionId: string): Promise<void> {
  await secrets().send(
    new UpdateSecretVersionStageCommand({ SecretId: secretArn, VersionStage: stage, RemoveFromVersionId: versionId }),
  );
}

/** Creates the login profile. Throws `EntityAlreadyExists` when the user has one. */
export async function createLoginProfile(userName: string, password: string, resetRequired: boolean): Promise<void> {
  await iam().send(
    new CreateLoginProfileCommand({ UserName: userName, Password: password, PasswordResetRequired: resetRequired }),
  );
}

/** Updates the login profile: the password when given, and the reset flag. */
export async function updateLoginProfile(
  userName: string,
  password: string | undefined,
  resetRequired: boolean,
): Promise<void> {
  await iam().send(
    new UpdateLoginProfileCommand({ UserName: userName, Password: password, PasswordResetRequired: resetRequired }),
  );
}

/** Deletes the login profile; `false` when there was none (`NoSuchEntity`). */
export async function deleteLoginProfile(userName: string): Promise<boolean> {
  try {
    await iam().send(new DeleteLoginProfileCommand({ UserName: userName }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return false;
    throw error;
  }
}

/** The user's tags, or `undefined` when the user does not exist. */
export async function userTags(userName: string): Promise<Record<string, string> | undefined> {
  try {
    const response = await iam().send(new GetUserCommand({ UserName: userName }));
    const tags: Record<string, string> = {};
    for (const tag of response.User?.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
    return tags;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return undefined;
    throw error;
  }
}

/** Sets one tag on the user (and `more` in the same call). */
export async function tagUser(
  userName: string,
  key: string,
  value: string,
  more: Record<string, string> = {},
): Promise<void> {
  const tags = [{ Key: key, Value: value }, ...Object.entries(more).map(([Key, Value]) => ({ Key, Value }))];
  await iam().send(new TagUserCommand({ UserName: userName, Tags: tags }));
}

/** Whether the user has a login profile (`false` when it or the user does not exist). */
export async function hasLoginProfile(userName: string): Promise<boolean> {
  try {
    await iam().send(new GetLoginProfileCommand({ UserName: userName }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return false;
    throw error;
  }
}

/** Every field of the account's password policy, or `undefined` when the account has none. */
export async function readAccountPasswordPolicy(): Promise<IamPasswordPolicy | undefined> {
  try {
    const response = await iam().send(new GetAccountPasswordPolicyCommand({}));
    return response.PasswordPolicy;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return undefined;
    throw error;
  }
}

/** Sets the account's password policy; fields left out take the API's defaults. */
export async function updateAccountPasswordPolicy(policy: UpdateAccountPasswordPolicyCommandInput): Promise<void> {
  await iam().send(new UpdateAccountPasswordPolicyCommand(policy));
}

/** Removes the account's password policy; `false` when there was none (`NoSuchEntity`). */
export async function deleteAccountPasswordPolicy(): Promise<boolean> {
  try {
    await iam().send(new DeleteAccountPasswordPolicyCommand({}));
    return true;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return false;
    throw error;
  }
}

/** What the rotation function needs to know about a secret. */
export interface SecretDescription {
  /** The secret's full ARN. */
  readonly arn: string;
  /** The secret's tags. */
  readonly tags: Record<string, string>;
  /** Version IDs and their stages. */
  readonly versions: Record<string, string[]>;
}

/** The secret's ARN, tags and version stages. */
export async function describeSecret(secretId: string): Promise<SecretDescription> {
  const response = await secrets().send(new DescribeSecretCommand({ SecretId: secretId }));
  const tags: Record<string, string> = {};
  for (const tag of response.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
  return { arn: response.ARN ?? secretId, tags, versions: response.VersionIdsToStages ?? {} };
}
