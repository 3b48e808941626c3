/**
 * The custom-resource entry point (lambda/runtime/custom-resource.ts): it answers CloudFormation
 * itself, SUCCESS or FAILED, never throws, keeps passwords out of the answer, and stops its work
 * before CloudFormation gives up on the event.
 */
import * as https from 'node:https';
import { handler as loginProfileHandler } from '../../lambda/login-profile';
import {
  CustomResourceKind,
  GIVE_UP_MARGIN_MS,
  MAX_REASON_LENGTH,
  SERVICE_TIMEOUT_ENV,
  cloudFormationGivesUpAt,
  customResourceEntry,
  respond,
} from '../../lambda/runtime/custom-resource';
import { SAFETY_MARGIN_MS } from '../../lambda/runtime/invocation';
import type { CloudFormationResponse } from '../../lambda/runtime/responder';
import { FakeAws, installFake } from '../tooling/fake-aws';
import { Delivery, captureOutput, deliveredBy } from '../tooling/fault-harness';
import { RESPONSE_URL, STACK_ID, lambdaContext } from '../tooling/lambda-fixtures';
import type { InvocationContext } from '../../lambda/runtime/invocation';
import { ResponseServer } from '../tooling/response-server';

const PASSWORD = 'Sup3r$ecret-Pa55word!';
type Props = { UserName?: string };

const event = (overrides: Record<string, unknown> = {}) =>
  ({
    RequestType: 'Create',
    RequestId: 'req-1',
    StackId: STACK_ID,
    LogicalResourceId: 'AliceLoginProfile',
    ResourceType: 'Custom::Thing',
    ResponseURL: RESPONSE_URL,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f', UserName: 'alice' },
    ...overrides,
  }) as never;

const kind = (dispatch: CustomResourceKind<Props>['dispatch']): CustomResourceKind<Props> => ({
  what: (id) => `thing ${id}`,
  // These tests are about the entry point around the work: every event is taken as attested
  // (attestation has its own suites: test/runtime/attestation.test.ts, test/security/).
  attest: async (e) => ({ event: e }),
  dispatch,
  createFailedPhysicalId: () => 'failed-create-id',
});

/** Runs `k` on `e`, recording what it sends; returns the sent answers, what it returned, and its output. */
async function run(
  k: CustomResourceKind<Props>,
  e = event(),
  send?: (a: CloudFormationResponse) => Promise<void>,
  context = lambdaContext(),
) {
  const sent: { url: string; answer: CloudFormationResponse }[] = [];
  const output: string[] = [];
  const restore = captureOutput(output);
  try {
    const returned = await customResourceEntry(k, async (url, answer) => {
      sent.push({ url, answer });
      await send?.(answer);
    })(e, context);
    return { sent, returned, output: output.join('\n') };
  } finally {
    restore();
  }
}

/** The time the work of `e` has when it starts (its deadline's `remainingMs()`). */
async function timeGivenTo(e: ReturnType<typeof event>, context = lambdaContext()): Promise<number> {
  let remaining = NaN;
  await run(
    kind(async (_e, inv) => {
      remaining = inv.deadline.remainingMs();
      return respond('alice');
    }),
    e,
    undefined,
    context,
  );
  return remaining;
}

afterEach(() => {
  delete process.env[SERVICE_TIMEOUT_ENV];
});

describe('the answer', () => {
  test('SUCCESS with the physical ID and Data the work decided, to the ResponseURL, echoing the event', async () => {
    const { sent, returned } = await run(kind(async () => respond('alice', { UserName: 'alice' })));
    expect(sent).toEqual([
      {
        url: RESPONSE_URL,
        answer: {
          Status: 'SUCCESS',
          PhysicalResourceId: 'alice',
          StackId: STACK_ID,
          RequestId: 'req-1',
          LogicalResourceId: 'AliceLoginProfile',
          NoEcho: false,
          Data: { UserName: 'alice' },
        },
      },
    ]);
    expect(returned).toBe(sent[0].answer);
  });

  test('FAILED (not a throw) when the work fails, with a Reason naming the operation and the cause, password redacted', async () => {
    const { sent, output } = await run(
      kind(async (_e, inv) => {
        inv.redaction.add(PASSWORD);
        throw new Error(`IAM refused ${PASSWORD}`);
      }),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0].answer).toEqual({
      Status: 'FAILED',
      Reason: 'Create of thing AliceLoginProfile failed: Error: IAM refused [REDACTED]',
      PhysicalResourceId: 'failed-create-id',
      StackId: STACK_ID,
      RequestId: 'req-1',
      LogicalResourceId: 'AliceLoginProfile',
      NoEcho: false,
    });
    expect(JSON.stringify(sent)).not.toContain(PASSWORD);
    expect(output).not.toContain(PASSWORD);
  });

  test('a long Reason is cut to 1,000 characters (the whole answer must stay under 4 KB)', async () => {
    const { sent } = await run(
      kind(async () => {
        throw new Error('x'.repeat(5_000));
      }),
    );
    expect(sent[0].answer.Reason).toHaveLength(MAX_REASON_LENGTH);
    expect(sent[0].answer.Reason!.endsWith('...')).toBe(true);
  });

  test('a failed Create answers the physical ID its work set once it knew it, else its kind decides', async () => {
    const set = await run(
      kind(async (_e, _inv, failure) => {
        failure.physicalResourceId = 'recorded-by-the-work';
        throw new Error('later step failed');
      }),
    );
    expect(set.sent[0].answer.PhysicalResourceId).toBe('recorded-by-the-work');
    const unset = await run(
      kind(async () => {
        throw new Error('first step failed');
      }),
    );
    expect(unset.sent[0].answer.PhysicalResourceId).toBe('failed-create-id');
  });

  test.each(['Update', 'Delete'])('a failed %s answers the physical ID of its event', async (requestType) => {
    const { sent } = await run(
      kind(async (_e, _inv, failure) => {
        failure.physicalResourceId = 'ignored';
        throw new Error('x');
      }),
      event({ RequestType: requestType, PhysicalResourceId: 'alice' }),
    );
    expect(sent[0].answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'alice' });
  });

  test('never rejects: a responder failure is logged and the answer returned', async () => {
    const { sent, returned, output } = await run(
      kind(async () => respond('alice')),
      event(),
      async () => {
        throw new Error('the bucket is on fire');
      },
    );
    expect(sent).toHaveLength(1);
    expect(returned).toMatchObject({ Status: 'SUCCESS' });
    expect(output).toContain('could not answer CloudFormation');
    expect(output).toContain('the bucket is on fire');
  });
});

describe('when CloudFormation gives up', () => {
  const signed = (at: Date) =>
    `https://bucket.s3.amazonaws.com/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+/, '')}&X-Amz-Expires=7200`;

  test('is the time CloudFormation signed the ResponseURL plus the ServiceTimeout', () => {
    process.env[SERVICE_TIMEOUT_ENV] = '240';
    const at = new Date('2026-12-01T12:00:00Z');
    expect(cloudFormationGivesUpAt({ ResponseURL: signed(at) })).toBe(at.getTime() + 240_000);
  });

  test.each([
    [
      'no ServiceTimeout is known, nor when the URL expires',
      undefined,
      signed(new Date()).replace('&X-Amz-Expires=7200', ''),
    ],
    ['the ServiceTimeout is not a number', 'soon', signed(new Date()).replace('&X-Amz-Expires=7200', '')],
    ['the URL carries no time at all (a SigV2 URL without Expires)', '240', 'https://b.s3.amazonaws.com/x?Signature=a'],
    [
      'the times are not numbers',
      '240',
      'https://b.s3.amazonaws.com/x?X-Amz-Date=yesterday&Expires=soon&X-Amz-Expires=1e3',
    ],
    ['the URL is not one', '240', 'not a url'],
  ])('is unknown (never) when %s', (_name, timeout, url) => {
    if (timeout !== undefined) process.env[SERVICE_TIMEOUT_ENV] = timeout;
    expect(cloudFormationGivesUpAt({ ResponseURL: url })).toBe(Infinity);
  });

  test('without a ServiceTimeout, is when the SigV4 URL expires (X-Amz-Date plus X-Amz-Expires): no answer lands later', () => {
    const at = new Date('2026-12-01T12:00:00Z');
    expect(cloudFormationGivesUpAt({ ResponseURL: signed(at) })).toBe(at.getTime() + 7_200_000);
  });

  test("is the earlier of the ServiceTimeout and the URL's expiry", () => {
    process.env[SERVICE_TIMEOUT_ENV] = '3600';
    const at = new Date('2026-12-01T12:00:00Z');
    const url = signed(at).replace('X-Amz-Expires=7200', 'X-Amz-Expires=600');
    expect(cloudFormationGivesUpAt({ ResponseURL: url })).toBe(at.getTime() + 600_000);
  });

  test('for a SigV2 URL, is its Expires (epoch seconds), whatever the ServiceTimeout (the URL has no signing time)', () => {
    process.env[SERVICE_TIMEOUT_ENV] = '240';
    const expires = Date.parse('2026-12-01T14:00:00Z') / 1000;
    const url = `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?AWSAccessKeyId=AKIAEXAMPLE&Expires=${expires}&Signature=abc%3D`;
    expect(cloudFormationGivesUpAt({ ResponseURL: url })).toBe(expires * 1000);
  });

  test("a URL carrying both signatures' times is bounded by the earliest", () => {
    process.env[SERVICE_TIMEOUT_ENV] = '240';
    const at = new Date('2026-12-01T12:00:00Z');
    const early = at.getTime() / 1000 + 60;
    expect(cloudFormationGivesUpAt({ ResponseURL: `${signed(at)}&Expires=${early}` })).toBe(early * 1000);
    const late = at.getTime() / 1000 + 100_000;
    expect(cloudFormationGivesUpAt({ ResponseURL: `${signed(at)}&Expires=${late}` })).toBe(at.getTime() + 240_000);
  });

  test('a signing date in the future counts as now: it cannot buy a forged event more time', () => {
    process.env[SERVICE_TIMEOUT_ENV] = '240';
    const before = Date.now();
    const bound = cloudFormationGivesUpAt({ ResponseURL: signed(new Date(before + 86_400_000)) });
    const after = Date.now();
    expect(bound).toBeGreaterThanOrEqual(before + 240_000);
    expect(bound).toBeLessThanOrEqual(after + 240_000);
  });

  test('fails when the URL expired before the event came: the work does not run (a SigV2 Expires in the past)', async () => {
    let ran = false;
    const expired = Math.floor(Date.now() / 1000) - 60;
    const { sent } = await run(
      kind(async () => {
        ran = true;
        return respond('alice');
      }),
      event({ ResponseURL: `https://b.s3.amazonaws.com/x?AWSAccessKeyId=A&Expires=${expired}&Signature=s` }),
    );
    expect(ran).toBe(false);
    expect(sent[0].answer).toMatchObject({ Status: 'FAILED' });
    expect(sent[0].answer.Reason).toMatch(/came after CloudFormation stopped waiting for it; changed nothing/);
  });

  test('bounds the work of an event signed "in the future" as if signed now', async () => {
    process.env[SERVICE_TIMEOUT_ENV] = '240';
    const remaining = await timeGivenTo(
      event({ ResponseURL: signed(new Date(Date.now() + 3_600_000)) }),
      lambdaContext(900_000),
    );
    expect(remaining).toBeLessThanOrEqual(240_000 - GIVE_UP_MARGIN_MS);
    expect(remaining).toBeGreaterThan(240_000 - GIVE_UP_MARGIN_MS - 2_000);
  });

  test('bounds the work: it must end the margin before CloudFormation gives up, whatever the Lambda timeout', async () => {
    // GIVEN an event CloudFormation signed 100 s ago with a ServiceTimeout of 240 s
    process.env[SERVICE_TIMEOUT_ENV] = '240';
    const e = event({ ResponseURL: signed(new Date(Date.now() - 100_000)) });
    // WHEN the work looks at its time
    const remaining = await timeGivenTo(e);
    // THEN it has what is left of the 240 s, less the margin (the URL's time has whole seconds)
    const expected = 240_000 - 100_000 - GIVE_UP_MARGIN_MS;
    expect(remaining).toBeLessThanOrEqual(expected);
    expect(remaining).toBeGreaterThan(expected - 2_000);
  });

  test('leaves the Lambda timeout in charge when it comes first', async () => {
    process.env[SERVICE_TIMEOUT_ENV] = '240';
    const remaining = await timeGivenTo(event({ ResponseURL: signed(new Date()) }));
    // lambdaContext() gives 120 s
    expect(remaining).toBeLessThanOrEqual(120_000 - SAFETY_MARGIN_MS);
    expect(remaining).toBeGreaterThan(120_000 - SAFETY_MARGIN_MS - 1_000);
  });
});

describe('the Lambda entry point, answering over HTTPS', () => {
  const BUCKET_HOST = 'cloudformation-custom-resource-response-useast1.s3.amazonaws.com';
  let server: ResponseServer;
  let unroute: () => void;
  const savedCa = https.globalAgent.options.ca;
  beforeAll(async () => {
    // The certificate names the forged host too: only the responder's check keeps the answer from it.
    server = await ResponseServer.start([BUCKET_HOST, 'attacker.example']);
    // The handler uses the global agent: let it trust the loopback bucket's certificate, and take
    // every connection there (a URL the responder refused would reach the server too).
    https.globalAgent.options.ca = server.cert;
    unroute = server.route(https.globalAgent);
  });
  afterAll(async () => {
    unroute();
    https.globalAgent.options.ca = savedCa;
    await server.close();
  });
  beforeEach(() => server.reset());

  /** Runs the login-profile Lambda handler on a Create IAM would refuse (no AWS call is needed to refuse it). */
  async function invokeHandler(responseUrl: string, context: InvocationContext = lambdaContext()) {
    const e = event({
      ResponseURL: responseUrl,
      ResourceType: 'Custom::ConsoleLoginProfile',
      ResourceProperties: { UserName: 'a b' },
    });
    // CloudFormation sends the event: its record (in the fake) shows it while the handler runs
    installFake(new FakeAws());
    const output: string[] = [];
    const restore = captureOutput(output);
    try {
      const returned = await deliveredBy(
        Delivery.CLOUDFORMATION,
        e,
        () => loginProfileHandler(e, context as never),
        (answer) => answer,
      );
      return { returned, output: output.join('\n') };
    } finally {
      restore();
    }
  }

  test('PUTs FAILED for a Create it cannot carry out, and resolves (it never throws)', async () => {
    // WHEN the Lambda handler runs on an event whose ResponseURL is its region's response bucket
    const { returned, output } = await invokeHandler(server.urlAt(BUCKET_HOST));
    // THEN the bucket got the FAILED answer, naming what was wrong
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].headers.host).toBe(BUCKET_HOST);
    const answer = JSON.parse(server.requests[0].body);
    expect(answer).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'AliceLoginProfile:no-user',
      RequestId: 'req-1',
      LogicalResourceId: 'AliceLoginProfile',
    });
    expect(answer.Reason).toMatch(/^Create of login profile AliceLoginProfile failed: .*UserName must be 1-64/);
    expect(returned).toEqual(answer);
    expect(output).toContain('answered FAILED');
  });

  test('takes its region from AWS_REGION when the context has no function ARN', async () => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'us-east-1';
    try {
      await invokeHandler(server.urlAt(BUCKET_HOST), { getRemainingTimeInMillis: () => 60_000 });
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
    expect(server.requests).toHaveLength(1);
  });

  test.each([
    ['a host of its choosing', () => server.urlAt('attacker.example'), lambdaContext(), 'foreign-host'],
    ['the loopback server itself, with its port', () => server.url(), lambdaContext(), 'port'],
    [
      "another region's response bucket",
      () => server.urlAt(BUCKET_HOST),
      lambdaContext(undefined, 'arn:aws:lambda:eu-west-1:123456789012:function:app-LoginProfileHandler'),
      'foreign-host',
    ],
  ])(
    'sends nothing to a forged ResponseURL naming %s, and logs only a fixed line with the reason code',
    async (_name, url, context, code) => {
      // GIVEN an event whose ResponseURL is not CloudFormation's bucket of the function's region
      // (the routed agent would deliver it to the server, so an answer sent would be seen)
      const { returned, output } = await invokeHandler(url(), context);
      // THEN nothing reached the server
      expect(server.requests).toHaveLength(0);
      // ...the entry still resolved with the answer it would have sent
      expect(returned).toMatchObject({ Status: 'FAILED' });
      // ...and the log says why, in fixed words and a code, never the URL's host
      const lines = output.split('\n').map((l) => JSON.parse(l) as Record<string, string>);
      expect(lines).toContainEqual({
        message: 'could not answer CloudFormation',
        requestType: 'Create',
        logicalResourceId: 'AliceLoginProfile',
        error: `not sent: the ResponseURL is not CloudFormation's response bucket of this function's region (${code})`,
      });
      expect(output).not.toContain('127.0.0.1');
      expect(output).not.toContain('s3.amazonaws.com');
      expect(output).not.toContain('attacker');
    },
  );
});
