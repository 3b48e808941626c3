/**
 * The answer to CloudFormation: an HTTPS PUT of the response JSON to the event's pre-signed
 * `ResponseURL` (an S3 object URL). CloudFormation reads nothing else: until this PUT lands, the
 * resource waits, up to its `ServiceTimeout`.
 *
 * S3 checks the signature against the headers: the body goes with an empty `content-type` (the
 * URL was signed without one) and an explicit `content-length`. A network error, a timeout, a 5xx
 * or a 429 is tried again, with backoff, while the invocation has time; any other status is final
 * (a 403: the URL expired, or is not CloudFormation's).
 */
import * as https from 'node:https';
import { errorMessage } from './errors';

/** What CloudFormation accepts at the `ResponseURL` (its custom-resource response object). */
export interface CloudFormationResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  /** Why a resource FAILED (shown in the stack events). Never holds a password: see `custom-resource.ts`. */
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho: boolean;
  /** Attributes for `Fn::GetAtt` (SUCCESS only). */
  readonly Data?: Record<string, string>;
}

/** Sends `response` to `responseUrl`; resolves once CloudFormation's bucket took it. */
export type SendResponse = (responseUrl: string, response: CloudFormationResponse) => Promise<void>;

/** How the responder spends its time. */
export interface ResponderOptions {
  /** Milliseconds left to answer in (the Lambda's time left, less what it needs to return). */
  readonly remainingMs: () => number;
  /** Attempts in all. @default 6 */
  readonly attempts?: number;
  /** Longest one attempt may take. @default 5000 */
  readonly attemptTimeoutMs?: number;
  /** Delay before the second attempt, doubled for each further one. @default 500 */
  readonly baseDelayMs?: number;
  /** The TLS agent (tests trust a loopback server's certificate through it). @default the global agent */
  readonly agent?: https.Agent;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A PUT that did not reach CloudFormation's bucket (the message names the status or the network error). */
export class ResponderError extends Error {
  constructor(
    message: string,
    /** Whether another attempt could succeed. */
    public readonly transient: boolean,
  ) {
    super(message);
    this.name = 'ResponderError';
  }
}

/** Bytes CloudFormation accepts in a response: it refuses more than 4,096. */
export const MAX_RESPONSE_BYTES = 4_096;

/** PUTs `response` to `responseUrl`, retrying transient failures while `options.remainingMs()` allows. */
export async function putResponse(
  responseUrl: string,
  response: CloudFormationResponse,
  options: ResponderOptions,
): Promise<void> {
  const url = new URL(responseUrl);
  if (url.protocol !== 'https:') throw new ResponderError(`the ResponseURL is not https (${url.protocol})`, false);
  const body = JSON.stringify(response);
  if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
    throw new ResponderError(
      `the response is ${Buffer.byteLength(body)} bytes; CloudFormation takes at most 4096`,
      false,
    );
  }
  const attempts = options.attempts ?? 6;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    const timeoutMs = Math.min(options.attemptTimeoutMs ?? 5_000, options.remainingMs());
    if (timeoutMs <= 0) throw new ResponderError('no time left to answer CloudFormation', false);
    try {
      await putOnce(url, body, timeoutMs, options.agent);
      return;
    } catch (error) {
      const transient = !(error instanceof ResponderError) || error.transient;
      const delay = (options.baseDelayMs ?? 500) * 2 ** (attempt - 1);
      if (!transient || attempt >= attempts || options.remainingMs() <= delay) {
        throw error instanceof ResponderError ? error : new ResponderError(errorMessage(error), true);
      }
      await sleep(delay);
    }
  }
}

function putOnce(url: URL, body: string, timeoutMs: number, agent: https.Agent | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'PUT',
        agent,
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else
            reject(
              new ResponderError(`CloudFormation's bucket answered HTTP ${status}`, status >= 500 || status === 429),
            );
        });
        res.on('error', (error) => reject(new ResponderError(error.message, true)));
      },
    );
    request.on('timeout', () => request.destroy(new ResponderError(`no answer within ${timeoutMs} ms`, true)));
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof ResponderError) return reject(error);
      // A host name that does not exist will not exist a moment later either.
      reject(new ResponderError(error.message, error.code !== 'ENOTFOUND'));
    });
    request.end(body);
  });
}
