/** Bounded retries for the AWS errors that mean "not yet" rather than "no". */
import { isAwsError } from './errors';

export interface RetryOptions {
  /** Error codes worth another attempt. */
  readonly codes: readonly string[];
  /** Attempts in all, including the first. */
  readonly attempts: number;
  /** Delay before the second attempt; doubles each time. */
  readonly baseDelayMs: number;
  /** Stop retrying when fewer than this many milliseconds would remain (see `deadline`). */
  readonly deadline?: () => number;
}

/** Runs `fn`, retrying with exponential backoff while it fails with one of `options.codes`. */
export async function retryOn<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const delay = options.baseDelayMs * 2 ** (attempt - 1);
      const retryable = options.codes.some((code) => isAwsError(error, code));
      const timeLeft = options.deadline ? options.deadline() : Number.POSITIVE_INFINITY;
      if (!retryable || attempt >= options.attempts || timeLeft < delay) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
