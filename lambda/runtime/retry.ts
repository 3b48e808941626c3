/**
 * Bounded retries for the AWS errors that mean "not yet" rather than "no", by named policy.
 *
 * Delays grow exponentially with equal jitter: half of each delay is fixed, the other half drawn
 * at random. The fixed half keeps a minimum wait for IAM to catch up (an eventually consistent
 * new user needs real time, not a quick second try); the random half spreads the retries of many
 * resources that failed together (150 login profiles created at once) so they do not come back
 * in lockstep. No retry sleeps past the deadline: when the next delay would, the error is thrown.
 */
import { isAwsError } from './errors';

/** When to try a call again, and how often. */
export interface RetryPolicy {
  /** Error codes worth another attempt. */
  readonly codes: readonly string[];
  /** Attempts in all, including the first. */
  readonly attempts: number;
  /** The nominal delay before the second attempt; doubles for each further attempt. */
  readonly baseDelayMs: number;
}

const UNMODIFIABLE = ['EntityTemporarilyUnmodifiable'] as const;

/** The retry policies of the handlers, by what they wait for. */
export const RETRY = {
  /** A login profile IAM is still changing (a concurrent update of the same profile). */
  unmodifiable: { codes: UNMODIFIABLE, attempts: 5, baseDelayMs: 1_000 },
  /** Deleting a login profile: the last chance before IAM refuses to delete the user, so one more try. */
  deleteProfile: { codes: UNMODIFIABLE, attempts: 6, baseDelayMs: 1_000 },
  /** The undo of a failed Create: best effort, short, so the failure is reported in time. */
  undoCreate: { codes: UNMODIFIABLE, attempts: 3, baseDelayMs: 1_000 },
  /** Tagging a user CloudFormation has just created (IAM may not show it yet), or one being tagged concurrently. */
  newUser: { codes: ['NoSuchEntity', 'ConcurrentModification'], attempts: 5, baseDelayMs: 1_000 },
  /** Creating the login profile of a user IAM may not show yet, or whose profile is still changing. */
  newProfile: { codes: ['EntityTemporarilyUnmodifiable', 'NoSuchEntity'], attempts: 5, baseDelayMs: 1_000 },
  /**
   * A CloudFormation read still throttled, or failing on CloudFormation's side, after the SDK's own
   * retries: every event waits on it, and a genuine event refused fails the deployment.
   */
  cloudFormation: {
    codes: ['Throttling', 'ThrottlingException', 'InternalFailure', 'ServiceUnavailable', 'RequestLimitExceeded'],
    attempts: 4,
    baseDelayMs: 1_000,
  },
  /**
   * CloudFormation's record of a resource during its Update that shows the old properties: read
   * again, a few times, for the new ones (the record is not documented to show either).
   */
  recordCurrent: { codes: [], attempts: 4, baseDelayMs: 1_000 },
} as const satisfies Record<string, RetryPolicy>;

/** What a retry needs from the invocation: time left, a random source and a way to wait. */
export interface RetryClock {
  /** Milliseconds the handler may still spend before it must answer (safety margin already taken off). */
  remainingMs(): number;
  /** A number in [0, 1); `Math.random` in production, a fixed sequence in tests. */
  random(): number;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/**
 * The delay before attempt `attempt + 1`, after `attempt` failed (`attempt` counts from 1):
 * equal jitter around `baseDelayMs * 2^(attempt - 1)`, between half of it and all of it.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const nominal = policy.baseDelayMs * 2 ** (attempt - 1);
  return Math.round(nominal / 2 + (nominal / 2) * random());
}

/** Runs `fn`, retrying by `policy` while it fails with one of the policy's codes and time allows. */
export async function retryOn<T>(fn: () => Promise<T>, policy: RetryPolicy, clock: RetryClock): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const retryable = policy.codes.some((code) => isAwsError(error, code));
      if (!retryable || attempt >= policy.attempts) throw error;
      const delay = retryDelay(policy, attempt, () => clock.random());
      if (clock.remainingMs() < delay) throw error;
      await clock.sleep(delay);
    }
  }
}

/** The production clock: `remainingMs` from the Lambda context, `Math.random`, `setTimeout`. */
export function systemClock(remainingMs: () => number, random: () => number = Math.random): RetryClock {
  return {
    remainingMs,
    random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
