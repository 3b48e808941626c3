/** Error helpers shared by the handlers. */

/**
 * True when `error` is the AWS error `code`. SDK v3 names modelled errors `<Code>Exception`
 * (IAM's `NoSuchEntity` arrives as `NoSuchEntityException`); unmodelled ones keep the bare code.
 */
export function isAwsError(error: unknown, code: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; Code?: unknown; code?: unknown };
  const names = [e.name, e.Code, e.code];
  return names.includes(code) || names.includes(`${code}Exception`);
}

/**
 * False only when `error` proves the call changed nothing: the service refused it (a client
 * fault) on the first and only attempt, or the handler never sent it (no time was left). A
 * timeout, a call that did not answer in time, a server error, or a refusal after retries (an
 * earlier attempt may have applied) all may have applied.
 */
export function mayHaveApplied(error: unknown): boolean {
  if (error instanceof DeadlineError) return error.sent;
  if (typeof error !== 'object' || error === null) return true;
  const e = error as { $fault?: unknown; $metadata?: { attempts?: unknown } };
  return !(e.$fault === 'client' && e.$metadata?.attempts === 1);
}

/** The AWS error code (or JavaScript error name) of `error`, for messages. */
export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'name' in error) return String((error as Error).name);
  return 'Error';
}

/** The message of `error`, for messages. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A failure with a message that is safe to show CloudFormation and the logs. */
export class HandlerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HandlerError';
  }
}

/**
 * An AWS call the handler ended because the invocation's deadline came: it was sent and did not
 * answer in time (`sent`: it may have applied), or it was not sent because no time was left.
 */
export class DeadlineError extends Error {
  /** Whether the request went out (and so may have applied). */
  public readonly sent: boolean;

  constructor(message: string, sent: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadlineError';
    this.sent = sent;
  }
}
