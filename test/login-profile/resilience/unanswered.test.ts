/**
 * Calls that AWS applies but never answers (the connection stays open: no reset, no error). For
 * every call each event type makes, `AppliedNoAnswer` once and on every attempt: the handler must
 * answer before the Lambda timeout (its deadline aborts the call), and after CloudFormation's next
 * step (the rollback Update; after a failed Create its Delete and the rollback deleting the secret
 * and the user; a second stack delete) no login profile may hold a password that is in no live
 * secret, no password may appear in any output, and no rollback may fail.
 */
import { CALL_CAP_MS, SAFETY_MARGIN_MS } from '../../../lambda/runtime/invocation';
import { FakeAws, installFake } from '../../tooling/fake-aws';
import { LAMBDA_TIMEOUT_MS, assertNoPasswordIn, countLeaks, invoke, lostPasswords } from '../../tooling/fault-harness';
import { CALLS, EventType, SCENARIOS, runScenario } from '../../tooling/scenarios';

type Repeat = 'once' | 'every attempt';
const CASES: [string, EventType, string, Repeat][] = [];
for (const type of Object.keys(CALLS) as EventType[]) {
  for (const command of CALLS[type]) {
    for (const repeat of ['once', 'every attempt'] as Repeat[]) {
      CASES.push([`${type}: ${command} applied and never answered, ${repeat}`, type, command, repeat]);
    }
  }
}

/** What the cases saw, in all (printed with RELIABILITY_REPORT, and asserted). */
const summary = { cases: 0, faultsInjected: 0, lost: 0, leaked: 0, failedRollbacks: 0, hung: 0 };
afterAll(() => {
  if (process.env.RELIABILITY_REPORT) process.stderr.write(`unanswered calls: ${JSON.stringify(summary)}\n`);
  expect(summary).toEqual({
    cases: CASES.length,
    faultsInjected: expect.any(Number),
    lost: 0,
    leaked: 0,
    failedRollbacks: 0,
    hung: 0,
  });
  expect(summary.faultsInjected).toBeGreaterThanOrEqual(CASES.length);
});

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('calls applied and never answered', () => {
  test.each(CASES)('%s', async (_name, type, command, repeat) => {
    // GIVEN the world before the event, and one call that IAM or Secrets Manager applies and never answers
    const fake = new FakeAws();
    installFake(fake);
    // WHEN the event runs, and CloudFormation does what it does next
    const run = await runScenario(fake, type, (f) =>
      f.inject({ command, kind: 'AppliedNoAnswer', count: repeat === 'once' ? 1 : Number.POSITIVE_INFINITY }),
    );
    const invocations = [run.first, ...run.followUps];
    const lost = [...run.afterFirst, ...lostPasswords(fake)];
    summary.cases++;
    summary.faultsInjected += run.faultsHit;
    summary.lost += lost.length;
    summary.leaked += countLeaks(fake, ...invocations.map((inv) => inv.output));
    summary.failedRollbacks += run.cfnProblems.length + run.followUps.filter((f) => f.error !== undefined).length;
    summary.hung += invocations.filter((inv) => inv.timedOut).length;
    // THEN every invocation answered, leaving itself the margin to answer CloudFormation
    for (const inv of invocations) {
      expect(inv.timedOut).toBe(false);
      expect(inv.elapsedMs).toBeLessThan(LAMBDA_TIMEOUT_MS - SAFETY_MARGIN_MS);
      assertNoPasswordIn(fake, inv.output);
    }
    // ...a failure says which call did not answer in time
    if (run.first.error !== undefined) {
      expect((run.first.error as Error).message).toMatch(new RegExp(`${command} did not answer within \\d+ ms`));
    }
    // ...nothing is lost, and the end state is the one CloudFormation believes in
    expect(lost).toEqual([]);
    expect(run.cfnProblems).toEqual([]);
    expect(run.expectFinal()).toEqual([]);
    expect(run.faultsHit).toBeGreaterThan(0);
  });

  test.each(CASES.filter(([, , , repeat]) => repeat === 'every attempt'))(
    '%s: answers before a 30 s Lambda timeout',
    async (_name, type, command) => {
      // GIVEN the shortest Lambda timeout the provider accepts, and a call that never answers
      const fake = new FakeAws();
      installFake(fake);
      const context = await SCENARIOS[type].setup(fake);
      fake.inject({ command, kind: 'AppliedNoAnswer', count: Number.POSITIVE_INFINITY });
      // WHEN the event runs
      const result = await invoke(context.event, { timeoutMs: 30_000 });
      // THEN the handler answers with the margin to answer CloudFormation left, and leaks nothing
      expect(result.timedOut).toBe(false);
      expect(result.elapsedMs).toBeLessThanOrEqual(30_000 - SAFETY_MARGIN_MS);
      assertNoPasswordIn(fake, result.output);
    },
  );

  test('a Create whose CreateLoginProfile never answers removes the profile it may have set, then fails', async () => {
    // GIVEN a new user and secret, and IAM applying CreateLoginProfile without ever answering
    const fake = new FakeAws();
    installFake(fake);
    const context = await SCENARIOS.create.setup(fake);
    fake.inject({ command: 'CreateLoginProfile', kind: 'AppliedNoAnswer', count: Number.POSITIVE_INFINITY });
    // WHEN the Create runs
    const result = await invoke(context.event);
    // THEN the call was aborted once its budget ran out, the undo deleted the profile, and the
    // message says the call did not answer in time
    expect(result.error).toBeDefined();
    expect((result.error as Error).message).toMatch(
      `CreateLoginProfile did not answer within ${CALL_CAP_MS} ms (it may have applied)`,
    );
    expect(fake.callCount('CreateLoginProfile')).toBe(1);
    expect(fake.commands().slice(-1)).toEqual(['DeleteLoginProfile']);
    expect(fake.profileOf('alice')).toBeUndefined();
    expect(result.elapsedMs).toBeLessThan(CALL_CAP_MS + 2_000);
  });
});
