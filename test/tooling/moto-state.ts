/**
 * Reads moto's internal state (`/moto-api/data.json`) for what IAM's API never returns: the
 * password a login profile holds. Tests only compare it with the secret's value, never print it.
 */
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** What moto holds for an IAM user's login profile. */
export interface MotoLoginProfile {
  /** The password IAM holds, or `undefined` without a login profile. Compare it; never print it. */
  readonly password: string | undefined;
  /** The reset flag as moto stores it (a string or boolean, depending on the call that set it). */
  readonly passwordResetRequired: unknown;
}

/** The login profile of `userName` as moto holds it. */
export async function motoLoginProfile(userName: string): Promise<MotoLoginProfile> {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: run with jest.integ.config.js');
  const response = await fetch(`${endpoint}/moto-api/data.json`);
  if (!response.ok) throw new Error(`moto data.json: HTTP ${response.status}`);
  const data = (await response.json()) as { iam?: { User?: Array<Record<string, unknown>> } };
  const user = (data.iam?.User ?? []).find((u) => u.name === userName);
  if (user === undefined) throw new Error(`moto has no IAM user ${userName}`);
  const password = typeof user.password === 'string' && user.password.length > 0 ? user.password : undefined;
  return { password, passwordResetRequired: user.password_reset_required };
}

/** The secret's versions and their stages, sorted by stage for a stable printout (IDs and labels only). */
export async function versionStages(sm: SecretsManagerClient, secretId: string): Promise<Record<string, string[]>> {
  const response = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  const stages = response.VersionIdsToStages ?? {};
  return Object.fromEntries(Object.entries(stages).map(([id, labels]) => [id, [...labels].sort()]));
}

/** One line per version: `  <version id>  <labels>` (never a value). */
export function formatStages(stages: Record<string, string[]>, names: Record<string, string> = {}): string {
  return Object.entries(stages)
    .map(
      ([id, labels]) =>
        `    ${id}${names[id] ? ` (${names[id]})` : ''}  ${labels.length ? labels.join(',') : '(no label)'}`,
    )
    .join('\n');
}
