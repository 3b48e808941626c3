/**
 * A fault-injecting HTTP proxy on loopback in front of moto_server: it answers a chosen fraction
 * of AWS calls with a throttling error in each protocol's own wire format, so that the SDK's
 * retry strategy (not a test double) has to handle them, and forwards everything else to moto.
 *
 * - IAM (query protocol): HTTP 400, `text/xml` `<ErrorResponse>` with `<Code>Throttling</Code>`.
 * - Secrets Manager (JSON 1.1): HTTP 400, `{"__type":"ThrottlingException"}`.
 *
 * A call is one SDK operation with all its retries (the `amz-sdk-invocation-id` header is the
 * same for each attempt; `amz-sdk-request: attempt=N; max=M` numbers them). A throttled call is
 * throttled on its first `attempts` attempts only, so that a test checks the retries rather than
 * the odds.
 *
 * It also remembers, in memory only, the password of each successful Create/UpdateLoginProfile
 * request per user, so that a test can compare it with the secret. It never prints a body.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export interface ThrottlingProxyOptions {
  /** moto_server's endpoint, e.g. http://127.0.0.1:5000 */
  readonly target: string;
  /** Fraction (0-1) of calls to throttle. */
  readonly fraction: number;
  /**
   * Attempts of a throttled call that get the error; the later ones go through. Below the SDK's
   * max attempts (4) every call eventually succeeds; at 4 or more a throttled call fails for good.
   */
  readonly attempts: number;
}

export interface ThrottlingProxy {
  readonly endpoint: string;
  /** Throttling answers sent, per service. */
  readonly throttled: { iam: number; secretsmanager: number };
  /** Requests forwarded to moto, per service. */
  readonly forwarded: { iam: number; secretsmanager: number };
  /** The last password IAM accepted for each user (never print these). */
  readonly passwordsSet: Map<string, string>;
  close(): Promise<void>;
}

/** Starts the proxy on a free loopback port. */
export async function startThrottlingProxy(options: ThrottlingProxyOptions): Promise<ThrottlingProxy> {
  const target = new URL(options.target);
  const throttled = { iam: 0, secretsmanager: 0 };
  const forwarded = { iam: 0, secretsmanager: 0 };
  const passwordsSet = new Map<string, string>();

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const amzTarget = request.headers['x-amz-target'];
      const service =
        typeof amzTarget === 'string' && amzTarget.startsWith('secretsmanager.') ? 'secretsmanager' : 'iam';
      const form = service === 'iam' ? new URLSearchParams(body.toString('utf8')) : undefined;
      const action = service === 'iam' ? (form!.get('Action') ?? '') : String(amzTarget).split('.')[1];

      if (shouldThrottle(request.headers, options)) {
        throttled[service]++;
        if (service === 'iam') {
          response.writeHead(400, { 'Content-Type': 'text/xml' });
          response.end(
            '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>' +
              '<Code>Throttling</Code><Message>Rate exceeded</Message></Error>' +
              `<RequestId>${randomId()}</RequestId></ErrorResponse>`,
          );
        } else {
          response.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomId() });
          response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        }
        return;
      }

      forwarded[service]++;
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: target.host },
        },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
          answer.on('end', () => {
            const ok = (answer.statusCode ?? 500) < 300;
            if (ok && form && (action === 'CreateLoginProfile' || action === 'UpdateLoginProfile')) {
              const user = form.get('UserName');
              const password = form.get('Password');
              if (user && password !== null) passwordsSet.set(user, password);
            }
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            response.end(Buffer.concat(answerChunks));
          });
        },
      );
      upstream.on('error', () => {
        response.writeHead(502);
        response.end();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    throttled,
    forwarded,
    passwordsSet,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Throttle the first `attempts` attempts of the calls whose invocation ID hashes into `fraction`. */
function shouldThrottle(headers: http.IncomingHttpHeaders, options: ThrottlingProxyOptions): boolean {
  const invocation = headers['amz-sdk-invocation-id'];
  const request = headers['amz-sdk-request'];
  if (typeof invocation !== 'string' || typeof request !== 'string') return false;
  const attempt = Number(/attempt=(\d+)/.exec(request)?.[1] ?? '1');
  if (attempt > options.attempts) return false;
  const bucket = createHash('sha256').update(invocation).digest().readUInt32BE(0) / 0x1_0000_0000;
  return bucket < options.fraction;
}

function randomId(): string {
  return createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 32);
}
