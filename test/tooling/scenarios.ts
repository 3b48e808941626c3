/**
 * The event types of the fault matrix, each with the world before it, its event, and what
 * CloudFormation does after the handler answers (success: cleanup; failure: rollback, or a retry).
 */
import type { LoginProfileEvent as CustomResourceEventBase } from '../../lambda/login-profile';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { FakeAws } from './fake-aws';
import {
  FailedAnswer,
  Invocation,
  LAMBDA_TIMEOUT_MS,
  Props,
  assertNoPasswordIn,
  createEvent,
  deleteEvent,
  SIGN_IN_URL,
  invoke,
  lostPasswords,
  updateEvent,
} from './fault-harness';

export type EventType =
  | 'create'
  | 'reset-flag'
  | 'reset-token'
  | 'rename'
  | 'new-secret'
  | 'delete'
  | 'create-off'
  | 'access-off'
  | 'access-on'
  | 'rename-off';

/**
 * What each event type calls, fault-free. `test/login-profile/resilience/faults.test.ts` checks these lists
 * against the handler, so the fault matrices built from them cannot go stale.
 */
export const CALLS: Record<EventType, string[]> = {
  'create': ['GetUser', 'TagUser', 'GetAccountPasswordPolicy', 'PutSecretValue', 'CreateLoginProfile'],
  'reset-flag': ['UpdateLoginProfile'],
  'reset-token': [
    'GetAccountPasswordPolicy',
    'PutSecretValue',
    'UpdateLoginProfile',
    'DescribeSecret',
    'UpdateSecretVersionStage',
  ],
  'rename': [
    'GetUser',
    'DeleteLoginProfile',
    'TagUser',
    'GetAccountPasswordPolicy',
    'PutSecretValue',
    'CreateLoginProfile',
  ],
  'new-secret': [
    'GetUser',
    'TagUser',
    'GetAccountPasswordPolicy',
    'PutSecretValue',
    'CreateLoginProfile',
    'UpdateLoginProfile',
  ],
  'delete': ['GetUser', 'DeleteLoginProfile'],
  'create-off': ['DescribeSecret', 'GetUser', 'TagUser', 'DeleteLoginProfile', 'PutSecretValue'],
  'access-off': ['DescribeSecret', 'GetUser', 'DeleteLoginProfile', 'PutSecretValue'],
  'access-on': ['GetUser', 'TagUser', 'GetAccountPasswordPolicy', 'PutSecretValue', 'CreateLoginProfile'],
  'rename-off': ['DescribeSecret', 'GetUser', 'DeleteLoginProfile', 'TagUser', 'PutSecretValue'],
};

/** What a run of a scenario leaves for the assertions. */
export interface Run {
  readonly fake: FakeAws;
  readonly first: Invocation;
  readonly followUps: Invocation[];
  /** Invariant violations seen right after the first answer (AWSPENDING allowed: a retry is due). */
  readonly afterFirst: string[];
  /** CloudFormation steps that could not complete (e.g. DeleteUser refused while a profile exists). */
  readonly cfnProblems: string[];
  /** How many calls the injected fault failed during the first delivery. */
  readonly faultsHit: number;
  /** Human-readable summary of what the scenario expects at the end, checked by `expectFinal`. */
  readonly expectFinal: () => string[];
}

interface Scenario {
  /** Builds the world before the event (deploys done fault-free). */
  setup(fake: FakeAws): Promise<Context>;
}

interface Context {
  readonly event: CustomResourceEventBase;
  /** CloudFormation's reaction to a successful event. */
  onSuccess(inv: Invocation): Promise<Invocation[]>;
  /** CloudFormation's reaction to a failed event (one that answered FAILED, or never answered). */
  onFailure(first: Invocation): Promise<Invocation[]>;
  /** Problems with the final state, given whether the event (or its rollback) won. */
  final(succeeded: boolean): string[];
  readonly cfnProblems: string[];
}

const L = 'AliceLoginProfile';

/**
 * The physical ID CloudFormation's Delete after a failed Create carries: the one the FAILED
 * answer gave, or, when the Create never answered, one CloudFormation made up.
 */
export function physicalIdAfterFailedCreate(first: Invocation, logicalId = L): string {
  return first.error instanceof FailedAnswer ? first.error.physicalResourceId : `app-${logicalId}-1A2B3C4D5E6F`;
}

async function deploy(event: CustomResourceEventBase): Promise<void> {
  const result = await invoke(event);
  if (result.error !== undefined) throw new Error(`setup deploy failed: ${String(result.error)}`);
}

function deleteUserAsCfn(fake: FakeAws, name: string, problems: string[]): void {
  try {
    fake.deleteUser(name);
  } catch (error) {
    problems.push(`CloudFormation could not delete user ${name}: ${(error as Error).name}`);
  }
}

/** The profile of `user` exists, its password is `secret`'s AWSCURRENT, and its reset flag is `reset`. */
function expectProfile(fake: FakeAws, user: string, secret: string, reset?: boolean): string[] {
  const profile = fake.profileOf(user);
  if (!profile) return [`${user} has no login profile`];
  const problems: string[] = [];
  if (fake.valueAt(secret, 'AWSCURRENT')?.password !== profile.password) {
    problems.push(`${user}'s password is not the AWSCURRENT of its secret`);
  }
  if (reset !== undefined && profile.resetRequired !== reset) problems.push(`${user}'s reset flag is not ${reset}`);
  return problems;
}

/**
 * Console access of `user` is off: no login profile, and the secret's AWSCURRENT value is the off
 * value naming the user, with no password (nor one staged AWSPENDING).
 */
export function expectAccessOff(fake: FakeAws, user: string, secret: string): string[] {
  const problems: string[] = [];
  if (fake.profileOf(user)) problems.push(`${user} has a login profile while console access is off`);
  const current = fake.valueAt(secret, 'AWSCURRENT') as Record<string, unknown> | undefined;
  const expected = { username: user, signInUrl: SIGN_IN_URL, consoleAccess: 'off' };
  if (JSON.stringify(current) !== JSON.stringify(expected)) {
    problems.push(
      `the AWSCURRENT value of ${user}'s secret is not the off value (keys: ${Object.keys(current ?? {})})`,
    );
  }
  if (fake.valueAt(secret, 'AWSPENDING')?.password !== undefined) problems.push('a password is staged AWSPENDING');
  return problems;
}

/** alice with a login profile whose password is in `secretName`: the world an Update or a Delete starts from. */
async function deployedAlice(
  fake: FakeAws,
  secretName: string,
  extra: Partial<Props> = {},
): Promise<{ secret: string; oldProps: Props }> {
  fake.createUser('alice');
  const secret = fake.createSecret(secretName);
  const oldProps: Props = { UserName: 'alice', SecretArn: secret, ...extra };
  await deploy(createEvent(L, oldProps));
  return { secret, oldProps };
}

/** CloudFormation's rollback of a failed Update of alice's profile: the same Update with the properties swapped. */
function rollbackUpdate(props: Props, oldProps: Props): Promise<Invocation> {
  return invoke(updateEvent(L, 'alice', oldProps, props));
}

export const SCENARIOS: Record<EventType, Scenario> = {
  'create': {
    async setup(fake) {
      fake.createUser('alice');
      const secret = fake.createSecret('alice-password');
      const props: Props = { UserName: 'alice', SecretArn: secret };
      const cfnProblems: string[] = [];
      return {
        event: createEvent(L, props),
        cfnProblems,
        onSuccess: async () => [],
        // The rollback deletes what the stack created, dependents first: the login profile (its
        // Delete reaches the handler), then the secret and the user.
        onFailure: async (first) => {
          const del = await invoke(deleteEvent(L, physicalIdAfterFailedCreate(first), props));
          if (del.error !== undefined) cfnProblems.push(`the rollback's Delete failed: ${String(del.error)}`);
          fake.deleteSecret(secret);
          deleteUserAsCfn(fake, 'alice', cfnProblems);
          return [del];
        },
        final: (ok) =>
          ok
            ? expectProfile(fake, 'alice', secret, true)
            : fake.users.has('alice')
              ? ['alice should have been deleted by the rollback']
              : [],
      };
    },
  },
  'reset-flag': {
    async setup(fake) {
      const { secret, oldProps } = await deployedAlice(fake, 'alice-password');
      const props: Props = { ...oldProps, PasswordResetRequired: 'false' };
      const before = fake.profileOf('alice')!.password;
      return {
        event: updateEvent(L, 'alice', props, oldProps),
        cfnProblems: [],
        onSuccess: async () => [],
        onFailure: async () => [await rollbackUpdate(props, oldProps)],
        final: (ok) => [
          ...expectProfile(fake, 'alice', secret, !ok),
          ...(fake.profileOf('alice')?.password === before ? [] : ['the reset flag changed the password']),
        ],
      };
    },
  },
  'reset-token': {
    async setup(fake) {
      const { secret, oldProps } = await deployedAlice(fake, 'alice-password', { ResetToken: '1' });
      const props: Props = { ...oldProps, ResetToken: '2' };
      const before = fake.profileOf('alice')!.password;
      return {
        event: updateEvent(L, 'alice', props, oldProps),
        cfnProblems: [],
        onSuccess: async () => [],
        onFailure: async () => [await rollbackUpdate(props, oldProps)],
        final: () => [
          ...expectProfile(fake, 'alice', secret, true),
          // Both the reset and its rollback issue a new password (a rollback cannot un-issue one).
          ...(fake.profileOf('alice')?.password !== before ? [] : ['the reset did not issue a new password']),
        ],
      };
    },
  },
  'rename': {
    // A ConsoleUser whose userName changed: CloudFormation creates user bob, updates the login
    // profile (new physical ID), and in cleanup deletes the old physical ID and then user alice.
    async setup(fake) {
      const { secret, oldProps } = await deployedAlice(fake, 'user-password');
      fake.createUser('bob');
      const props: Props = { UserName: 'bob', SecretArn: secret };
      const cfnProblems: string[] = [];
      return {
        event: updateEvent(L, 'alice', props, oldProps),
        cfnProblems,
        onSuccess: async (inv) => {
          if (inv.response?.PhysicalResourceId !== 'bob')
            cfnProblems.push('the rename did not return bob as physical ID');
          const cleanup = await invoke(deleteEvent(L, 'alice', oldProps));
          if (cleanup.error === undefined) deleteUserAsCfn(fake, 'alice', cfnProblems);
          else cfnProblems.push('cleanup Delete of alice failed');
          return [cleanup];
        },
        onFailure: async () => {
          const rollback = await rollbackUpdate(props, oldProps);
          // The rollback's cleanup deletes the user the failed update created.
          deleteUserAsCfn(fake, 'bob', cfnProblems);
          return [rollback];
        },
        final: (ok) => (ok ? expectProfile(fake, 'bob', secret, true) : expectProfile(fake, 'alice', secret, true)),
      };
    },
  },
  'new-secret': {
    // The secret was replaced (e.g. secretName changed): the new, empty secret gets a password.
    async setup(fake) {
      const { secret: oldSecret, oldProps } = await deployedAlice(fake, 'old-name');
      const newSecret = fake.createSecret('new-name');
      const props: Props = { UserName: 'alice', SecretArn: newSecret };
      return {
        event: updateEvent(L, 'alice', props, oldProps),
        cfnProblems: [],
        onSuccess: async () => {
          fake.deleteSecret(oldSecret);
          return [];
        },
        onFailure: async () => {
          const rollback = await rollbackUpdate(props, oldProps);
          fake.deleteSecret(newSecret);
          return [rollback];
        },
        final: (ok) => expectProfile(fake, 'alice', ok ? newSecret : oldSecret, true),
      };
    },
  },
  'delete': {
    // Stack delete with the user in the same stack: the profile must go before the user.
    async setup(fake) {
      const { secret, oldProps: props } = await deployedAlice(fake, 'alice-password');
      const cfnProblems: string[] = [];
      const finish = () => {
        deleteUserAsCfn(fake, 'alice', cfnProblems);
        fake.deleteSecret(secret);
      };
      return {
        event: deleteEvent(L, 'alice', props),
        cfnProblems,
        onSuccess: async () => {
          finish();
          return [];
        },
        // DELETE_FAILED; the operator deletes the stack again: a new Delete event.
        onFailure: async () => {
          const retry = await invoke(deleteEvent(L, 'alice', props));
          if (retry.error === undefined) finish();
          else cfnProblems.push('the second stack delete failed too');
          return [retry];
        },
        final: () => (fake.users.has('alice') ? ['alice was not deleted'] : []),
      };
    },
  },
  'create-off': {
    // A login profile declared with console access off from the start.
    async setup(fake) {
      fake.createUser('alice');
      const secret = fake.createSecret('alice-password');
      const props: Props = { UserName: 'alice', SecretArn: secret, ConsoleAccess: 'false' };
      const cfnProblems: string[] = [];
      return {
        event: createEvent(L, props),
        cfnProblems,
        onSuccess: async () => [],
        onFailure: async (first) => {
          const del = await invoke(deleteEvent(L, physicalIdAfterFailedCreate(first), props));
          if (del.error !== undefined) cfnProblems.push(`the rollback's Delete failed: ${String(del.error)}`);
          fake.deleteSecret(secret);
          deleteUserAsCfn(fake, 'alice', cfnProblems);
          return [del];
        },
        final: (ok) =>
          ok
            ? [
                ...expectAccessOff(fake, 'alice', secret),
                ...(fake.tagsOf('alice')[OWNER_TAG_KEY] === secret ? [] : ['alice is not claimed for her secret']),
              ]
            : fake.users.has('alice')
              ? ['alice should have been deleted by the rollback']
              : [],
      };
    },
  },
  'access-off': {
    // Console access switched off: the rollback switches it back on (a new password).
    async setup(fake) {
      const { secret, oldProps } = await deployedAlice(fake, 'alice-password');
      const props: Props = { ...oldProps, ConsoleAccess: 'false' };
      return {
        event: updateEvent(L, 'alice', props, oldProps),
        cfnProblems: [],
        onSuccess: async () => [],
        onFailure: async () => [await rollbackUpdate(props, oldProps)],
        final: (ok) => (ok ? expectAccessOff(fake, 'alice', secret) : expectProfile(fake, 'alice', secret, true)),
      };
    },
  },
  'access-on': {
    // Console access switched back on: a new password; the rollback switches it off again.
    async setup(fake) {
      const { secret, oldProps } = await deployedAlice(fake, 'alice-password', { ConsoleAccess: 'false' });
      const props: Props = { ...oldProps, ConsoleAccess: 'true' };
      return {
        event: updateEvent(L, 'alice', props, oldProps),
        cfnProblems: [],
        onSuccess: async () => [],
        onFailure: async () => [await rollbackUpdate(props, oldProps)],
        final: (ok) => (ok ? expectProfile(fake, 'alice', secret, true) : expectAccessOff(fake, 'alice', secret)),
      };
    },
  },
  'rename-off': {
    // A rename that switches access off: the old user loses its profile, the new one gets none.
    async setup(fake) {
      const { secret, oldProps } = await deployedAlice(fake, 'user-password');
      fake.createUser('bob');
      const props: Props = { UserName: 'bob', SecretArn: secret, ConsoleAccess: 'false' };
      const cfnProblems: string[] = [];
      return {
        event: updateEvent(L, 'alice', props, oldProps),
        cfnProblems,
        onSuccess: async () => {
          const cleanup = await invoke(deleteEvent(L, 'alice', oldProps));
          if (cleanup.error === undefined) deleteUserAsCfn(fake, 'alice', cfnProblems);
          else cfnProblems.push('cleanup Delete of alice failed');
          return [cleanup];
        },
        onFailure: async () => {
          const rollback = await rollbackUpdate(props, oldProps);
          deleteUserAsCfn(fake, 'bob', cfnProblems);
          return [rollback];
        },
        final: (ok) => (ok ? expectAccessOff(fake, 'bob', secret) : expectProfile(fake, 'alice', secret, true)),
      };
    },
  },
};

/** Runs `type` with `inject` applied to the first delivery only; CloudFormation's next steps run fault-free. */
export async function runScenario(fake: FakeAws, type: EventType, inject: (fake: FakeAws) => void): Promise<Run> {
  const context = await SCENARIOS[type].setup(fake);
  inject(fake);
  const first = await invoke(context.event);
  const afterFirst = lostPasswords(fake, { allowPending: first.error !== undefined });
  const faultsHit = fake.faultsHit;
  fake.clearFaults();
  const followUps = first.error === undefined ? await context.onSuccess(first) : await context.onFailure(first);
  const won = first.error === undefined || (type !== 'create' && followUps.every((f) => f.error === undefined));
  return {
    fake,
    first,
    followUps,
    afterFirst,
    faultsHit,
    cfnProblems: context.cfnProblems,
    expectFinal: () => [
      ...context.final(first.error === undefined && won),
      ...followUps.filter((f) => f.error !== undefined).map((f) => `a follow-up event failed: ${String(f.error)}`),
    ],
  };
}

/**
 * What every failure-mode run must show: no password lost right after the first answer or at the
 * end, none in any invocation's output, every answer before the Lambda timeout, CloudFormation's
 * own steps done, and the end state the one CloudFormation believes in. Returns the slowest
 * answer, in fake milliseconds.
 */
export function expectNothingLost(run: Run): number {
  expect(run.afterFirst).toEqual([]);
  expect(lostPasswords(run.fake)).toEqual([]);
  let slowest = 0;
  for (const inv of [run.first, ...run.followUps]) {
    assertNoPasswordIn(run.fake, inv.output);
    expect(inv.elapsedMs).toBeLessThan(LAMBDA_TIMEOUT_MS);
    slowest = Math.max(slowest, inv.elapsedMs);
  }
  expect(run.cfnProblems).toEqual([]);
  expect(run.expectFinal()).toEqual([]);
  return slowest;
}
