/**
 * The handler runtime (lambda/runtime/invocation.ts, custom-resource.ts): per-invocation
 * redaction, the deadline, allow-listed logging, safe errors and the event checks.
 */
import { respond, unknownRequestType } from '../../lambda/runtime/custom-resource';
import { DeadlineError, HandlerError, mayHaveApplied } from '../../lambda/runtime/errors';
import {
  CALL_CAP_MS,
  Invocation,
  Redaction,
  SAFETY_MARGIN_MS,
  redact,
  requireEventFields,
  UNDO_RESERVE_MS,
  runInvocation,
} from '../../lambda/runtime/invocation';

const PASSWORD = 'Sup3r$ecret-Pa55word!';
const LABELS = {
  fields: { requestType: 'Create' },
  received: 'in',
  done: 'out',
  failed: 'boom',
  operation: 'Create of x',
};
let output: string[];

beforeEach(() => {
  output = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(String(line)));
});
afterEach(() => jest.restoreAllMocks());

describe('Redaction', () => {
  test('replaces every occurrence of every password it was given', () => {
    const redaction = new Redaction();
    expect(redaction.add(PASSWORD)).toBe(PASSWORD);
    redaction.add('other-one');
    expect(redaction.apply(`a ${PASSWORD} b other-one c ${PASSWORD}`)).toBe('a [REDACTED] b [REDACTED] c [REDACTED]');
  });

  test('ignores an empty string (it would match everywhere)', () => {
    expect(redact('abc', [''])).toBe('abc');
  });

  test('belongs to one invocation: another invocation does not know its passwords', () => {
    const first = new Invocation();
    const second = new Invocation();
    first.redaction.add(PASSWORD);
    expect(second.redaction.apply(PASSWORD)).toBe(PASSWORD);
    expect(first.redaction.apply(PASSWORD)).toBe('[REDACTED]');
  });
});

describe('Invocation', () => {
  test('the deadline is the Lambda time left less the safety margin', () => {
    const inv = new Invocation({ getRemainingTimeInMillis: () => 60_000 });
    expect(inv.clock.remainingMs()).toBe(60_000 - SAFETY_MARGIN_MS);
  });

  test('without a context (a direct invocation) there is no deadline', () => {
    expect(new Invocation().clock.remainingMs()).toBe(Number.POSITIVE_INFINITY);
  });

  test.each([
    // time before the handler must answer -> a call's budget, and with the undo reserve kept
    [Number.POSITIVE_INFINITY, CALL_CAP_MS, CALL_CAP_MS],
    [60_000, CALL_CAP_MS, CALL_CAP_MS],
    [UNDO_RESERVE_MS + 3_000, CALL_CAP_MS, 3_000],
    [UNDO_RESERVE_MS - 1_000, UNDO_RESERVE_MS - 1_000, -1_000],
    [400, 400, 400 - UNDO_RESERVE_MS],
  ])('with %d ms left, a call may take %d ms, or %d ms while the undo reserve is kept', (left, call, reserved) => {
    let remaining = left;
    const inv = new Invocation(undefined, { remainingMs: () => remaining, random: Math.random, sleep: async () => {} });
    expect(inv.deadline.callBudgetMs()).toBe(call);
    inv.deadline.reserve(UNDO_RESERVE_MS);
    expect(inv.deadline.callBudgetMs()).toBe(reserved);
    // ...retries see the same time (none sleeps into the reserve)
    expect(inv.clock.remainingMs()).toBe(left - UNDO_RESERVE_MS);
    // ...the undo may spend the reserve, and the budget follows the clock
    inv.deadline.reserve(0);
    remaining -= 1_000;
    expect(inv.deadline.callBudgetMs()).toBe(Math.min(CALL_CAP_MS, left - 1_000));
  });

  test('a call aborted at its deadline may have applied; one never sent did not', () => {
    expect(mayHaveApplied(new DeadlineError('CreateLoginProfile did not answer', true))).toBe(true);
    expect(mayHaveApplied(new DeadlineError('no time left to call CreateLoginProfile', false))).toBe(false);
  });

  test.each([
    ['arn:aws:lambda:us-east-1:123456789012:function:f', '123456789012'],
    ['arn:aws:lambda:us-east-1:not-an-account:function:f', undefined],
    [undefined, undefined],
  ])('reads the account from the function ARN %s', (arn, account) => {
    expect(new Invocation({ invokedFunctionArn: arn }).account).toBe(account);
  });
});

describe('runInvocation', () => {
  test('logs arrival and success with the allow-listed fields, and returns the answer', async () => {
    const result = await runInvocation(LABELS, undefined, async (inv) => {
      inv.annotate({ userName: 'alice' });
      return 42;
    });
    expect(result).toBe(42);
    expect(output.map((line) => JSON.parse(line))).toEqual([
      { message: 'in', requestType: 'Create' },
      { message: 'out', requestType: 'Create', userName: 'alice' },
    ]);
  });

  test('fails with a HandlerError that names the operation and the cause, the password redacted', async () => {
    // GIVEN work that saw a password and then failed with an error that echoes it
    const work = async (inv: Invocation) => {
      inv.redaction.add(PASSWORD);
      throw Object.assign(new Error(`Password ${PASSWORD} does not meet policy`), { name: 'PasswordPolicyViolation' });
    };
    // WHEN it runs
    const error = await runInvocation(LABELS, undefined, work).catch((e: unknown) => e);
    // THEN the error is safe to show, and so is every log line
    expect(error).toBeInstanceOf(HandlerError);
    expect((error as Error).message).toBe(
      'Create of x failed: PasswordPolicyViolation: Password [REDACTED] does not meet policy',
    );
    expect((error as Error).message).not.toContain(PASSWORD);
    expect(output.join('\n')).not.toContain(PASSWORD);
    expect(JSON.parse(output[1])).toEqual({
      message: 'boom',
      requestType: 'Create',
      error: 'PasswordPolicyViolation: Password [REDACTED] does not meet policy',
    });
  });

  test('fails without the cause attached (a cause could carry the request, password included)', async () => {
    const error = await runInvocation(LABELS, undefined, async () => {
      throw new Error('x');
    }).catch((e: unknown) => e);
    expect((error as Error).cause).toBeUndefined();
  });

  test('logs only allow-listed fields, whatever the caller passes', async () => {
    const fields = { requestType: 'Create', password: PASSWORD } as unknown as typeof LABELS.fields;
    await runInvocation({ ...LABELS, fields }, undefined, async () => undefined);
    expect(output.join('\n')).not.toContain(PASSWORD);
  });
});

describe('requireEventFields', () => {
  const fields = ['RequestId', 'StackId'] as const;
  test('passes an event with every field', () => {
    expect(() => requireEventFields({ RequestId: 'r', StackId: 's' }, fields)).not.toThrow();
  });
  test.each([
    ['the event is null', null, /the event is not an object/],
    ['the event is a string', 'Create', /the event is not an object/],
    ['a field is missing', { StackId: 's' }, /the event has no RequestId/],
    ['a field is empty', { RequestId: 'r', StackId: '' }, /the event has no StackId/],
    ['a field is not a string', { RequestId: 7, StackId: 's' }, /the event has no RequestId/],
  ])('fails when %s', (_name, event, message) => {
    expect(() => requireEventFields(event, fields)).toThrow(message);
  });
});

describe('custom-resource answers', () => {
  test('respond: the physical ID, and Data only when given', () => {
    expect(respond('alice')).toEqual({ PhysicalResourceId: 'alice' });
    expect(respond('alice', { UserName: 'alice' })).toEqual({
      PhysicalResourceId: 'alice',
      Data: { UserName: 'alice' },
    });
  });

  test('unknownRequestType names what came and what is expected', () => {
    expect(unknownRequestType('Upsert').message).toBe(
      'unknown RequestType "Upsert"; expected Create, Update or Delete',
    );
  });
});
