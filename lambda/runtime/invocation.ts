/**
 * What every handler does around its own work, written once: a per-invocation object (the
 * passwords to redact, the deadline that bounds every AWS call, the retry clock) handed down to
 * the code that needs it, a log line on arrival, on success and on failure, and one safe error
 * for whatever went wrong.
 *
 * Nothing here lives at module level: a Lambda container serves one invocation at a time, but
 * tests run many in one process, and state that outlives an invocation would leak between them.
 */
import type { Context } from 'aws-lambda';
import { HandlerError, errorMessage, errorName } from './errors';
import { LogFields, log } from './log';
import { RetryClock, systemClock } from './retry';

/** The part of the Lambda context the handlers use (tests and direct invocations pass only this). */
export type InvocationContext = Partial<Pick<Context, 'invokedFunctionArn' | 'getRemainingTimeInMillis'>>;

/** Leave this much of the Lambda's time for answering (CloudFormation, or Secrets Manager). */
export const SAFETY_MARGIN_MS = 10_000;

/**
 * Longest one AWS call may take, all its SDK attempts included, before the handler aborts it. A
 * healthy IAM or Secrets Manager call answers in well under a second, and the SDK's retries of
 * throttling and server errors (4 attempts, backoff of a few seconds at most) fit in 8 s; a call
 * still open after that is one AWS applied (or lost) and will not answer. Ending it there, rather
 * than at the Lambda timeout, leaves the handler time to undo what the call may have done.
 */
export const CALL_CAP_MS = 8_000;

/**
 * Time the calls of a Create leave before the deadline: enough for the undo of a failed Create
 * (its `DeleteLoginProfile`, one full call) to run after any call of the Create was aborted. The
 * answer itself is covered by `SAFETY_MARGIN_MS`, which `remainingMs` has already taken off.
 */
export const UNDO_RESERVE_MS = CALL_CAP_MS;

/**
 * The time the handler's work may still take (see `CALL_CAP_MS` and `UNDO_RESERVE_MS`): the time
 * before the handler must answer, less what is reserved for an undo. `../aws/call.ts` aborts each
 * call when its budget runs out (a budget of zero or less: the call is not sent), and the retry
 * clock of the invocation sleeps only into this time, so a retry never eats the reserve.
 */
export class Deadline {
  private reserveMs = 0;

  constructor(private readonly answerInMs: () => number) {}

  /** Milliseconds left for the work: the time before the handler must answer, less the reserve. */
  public remainingMs(): number {
    return this.answerInMs() - this.reserveMs;
  }

  /** Milliseconds the next call may take: at most `CALL_CAP_MS`, and never into the reserve. */
  public callBudgetMs(): number {
    return Math.min(CALL_CAP_MS, this.remainingMs());
  }

  /** Keeps the last `ms` before the answer for an undo (0: the undo is running, it may spend them). */
  public reserve(ms: number): void {
    this.reserveMs = ms;
  }
}

/** Replaces every occurrence of each of `secrets` in `text`. */
export function redact(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0) result = result.split(secret).join('[REDACTED]');
  }
  return result;
}

/** The passwords one invocation generated or read, so that its error message can be scrubbed of them. */
export class Redaction {
  private readonly secrets = new Set<string>();

  /** Remembers `password` and returns it. */
  public add(password: string): string {
    this.secrets.add(password);
    return password;
  }

  /** `text` with every password seen so far replaced. */
  public apply(text: string): string {
    return redact(text, this.secrets);
  }
}

/** One invocation: what the handler's code needs besides the event. */
export class Invocation {
  /** The account of the function (from its ARN), when known. */
  public readonly account: string | undefined;
  /** The partition of the function (from its ARN: `aws`, `aws-cn`, ...), when known. */
  public readonly partition: string | undefined;
  public readonly redaction = new Redaction();
  public readonly clock: RetryClock;
  /** Bounds every AWS call of the invocation (an abort signal per call: see `../aws/call.ts`). */
  public readonly deadline: Deadline;
  /** Fields the wrapper's closing log line carries; `annotate` adds what the work learnt (the user). */
  private fields: LogFields;

  /**
   * `workEndsBy` (epoch ms, on `Date.now()`'s clock) ends the work earlier than the Lambda
   * timeout would: when the caller of the function stops waiting (see `custom-resource.ts`).
   */
  constructor(context?: InvocationContext, clock?: RetryClock, fields: LogFields = {}, workEndsBy = Infinity) {
    this.account = accountOf(context?.invokedFunctionArn);
    this.partition = this.account === undefined ? undefined : context?.invokedFunctionArn?.split(':')[1];
    const base = clock ?? systemClock(() => Math.min(remainingMs(context), workEndsBy - Date.now()));
    this.deadline = new Deadline(() => base.remainingMs());
    // Retries see the same time as calls: none sleeps into the time reserved for an undo.
    this.clock = {
      remainingMs: () => this.deadline.remainingMs(),
      random: () => base.random(),
      sleep: (ms) => base.sleep(ms),
    };
    this.fields = fields;
  }

  /** Adds `fields` to the closing log line. */
  public annotate(fields: LogFields): void {
    this.fields = { ...this.fields, ...fields };
  }

  /** The fields of the closing log line. */
  public get logFields(): LogFields {
    return this.fields;
  }
}

/** Milliseconds left before the handler must answer: the Lambda's time left minus the safety margin. */
function remainingMs(context: InvocationContext | undefined): number {
  const left = context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
  return left - SAFETY_MARGIN_MS;
}

/** The account ID in a Lambda function ARN, if there is one. */
function accountOf(functionArn: string | undefined): string | undefined {
  const account = functionArn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** How a handler names itself in its logs and in its error. */
export interface InvocationLabels {
  /** Fields every log line of the wrapper carries (allow-listed: see `log.ts`). */
  readonly fields: LogFields;
  /** Log message on arrival. */
  readonly received: string;
  /** Log message on success. */
  readonly done: string;
  /** Log message on failure. */
  readonly failed: string;
  /** What failed, opening the error message: e.g. `Create of login profile AliceLoginProfile`. */
  readonly operation: string;
}

/**
 * Runs `work` for one invocation. Whatever it throws becomes a `HandlerError` whose message names
 * the operation and the cause, with every password the invocation saw redacted: that message
 * reaches CloudFormation (or Secrets Manager) and the logs.
 */
export async function runInvocation<T>(
  labels: InvocationLabels,
  context: InvocationContext | undefined,
  work: (invocation: Invocation) => Promise<T>,
  options: { readonly clock?: RetryClock; readonly workEndsBy?: number } = {},
): Promise<T> {
  const invocation = new Invocation(context, options.clock, labels.fields, options.workEndsBy);
  log(labels.received, labels.fields);
  try {
    const result = await work(invocation);
    log(labels.done, invocation.logFields);
    return result;
  } catch (error) {
    const message = invocation.redaction.apply(`${errorName(error)}: ${errorMessage(error)}`);
    log(labels.failed, { ...labels.fields, error: message });
    throw new HandlerError(`${labels.operation} failed: ${message}`);
  }
}

/** `value` when it is a string, else `undefined` (for log fields read from an unchecked event). */
export function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Throws unless `event` is an object whose `fields` are non-empty strings. */
export function requireEventFields<K extends string>(event: unknown, fields: readonly K[]): void {
  if (typeof event !== 'object' || event === null) throw new HandlerError('the event is not an object');
  const record = event as Record<string, unknown>;
  for (const field of fields) {
    const value = record[field];
    if (typeof value !== 'string' || value.length === 0) throw new HandlerError(`the event has no ${field}`);
  }
}
