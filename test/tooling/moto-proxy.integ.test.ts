/**
 * The moto proxy itself, with real SDK clients over real HTTP: it records calls (secrets only as
 * digests), throttles in each protocol's wire format, and leaves an applied call unanswered.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import {
  CreateLoginProfileCommand,
  CreateUserCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { REGION } from './driver';
import { useMoto } from './moto-harness';
import { ProxiedCall, secretDigest, startMotoProxy } from './moto-proxy';

const moto = useMoto();

/** A password for a test: random, compared and digested, never printed. */
const password = () => `Aa1!${randomBytes(12).toString('base64url')}`;

interface ClientOptions {
  readonly maxAttempts?: number;
  /** Ends an attempt that got no answer after this long (an error, not only a warning). */
  readonly requestTimeout?: number;
}
const viaProxy = ({ maxAttempts = 1, requestTimeout }: ClientOptions = {}) => {
  const config = {
    endpoint: moto.proxy.endpoint,
    region: REGION,
    maxAttempts,
    requestHandler: requestTimeout === undefined ? undefined : { requestTimeout, throwOnRequestTimeout: true },
  };
  return { iam: new IAMClient(config), secrets: new SecretsManagerClient(config) };
};

/** The rejection of `promise` (fails the test when it resolves), and how long it took. */
async function rejection(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const start = Date.now();
  const error = await promise.then(
    () => new Error('expected a rejection, but the call succeeded'),
    (e: unknown) => e as Error,
  );
  return { error, ms: Date.now() - start };
}

const summary = (calls: ProxiedCall[]) =>
  calls.map(({ service, action, status, fault, applied, answered }) => ({
    service,
    action,
    status,
    fault,
    applied,
    answered,
  }));

describe('the moto proxy records', () => {
  test('each call with its action and parameters, secret values only as digests', async () => {
    // GIVEN clients talking to moto through the proxy
    const { iam, secrets } = viaProxy();
    const secret = password();
    const stored = password();

    // WHEN they create a user, its login profile and a secret with a value
    await iam.send(new CreateUserCommand({ UserName: 'recorded' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'recorded', Password: secret }));
    await secrets.send(new CreateSecretCommand({ Name: 'recorded-secret', SecretString: stored }));

    // THEN each call is recorded in order, as answered by moto
    expect(summary(moto.proxy.calls)).toEqual([
      { service: 'iam', action: 'CreateUser', status: 200, applied: true, answered: true },
      { service: 'iam', action: 'CreateLoginProfile', status: 200, applied: true, answered: true },
      { service: 'secretsmanager', action: 'CreateSecret', status: 200, applied: true, answered: true },
    ]);
    expect(moto.proxy.calls[1].params.UserName).toBe('recorded');
    // ...the secret values only as digests (equal values give equal digests), never by value
    expect(moto.proxy.calls[1].params.Password).toBe(secretDigest(secret));
    expect(moto.proxy.calls[2].params.SecretString).toBe(secretDigest(stored));
    const recorded = JSON.stringify(moto.proxy.calls);
    expect([recorded.includes(secret), recorded.includes(stored)]).toEqual([false, false]);
    // ...and the proxy remembers (in memory) the password IAM accepted
    expect(moto.proxy.passwordsAccepted.get('recorded') === secret).toBe(true);
  });
});

describe('the moto proxy throttles', () => {
  test("the first attempts of an operation in IAM's format; the SDK's retries get through", async () => {
    // GIVEN a user, and GetUser throttled on its first two attempts
    await moto.iam.send(new CreateUserCommand({ UserName: 'throttled' }));
    moto.proxy.inject({ kind: 'Throttling', action: 'GetUser', attempts: 2 });

    // WHEN a client with up to 4 attempts reads the user
    const { iam } = viaProxy({ maxAttempts: 4 });
    const user = await iam.send(new GetUserCommand({ UserName: 'throttled' }));

    // THEN it succeeds on the third attempt
    expect(user.User?.UserName).toBe('throttled');
    expect(summary(moto.proxy.calls)).toEqual([
      { service: 'iam', action: 'GetUser', status: 400, fault: 'Throttling', applied: false, answered: true },
      { service: 'iam', action: 'GetUser', status: 400, fault: 'Throttling', applied: false, answered: true },
      { service: 'iam', action: 'GetUser', status: 200, applied: true, answered: true },
    ]);
  });

  test("every attempt in Secrets Manager's format: the call fails with ThrottlingException", async () => {
    // GIVEN a secret, and DescribeSecret throttled on every attempt
    const created = await moto.secrets.send(new CreateSecretCommand({ Name: 'throttled-secret' }));
    moto.proxy.inject({ kind: 'Throttling', action: 'DescribeSecret' });

    // WHEN a client with 2 attempts describes it THEN both attempts are throttled and it fails
    const { secrets } = viaProxy({ maxAttempts: 2 });
    const { error } = await rejection(secrets.send(new DescribeSecretCommand({ SecretId: created.ARN })));
    expect([error.name, error.message]).toEqual(['ThrottlingException', 'Rate exceeded']);
    expect(moto.proxy.count('secretsmanager', 'Throttling')).toBe(2);
    expect(moto.proxy.count('secretsmanager', undefined)).toBe(0);
  });

  test('no more requests than the rule counts', async () => {
    await moto.iam.send(new CreateUserCommand({ UserName: 'counted' }));
    moto.proxy.inject({ kind: 'Throttling', action: 'GetUser', count: 1 });
    const { iam } = viaProxy({ maxAttempts: 1 });
    expect((await rejection(iam.send(new GetUserCommand({ UserName: 'counted' })))).error.name).toBe('Throttling');
    expect((await iam.send(new GetUserCommand({ UserName: 'counted' }))).User?.UserName).toBe('counted');
  });
});

describe('a call applied and never answered', () => {
  test('CreateLoginProfile: moto has the profile; the client hears nothing until its request timeout', async () => {
    // GIVEN a user, and CreateLoginProfile applied but never answered
    await moto.iam.send(new CreateUserCommand({ UserName: 'hung' }));
    moto.proxy.inject({ kind: 'AppliedNoAnswer', action: 'CreateLoginProfile' });

    // WHEN a client with a 1 s request timeout creates the login profile
    const { iam } = viaProxy({ requestTimeout: 1_000 });
    const { error, ms } = await rejection(
      iam.send(new CreateLoginProfileCommand({ UserName: 'hung', Password: password() })),
    );

    // THEN the client gives up on its own timeout (no answer, no reset, no error from the proxy)...
    expect(error.name).toBe('TimeoutError');
    expect(error.message).toMatch(/exceeded the configured 1000 ms requestTimeout/);
    // (Node's timers may fire a millisecond or two early by the wall clock: allow for it.)
    expect(ms).toBeGreaterThanOrEqual(1_000 - 50);
    // ...while moto applied the call: the user has a login profile
    expect((await moto.iam.send(new GetLoginProfileCommand({ UserName: 'hung' }))).LoginProfile?.UserName).toBe('hung');
    expect(summary(moto.proxy.calls)).toEqual([
      {
        service: 'iam',
        action: 'CreateLoginProfile',
        status: 200,
        fault: 'AppliedNoAnswer',
        applied: true,
        answered: false,
      },
    ]);
  });

  test('PutSecretValue: moto has the version; the client hears nothing until it aborts', async () => {
    // GIVEN a secret, and PutSecretValue applied but never answered
    const created = await moto.secrets.send(new CreateSecretCommand({ Name: 'hung-secret' }));
    moto.proxy.inject({ kind: 'AppliedNoAnswer', action: 'PutSecretValue' });

    // WHEN a client (no request timeout) writes a version and aborts after 500 ms
    const { secrets } = viaProxy();
    const token = '11111111-2222-4333-8444-555555555555';
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 500);
    const { error } = await rejection(
      secrets.send(
        new PutSecretValueCommand({ SecretId: created.ARN, SecretString: password(), ClientRequestToken: token }),
        { abortSignal: abort.signal },
      ),
    );
    clearTimeout(timer);

    // THEN only the abort ended the call...
    expect(error.name).toBe('AbortError');
    expect(abort.signal.aborted).toBe(true);
    // ...and moto holds the version, staged AWSCURRENT
    const versions = await moto.secrets.send(new ListSecretVersionIdsCommand({ SecretId: created.ARN }));
    expect(versions.Versions?.map((v) => [v.VersionId, v.VersionStages])).toEqual([[token, ['AWSCURRENT']]]);
    expect(moto.proxy.calls.map((c) => [c.action, c.fault, c.applied, c.answered])).toEqual([
      ['PutSecretValue', 'AppliedNoAnswer', true, false],
    ]);
  });

  test('the connection stays open, without an answer, a reset or an error, until the proxy closes', async () => {
    // GIVEN a proxy of its own, leaving CreateUser unanswered
    const proxy = await startMotoProxy({ target: moto.endpoint });
    proxy.inject({ kind: 'AppliedNoAnswer', action: 'CreateUser' });
    try {
      // WHEN a plain HTTP request (IAM's query protocol) creates a user through it
      const events: string[] = [];
      const request = http.request(`${proxy.endpoint}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          // moto routes a request by the service in the credential scope; it does not check the signature
          'authorization': `AWS4-HMAC-SHA256 Credential=testing/20250101/${REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
        },
      });
      request.on('response', () => events.push('response'));
      request.on('error', (error) => events.push(`error ${error.message}`));
      request.on('close', () => events.push('close'));
      request.end('Action=CreateUser&UserName=unanswered&Version=2010-05-08');
      await new Promise((resolve) => setTimeout(resolve, 1_500));

      // THEN after 1.5 s nothing happened on the connection, while moto has the user
      expect(events).toEqual([]);
      expect(request.socket?.destroyed).toBe(false);
      expect((await moto.iam.send(new GetUserCommand({ UserName: 'unanswered' }))).User?.UserName).toBe('unanswered');

      // AND closing the proxy ends the connection (it does not wait for it)
      const closed = new Promise((resolve) => request.once('close', resolve));
      await proxy.close();
      await closed;
      expect(events).toContain('close');
      expect(events).not.toContain('response');
    } finally {
      await proxy.close().catch(() => undefined);
    }
  });

  test('an SDK client with requestTimeout alone (a warning, not an error) keeps waiting for the answer', async () => {
    // This is how the bundled handlers configure their clients (lambda/aws/call.ts): on the real
    // HTTP stack an unanswered call is not ended by requestTimeout unless throwOnRequestTimeout is set.
    await moto.iam.send(new CreateUserCommand({ UserName: 'waiting' }));
    moto.proxy.inject({ kind: 'AppliedNoAnswer', action: 'GetUser' });
    const warnings: string[] = [];
    const iam = new IAMClient({
      endpoint: moto.proxy.endpoint,
      region: REGION,
      maxAttempts: 1,
      requestHandler: { requestTimeout: 500, logger: { ...console, warn: (m: string) => warnings.push(m) } },
    });
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 2_000);
    const { error, ms } = await rejection(
      iam.send(new GetUserCommand({ UserName: 'waiting' }), { abortSignal: abort.signal }),
    );
    clearTimeout(timer);
    expect([error.name, ms >= 2_000]).toEqual(['AbortError', true]);
    expect(warnings.join('\n')).toMatch(/\[WARN\] a request has exceeded the configured 500 ms requestTimeout/);
  });
});
