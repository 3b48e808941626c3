/**
 * Thin AWS calls. Each function is one API call plus the translation of the errors that
 * have a meaning for us; the decisions live in the handlers.
 *
 * Transient failures (throttling, 5xx, timeouts) are retried by the SDK's standard retry
 * strategy. Every call takes the invocation's `Deadline` and is aborted (an abort signal, which
 * every SDK v3 version honours, whatever its HTTP handler does with `requestTimeout`) when its
 * budget runs out: a call AWS applied but never answered ends with a `DeadlineError` that counts
 * as "may have applied", in time for the handler to undo and answer.
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
import { DeadlineError, isAwsError } from '../runtime/errors';
import type { Deadline } from '../runtime/invocation';
import { PasswordPolicy } from './password';

/**
 * SDK attempts per call (1 + retries) and per-attempt timeouts. The SDK's Node.js HTTP handler
 * only logs a warning when `requestTimeout` passes (unless `throwOnRequestTimeout` is set, which
 * older SDK versions in the Lambda runtime ignore): the deadline's abort signal is what bounds a
 * call; `connectionTimeout` does end an attempt that cannot connect.
 */
export const MAX_ATTEMPTS = 4;
export const CLIENT_CONFIG = {
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

/** What forgets the cached clients of other modules (`cloudformation.ts`): each registers itself. */
const resetters: Array<() => void> = [];

/** Registers `reset`, which forgets a client cached outside this module, with `resetClients`. */
export function onResetClients(reset: () => void): void {
  resetters.push(reset);
}

/** Forgets the cached clients (tests change endpoints and mocks between cases). */
export function resetClients(): void {
  iamClient = undefined;
  secretsClient = undefined;
  for (const reset of resetters) reset();
}

/**
 * Runs one SDK call with an abort signal that fires when `deadline`'s budget for it runs out.
 * A call aborted that way throws a `DeadlineError` (sent: it may have applied); a call there is
 * no time left for is not sent.
 */
export async function bounded<T>(
  deadline: Deadline,
  action: string,
  call: (options: { abortSignal: AbortSignal }) => Promise<T>,
): Promise<T> {
  const budgetMs = Math.floor(deadline.callBudgetMs());
  if (budgetMs <= 0) throw new DeadlineError(`no time left to call ${action} before the handler must answer`, false);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), budgetMs);
  try {
    return await call({ abortSignal: controller.signal });
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    throw new DeadlineError(`${action} did not answer within ${budgetMs} ms (it may have applied)`, true, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The account's password policy, or `undefined` when the account has none (`NoSuchEntity`). */
export async function readPasswordPolicy(deadline: Deadline): Promise<PasswordPolicy | undefined> {
  return readAccountPasswordPolicy(deadline);
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
  deadline: Deadline,
  secretArn: string,
  token: string,
  secretString: string,
  stage: string,
): Promise<SecretVersion> {
  try {
    await bounded(deadline, 'PutSecretValue', (options) =>
      secrets().send(
        new PutSecretValueCommand({
          SecretId: secretArn,
          ClientRequestToken: token,
          SecretString: secretString,
          VersionStages: [stage],
        }),
        options,
      ),
    );
    return { versionId: token, secretString };
  } catch (error) {
    if (!isAwsError(error, 'ResourceExists')) throw error;
    const response = await bounded(deadline, 'GetSecretValue', (options) =>
      secrets().send(new GetSecretValueCommand({ SecretId: secretArn, VersionId: token }), options),
    );
    if (response.SecretString === undefined) throw new Error('the secret version holds no SecretString');
    return { versionId: token, secretString: response.SecretString, existingStages: response.VersionStages };
  }
}

/** The secret string of one version, chosen by ID or by stage. */
export async function getSecretString(
  deadline: Deadline,
  secretArn: string,
  version: { versionId?: string; stage?: string },
): Promise<string> {
  const response = await bounded(deadline, 'GetSecretValue', (options) =>
    secrets().send(
      new GetSecretValueCommand({ SecretId: secretArn, VersionId: version.versionId, VersionStage: version.stage }),
      options,
    ),
  );
  if (response.SecretString === undefined) throw new Error('the secret version holds no SecretString');
  return response.SecretString;
}

/** The secret's version IDs and their stages. */
export async function secretVersionStages(deadline: Deadline, secretArn: string): Promise<Record<string, string[]>> {
  const response = await bounded(deadline, 'DescribeSecret', (options) =>
    secrets().send(new DescribeSecretCommand({ SecretId: secretArn }), options),
  );
  return response.VersionIdsToStages ?? {};
}

/** Moves `stage` to `versionId`, from whichever version holds it now (if any). */
export async function moveStage(
  deadline: Deadline,
  secretArn: string,
  stage: string,
  versionId: string,
  fromVersionId: string | undefined,
): Promise<void> {
  await bounded(deadline, 'UpdateSecretVersionStage', (options) =>
    secrets().send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: stage,
        MoveToVersionId: versionId,
        RemoveFromVersionId: fromVersionId,
      }),
      options,
    ),
  );
}

/** Removes `stage` from `versionId`. */
export async function removeStage(
  deadline: Deadline,
  secretArn: string,
  stage: string,
  versionId: string,
): Promise<void> {
  await bounded(deadline, 'UpdateSecretVersionStage', (options) =>
    secrets().send(
      new UpdateSecretVersionStageCommand({ SecretId: secretArn, VersionStage: stage, RemoveFromVersionId: versionId }),
      options,
    ),
  );
}

/** Creates the login profile. Throws `EntityAlreadyExists` when the user has one. */
export async function createLoginProfile(
  deadline: Deadline,
  userName: string,
  password: string,
  resetRequired: boolean,
): Promise<void> {
  await bounded(deadline, 'CreateLoginProfile', (options) =>
    iam().send(
      new CreateLoginProfileCommand({ UserName: userName, Password: password, PasswordResetRequired: resetRequired }),
      options,
    ),
  );
}

/** Updates the login profile: the password when given, and the reset flag. */
export async function updateLoginProfile(
  deadline: Deadline,
  userName: string,
  password: string | undefined,
  resetRequired: boolean,
): Promise<void> {
  await bounded(deadline, 'UpdateLoginProfile', (options) =>
    iam().send(
      new UpdateLoginProfileCommand({ UserName: userName, Password: password, PasswordResetRequired: resetRequired }),
      options,
    ),
  );
}

/** Deletes the login profile; `false` when there was none (`NoSuchEntity`). */
export async function deleteLoginProfile(deadline: Deadline, userName: string): Promise<boolean> {
  try {
    await bounded(deadline, 'DeleteLoginProfile', (options) =>
      iam().send(new DeleteLoginProfileCommand({ UserName: userName }), options),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return false;
    throw error;
  }
}

/** The user's tags, or `undefined` when the user does not exist. */
export async function userTags(deadline: Deadline, userName: string): Promise<Record<string, string> | undefined> {
  try {
    const response = await bounded(deadline, 'GetUser', (options) =>
      iam().send(new GetUserCommand({ UserName: userName }), options),
    );
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
  deadline: Deadline,
  userName: string,
  key: string,
  value: string,
  more: Record<string, string> = {},
): Promise<void> {
  const tags = [{ Key: key, Value: value }, ...Object.entries(more).map(([Key, Value]) => ({ Key, Value }))];
  await bounded(deadline, 'TagUser', (options) =>
    iam().send(new TagUserCommand({ UserName: userName, Tags: tags }), options),
  );
}

/** Whether the user has a login profile (`false` when it or the user does not exist). */
export async function hasLoginProfile(deadline: Deadline, userName: string): Promise<boolean> {
  try {
    await bounded(deadline, 'GetLoginProfile', (options) =>
      iam().send(new GetLoginProfileCommand({ UserName: userName }), options),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return false;
    throw error;
  }
}

/** Every field of the account's password policy, or `undefined` when the account has none. */
export async function readAccountPasswordPolicy(deadline: Deadline): Promise<IamPasswordPolicy | undefined> {
  try {
    const response = await bounded(deadline, 'GetAccountPasswordPolicy', (options) =>
      iam().send(new GetAccountPasswordPolicyCommand({}), options),
    );
    return response.PasswordPolicy;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return undefined;
    throw error;
  }
}

/** Sets the account's password policy; fields left out take the API's defaults. */
export async function updateAccountPasswordPolicy(
  deadline: Deadline,
  policy: UpdateAccountPasswordPolicyCommandInput,
): Promise<void> {
  await bounded(deadline, 'UpdateAccountPasswordPolicy', (options) =>
    iam().send(new UpdateAccountPasswordPolicyCommand(policy), options),
  );
}

/** Removes the account's password policy; `false` when there was none (`NoSuchEntity`). */
export async function deleteAccountPasswordPolicy(deadline: Deadline): Promise<boolean> {
  try {
    await bounded(deadline, 'DeleteAccountPasswordPolicy', (options) =>
      iam().send(new DeleteAccountPasswordPolicyCommand({}), options),
    );
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
  /** Whether rotation is turned on (`RotationEnabled`). */
  readonly rotationEnabled: boolean;
  /** The function that rotates the secret (`RotationLambdaARN`), if one is configured. */
  readonly rotationLambdaArn?: string;
}

/** The secret's ARN, tags, version stages and rotation configuration. */
export async function describeSecret(deadline: Deadline, secretId: string): Promise<SecretDescription> {
  const response = await bounded(deadline, 'DescribeSecret', (options) =>
    secrets().send(new DescribeSecretCommand({ SecretId: secretId }), options),
  );
  const tags: Record<string, string> = {};
  for (const tag of response.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
  return {
    arn: response.ARN ?? secretId,
    tags,
    versions: response.VersionIdsToStages ?? {},
    rotationEnabled: response.RotationEnabled === true,
    rotationLambdaArn: response.RotationLambdaARN,
  };
}
