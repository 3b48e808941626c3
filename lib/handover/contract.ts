/**
 * The handover event: what the library's functions publish, on the stack's handover bus, each time
 * they issue a console password. Consumers (a helpdesk topic, a ticketing hook) rely on this shape;
 * `detail.schemaVersion` changes whenever `detail` changes in a way a consumer could notice
 * (docs/handover.md).
 *
 * No aws-cdk-lib imports here: the handlers' bundles include this file, so the function that
 * publishes an event and the construct that routes it share one definition.
 *
 * Nothing in here may ever carry a password, or anything that lets a reader of the event read the
 * secret (the event names the secret; reading it still takes `secretsmanager:GetSecretValue`).
 */

/** The event's `source`. */
export const HANDOVER_SOURCE = 'cdk-console-users';

/** The event's `detail-type`. */
export const HANDOVER_DETAIL_TYPE = 'Console Password Issued';

/** `detail.schemaVersion` of the events this version of the library publishes. */
export const HANDOVER_SCHEMA_VERSION = 1;

/** The first password of a login profile, also when the profile moves to another user or secret. */
export const REASON_CREATE = 'create';
/** A new password because the reset token changed. */
export const REASON_RESET = 'reset';
/** A new password because Secrets Manager rotation finished. */
export const REASON_ROTATION = 'rotation';
/** A new password because console access was switched back on. */
export const REASON_CONSOLE_ACCESS_ON = 'console-access-on';

/** Why a password was issued. */
export type HandoverReason =
  typeof REASON_CREATE | typeof REASON_RESET | typeof REASON_ROTATION | typeof REASON_CONSOLE_ACCESS_ON;

/** Every reason, in the order the docs list them. */
export const HANDOVER_REASONS: readonly HandoverReason[] = [
  REASON_CREATE,
  REASON_RESET,
  REASON_ROTATION,
  REASON_CONSOLE_ACCESS_ON,
];

/**
 * The event's `detail` (schema version 1). Every field is always present.
 *
 * `secretArn` and `secretVersionId` together identify one issued password: EventBridge delivers at
 * least once, and a replayed CloudFormation event or a retried rotation step publishes the same
 * pair again. Consumers deduplicate on it (`dedupeKey` is the two joined).
 */
export interface HandoverDetail {
  /** Version of this shape: `HANDOVER_SCHEMA_VERSION`. */
  readonly schemaVersion: number;
  /** Why the password was issued (one of `HANDOVER_REASONS`). */
  readonly reason: HandoverReason;
  /** The IAM user that has the password. */
  readonly userName: string;
  /** The user's ARN. */
  readonly userArn: string;
  /** The account of the user and the secret. */
  readonly account: string;
  /** The secret that holds the password (reading it needs `secretsmanager:GetSecretValue` on it). */
  readonly secretArn: string;
  /** The secret version that holds this password (its `AWSCURRENT` version when the event was published). */
  readonly secretVersionId: string;
  /** `secretArn` and `secretVersionId` joined by a space: the same for every delivery of one issue. */
  readonly dedupeKey: string;
  /** A link to the secret in the AWS console of the secret's partition and region (opening it needs console access). */
  readonly secretConsoleUrl: string;
  /** The account's console sign-in URL. */
  readonly signInUrl: string;
  /** Whether the user must choose a new password at the first sign-in with this one. */
  readonly passwordResetRequired: boolean;
}

/** The console host of each partition (the secret's link is `https://REGION.HOST/secretsmanager/...`). */
export const CONSOLE_DOMAINS: Readonly<Record<string, string>> = {
  'aws': 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/**
 * The console link to secret `secretArn`, in its partition and region, or `undefined` when the
 * ARN is not a secret ARN of a partition listed in `CONSOLE_DOMAINS`.
 */
export function secretConsoleUrl(secretArn: string): string | undefined {
  const match = /^arn:([\w-]+):secretsmanager:([a-z0-9-]+):\d{12}:secret:(.+)$/.exec(secretArn);
  if (!match) return undefined;
  const [, partition, region, nameWithSuffix] = match;
  const domain = Object.prototype.hasOwnProperty.call(CONSOLE_DOMAINS, partition)
    ? CONSOLE_DOMAINS[partition]
    : undefined;
  if (domain === undefined) return undefined;
  // The console names a secret by its name (the ARN's last part without the 6-character suffix
  // Secrets Manager adds).
  const name = nameWithSuffix.replace(/-[A-Za-z0-9]{6}$/, '');
  return `https://${region}.${domain}/secretsmanager/secret?name=${encodeURIComponent(name)}&region=${region}`;
}

/** The event key of one issued password (`HandoverDetail.dedupeKey`). */
export function dedupeKeyOf(secretArn: string, secretVersionId: string): string {
  return `${secretArn} ${secretVersionId}`;
}
