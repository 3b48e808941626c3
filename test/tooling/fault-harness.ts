/**
 * Runs the login-profile handler against the fake the way CloudFormation drives it: events with
 * request IDs, a Lambda context with a deadline (on jest's fake clock, so SDK backoff and injected
 * timeouts cost no real time), the answer the handler PUTs to the ResponseURL recorded instead of
 * sent, and every byte of output captured.
 *
 * By default CloudFormation is sending each event: the installed fake's CloudFormation moves the
 * stack and the resource to the states it gives them while it waits (before the invocation), and
 * to the states after the answer (see `FakeCloudFormation`), so the handler's attestation finds
 * the event in CloudFormation's record. A forged event (`Delivery.FORGED`, `forgedLoginProfileHandler`,
 * `invoke(event, { forged: true })`) changes no record: the handler finds whatever is there.
 */
import { inspect } from 'node:util';
import { handlerWith } from '../../lambda/login-profile';
import type { LoginProfileEvent as CustomResourceEventBase } from '../../lambda/login-profile';
import type { CustomResourceResponse } from '../../lambda/runtime/custom-resource';
import { HandlerError } from '../../lambda/runtime/errors';
import type { InvocationContext as LambdaContext } from '../../lambda/runtime/invocation';
import type { CloudFormationResponse, SendResponse } from '../../lambda/runtime/responder';
import { FakeAws, installedFake, sdkCallsPreparing } from './fake-aws';
import {
  LAMBDA_TIMEOUT_MS,
  LoginProfileProps,
  createEventOf,
  deleteEventOf,
  lambdaContext,
  loginProfileProperties,
  loginProfileSource,
  updateEventOf,
} from './lambda-fixtures';

export { FUNCTION_ARN, LAMBDA_TIMEOUT_MS, SIGN_IN_URL, STACK_ID, requestId } from './lambda-fixtures';

// Real clock functions, captured when this module loads (before any test fakes the clock). The SDK
// does some real I/O (its shared-config loading reads files) that no fake timer stands for; the
// fake clock must not race past the Lambda deadline while that I/O is still in flight.
const realSetTimeout = setTimeout;
const realHrtime = process.hrtime.bigint;
const realMs = () => Number(realHrtime() / 1_000_000n);
/** Real milliseconds an invocation may spend waiting for real I/O while no fake timer is pending. */
const REAL_IO_BUDGET_MS = 500;

export type Handler = (event: CustomResourceEventBase, context?: LambdaContext) => Promise<CustomResourceResponse>;

/** A FAILED answer, as an error: its message is the answer's `Reason`. */
export class FailedAnswer extends HandlerError {
  /** The physical ID the answer gave (CloudFormation sends it back in the Delete after a failed Create). */
  public readonly physicalResourceId: string;
  constructor(public readonly answer: CloudFormationResponse) {
    super(answer.Reason ?? '(no reason)');
    this.physicalResourceId = answer.PhysicalResourceId;
  }
}

/** The fields of a custom-resource event the harness checks the answer against. */
interface AnsweredEvent {
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

/** Who delivers an event to the handler. */
export enum Delivery {
  /** CloudFormation: the fake's stack model shows the event in progress while the handler runs. */
  CLOUDFORMATION = 'cloudformation',
  /** Someone else with `lambda:InvokeFunction`: no record changes. */
  FORGED = 'forged',
}

/**
 * Tells the installed fake's CloudFormation that it is sending `event` (when `delivery` says so),
 * runs `deliver`, and tells it the answer. Returns what `deliver` resolved with.
 */
export async function deliveredBy<T>(
  delivery: Delivery,
  event: unknown,
  deliver: () => Promise<T>,
  answerOf: (result: T) => CloudFormationResponse | undefined,
): Promise<T> {
  const cloudFormation = delivery === Delivery.CLOUDFORMATION ? installedFake()?.cloudFormation : undefined;
  const sent = event as Parameters<FakeAws['cloudFormation']['sending']>[0];
  const valid = typeof event === 'object' && event !== null && typeof sent.StackId === 'string';
  if (valid) cloudFormation?.sending(sent);
  const result = await deliver();
  if (valid) cloudFormation?.answered(sent, answerOf(result));
  return result;
}

/** An entry point made with `send` (each custom-resource handler's `handlerWith`). */
export type EntryFactory<E extends AnsweredEvent> = (
  send: SendResponse,
) => (event: E, context?: LambdaContext) => Promise<CloudFormationResponse | undefined>;

/**
 * The entry point of a custom-resource handler, its answer recorded instead of PUT to the
 * ResponseURL, and turned back into what the tests assert on: SUCCESS resolves with the physical
 * ID and Data, FAILED rejects with a `FailedAnswer`. Rejects when the handler answered other than
 * exactly once, or threw (it must not: CloudFormation would hear nothing).
 */
export function answersOf<E extends AnsweredEvent>(
  factory: EntryFactory<E>,
  delivery: Delivery = Delivery.CLOUDFORMATION,
): (event: E, context?: LambdaContext) => Promise<CustomResourceResponse> {
  return async (event, context) => {
    const answers: { url: string; answer: CloudFormationResponse }[] = [];
    const entry = factory(async (url, answer) => {
      answers.push({ url, answer });
    });
    const returned = await deliveredBy(
      delivery,
      event,
      () => entry(event, context),
      (r) => r,
    );
    if (answers.length !== 1) throw new Error(`the handler answered ${answers.length} times`);
    const { url, answer } = answers[0];
    if (url !== event.ResponseURL) throw new Error('the handler answered another URL than the ResponseURL');
    if (returned !== answer) throw new Error('the handler returned another answer than it sent');
    for (const field of ['StackId', 'RequestId', 'LogicalResourceId'] as const) {
      if (answer[field] !== event[field]) throw new Error(`the answer's ${field} is not the event's`);
    }
    if (answer.Status === 'FAILED') throw new FailedAnswer(answer);
    return answer.Data === undefined
      ? { PhysicalResourceId: answer.PhysicalResourceId }
      : { PhysicalResourceId: answer.PhysicalResourceId, Data: answer.Data };
  };
}

/** The login-profile handler, answering into the harness (see `answersOf`): CloudFormation sends each event. */
export const loginProfileHandler: Handler = answersOf(handlerWith);

/** The login-profile handler, sent forged events: CloudFormation's record does not change. */
export const forgedLoginProfileHandler: Handler = answersOf(handlerWith, Delivery.FORGED);

/** A login profile's properties: user and secret, the rest defaulted as `LoginProfile` does. */
export type Props = LoginProfileProps;

export function properties(p: Props): Record<string, unknown> {
  return { ...createEventOf(loginProfileSource('L', p)).ResourceProperties };
}

export function createEvent(logicalId: string, props: Props): CustomResourceEventBase {
  return createEventOf(loginProfileSource(logicalId, props));
}

export function updateEvent(logicalId: string, physicalId: string, props: Props, old: Props): CustomResourceEventBase {
  return updateEventOf(loginProfileSource(logicalId, props), physicalId, loginProfileProperties(old));
}

export function deleteEvent(logicalId: string, physicalId: string, props: Props): CustomResourceEventBase {
  return deleteEventOf(loginProfileSource(logicalId, props), physicalId);
}

/** What one invocation did, as seen from outside. */
export interface Invocation<R = CustomResourceResponse> {
  readonly response?: R;
  readonly error?: unknown;
  /** The invocation never answered before the Lambda timeout (it was killed). */
  readonly timedOut: boolean;
  /** Virtual milliseconds from invocation to answer. */
  readonly elapsedMs: number;
  /** Everything the handler wrote (console, stdout, stderr), its error (with stack and cause) and response. */
  readonly output: string;
}

/** Any of the handlers: an event and the Lambda context in, an answer (or nothing) out. */
export type AnyHandler<R> = (event: never, context: LambdaContext) => Promise<R>;

/**
 * Invokes `fn` (the login-profile handler by default) on jest's fake clock with a Lambda context
 * whose deadline is `timeoutMs` away, and captures all its output. Call `jest.useFakeTimers()` first.
 */
export async function invoke<R = CustomResourceResponse>(
  event: unknown,
  options: { timeoutMs?: number; fn?: AnyHandler<R>; forged?: boolean } = {},
): Promise<Invocation<R>> {
  const timeoutMs = options.timeoutMs ?? LAMBDA_TIMEOUT_MS;
  const fn = (options.fn ?? (options.forged ? forgedLoginProfileHandler : loginProfileHandler)) as (
    event: unknown,
    context: LambdaContext,
  ) => Promise<R>;
  const start = Date.now();
  const context = lambdaContext(timeoutMs);
  const captured: string[] = [];
  const restore = captureOutput(captured);
  let response: R | undefined;
  let error: unknown;
  let settled = false;
  try {
    const pending = fn(event, context).then(
      (r) => {
        response = r;
        settled = true;
      },
      (e: unknown) => {
        error = e;
        settled = true;
      },
    );
    // Drive the fake clock until the handler answers or Lambda kills it at its timeout. While no
    // fake timer is pending, or an SDK call has not reached the fake yet (its abort timer is
    // pending), the handler may be waiting on real I/O (or on a call that never answers): give it
    // real time first, within a budget, then let the fake clock run.
    let realBudget = REAL_IO_BUDGET_MS;
    while (!settled && Date.now() - start < timeoutMs) {
      if ((jest.getTimerCount() === 0 || sdkCallsPreparing() > 0) && realBudget > 0) {
        const before = realMs();
        await new Promise((resolve) => realSetTimeout(resolve, 2));
        realBudget -= Math.max(1, realMs() - before);
      } else {
        await jest.advanceTimersByTimeAsync(250);
      }
    }
    if (settled) await pending;
  } finally {
    restore();
  }
  const elapsedMs = Date.now() - start;
  const timedOut = !settled;
  if (timedOut) error = new Error(`Task timed out after ${timeoutMs / 1000} seconds`);
  if (error !== undefined) captured.push(String(error), inspect(error, { depth: 10 }), (error as Error)?.stack ?? '');
  if (response !== undefined) captured.push(JSON.stringify(response));
  return { response, error, timedOut, elapsedMs, output: captured.join('\n') };
}

/** Replaces console.* and process.stdout/stderr writes with collectors; returns the restorer. */
export function captureOutput(sink: string[]): () => void {
  const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      sink.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' '));
    }),
  );
  const writes = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    }),
  );
  return () => [...spies, ...writes].forEach((spy) => spy.mockRestore());
}

/** How many of `texts` leak a password the fake has seen (counted, not thrown, for a suite's summary). */
export function countLeaks(fake: FakeAws, ...texts: string[]): number {
  return texts.filter((text) => {
    try {
      assertNoPasswordIn(fake, text);
      return false;
    } catch {
      return true;
    }
  }).length;
}

/**
 * The leak detector: throws if any password the fake ever saw appears in `texts`.
 * The message names how many leaked and where, never the password itself.
 */
export function assertNoPasswordIn(fake: FakeAws, ...texts: string[]): void {
  const all = texts.join('\n');
  const leaked = [...fake.passwordsEverSeen].filter((password) => password.length > 0 && all.includes(password));
  if (leaked.length > 0) {
    const at = all.indexOf(leaked[0]);
    const context = all.slice(Math.max(0, at - 60), at).replace(/\s+/g, ' ');
    throw new Error(`${leaked.length} password(s) leaked into the output, first one after: ...${context}`);
  }
}

/**
 * The invocations of a test file, checked for leaks: `run` invokes the login-profile handler (as
 * `invoke` does) and keeps the invocation, `keep` adds others; after each test, no password the
 * fake ever saw may be in the output of any of them.
 */
export function leakCheckedInvocations(fake: () => FakeAws): {
  run(event: unknown): Promise<Invocation>;
  keep(...invocations: Invocation[]): void;
} {
  const kept: Invocation[] = [];
  beforeEach(() => {
    kept.length = 0;
  });
  afterEach(() => {
    for (const inv of kept) assertNoPasswordIn(fake(), inv.output);
  });
  return {
    run: async (event) => {
      const inv = await invoke(event);
      kept.push(inv);
      return inv;
    },
    keep: (...invocations) => {
      kept.push(...invocations);
    },
  };
}

/**
 * Invariant 1 ("nothing lost"): every login profile's password is in a live secret, at
 * `AWSCURRENT` (or `AWSPENDING` when `allowPending`: a retry is still due), in a version naming
 * that user. Returns the violations (empty when the invariant holds).
 */
export function lostPasswords(fake: FakeAws, options: { allowPending?: boolean } = {}): string[] {
  const stages = options.allowPending ? ['AWSCURRENT', 'AWSPENDING'] : ['AWSCURRENT'];
  const violations: string[] = [];
  for (const [name, user] of fake.users) {
    if (!user.profile) continue;
    const found = [...fake.secrets.keys()].some((arn) =>
      stages.some((stage) => {
        const value = fake.valueAt(arn, stage);
        return value?.password === user.profile!.password && value.username === name;
      }),
    );
    if (!found)
      violations.push(`user ${name} has a login profile whose password is in no live secret's ${stages.join('/')}`);
  }
  return violations;
}

/** The message of the error an invocation failed with (fails the test when it did not fail, or timed out). */
export function failureOf(inv: Invocation<unknown>): string {
  expect(inv.timedOut).toBe(false);
  expect(inv.error).toBeInstanceOf(Error);
  return (inv.error as Error).message;
}
