/**
 * The figures `npm run bench` derives from what it recorded, free of side effects: AWS calls per
 * event from the fake's call log (test/bench/ reads the handler's calls through it), and the
 * statistics of the timings.
 */

/** One entry of the fake's call log as the bench receives it (the input, which may hold a password, is left out). */
export interface LoggedCall {
  readonly service: 'iam' | 'secretsmanager' | 'cloudformation';
  readonly command: string;
  /** 'ok', or the name of the error the call failed with. */
  readonly outcome: string;
}

/** The AWS calls one event made. */
export interface EventCalls {
  /** The commands, in order, one per SDK attempt. */
  readonly commands: string[];
  readonly iam: number;
  readonly secretsmanager: number;
  /** The reads that attest the event (`DescribeStackResource`, `DescribeStacks`). */
  readonly cloudformation: number;
}

/**
 * Error answers that belong to a successful event: no custom password policy
 * (`GetAccountPasswordPolicy`: NoSuchEntity), and no login profile left to delete
 * (`DeleteLoginProfile`: NoSuchEntity, e.g. the cleanup Delete after a rename already removed it).
 */
const EXPECTED_FAILURES: ReadonlySet<string> = new Set([
  'GetAccountPasswordPolicy NoSuchEntityException',
  'DeleteLoginProfile NoSuchEntityException',
]);

/**
 * The calls of one event, from the fake's log of it. Fails when a call failed (other than the
 * answers a healthy account gives): the figures would be those of a failed or retried event.
 */
export function countCalls(log: readonly LoggedCall[]): EventCalls {
  const failed = log.filter((c) => c.outcome !== 'ok' && !EXPECTED_FAILURES.has(`${c.command} ${c.outcome}`));
  if (failed.length > 0) {
    throw new Error(
      `calls failed, so the counts would not be those of a healthy event: ${failed.map((c) => `${c.command} (${c.outcome})`).join(', ')}`,
    );
  }
  if (log.length === 0) {
    throw new Error('the fake recorded no call: the handler did not reach it (is it routed to the fake?)');
  }
  return {
    commands: log.map((c) => c.command),
    iam: log.filter((c) => c.service === 'iam').length,
    secretsmanager: log.filter((c) => c.service === 'secretsmanager').length,
    cloudformation: log.filter((c) => c.service === 'cloudformation').length,
  };
}

/** Median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The `p`th percentile of `values` by the nearest-rank method (the smallest value with at least p% at or below it). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}
