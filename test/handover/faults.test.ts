/**
 * The fault matrix of `test/login-profile/resilience/faults.test.ts`, for the one call the handover
 * adds: `PutEvents` failing in every way it can (refused entry, throttling, a server error, a lost
 * connection, access denied, a missing bus), once and on every attempt, and after EventBridge
 * applied it, in every event that issues a password. After the handler answers and CloudFormation
 * does what it does next, the login-profile guarantees still hold (`expectNothingLost`), and:
 * every event published names a version the secret holds, no event was published by a delivery
 * whose PutEvents never applied, and the password a user has at the end was announced.
 */
import { dedupeKeyOf } from '../../lib/handover/contract';
import { FakeAws, FaultKind, installFake } from '../tooling/fake-aws';
import { EventType, Run, expectNothingLost, runScenario } from '../tooling/scenarios';

const ISSUING: EventType[] = ['create', 'reset-token', 'rename', 'new-secret', 'access-on'];
const KINDS: FaultKind[] = [
  'FailedEntry',
  'Throttling',
  'InternalServiceError',
  'Timeout',
  'AccessDenied',
  'ResourceNotFound',
];
/**
 * The events whose rollback issues a password of its own (an Update back to the old user, secret or
 * token); a Create's rollback deletes the profile, and access switched on goes back to off.
 */
const ROLLBACK_ISSUES: EventType[] = ['reset-token', 'rename', 'new-secret'];
/** Failures after which the event may have been delivered. */
const AMBIGUOUS: FaultKind[] = ['InternalServiceError'];

interface Case {
  readonly type: EventType;
  readonly kind: FaultKind;
  readonly repeat: 'once' | 'repeated';
  readonly afterApply: boolean;
}
const CASES: Case[] = ISSUING.flatMap((type) =>
  KINDS.flatMap((kind) =>
    (['once', 'repeated'] as const).flatMap((repeat) => [
      { type, kind, repeat, afterApply: false },
      ...(AMBIGUOUS.includes(kind) ? [{ type, kind, repeat, afterApply: true }] : []),
    ]),
  ),
);

/** What the handover adds to the guarantees of a run. */
function handoverProblems(run: Run): string[] {
  const fake = run.fake;
  const problems: string[] = [];
  const announced = new Set(fake.publishedDetails().map((d) => String(d.dedupeKey)));
  // Every event names a version its secret holds (nothing announced that was not issued).
  for (const detail of fake.publishedDetails()) {
    const versions = fake.stagesOf(String(detail.secretArn));
    if (!(String(detail.secretVersionId) in versions) && fake.secrets.get(String(detail.secretArn))?.deleted !== true) {
      problems.push(`announced version ${String(detail.secretVersionId)} is not in its secret`);
    }
  }
  // The password each user has at the end was announced (at least once).
  for (const [name, user] of fake.users) {
    if (!user.profile) continue;
    const secret = [...fake.secrets.values()].find(
      (s) => !s.deleted && fake.valueAt(s.arn, 'AWSCURRENT')?.password === user.profile!.password,
    );
    if (!secret) continue; // expectNothingLost reports it
    const key = dedupeKeyOf(secret.arn, fake.versionIdAt(secret.arn, 'AWSCURRENT')!);
    if (!announced.has(key)) problems.push(`the password ${name} has at the end was never announced`);
  }
  return problems;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test.each(CASES.map((c) => [describeCase(c), c] as const))('%s', async (_name, c) => {
  // GIVEN the world before the event (its setup's announcements forgotten) and a fault on PutEvents
  const fake = new FakeAws();
  installFake(fake);
  // WHEN the event runs with the fault, and CloudFormation does what it does next
  const run = await runScenario(fake, c.type, (f) => {
    f.published.splice(0);
    f.inject({
      command: 'PutEvents',
      kind: c.kind,
      count: c.repeat === 'once' ? 1 : Number.POSITIVE_INFINITY,
      afterApply: c.afterApply,
    });
  });
  // THEN the login-profile guarantees hold, no password is in any event, and the handover's too
  expectNothingLost(run);
  for (const password of fake.passwordsEverSeen) {
    expect(fake.published.some((e) => e.detail.includes(password))).toBe(false);
  }
  expect(handoverProblems(run)).toEqual([]);
  expect(run.faultsHit).toBeGreaterThan(0);
  // A fault on every attempt fails the first delivery: the operation does not succeed unannounced.
  if (c.repeat === 'repeated') expect(run.first.error).toBeDefined();
  // Who published: a first delivery that succeeded, once; one that failed, only where EventBridge
  // applied a PutEvents it did not answer; and a rollback that issues a password.
  const rollback = run.first.error !== undefined && ROLLBACK_ISSUES.includes(c.type) ? 1 : 0;
  if (run.first.error === undefined) {
    // (an applied PutEvents the SDK retried delivers the same event again: one dedupeKey)
    expect(fake.published.length).toBe(c.afterApply ? 2 : 1);
    expect(new Set(fake.publishedDetails().map((d) => d.dedupeKey)).size).toBe(1);
  } else if (!c.afterApply) expect(fake.published).toHaveLength(rollback);
  else expect(fake.published.length).toBeGreaterThanOrEqual(1 + rollback);
});

function describeCase(c: Case): string {
  return `${c.type}: PutEvents fails with ${c.kind} ${c.repeat}${c.afterApply ? ' after it applied' : ''}`;
}
