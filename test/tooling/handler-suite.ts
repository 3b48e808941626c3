/**
 * The set-up of a handler suite that runs against the fake: before each test, jest's fake clock and
 * a fresh `FakeAws` installed as the SDK; after it, the real clock again and no password the fake
 * ever saw in the output of any invocation the test ran (nor in anything else the suite names).
 * A suite's own hooks (its world, its further invariants) are registered after calling it, so they
 * run after this set-up's `beforeEach` and after its `afterEach`.
 */
import type { CustomResourceResponse } from '../../lambda/runtime/custom-resource';
import { FakeAws, installFake } from './fake-aws';
import { AnyHandler, Invocation, assertNoPasswordIn, invoke } from './fault-harness';

/** How `invoke` runs an event: see `invoke`. */
export interface InvokeOptions<R> {
  readonly timeoutMs?: number;
  readonly fn?: AnyHandler<R>;
  readonly forged?: boolean;
}

export interface FakeAwsSuite {
  /** The fake the running test's handlers call. */
  fake(): FakeAws;
  /** The output of every invocation of the running test (emptied before each test, scanned after it). */
  readonly outputs: string[];
  /** Invokes a handler (the login-profile handler unless `options.fn`) and keeps its output. */
  run<R = CustomResourceResponse>(event: unknown, options?: InvokeOptions<R>): Promise<Invocation<R>>;
  /** `run`, which must answer without an error and before the timeout: the response. */
  succeeds<R = CustomResourceResponse>(event: unknown, options?: InvokeOptions<R>): Promise<R>;
}

/**
 * Registers the set-up (see the file's comment) and returns its accessors. `alsoScanned` names
 * further texts the no-password check covers along with the outputs (e.g. the events a bus accepted).
 */
export function fakeAwsSuite(options: { alsoScanned?: (fake: FakeAws) => string[] } = {}): FakeAwsSuite {
  let fake: FakeAws | undefined;
  const outputs: string[] = [];
  const current = (): FakeAws => {
    if (fake === undefined) throw new Error('fakeAwsSuite: the fake exists only while a test runs');
    return fake;
  };
  beforeEach(() => {
    jest.useFakeTimers();
    fake = new FakeAws();
    installFake(fake);
    outputs.length = 0;
  });
  afterEach(() => {
    jest.useRealTimers();
    assertNoPasswordIn(current(), ...outputs, ...(options.alsoScanned?.(current()) ?? []));
  });
  const run = async <R = CustomResourceResponse>(event: unknown, invokeOptions: InvokeOptions<R> = {}) => {
    const result = await invoke<R>(event, invokeOptions);
    outputs.push(result.output);
    return result;
  };
  return {
    fake: current,
    outputs,
    run,
    succeeds: async <R = CustomResourceResponse>(event: unknown, invokeOptions: InvokeOptions<R> = {}) => {
      const result = await run<R>(event, invokeOptions);
      expect(result.error).toBeUndefined();
      expect(result.timedOut).toBe(false);
      return result.response!;
    },
  };
}
