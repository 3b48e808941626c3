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
import { FakeAws, installFake } from '../support/fake-aws';
import { Delivery, captureOutput, deliveredBy } from '../support/fault-harness';
import { RESPONSE_URL, STACK_ID, lambdaContext } from '../support/lambda-fixtures';
import { ResponseServer } from '../support/response-server';

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
async function run(k: CustomResourceKind<Props>, e = event(), send?: (a: CloudFormationResponse) => Promise<void>) {
  const sent: { url: string; answer: CloudFormationResponse }[] = [];
  const output: string[] = [];
  const restore = captureOutput(output);
  try {
    const returned = await customResourceEntry(k, async (url, answer) => {
      sent.push({ url, answer });
      await send?.(answer);
    })(e, lambdaContext());
    return { sent, returned, output: output.join('\n') };
  } finally {
    restore();
  }
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
    ['no ServiceTimeout is known', undefined, signed(new Date())],
    ['the ServiceTimeout is not a number', 'soon', signed(new Date())],
    ['the URL carries no X-Amz-Date (e.g. a SigV2 URL)', '240', 'https://b.s3.amazonaws.com/x?Expires=1&Signature=a'],
    ['the URL is not one', '240', 'not a url'],
  ])('is unknown (never) when %s', (_name, timeout, url) => {
    if (timeout !== undefined) process.env[SERVICE_TIMEOUT_ENV] = timeout;
    expect(cloudFormationGivesUpAt({ ResponseURL: url })).toBe(Infinity);
  });

  test('bounds the work: it must end the margin before CloudFormation gives up, whatever the Lambda timeout', async () => {
    // GIVEN an event CloudFormation signed 100 s ago with a ServiceTimeout of 240 s
    process.env[SERVICE_TIMEOUT_ENV] = '240';
    const e = event({ ResponseURL: signed(new Date(Date.now() - 100_000)) });
    // WHEN the work looks at its time
    let remaining = NaN;
    await run(
      kind(async (_e, inv) => {
        remaining = inv.deadline.remainingMs();
        return respond('alice');
      }),
      e,
    );
    // THEN it has what is left of the 240 s, less the margin (the URL's time has whole seconds)
    const expected = 240_000 - 100_000 - GIVE_UP_MARGIN_MS;
    expect(remaining).toBeLessThanOrEqual(expected);
    expect(remaining).toBeGreaterThan(expected - 2_000);
  });

  test('leaves the Lambda timeout in charge when it comes first', async () => {
    process.env[SERVICE_TIMEOUT_ENV] = '240';
    let remaining = NaN;
    await run(
      kind(async (_e, inv) => {
        remaining = inv.deadline.remainingMs();
        return respond('alice');
      }),
      event({ ResponseURL: signed(new Date()) }),
    );
    // lambdaContext() gives 120 s
    expect(remaining).toBeLessThanOrEqual(120_000 - SAFETY_MARGIN_MS);
    expect(remaining).toBeGreaterThan(120_000 - SAFETY_MARGIN_MS - 1_000);
  });
});

describe('the Lambda entry point, answering over HTTPS', () => {
  let server: ResponseServer;
  const savedCa = https.globalAgent.options.ca;
  beforeAll(async () => {
    server = await ResponseServer.start();
    // The handler uses the global agent: let it trust the loopback bucket's certificate.
    https.globalAgent.options.ca = server.cert;
  });
  afterAll(async () => {
    https.globalAgent.options.ca = savedCa;
    await server.close();
  });

  test('PUTs FAILED for a Create it cannot carry out, and resolves (it never throws)', async () => {
    // GIVEN a Create whose user name IAM would refuse (no AWS call is needed to refuse it)
    const e = event({
      ResponseURL: server.url(),
      ResourceType: 'Custom::ConsoleLoginProfile',
      ResourceProperties: { UserName: 'a b' },
    });
    // WHEN the Lambda handler runs, on an event CloudFormation sends (its record shows it)
    installFake(new FakeAws());
    const output: string[] = [];
    const restore = captureOutput(output);
    let returned: unknown;
    try {
      returned = await deliveredBy(
        Delivery.CLOUDFORMATION,
        e,
        () => loginProfileHandler(e, lambdaContext()),
        (answer) => answer,
      );
    } finally {
      restore();
    }
    // THEN the bucket got the FAILED answer, naming what was wrong
    expect(server.requests).toHaveLength(1);
    const answer = JSON.parse(server.requests[0].body);
    expect(answer).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'AliceLoginProfile:no-user',
      RequestId: 'req-1',
      LogicalResourceId: 'AliceLoginProfile',
    });
    expect(answer.Reason).toMatch(/^Create of login profile AliceLoginProfile failed: .*UserName must be 1-64/);
    expect(returned).toEqual(answer);
    expect(output.join('\n')).toContain('answered FAILED');
  });
});
