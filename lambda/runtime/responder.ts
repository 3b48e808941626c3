/**
 * The answer to CloudFormation: an HTTPS PUT of the response JSON to the event's pre-signed
 * `ResponseURL` (an S3 object URL). CloudFormation reads nothing else: until this PUT lands, the
 * resource waits, up to its `ServiceTimeout`.
 *
 * The answer carries the handler's error text (`Reason`), so it goes to CloudFormation's response
 * bucket and nowhere else: the bucket `cloudformation-custom-resource-response-<region without
 * dashes>` of the function's own region, at one of the S3 hosts CloudFormation's ResponseURLs use
 * (`responseBucketHosts`). A forged event naming any other URL gets no answer.
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

/** How the responder spends its time, and where it may send. */
export interface ResponderOptions {
  /**
   * The region and partition of the function (`functionLocation`): the answer goes only to
   * CloudFormation's response bucket there. Undefined (unknown): nothing is sent.
   */
  readonly location: FunctionLocation | undefined;
  /** Milliseconds left to answer in (the Lambda's time left, less what it needs to return). */
  readonly remainingMs: () => number;
  /** Attempts in all. @default 6 */
  readonly attempts?: number;
  /** Longest one attempt may take. @default 5000 */
  readonly attemptTimeoutMs?: number;
  /** Delay before the second attempt, doubled for each further one. @default 500 */
  readonly baseDelayMs?: number;
  /**
   * The TLS agent. Tests route the connection to a loopback server through it (the URL, its host
   * check and the certificate's check against that host stay as in production); the entry point's
   * sender never sets it. @default the global agent
   */
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

/**
 * Why a ResponseURL was refused, as logged: a fixed code, never text of the URL (which a forged
 * event chooses).
 */
export type ResponseUrlRefusal =
  /** Not a URL at all. */
  | 'unparsable'
  /** Not `https:` (the answer would travel in the clear). */
  | 'not-https'
  /** A user name or password before the host (`user@host`). */
  | 'userinfo'
  /** An explicit port (S3 answers on 443, which CloudFormation's URLs leave implicit). */
  | 'port'
  /** A host other than CloudFormation's response bucket of the function's region. */
  | 'foreign-host'
  /** The function's region or partition is unknown, so no host can be CloudFormation's. */
  | 'unknown-location';

/** A ResponseURL the responder will not send to (see `ResponseUrlRefusal`); nothing was sent. */
export class ResponseUrlRefusedError extends ResponderError {
  constructor(public readonly code: ResponseUrlRefusal) {
    super(
      `not sent: the ResponseURL is not CloudFormation's response bucket of this function's region (${code})`,
      false,
    );
    this.name = 'ResponseUrlRefusedError';
  }
}

/** Where the function runs: its region and partition. */
export interface FunctionLocation {
  readonly region: string;
  readonly partition: 'aws' | 'aws-cn' | 'aws-us-gov';
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * The region and partition of the function whose ARN is `functionArn` (the Lambda context's
 * `invokedFunctionArn`), else of the region `awsRegion` (Lambda's `AWS_REGION`); undefined when
 * neither names a region of a partition the library knows (aws, aws-cn, aws-us-gov).
 */
export function functionLocation(
  functionArn: string | undefined,
  awsRegion: string | undefined,
): FunctionLocation | undefined {
  const arn = /^arn:([a-z-]+):lambda:([a-z0-9-]+):\d{12}:function:/.exec(functionArn ?? '');
  const region = arn ? arn[2] : awsRegion;
  if (region === undefined || !REGION.test(region)) return undefined;
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  // An ARN whose partition is not its region's is no Lambda ARN.
  if (arn && arn[1] !== partition) return undefined;
  return { region, partition };
}

/**
 * The hosts of CloudFormation's response bucket for a function in `location`, each a virtual-hosted
 * S3 host of the bucket `cloudformation-custom-resource-response-<region without dashes>`.
 *
 * The bucket's name: CloudFormation User Guide, "Access CloudFormation using an interface endpoint
 * (AWS PrivateLink)" (custom resources answer to the `cloudformation-custom-resource-response-region`
 * bucket, the region without dashes, e.g. `uswest2`). The host forms are those of ResponseURLs
 * CloudFormation sent, as recorded in public test events (the AWS SAM CLI's generated
 * `cloudformation create-request` event among them): `<bucket>.s3.amazonaws.com` (us-east-1),
 * `<bucket>.s3-<region>.amazonaws.com` (eu-west-1, us-west-2, ap-northeast-1),
 * `<bucket>.s3.<region>.amazonaws.com` (eu-central-1) and `<bucket>.s3.<region>.amazonaws.com.cn`
 * (cn-north-1). Each is an S3 endpoint of AWS's own domains serving the bucket of the function's
 * region, so each is accepted for every region of the partition. No path-style URL
 * (`s3.amazonaws.com/<bucket>/...`) was found in documentation or samples: it is refused.
 * `s3.amazonaws.com` is the aws partition's alone: a bucket of another partition has the same
 * name there, owned by whoever created it.
 */
export function responseBucketHosts(location: FunctionLocation): string[] {
  const bucket = `cloudformation-custom-resource-response-${location.region.replace(/-/g, '')}`;
  const { region, partition } = location;
  switch (partition) {
    case 'aws':
      return [
        `${bucket}.s3.amazonaws.com`,
        `${bucket}.s3-${region}.amazonaws.com`,
        `${bucket}.s3.${region}.amazonaws.com`,
      ];
    case 'aws-us-gov':
      return [`${bucket}.s3-${region}.amazonaws.com`, `${bucket}.s3.${region}.amazonaws.com`];
    case 'aws-cn':
      return [`${bucket}.s3.${region}.amazonaws.com.cn`];
  }
}

/**
 * Why the answer must not go to `responseUrl` (undefined: it may, it is CloudFormation's response
 * bucket for `location`). The host is compared as written, not as a URL parser normalizes it, so
 * that no spelling of another host (a trailing dot, capitals, percent-escapes, a backslash, a
 * user name) passes for the bucket's.
 */
export function responseUrlRefusal(
  responseUrl: string,
  location: FunctionLocation | undefined,
): ResponseUrlRefusal | undefined {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return 'unparsable';
  }
  if (url.protocol !== 'https:' || !responseUrl.startsWith('https://')) return 'not-https';
  if (url.username !== '' || url.password !== '') return 'userinfo';
  const authority = /^https:\/\/([^/?#]*)/.exec(responseUrl)![1];
  if (url.port !== '' || /:\d*$/.test(authority)) return 'port';
  if (location === undefined) return 'unknown-location';
  return authority === url.hostname && responseBucketHosts(location).includes(authority) ? undefined : 'foreign-host';
}

/** Bytes CloudFormation accepts in a response: it refuses more than 4,096. */
export const MAX_RESPONSE_BYTES = 4_096;

/** PUTs `response` to `responseUrl`, retrying transient failures while `options.remainingMs()` allows. */
export async function putResponse(
  responseUrl: string,
  response: CloudFormationResponse,
  options: ResponderOptions,
): Promise<void> {
  const refusal = responseUrlRefusal(responseUrl, options.location);
  if (refusal !== undefined) throw new ResponseUrlRefusedError(refusal);
  const url = new URL(responseUrl);
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
