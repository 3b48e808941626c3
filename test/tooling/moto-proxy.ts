/**
 * The one loopback HTTP proxy in front of moto_server: it records every AWS call that crosses it,
 * injects faults on the wire, and makes moto's login profiles behave as AWS's where moto differs.
 *
 * Recording: moto's state does not show everything a test needs (e.g. moto drops the password on
 * an UpdateLoginProfile without `Password`, so "the flag changed, the password did not" cannot be
 * read back). Each request's service, action and non-secret parameters are recorded as they cross
 * the wire. Secret values (`Password`, `SecretString`, ...) are recorded only as a keyed digest, so
 * tests can tell "IAM got the password that is in the secret" without holding it.
 *
 * Faults, in each protocol's own wire format, so that the SDK's real HTTP stack and retry strategy
 * (not a test double) meet them:
 * - `Throttling`: answered at once, not forwarded. IAM (query protocol): HTTP 400 `text/xml`
 *   `<ErrorResponse>` with `<Code>Throttling</Code>`; Secrets Manager (JSON 1.1): HTTP 400
 *   `{"__type":"ThrottlingException"}`.
 * - `AppliedNoAnswer`: forwarded to moto (so the change is applied), then never answered: the
 *   connection stays open, with no reset and no error, until the client gives up (its request
 *   timeout or abort signal) or the proxy closes.
 * A fault hits one SDK operation with all its retries in the same way: the `amz-sdk-invocation-id`
 * header is the same for each attempt and `amz-sdk-request: attempt=N; max=M` numbers them. A rule
 * can hit a stable fraction of operations (by a hash of the invocation ID, so that a test checks
 * the retries rather than the odds) on their first `attempts` attempts only.
 *
 * AWS's login profiles (`awsLoginProfiles`, default true), where moto 5.2.5 differs (see
 * MOTO_DIFFERENCES in moto-harness.ts), without changing what is recorded:
 * - after a CreateLoginProfile with PasswordResetRequired=true (moto ignores the flag on create),
 *   the proxy sends moto an UpdateLoginProfile with the same password and the flag;
 * - an UpdateLoginProfile without Password (moto would drop the password) is forwarded with the
 *   password IAM last accepted for that user through the proxy, so the password stays as on AWS.
 * For that, and for tests that compare it with a secret, the proxy keeps the last password IAM
 * accepted per user in memory (`passwordsAccepted`; the forward uses the one of the same caller,
 * i.e. the same access key and so the same moto account). It never prints a body.
 *
 * CloudFormation: moto knows nothing of the stacks the driver plays CloudFormation for, so
 * CloudFormation's requests (SigV4 credential scope service `cloudformation`) go to the responder
 * registered with `answerCloudFormation` (test/tooling/cloudformation.ts), not to moto; they are
 * recorded as service 'cloudformation' (a throttled one with fault 'Throttling', whether a fault
 * rule or the responder's own rate limit throttled it). Without a responder they go to moto.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationResponder } from './cloudformation';

/** Request parameters that carry secrets: recorded as a keyed digest, never by value. */
const SECRET_PARAMETERS = new Set(['Password', 'NewPassword', 'OldPassword', 'SecretString', 'SecretBinary']);

const DIGEST_KEY = randomBytes(32);

/**
 * A keyed digest of a secret value (HMAC-SHA256 under a key that lives only in this process):
 * equal values give equal digests, and the digest reveals nothing about the value.
 */
export function secretDigest(value: string): string {
  return `digest:${createHmac('sha256', DIGEST_KEY).update(value).digest('hex').slice(0, 32)}`;
}

export type ProxyService = 'iam' | 'secretsmanager' | 'cloudformation' | 'other';

/** What the proxy can do to a call instead of passing it through. */
export type ProxyFaultKind = 'Throttling' | 'AppliedNoAnswer';

/** One fault rule. */
export interface ProxyFault {
  readonly kind: ProxyFaultKind;
  /** Only calls of this action, e.g. 'CreateLoginProfile' or 'PutSecretValue'. @default every action */
  readonly action?: string;
  /** Only calls of this service. @default every service */
  readonly service?: ProxyService;
  /** Fraction (0-1) of SDK operations hit, chosen by a hash of their invocation ID. @default 1 */
  readonly fraction?: number;
  /**
   * Attempts of a hit operation that get the fault; the later ones go through. Below the SDK's
   * max attempts (4 by default) a throttled operation eventually succeeds. @default every attempt
   */
  readonly attempts?: number;
  /** How many requests the rule hits in all, then it is spent. @default no limit */
  readonly count?: number;
}

/** One request seen by the proxy. */
export interface ProxiedCall {
  readonly service: ProxyService;
  /** e.g. 'CreateLoginProfile', 'PutSecretValue'. */
  readonly action: string;
  /** Scalar request parameters; secret ones as `secretDigest(value)`. */
  readonly params: Readonly<Record<string, string | boolean | string[]>>;
  /** HTTP status of moto's answer, or of the fault's answer (400 for `Throttling`). */
  readonly status: number;
  /** The fault injected into this call, if any. */
  readonly fault?: ProxyFaultKind;
  /** Whether moto applied the call (it was forwarded and moto answered 2xx; never for CloudFormation's). */
  readonly applied: boolean;
  /** Whether the client got an answer (false for `AppliedNoAnswer`). */
  readonly answered: boolean;
  /** The access key ID the request was signed with (moto tells accounts apart by it), if any. */
  readonly accessKeyId?: string;
  /** The region of the request's SigV4 credential scope, if any. */
  readonly region?: string;
}

/** Options of `startMotoProxy`. */
export interface MotoProxyOptions {
  /** moto_server's endpoint, e.g. http://127.0.0.1:5000 */
  readonly target: string;
  /** Make moto's login profiles behave as AWS's (see the file comment). @default true */
  readonly awsLoginProfiles?: boolean;
}

/** A running proxy. */
export interface MotoProxy {
  /** The proxy's own endpoint (point the SDK here). */
  readonly endpoint: string;
  /** Every call seen so far, in order (faulted ones included). */
  readonly calls: ProxiedCall[];
  /** The last password IAM accepted through the proxy, per user. Compare; never print. */
  readonly passwordsAccepted: ReadonlyMap<string, string>;
  /** Adds a fault rule (rules are tried in the order added; the first that hits wins). */
  inject(fault: ProxyFault): void;
  /** Removes every fault rule. */
  clearFaults(): void;
  /** Answers CloudFormation's requests with `responder` (undefined: forward them to moto). */
  answerCloudFormation(responder: CloudFormationResponder | undefined): void;
  /** How many calls of `service` got `fault` (or, with `fault` undefined, were passed through unfaulted). */
  count(service: ProxyService, fault: ProxyFaultKind | undefined): number;
  /** Clears the recorded calls, the fault rules and the remembered passwords (moto was reset). */
  forget(): void;
  /** Stops listening and drops every open connection (including unanswered ones). */
  close(): Promise<void>;
}

interface Upstream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Starts the proxy on a free loopback port. */
export async function startMotoProxy(options: MotoProxyOptions): Promise<MotoProxy> {
  const target = new URL(options.target);
  const emulate = options.awsLoginProfiles ?? true;
  const calls: ProxiedCall[] = [];
  const accepted = new Map<string, string>();
  // The same, per caller (access key and user): the password an UpdateLoginProfile without one keeps
  // must be the one of the same user in the same account, and moto maps each access key to one account.
  const acceptedFrom = new Map<string, string>();
  let rules: { fault: ProxyFault; hits: number }[] = [];
  let cloudFormation: CloudFormationResponder | undefined;

  const forward = (request: http.IncomingMessage, body: Buffer): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: { ...endToEnd(request.headers), 'host': target.host, 'content-length': String(body.length) },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () =>
            resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
          );
          answer.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const faultFor = (
    headers: http.IncomingHttpHeaders,
    service: ProxyService,
    action: string,
  ): ProxyFaultKind | undefined => {
    const attempt = Number(/attempt=(\d+)/.exec(String(headers['amz-sdk-request'] ?? ''))?.[1] ?? '1');
    const invocation = headers['amz-sdk-invocation-id'];
    for (const rule of rules) {
      const { fault } = rule;
      if (fault.action !== undefined && fault.action !== action) continue;
      if (fault.service !== undefined && fault.service !== service) continue;
      if (rule.hits >= (fault.count ?? Infinity) || attempt > (fault.attempts ?? Infinity)) continue;
      const fraction = fault.fraction ?? 1;
      if (fraction < 1) {
        if (typeof invocation !== 'string') continue;
        const bucket = createHash('sha256').update(invocation).digest().readUInt32BE(0) / 0x1_0000_0000;
        if (bucket >= fraction) continue;
      }
      rule.hits++;
      return fault.kind;
    }
    return undefined;
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse, body: Buffer) => {
    const described = describe(request.headers, body);
    const { service, action } = described;
    const fault = service === 'other' ? undefined : faultFor(request.headers, service, action);
    if (fault === 'Throttling') {
      calls.push({ ...described, status: 400, fault, applied: false, answered: true });
      throttle(service, response);
      return;
    }
    if (service === 'cloudformation' && cloudFormation) {
      const answer = cloudFormation({
        action,
        params: new URLSearchParams(body.toString('utf8')),
        accessKeyId: described.accessKeyId,
        region: described.region,
      });
      const answered = fault !== 'AppliedNoAnswer';
      calls.push({
        ...described,
        status: answer.status,
        ...(answer.throttled ? { fault: 'Throttling' as const } : fault ? { fault } : {}),
        applied: false,
        answered,
      });
      if (!answered) return;
      response.writeHead(answer.status, {
        'Content-Type': answer.contentType,
        'Content-Length': String(Buffer.byteLength(answer.body)),
        'x-amzn-RequestId': randomBytes(16).toString('hex'),
      });
      response.end(answer.body);
      return;
    }
    const form = service === 'iam' ? new URLSearchParams(body.toString('utf8')) : undefined;
    const userName = form?.get('UserName') ?? '';
    const caller = `${described.accessKeyId ?? ''}\u0000${userName}`;
    let sent = body;
    if (emulate && form && action === 'UpdateLoginProfile' && !form.has('Password') && acceptedFrom.has(caller)) {
      const patched = new URLSearchParams(form);
      patched.set('Password', acceptedFrom.get(caller)!);
      sent = Buffer.from(patched.toString());
    }
    const upstream = await forward(request, sent);
    const ok = upstream.status >= 200 && upstream.status < 300;
    if (form && ok) {
      const password = new URLSearchParams(sent.toString('utf8')).get('Password');
      if ((action === 'CreateLoginProfile' || action === 'UpdateLoginProfile') && password !== null) {
        accepted.set(userName, password);
        acceptedFrom.set(caller, password);
      }
      if (action === 'DeleteLoginProfile') {
        accepted.delete(userName);
        acceptedFrom.delete(caller);
      }
      if (
        emulate &&
        action === 'CreateLoginProfile' &&
        password !== null &&
        form.get('PasswordResetRequired') === 'true'
      ) {
        const fix = new URLSearchParams(form);
        fix.set('Action', 'UpdateLoginProfile');
        const fixed = await forward(request, Buffer.from(fix.toString()));
        if (fixed.status !== 200) throw new Error(`could not set the reset flag in moto: HTTP ${fixed.status}`);
      }
    }
    if (fault === 'AppliedNoAnswer') {
      // Applied in moto; the client never hears of it. The socket stays open (no reset, no error).
      calls.push({ ...described, status: upstream.status, fault, applied: ok, answered: false });
      return;
    }
    calls.push({ ...described, status: upstream.status, applied: ok, answered: true });
    response.writeHead(upstream.status, {
      ...endToEnd(upstream.headers),
      'content-length': String(upstream.body.length),
    });
    response.end(upstream.body);
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      handle(request, response, Buffer.concat(chunks)).catch((error: unknown) => {
        if (response.headersSent) return;
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`moto proxy could not reach ${options.target}: ${String(error)}`);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    passwordsAccepted: accepted,
    inject: (fault) => {
      rules.push({ fault, hits: 0 });
    },
    clearFaults: () => {
      rules = [];
    },
    answerCloudFormation: (responder) => {
      cloudFormation = responder;
    },
    count: (service, fault) => calls.filter((c) => c.service === service && c.fault === fault).length,
    forget: () => {
      calls.splice(0);
      accepted.clear();
      acceptedFrom.clear();
      rules = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Headers without the hop-by-hop ones (and without the length, which the proxy sets for the body it sends). */
function endToEnd(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined && !hopByHop.has(key)) out[key] = value;
  return out;
}

/** Answers with a throttling error in the service's own protocol. */
function throttle(service: ProxyService, response: http.ServerResponse): void {
  const requestId = randomBytes(16).toString('hex');
  if (service === 'iam' || service === 'cloudformation') {
    const xmlns =
      service === 'iam'
        ? 'https://iam.amazonaws.com/doc/2010-05-08/'
        : 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
    response.writeHead(400, { 'Content-Type': 'text/xml' });
    response.end(
      `<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type>` +
        '<Code>Throttling</Code><Message>Rate exceeded</Message></Error>' +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
  } else {
    response.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': requestId });
    response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
  }
}

/** Service, action and safe parameters of one request. */
function describe(
  headers: http.IncomingHttpHeaders,
  body: Buffer,
): Pick<ProxiedCall, 'service' | 'action' | 'params' | 'accessKeyId' | 'region'> {
  // Credential=AKID/20260101/us-east-1/cloudformation/aws4_request
  const scope = /Credential=([^/,\s]+)\/[^/]+\/([^/]+)\/([^/]+)\//.exec(String(headers.authorization ?? ''));
  const accessKeyId = scope?.[1] ?? /Credential=([^/,\s]+)\//.exec(String(headers.authorization ?? ''))?.[1];
  const described = describeCall(headers, body);
  const service = scope?.[3] === 'cloudformation' && described.service === 'iam' ? 'cloudformation' : described.service;
  return {
    ...described,
    service,
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
    ...(scope === null ? {} : { region: scope[2] }),
  };
}

function describeCall(
  headers: http.IncomingHttpHeaders,
  body: Buffer,
): Pick<ProxiedCall, 'service' | 'action' | 'params'> {
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('secretsmanager.')) {
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      // Not JSON: record the action only.
    }
    const params: Record<string, string | boolean | string[]> = {};
    for (const [key, value] of Object.entries(json)) {
      if (SECRET_PARAMETERS.has(key)) params[key] = secretDigest(String(value));
      else if (typeof value === 'string' || typeof value === 'boolean') params[key] = value;
      else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) params[key] = value as string[];
    }
    return { service: 'secretsmanager', action: target.slice('secretsmanager.'.length), params };
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action');
  if (action === null) return { service: 'other', action: 'unknown', params: {} };
  const params: Record<string, string | boolean> = {};
  for (const [key, value] of form) {
    if (key === 'Action' || key === 'Version') continue;
    params[key] = SECRET_PARAMETERS.has(key) ? secretDigest(value) : value;
  }
  return { service: 'iam', action, params };
}
