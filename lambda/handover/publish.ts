/**
 * Announcing an issued password: one handover event on the stack's bus (`HANDOVER_BUS_ENV`), after
 * the password is set on the user and its secret version is `AWSCURRENT`. The event names the user,
 * the secret and its version, never the password (docs/handover.md).
 *
 * A failed publish fails the operation that issued the password: CloudFormation rolls the
 * deployment back (the rollback issues and announces its own password, or removes the profile),
 * and a failed rotation step is recorded as a failed rotation. So nothing is announced that was
 * not issued, and an issued password that stays in use was announced at least once. Deliveries
 * of one issue share `dedupeKey` (secret ARN and version ID).
 */
import { HANDOVER_BUS_ENV } from '../../lib/handler/contract';
import {
  HANDOVER_DETAIL_TYPE,
  HANDOVER_REASONS,
  HANDOVER_SCHEMA_VERSION,
  HANDOVER_SOURCE,
  HandoverDetail,
  HandoverReason,
  dedupeKeyOf,
  secretConsoleUrl,
} from '../../lib/handover/contract';
import { consoleSignInUrl } from '../../lib/login-profile/contract';
import { putEvent } from '../aws/events';
import { HandlerError } from '../runtime/errors';
import type { Invocation } from '../runtime/invocation';
import { log } from '../runtime/log';

/** An issued password, as the handler that issued it knows it. */
export interface IssuedPassword {
  readonly reason: HandoverReason;
  readonly userName: string;
  readonly secretArn: string;
  readonly secretVersionId: string;
  readonly passwordResetRequired: boolean;
}

const EVENT_BUS_ARN = /^arn:[\w-]+:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.-]+$/;

/**
 * The bus this function publishes on. Read before a password is issued, so that a function that
 * could not announce one issues none.
 */
export function handoverBus(): string {
  const arn = process.env[HANDOVER_BUS_ENV];
  if (arn === undefined || !EVENT_BUS_ARN.test(arn)) {
    throw new HandlerError(
      `the function has no handover bus (${HANDOVER_BUS_ENV} is ${arn === undefined ? 'not set' : 'not an event bus ARN'}); it issues no password it could not announce`,
    );
  }
  return arn;
}

/** The handover event's detail for `issued`, by the function's own account and partition. */
export function handoverDetail(issued: IssuedPassword, inv: Pick<Invocation, 'account' | 'partition'>): HandoverDetail {
  if (!HANDOVER_REASONS.includes(issued.reason)) {
    throw new HandlerError(`unknown handover reason ${JSON.stringify(issued.reason)}`);
  }
  const account = inv.account;
  const partition = inv.partition;
  const signInUrl = account && partition ? consoleSignInUrl(account, partition) : undefined;
  const consoleUrl = secretConsoleUrl(issued.secretArn);
  if (account === undefined || partition === undefined || signInUrl === undefined || consoleUrl === undefined) {
    throw new HandlerError(
      "cannot tell the account, partition or console of the handover event: the function's ARN or the secret's names no account of a known partition",
    );
  }
  return {
    schemaVersion: HANDOVER_SCHEMA_VERSION,
    reason: issued.reason,
    userName: issued.userName,
    // IAM user names are unique in an account whatever their path; the function does not read the
    // user, so the ARN has no path (docs/handover.md).
    userArn: `arn:${partition}:iam::${account}:user/${issued.userName}`,
    account,
    secretArn: issued.secretArn,
    secretVersionId: issued.secretVersionId,
    dedupeKey: dedupeKeyOf(issued.secretArn, issued.secretVersionId),
    secretConsoleUrl: consoleUrl,
    signInUrl,
    passwordResetRequired: issued.passwordResetRequired,
  };
}

/**
 * Publishes the handover event of `issued`. Throws (failing the operation) when the bus is not
 * configured or EventBridge refuses the event.
 */
export async function announce(issued: IssuedPassword, inv: Invocation): Promise<void> {
  const eventBusArn = handoverBus();
  const detail = handoverDetail(issued, inv);
  await putEvent(inv.deadline, {
    eventBusArn,
    source: HANDOVER_SOURCE,
    detailType: HANDOVER_DETAIL_TYPE,
    detail: JSON.stringify(detail),
    resources: [issued.secretArn],
  });
  log('announced the issued password', {
    userName: issued.userName,
    action: `handover:${issued.reason}`,
    secretVersionId: issued.secretVersionId,
  });
}
