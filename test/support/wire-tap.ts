/**
 * A loopback HTTP proxy in front of moto_server that records which AWS API calls pass through it.
 *
 * Why: moto's state does not show everything a test needs to know (e.g. moto drops the password
 * on an UpdateLoginProfile without `Password`, so "the flag changed, the password did not" cannot
 * be read back). The tap records each request's service, action and non-secret parameters as they
 * cross the wire. Secret values (`Password`, `SecretString`, ...) are never stored: only a keyed
 * digest, so that tests can tell "IAM got the password that is in the secret" without holding it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

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

/** One request seen by the tap. */
export interface TappedCall {
  /** 'iam' (query protocol) or 'secretsmanager' (JSON protocol), or 'other'. */
  readonly service: string;
  /** e.g. 'CreateLoginProfile', 'PutSecretValue'. */
  readonly action: string;
  /** Scalar request parameters; secret ones as `secretDigest(value)`. */
  readonly params: Readonly<Record<string, string | boolean | string[]>>;
  /** HTTP status moto answered with. */
  readonly status: number;
}

/** A running tap. */
export interface WireTap {
  /** The tap's own endpoint (point the SDK here). */
  readonly endpoint: string;
  /** Every call seen so far, in order. */
  readonly calls: TappedCall[];
  /** Clears the recorded calls and the remembered passwords (moto was reset). */
  forget(): void;
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a tap on a free loopback port that forwards everything to `target` (moto's endpoint).
 *
 * With `awsLoginProfiles` (default true) the tap also makes moto's login profiles behave as AWS's
 * do, where moto differs (see MOTO_DIFFERENCES in harness.ts), without changing what it records:
 * - after a CreateLoginProfile with PasswordResetRequired=true (moto ignores the flag on create),
 *   it sends moto an UpdateLoginProfile with the same password and the flag;
 * - an UpdateLoginProfile without Password (moto would drop the password) is forwarded with the
 *   password IAM last accepted for that user through the tap, so the password stays as on AWS.
 * For that the tap keeps the last accepted password per user in memory, and never exposes it.
 */
export async function startWireTap(target: string, options: { awsLoginProfiles?: boolean } = {}): Promise<WireTap> {
  const calls: TappedCall[] = [];
  const emulate = options.awsLoginProfiles ?? true;
  const accepted = new Map<string, string>();
  const forward = (url: string, method: string | undefined, headers: http.IncomingHttpHeaders, body: Buffer) => {
    const out = { ...headers } as Record<string, string>;
    delete out.host;
    delete out['content-length'];
    return fetch(new URL(url, target), { method, headers: out, body: body.length > 0 ? body : undefined });
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = request.url ?? '/';
      const form = request.headers['x-amz-target'] ? undefined : new URLSearchParams(body.toString('utf8'));
      const action = form?.get('Action');
      const userName = form?.get('UserName') ?? '';
      let sent = body;
      if (emulate && form && action === 'UpdateLoginProfile' && !form.has('Password') && accepted.has(userName)) {
        const patched = new URLSearchParams(form);
        patched.set('Password', accepted.get(userName)!);
        sent = Buffer.from(patched.toString());
      }
      forward(url, request.method, request.headers, sent)
        .then(async (upstream) => {
          const payload = Buffer.from(await upstream.arrayBuffer());
          if (emulate && form && upstream.status === 200) {
            const password = new URLSearchParams(sent.toString('utf8')).get('Password');
            if ((action === 'CreateLoginProfile' || action === 'UpdateLoginProfile') && password !== null) {
              accepted.set(userName, password);
            }
            if (action === 'DeleteLoginProfile') accepted.delete(userName);
            if (action === 'CreateLoginProfile' && password !== null && form.get('PasswordResetRequired') === 'true') {
              const fix = new URLSearchParams(form);
              fix.set('Action', 'UpdateLoginProfile');
              const fixed = await forward(url, request.method, request.headers, Buffer.from(fix.toString()));
              if (fixed.status !== 200) throw new Error(`could not set the reset flag in moto: HTTP ${fixed.status}`);
            }
          }
          calls.push({ ...describe(request.headers, body), status: upstream.status });
          const out: Record<string, string> = {};
          upstream.headers.forEach((value, key) => {
            if (key !== 'content-encoding' && key !== 'transfer-encoding' && key !== 'content-length') out[key] = value;
          });
          out['content-length'] = String(payload.length);
          response.writeHead(upstream.status, out);
          response.end(payload);
        })
        .catch((error: unknown) => {
          response.writeHead(502, { 'content-type': 'text/plain' });
          response.end(`wire tap could not reach ${target}: ${String(error)}`);
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    forget: () => {
      calls.splice(0);
      accepted.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Service, action and safe parameters of one request. */
function describe(headers: http.IncomingHttpHeaders, body: Buffer): Omit<TappedCall, 'status'> {
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
