/**
 * Retry policies (lambda/runtime/retry.ts): jitter that spreads concurrent retries, bounded
 * attempts, and no sleep past the deadline. The clock and the random source are injected, so no
 * test waits in real time.
 */
import { RETRY, RetryClock, RetryPolicy, retryDelay, retryOn } from '../../lambda/runtime/retry';

const POLICY: RetryPolicy = { codes: ['EntityTemporarilyUnmodifiable'], attempts: 5, baseDelayMs: 1_000 };

function awsError(name: string) {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 409 } });
}

/** A virtual clock: sleeping moves time on; `remainingMs` counts down from `budgetMs`. */
function virtualClock(budgetMs: number, random: () => number = () => 0.5) {
  let now = 0;
  const sleeps: number[] = [];
  const clock: RetryClock = {
    remainingMs: () => budgetMs - now,
    random,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps, elapsed: () => now };
}

/** A seeded random source (mulberry32), so a test with "random" delays is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A call that fails `failures` times with `code`, then answers 'ok'. */
function flaky(failures: number, code = 'EntityTemporarilyUnmodifiableException') {
  let calls = 0;
  const fn = jest.fn(async () => {
    calls++;
    if (calls <= failures) throw awsError(code);
    return 'ok';
  });
  return fn;
}

describe('retryDelay', () => {
  test('is equal jitter: between half and all of the doubling nominal delay', () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const nominal = 1_000 * 2 ** (attempt - 1);
      expect(retryDelay(POLICY, attempt, () => 0)).toBe(nominal / 2);
      expect(retryDelay(POLICY, attempt, () => 0.999999)).toBe(nominal);
      expect(retryDelay(POLICY, attempt, () => 0.5)).toBe((nominal * 3) / 4);
    }
  });

  test('spreads 150 concurrent first retries: no lockstep', () => {
    // GIVEN 150 login profiles whose first call failed at the same moment
    const random = seeded(150);
    // WHEN each draws its delay
    const delays = Array.from({ length: 150 }, () => retryDelay(RETRY.newUser, 1, random));
    // THEN the delays cover the jitter window instead of piling up on one instant
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_000);
    expect(new Set(delays).size).toBeGreaterThan(100);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(400);
    // no 10 ms window holds more than a tenth of them
    const buckets = new Map<number, number>();
    for (const d of delays) buckets.set(Math.floor(d / 10), (buckets.get(Math.floor(d / 10)) ?? 0) + 1);
    expect(Math.max(...buckets.values())).toBeLessThanOrEqual(15);
  });
});

describe('retryOn', () => {
  test('retries a retryable error and returns the answer', async () => {
    const { clock, sleeps } = virtualClock(Number.POSITIVE_INFINITY);
    const fn = flaky(2);
    await expect(retryOn(fn, POLICY, clock)).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(sleeps).toEqual([750, 1_500]);
  });

  test('fails at once on an error the policy does not name', async () => {
    const { clock, sleeps } = virtualClock(Number.POSITIVE_INFINITY);
    const fn = flaky(1, 'LimitExceededException');
    await expect(retryOn(fn, POLICY, clock)).rejects.toThrow('LimitExceededException');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  test('fails after the policy’s attempts, with the last error', async () => {
    const { clock, sleeps } = virtualClock(Number.POSITIVE_INFINITY);
    const fn = flaky(Infinity);
    await expect(retryOn(fn, POLICY, clock)).rejects.toThrow('EntityTemporarilyUnmodifiableException');
    expect(fn).toHaveBeenCalledTimes(POLICY.attempts);
    expect(sleeps).toHaveLength(POLICY.attempts - 1);
  });

  test('fails when the next delay would pass the deadline, without sleeping into it', async () => {
    // GIVEN 2.5 s left: the first two delays (750 ms, then 1.5 s) fit, the third (3 s) does not
    const { clock, sleeps, elapsed } = virtualClock(2_500);
    const fn = flaky(Infinity);
    // WHEN the call keeps failing
    await expect(retryOn(fn, POLICY, clock)).rejects.toThrow('EntityTemporarilyUnmodifiableException');
    // THEN it stopped before the deadline
    expect(sleeps).toEqual([750, 1_500]);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(elapsed()).toBeLessThanOrEqual(2_500);
  });

  test('fails at once when the deadline has passed (negative time left)', async () => {
    const { clock, sleeps } = virtualClock(-1);
    const fn = flaky(Infinity);
    await expect(retryOn(fn, POLICY, clock)).rejects.toThrow('EntityTemporarilyUnmodifiableException');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  test('no policy ever sleeps past the deadline, for any budget and random draws', () => {
    const random = seeded(7);
    return (async () => {
      for (const policy of Object.values(RETRY)) {
        for (let run = 0; run < 200; run++) {
          const budget = Math.floor(random() * 40_000) - 1_000;
          const { clock, elapsed } = virtualClock(budget, random);
          await expect(retryOn(flaky(Infinity, `${policy.codes[0]}Exception`), policy, clock)).rejects.toThrow();
          expect(elapsed()).toBeLessThanOrEqual(Math.max(0, budget));
        }
      }
    })();
  });

  test('the named policies: what each waits for and how often', () => {
    expect(RETRY.unmodifiable).toEqual({ codes: ['EntityTemporarilyUnmodifiable'], attempts: 5, baseDelayMs: 1_000 });
    expect(RETRY.deleteProfile).toEqual({ codes: ['EntityTemporarilyUnmodifiable'], attempts: 6, baseDelayMs: 1_000 });
    expect(RETRY.undoCreate).toEqual({ codes: ['EntityTemporarilyUnmodifiable'], attempts: 3, baseDelayMs: 1_000 });
    expect(RETRY.newUser).toEqual({
      codes: ['NoSuchEntity', 'ConcurrentModification'],
      attempts: 5,
      baseDelayMs: 1_000,
    });
    expect(RETRY.newProfile).toEqual({
      codes: ['EntityTemporarilyUnmodifiable', 'NoSuchEntity'],
      attempts: 5,
      baseDelayMs: 1_000,
    });
  });
});
