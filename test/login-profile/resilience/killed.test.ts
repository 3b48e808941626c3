/**
 * A handler killed right after a call (its process gone: no undo, no answer). For every call each
 * event type makes, the call applies and the invocation dies before it hears back. CloudFormation
 * waits out the resource's ServiceTimeout and goes on as it does: after a Create, the rollback
 * Delete (with a physical ID it made up) and the deletion of the secret and the user; after an
 * Update, the rollback Update with the properties swapped; after a Delete, the second stack delete.
 * Every one of those events reaches the handler. Nothing may be lost or leaked, and no rollback
 * may fail.
 */
import { FakeAws, installFake } from '../../tooling/fake-aws';
import { LAMBDA_TIMEOUT_MS, assertNoPasswordIn, countLeaks, lostPasswords } from '../../tooling/fault-harness';
import { CALLS, EventType, runScenario } from '../../tooling/scenarios';

/** Calls IAM refuses in that event (a profile already there, or none to delete): the kill comes during them. */
const REFUSED: Partial<Record<EventType, string[]>> = {
  'new-secret': ['CreateLoginProfile'],
  'create-off': ['DeleteLoginProfile'],
};

const CASES: [string, EventType, string][] = [];
for (const type of Object.keys(CALLS) as EventType[]) {
  for (const command of CALLS[type]) {
    const when = REFUSED[type]?.includes(command) ? 'during' : 'right after';
    CASES.push([`${type}: killed ${when} ${command}`, type, command]);
  }
}

/** An account password policy, so that GetAccountPasswordPolicy answers (and can be killed after). */
const POLICY = {
  MinimumPasswordLength: 14,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
};

/** What the cases saw, in all (printed with RELIABILITY_REPORT, and asserted). */
const summary = { cases: 0, killed: 0, lost: 0, leaked: 0, failedRollbacks: 0, hung: 0 };
afterAll(() => {
  if (process.env.RELIABILITY_REPORT) process.stderr.write(`killed handlers: ${JSON.stringify(summary)}\n`);
  expect(summary).toEqual({
    cases: CASES.length,
    killed: CASES.length,
    lost: 0,
    leaked: 0,
    failedRollbacks: 0,
    hung: 0,
  });
});

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('a handler killed right after a call', () => {
  test.each(CASES)('%s', async (_name, type, command) => {
    // GIVEN the world before the event, and a Lambda that dies once the first attempt of `command`
    // has been applied
    const fake = new FakeAws();
    installFake(fake);
    // WHEN the event runs (and never answers), then CloudFormation does what it does next
    const afterApply = !REFUSED[type]?.includes(command);
    const run = await runScenario(fake, type, (f) => {
      f.passwordPolicy = POLICY;
      f.inject({ command, kind: 'Crash', afterApply });
    });
    const lost = [...run.afterFirst, ...lostPasswords(fake)];
    summary.cases++;
    summary.killed += run.first.timedOut && run.faultsHit > 0 ? 1 : 0;
    summary.lost += lost.length;
    summary.leaked += countLeaks(fake, ...[run.first, ...run.followUps].map((inv) => inv.output));
    summary.failedRollbacks += run.cfnProblems.length + run.followUps.filter((f) => f.error !== undefined).length;
    summary.hung += run.followUps.filter((inv) => inv.timedOut).length;
    // THEN the first invocation died without an answer, at the call
    expect(run.first.timedOut).toBe(true);
    expect(run.faultsHit).toBe(1);
    // ...every event CloudFormation sent next reached the handler and was answered in time
    expect(run.followUps.length).toBeGreaterThan(0);
    for (const inv of run.followUps) {
      expect(inv.timedOut).toBe(false);
      expect(inv.elapsedMs).toBeLessThan(LAMBDA_TIMEOUT_MS);
      expect(inv.error).toBeUndefined();
    }
    // ...nothing is lost or leaked, and the end state is the one CloudFormation believes in
    expect(lost).toEqual([]);
    for (const inv of [run.first, ...run.followUps]) assertNoPasswordIn(fake, inv.output);
    expect(run.cfnProblems).toEqual([]);
    expect(run.expectFinal()).toEqual([]);
  });
});
