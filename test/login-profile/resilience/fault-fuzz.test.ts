/**
 * Random fault schedules (fast-check): up to three faults on any calls, any realistic kind, from
 * any call on, for any count, before or after the change applied; then CloudFormation's next
 * step. The matrix covers every single fault; this looks for the combinations it does not list.
 */
import fc from 'fast-check';
import { FakeAws, Fault, FaultKind, installFake } from '../../tooling/fake-aws';
import { EventType, expectNothingLost, runScenario } from '../../tooling/scenarios';

const TYPES: EventType[] = [
  'create',
  'reset-flag',
  'reset-token',
  'rename',
  'new-secret',
  'delete',
  'create-off',
  'access-off',
  'access-on',
  'rename-off',
];
const COMMANDS = [
  'GetUser',
  'TagUser',
  'GetAccountPasswordPolicy',
  'PutSecretValue',
  'GetSecretValue',
  'DescribeSecret',
  'UpdateSecretVersionStage',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'DeleteLoginProfile',
];
const KINDS: FaultKind[] = [
  'Throttling',
  'ServiceFailure',
  'InternalServiceError',
  'Timeout',
  'AppliedNoAnswer',
  'EntityTemporarilyUnmodifiable',
  'PasswordPolicyViolation',
  'LimitExceeded',
  'ConcurrentModification',
  'NoSuchEntity',
];

/**
 * Only these can come after the server applied the change; a 4xx answer means it refused, and a
 * `Timeout` (no connection) never reached it. `AppliedNoAnswer` is always applied.
 */
const AMBIGUOUS: FaultKind[] = ['ServiceFailure', 'InternalServiceError'];

const fault: fc.Arbitrary<Fault> = fc
  .record({
    command: fc.constantFrom(...COMMANDS),
    kind: fc.constantFrom(...KINDS),
    from: fc.integer({ min: 1, max: 4 }),
    count: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(Number.POSITIVE_INFINITY)),
    afterApply: fc.boolean(),
  })
  .map((f) => ({ ...f, afterApply: f.afterApply && AMBIGUOUS.includes(f.kind) }))
  // IAM answers DeleteLoginProfile with NoSuchEntity only when there is no profile ("done").
  .filter((f) => !(f.command === 'DeleteLoginProfile' && f.kind === 'NoSuchEntity'));

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('no random fault schedule loses or leaks a password, or keeps the handler past its timeout', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...TYPES),
      fc.array(fault, { minLength: 1, maxLength: 3 }),
      async (type, faults) => {
        // GIVEN the world before the event; WHEN the event runs with the faults, then CloudFormation's next step
        const fake = new FakeAws();
        installFake(fake);
        const run = await runScenario(fake, type, (f) => f.inject(...faults));
        // THEN the invariants hold
        expectNothingLost(run);
      },
    ),
    { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20261126) },
  );
}, 600_000);
