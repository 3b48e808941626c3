/**
 * Fault matrix: for every AWS call each event type makes, every failure that call can really
 * return, once and repeatedly (and, for writes, after the server applied the change). After the
 * handler answers and CloudFormation does what it does next (cleanup, rollback, or a retry), no
 * login profile may hold a password that is in no secret, no password may leak, and the handler
 * must answer before the Lambda timeout.
 */
import { FakeAws, Fault, FaultKind, installFake } from '../../tooling/fake-aws';
import { LAMBDA_TIMEOUT_MS, assertNoPasswordIn, invoke } from '../../tooling/fault-harness';
import { CALLS, EventType, SCENARIOS, expectNothingLost, runScenario } from '../../tooling/scenarios';

const IAM_TRANSIENT: FaultKind[] = ['Throttling', 'ServiceFailure', 'Timeout'];
const SM_TRANSIENT: FaultKind[] = ['Throttling', 'InternalServiceError', 'Timeout'];

/** The failures each call can really return (besides the ones its own semantics produce). */
const FAILURES: Record<string, FaultKind[]> = {
  GetAccountPasswordPolicy: IAM_TRANSIENT,
  GetUser: [...IAM_TRANSIENT, 'NoSuchEntity'],
  TagUser: [...IAM_TRANSIENT, 'NoSuchEntity', 'ConcurrentModification', 'LimitExceeded'],
  CreateLoginProfile: [...IAM_TRANSIENT, 'NoSuchEntity', 'PasswordPolicyViolation', 'LimitExceeded'],
  UpdateLoginProfile: [
    ...IAM_TRANSIENT,
    'EntityTemporarilyUnmodifiable',
    'NoSuchEntity',
    'PasswordPolicyViolation',
    'LimitExceeded',
  ],
  // NoSuchEntity from DeleteLoginProfile means the profile is gone (the handler treats it as done);
  // it is not injected for a profile that exists: IAM answers it only when there is none.
  DeleteLoginProfile: [...IAM_TRANSIENT, 'EntityTemporarilyUnmodifiable', 'LimitExceeded'],
  PutSecretValue: [...SM_TRANSIENT, 'LimitExceeded'],
  GetSecretValue: [...SM_TRANSIENT, 'ResourceNotFound'],
  DescribeSecret: SM_TRANSIENT,
  UpdateSecretVersionStage: [...SM_TRANSIENT, 'LimitExceeded'],
};

/** Calls that change state: their transient failures are also injected after the change applied. */
const WRITES = new Set([
  'TagUser',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'DeleteLoginProfile',
  'PutSecretValue',
  'UpdateSecretVersionStage',
]);
// A `Timeout` (no connection) never reaches the service; a call applied and never answered is
// `AppliedNoAnswer`, which has a matrix of its own (`unanswered.test.ts`).
const AMBIGUOUS: FaultKind[] = ['ServiceFailure', 'InternalServiceError'];

/**
 * Calls that never apply in that event: the user already has a profile (EntityAlreadyExists), or
 * has none to delete (NoSuchEntity).
 */
const ALWAYS_REFUSED: Partial<Record<EventType, string[]>> = {
  'new-secret': ['CreateLoginProfile'],
  'create-off': ['DeleteLoginProfile'],
};

type Repeat = 'once' | 'repeated';
interface Case {
  readonly type: EventType;
  readonly command: string;
  readonly kind: FaultKind;
  readonly repeat: Repeat;
  readonly afterApply: boolean;
}

const CASES: Case[] = [];
for (const type of Object.keys(CALLS) as EventType[]) {
  for (const command of CALLS[type]) {
    for (const kind of FAILURES[command]) {
      for (const repeat of ['once', 'repeated'] as Repeat[]) {
        CASES.push({ type, command, kind, repeat, afterApply: false });
        if (WRITES.has(command) && AMBIGUOUS.includes(kind) && !ALWAYS_REFUSED[type]?.includes(command)) {
          CASES.push({ type, command, kind, repeat, afterApply: true });
        }
      }
    }
  }
}

/** A fault on every attempt of `command` (from the `from`-th call on, if given). */
function onEveryAttempt(command: string, kind: FaultKind, options: Pick<Fault, 'afterApply' | 'from'> = {}): Fault {
  return { command, kind, count: Number.POSITIVE_INFINITY, ...options };
}

/** Several faults in one delivery, chosen where one failure changes the path the next one hits. */
const COMPOUND: { name: string; type: EventType; faults: Fault[] }[] = [
  {
    name: 'create: CreateLoginProfile applied then failed, then UpdateLoginProfile fails on every attempt',
    type: 'create',
    faults: [
      onEveryAttempt('CreateLoginProfile', 'ServiceFailure', { afterApply: true }),
      onEveryAttempt('UpdateLoginProfile', 'ServiceFailure'),
    ],
  },
  {
    name: 'create: CreateLoginProfile refused by a policy that changed, then PutSecretValue fails on the retry',
    type: 'create',
    faults: [
      { command: 'CreateLoginProfile', kind: 'PasswordPolicyViolation' },
      onEveryAttempt('PutSecretValue', 'InternalServiceError', { from: 2 }),
    ],
  },
  {
    name: 'reset-token: UpdateLoginProfile applied then failed, then DescribeSecret fails on every attempt',
    type: 'reset-token',
    faults: [
      onEveryAttempt('UpdateLoginProfile', 'ServiceFailure', { afterApply: true }),
      onEveryAttempt('DescribeSecret', 'Timeout'),
    ],
  },
  {
    name: 'reset-token: UpdateSecretVersionStage applied then failed on every attempt',
    type: 'reset-token',
    faults: [onEveryAttempt('UpdateSecretVersionStage', 'InternalServiceError', { afterApply: true })],
  },
  {
    name: 'rename: the old profile deleted, then CreateLoginProfile applied and failed on every attempt',
    type: 'rename',
    faults: [
      { command: 'DeleteLoginProfile', kind: 'ServiceFailure', afterApply: true },
      onEveryAttempt('CreateLoginProfile', 'ServiceFailure', { afterApply: true }),
      onEveryAttempt('UpdateLoginProfile', 'ServiceFailure'),
    ],
  },
  {
    name: 'new-secret: PutSecretValue applied, UpdateLoginProfile applied and failed on every attempt',
    type: 'new-secret',
    faults: [
      { command: 'PutSecretValue', kind: 'InternalServiceError', afterApply: true },
      onEveryAttempt('UpdateLoginProfile', 'ServiceFailure', { afterApply: true }),
    ],
  },
  {
    name: 'delete: GetUser throttled on every attempt, then DeleteLoginProfile unmodifiable for a while',
    type: 'delete',
    faults: [
      { command: 'GetUser', kind: 'Throttling', count: 3 },
      { command: 'DeleteLoginProfile', kind: 'EntityTemporarilyUnmodifiable', count: 3 },
    ],
  },
];

/**
 * The repeated faults again, under a 30 s Lambda timeout (the provider's timeout is a prop, 30 s
 * at least). Every call is bounded by the invocation's deadline (`CALL_CAP_MS`, and the reserve
 * for the undo), so a handler answers in time at any timeout that leaves it some budget.
 */
const SHORT_TIMEOUT_CASES = CASES.filter((c) => c.repeat === 'repeated');

/** The slowest answer in the matrix, in fake milliseconds. */
let slowest = 0;
afterAll(() => {
  // Every answer leaves the handler's safety margin (10 s) for its answer to CloudFormation, with room.
  if (process.env.RELIABILITY_REPORT)
    process.stderr.write(`fault matrix: ${CASES.length} cases, slowest answer ${slowest} ms\n`);
  expect(slowest).toBeLessThan(LAMBDA_TIMEOUT_MS - 10_000);
});

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('fault matrix', () => {
  test.each(Object.keys(CALLS) as EventType[])(
    'the matrix lists exactly the calls a fault-free %s makes',
    async (type) => {
      // GIVEN a fault-free world after the scenario's setup
      const fake = new FakeAws();
      installFake(fake);
      const context = await SCENARIOS[type].setup(fake);
      const before = fake.calls.length;
      // WHEN the event runs
      const result = await invoke(context.event);
      // THEN it succeeds and makes exactly the calls the matrix injects faults into
      expect(result.error).toBeUndefined();
      expect([...new Set(fake.calls.slice(before).map((c) => c.command))]).toEqual(CALLS[type]);
    },
  );

  test('every call of every event is failed by throttling and by a lost connection, once and on every attempt', () => {
    const missing = Object.entries(CALLS).flatMap(([type, commands]) =>
      commands.flatMap((command) =>
        (['Throttling', 'Timeout'] as const).flatMap((kind) =>
          (['once', 'repeated'] as const)
            .filter(
              (repeat) =>
                !CASES.some((c) => c.type === type && c.command === command && c.kind === kind && c.repeat === repeat),
            )
            .map((repeat) => `${type}: ${command} ${kind} ${repeat}`),
        ),
      ),
    );
    expect(missing).toEqual([]);
  });

  test('every call that changes state is also failed after it applied, in every event that makes it', () => {
    // Reads are the Get/Describe/List actions; every other call changes state, and its failure
    // after the change applied is what a retry or a rollback then meets.
    const missing = (Object.entries(CALLS) as [EventType, string[]][]).flatMap(([type, commands]) =>
      commands
        .filter((command) => !/^(Get|Describe|List)/.test(command) && !ALWAYS_REFUSED[type]?.includes(command))
        .filter((command) => !CASES.some((c) => c.type === type && c.command === command && c.afterApply))
        .map((command) => `${type}: ${command}`),
    );
    expect(missing).toEqual([]);
  });

  test.each(CASES.map((c) => [describeCase(c), c] as const))('%s', async (_name, c) => {
    // GIVEN the world before the event and a fault on one call
    const fake = new FakeAws();
    installFake(fake);
    // WHEN the event runs with the fault, and CloudFormation does what it does next
    const run = await runScenario(fake, c.type, (f) =>
      f.inject({
        command: c.command,
        kind: c.kind,
        count: c.repeat === 'once' ? 1 : Number.POSITIVE_INFINITY,
        afterApply: c.afterApply,
      }),
    );
    // THEN no password is lost at any point, none leaks, every answer came before the timeout,
    // and the end state is the one CloudFormation believes in
    slowest = Math.max(slowest, expectNothingLost(run));
    // ...and the fault really was injected (a case whose fault never fires proves nothing)
    expect(run.faultsHit).toBeGreaterThan(0);
  });

  test.each(COMPOUND.map((c) => [c.name, c] as const))('compound: %s', async (_name, c) => {
    // GIVEN the world before the event and faults on several calls
    const fake = new FakeAws();
    installFake(fake);
    // WHEN the event runs with the faults, and CloudFormation does what it does next
    const run = await runScenario(fake, c.type, (f) => f.inject(...c.faults));
    // THEN the same guarantees hold
    expectNothingLost(run);
    expect(run.faultsHit).toBeGreaterThanOrEqual(c.faults.length);
  });

  test.each(SHORT_TIMEOUT_CASES.map((c) => [describeCase(c), c] as const))(
    'answers before a 30 s Lambda timeout when %s',
    async (_name, c) => {
      // GIVEN a provider with a short Lambda timeout and a fault on every attempt of one call
      const fake = new FakeAws();
      installFake(fake);
      const context = await SCENARIOS[c.type].setup(fake);
      fake.inject({ command: c.command, kind: c.kind, count: Number.POSITIVE_INFINITY, afterApply: c.afterApply });
      // WHEN the event runs
      const result = await invoke(context.event, { timeoutMs: 30_000 });
      // THEN the handler still answers in time, with a message
      expect(result.elapsedMs).toBeLessThan(30_000);
      assertNoPasswordIn(fake, result.output);
    },
  );
});

function describeCase(c: Case): string {
  const when = c.afterApply ? ' after the change applied' : '';
  return `${c.type}: ${c.command} fails with ${c.kind} ${c.repeat}${when}`;
}
