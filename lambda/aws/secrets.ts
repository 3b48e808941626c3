/**
 * Secrets Manager: the client, and the calls whose answer needs translating for the handlers (a
 * replayed write answers what it wrote, a version's string, a secret's description). Every other
 * call is sent as it is, through `call`.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { isAwsError } from '../runtime/errors';
import type { Deadline } from '../runtime/invocation';
import { call, clientOf } from './call';

/** The Secrets Manager client (created once per Lambda container). */
export function secrets(): SecretsManagerClient {
  return clientOf(SecretsManagerClient);
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
    await call(
      deadline,
      secrets(),
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
    const response = await call(
      deadline,
      secrets(),
      new GetSecretValueCommand({ SecretId: secretArn, VersionId: token }),
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
  const response = await call(
    deadline,
    secrets(),
    new GetSecretValueCommand({ SecretId: secretArn, VersionId: version.versionId, VersionStage: version.stage }),
  );
  if (response.SecretString === undefined) throw new Error('the secret version holds no SecretString');
  return response.SecretString;
}

/** What the handlers need to know about a secret. */
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
  const response = await call(deadline, secrets(), new DescribeSecretCommand({ SecretId: secretId }));
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

/** The version of `versions` (version ID -> stages) that holds `stage`, if any. */
export function stageHolder(versions: Readonly<Record<string, readonly string[]>>, stage: string): string | undefined {
  return Object.keys(versions).find((id) => versions[id].includes(stage));
}

/**
 * Makes `versionId` the secret's `AWSCURRENT` version (the one that held it becomes
 * `AWSPREVIOUS`) and clears its `AWSPENDING`, by `versions` (the secret's stages as last read):
 * each move only when still needed, so a retry after a partial promotion completes it.
 */
export async function promoteVersion(
  deadline: Deadline,
  secretArn: string,
  versionId: string,
  versions: Readonly<Record<string, readonly string[]>>,
): Promise<void> {
  const current = stageHolder(versions, 'AWSCURRENT');
  if (current !== versionId) {
    await call(
      deadline,
      secrets(),
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: versionId,
        RemoveFromVersionId: current,
      }),
    );
  }
  if ((versions[versionId] ?? []).includes('AWSPENDING')) {
    await call(
      deadline,
      secrets(),
      new UpdateSecretVersionStageCommand({
        SecretId: secretArn,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: versionId,
      }),
    );
  }
}
