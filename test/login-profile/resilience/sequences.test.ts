/**
 * Replays and CloudFormation's own sequences, driven through the stateful fake: every event
 * delivered twice, deliveries that died half-way and were delivered again, and the sequences
 * CloudFormation runs around failures, renames, refactors and stack deletes.
 */
import { OWNER_TAG_KEY } from '../../../lib/login-profile/contract';
import { FakeAws, installFake } from '../../tooling/fake-aws';
import {
  Invocation,
  Props,
  createEvent,
  deleteEvent,
  leakCheckedInvocations,
  lostPasswords,
  updateEvent,
} from '../../tooling/fault-harness';
import { EventType, SCENARIOS, physicalIdAfterFailedCreate, runScenario } from '../../tooling/scenarios';

let fake: FakeAws;
beforeEach(() => {
  jest.useFakeTimers();
  fake = new FakeAws();
  installFake(fake);
});
afterEach(() => jest.useRealTimers());
// Every invocation of every test: no password in anything the handler said.
const { run, keep } = leakCheckedInvocations(() => fake);

function ok(inv: Invocation): Invocation {
  if (inv.error !== undefined) throw new Error(`expected success, got ${String(inv.error)}`);
  return inv;
}

const TYPES = Object.keys(SCENARIOS) as EventType[];
/** The calls that change state, per event type: where a delivery can die half-way. */
const WRITES: Record<EventType, string[]> = {
  'create': ['TagUser', 'PutSecretValue', 'CreateLoginProfile'],
  'reset-flag': ['UpdateLoginProfile'],
  'reset-token': ['PutSecretValue', 'UpdateLoginProfile', 'UpdateSecretVersionStage'],
  'rename': ['DeleteLoginProfile', 'TagUser', 'PutSecretValue', 'CreateLoginProfile'],
  'new-secret': ['TagUser', 'PutSecretValue', 'UpdateLoginProfile'],
  'delete': ['DeleteLoginProfile'],
  'create-off': ['TagUser', 'PutSecretValue'],
  'access-off': ['DeleteLoginProfile', 'PutSecretValue'],
  'access-on': ['TagUser', 'PutSecretValue', 'CreateLoginProfile'],
  'rename-off': ['DeleteLoginProfile', 'TagUser', 'PutSecretValue'],
};

describe('replays', () => {
  test.each(TYPES)('%s delivered twice answers the same and writes nothing new', async (type) => {
    // GIVEN the world before the event
    const context = await SCENARIOS[type].setup(fake);
    // WHEN the same event is delivered twice
    const first = ok(await run(context.event));
    const versionsAfterFirst = [...fake.secrets.keys()].map((arn) => fake.versionCount(arn));
    const profilesAfterFirst = [...fake.users.values()].map((u) => u.profile?.password);
    const second = ok(await run(context.event));
    // THEN the second answer is the first, no version was added, no password changed
    expect(second.response).toEqual(first.response);
    expect([...fake.secrets.keys()].map((arn) => fake.versionCount(arn))).toEqual(versionsAfterFirst);
    expect([...fake.users.values()].map((u) => u.profile?.password)).toEqual(profilesAfterFirst);
    expect(lostPasswords(fake)).toEqual([]);
  });

  const halfway = TYPES.flatMap((type) =>
    WRITES[type].flatMap((command) => [[type, command, 'before'] as const, [type, command, 'after'] as const]),
  );
  test.each(halfway)(
    '%s that died at %s (%s it applied) converges when delivered again',
    async (type, command, when) => {
      // GIVEN a first delivery killed during one call, before or after the call applied
      const context = await SCENARIOS[type].setup(fake);
      const versionsBefore = [...fake.secrets.keys()].map((arn) => fake.versionCount(arn));
      fake.inject({ command, kind: 'Crash', afterApply: when === 'after' });
      const first = await run(context.event);
      expect(first.timedOut).toBe(true);
      // ...the state it left holds no lost password, allowing AWSPENDING (the retry is due)
      expect(lostPasswords(fake, { allowPending: true })).toEqual([]);
      fake.clearFaults();
      // WHEN Lambda delivers the same event again
      ok(await run(context.event));
      // THEN every profile's password is AWSCURRENT, and the event wrote at most one version per secret
      expect(lostPasswords(fake)).toEqual([]);
      const added = [...fake.secrets.keys()].map((arn, i) => fake.versionCount(arn) - (versionsBefore[i] ?? 0));
      for (const n of added) expect(n).toBeLessThanOrEqual(1);
    },
  );

  test.each(halfway)(
    '%s that died at %s (%s it applied) is safe when CloudFormation gives up on it instead',
    async (type, command, when) => {
      // GIVEN / WHEN a delivery killed during one call (no answer), and CloudFormation's reaction
      // once the ServiceTimeout passed (rollback Update, the Delete after a failed Create, a
      // second stack delete)
      const result = await runScenario(fake, type, (f) =>
        f.inject({ command, kind: 'Crash', afterApply: when === 'after' }),
      );
      keep(result.first, ...result.followUps);
      // THEN nothing is lost and CloudFormation's own steps succeed
      expect(result.first.timedOut).toBe(true);
      expect(result.afterFirst).toEqual([]);
      expect(lostPasswords(fake)).toEqual([]);
      expect(result.cfnProblems).toEqual([]);
      expect(result.expectFinal()).toEqual([]);
    },
  );

  test('a Create killed right after IAM created the profile: the rollback Delete reaches the handler and removes it', async () => {
    // GIVEN a Create whose Lambda dies after CreateLoginProfile applied (no undo runs, no answer)
    // WHEN CloudFormation gives up at the ServiceTimeout and rolls back: the Delete of the login
    // profile (with a physical ID CloudFormation made up), then the secret and the user
    const result = await runScenario(fake, 'create', (f) =>
      f.inject({ command: 'CreateLoginProfile', kind: 'Crash', afterApply: true }),
    );
    keep(result.first, ...result.followUps);
    // THEN the Delete found alice through its properties and removed the profile her secret
    // owned, so the rollback deleted the user: no failed rollback, no profile left
    expect(result.first.timedOut).toBe(true);
    expect(result.followUps).toHaveLength(1);
    expect(result.followUps[0].error).toBeUndefined();
    expect(fake.profileOf('alice')).toBeUndefined();
    expect(fake.users.has('alice')).toBe(false);
    expect(result.cfnProblems).toEqual([]);
  });

  test('a Create replayed after its secret was written converges to that one version', async () => {
    // GIVEN a first delivery that wrote the secret and died before the profile
    fake.createUser('alice');
    const secret = fake.createSecret('alice-password');
    const event = createEvent('L', { UserName: 'alice', SecretArn: secret });
    fake.inject({ command: 'CreateLoginProfile', kind: 'Crash' });
    await run(event);
    expect(fake.profileOf('alice')).toBeUndefined();
    const stored = fake.valueAt(secret, 'AWSCURRENT')!.password;
    fake.clearFaults();
    // WHEN the event is delivered again
    const second = ok(await run(event));
    // THEN the profile has the password the first delivery stored, in the only version
    expect(fake.profileOf('alice')!.password).toBe(stored);
    expect(fake.versionCount(secret)).toBe(1);
    expect(second.response?.Data?.SecretVersionId).toBe(fake.versionIdAt(secret, 'AWSCURRENT'));
  });

  test('a Create replayed after the policy changed twice sets and stores the same password', async () => {
    // GIVEN a Create during which the account policy gets stricter right after the handler read
    // it: IAM refuses the first password (version 1), the handler stores and sets a second one
    fake.createUser('alice');
    const secret = fake.createSecret('alice-password');
    const event = createEvent('L', { UserName: 'alice', SecretArn: secret });
    fake.passwordPolicy = { MinimumPasswordLength: 8 };
    fake.beforeCall = (command, n) => {
      if (command === 'PutSecretValue' && n === 1) fake.passwordPolicy = { MinimumPasswordLength: 40 };
    };
    ok(await run(event));
    expect(fake.versionCount(secret)).toBe(2);
    // WHEN the policy is relaxed again and the same event is delivered again
    fake.beforeCall = undefined;
    fake.passwordPolicy = { MinimumPasswordLength: 8 };
    ok(await run(event));
    // THEN the profile's password is still the secret's AWSCURRENT one, and no version was added
    expect(lostPasswords(fake)).toEqual([]);
    expect(fake.versionCount(secret)).toBe(2);
  });

  test.each(['create', 'reset-token'] as const)(
    'a late delivery of a %s after a later reset changes nothing',
    async (type) => {
      // GIVEN an event that succeeded, then a later reset that succeeded too
      const context = await SCENARIOS[type].setup(fake);
      const secret = (context.event.ResourceProperties as { SecretArn: string }).SecretArn;
      ok(await run(context.event));
      const props = context.event.ResourceProperties as unknown as Props;
      ok(await run(updateEvent(context.event.LogicalResourceId, 'alice', { ...props, ResetToken: 'later' }, props)));
      const current = fake.profileOf('alice')!.password;
      const versions = fake.versionCount(secret);
      // WHEN the first event is delivered again, late
      ok(await run(context.event));
      // THEN the later password stays, in IAM and in AWSCURRENT, and no version was added
      expect(fake.profileOf('alice')!.password).toBe(current);
      expect(fake.valueAt(secret, 'AWSCURRENT')!.password).toBe(current);
      expect(fake.versionCount(secret)).toBe(versions);
    },
  );

  test('a reset replayed after IAM took the password but before promotion promotes that version', async () => {
    // GIVEN a reset whose delivery died after UpdateLoginProfile, before UpdateSecretVersionStage
    const context = await SCENARIOS['reset-token'].setup(fake);
    const secret = (context.event.ResourceProperties as { SecretArn: string }).SecretArn;
    fake.inject({ command: 'UpdateSecretVersionStage', kind: 'Crash' });
    await run(context.event);
    const pending = fake.valueAt(secret, 'AWSPENDING')!.password;
    expect(fake.profileOf('alice')!.password).toBe(pending);
    fake.clearFaults();
    // WHEN the event is delivered again
    ok(await run(context.event));
    // THEN the pending version became current, holds the profile's password, and no version was added
    expect(fake.valueAt(secret, 'AWSCURRENT')!.password).toBe(pending);
    expect(fake.profileOf('alice')!.password).toBe(pending);
    expect(fake.valueAt(secret, 'AWSPENDING')).toBeUndefined();
    expect(fake.versionCount(secret)).toBe(2);
  });
});

describe('CloudFormation sequences', () => {
  const props = (user: string, secret: string, extra: Partial<Props> = {}): Props => ({
    UserName: user,
    SecretArn: secret,
    ...extra,
  });

  /**
   * A new login profile "New" for alice (secret "new-path") whose Create is killed right after
   * `command` applied (no undo, no answer); then CloudFormation's rollback: the Delete with the
   * physical ID it made up, which must succeed, and the deletion of the new secret.
   */
  async function killedCreateRolledBack(command: string): Promise<void> {
    const newSecret = fake.createSecret('new-path');
    fake.inject({ command, kind: 'Crash', afterApply: true });
    const create = await run(createEvent('New', props('alice', newSecret)));
    fake.clearFaults();
    expect(create.timedOut).toBe(true);
    ok(await run(deleteEvent('New', physicalIdAfterFailedCreate(create, 'New'), props('alice', newSecret))));
    fake.deleteSecret(newSecret);
  }

  test('a failed Create removes the profile it may have set itself, before the Delete that follows', async () => {
    // GIVEN a new user and secret, and IAM applying the profile but every answer after it failing
    fake.createUser('alice');
    const secret = fake.createSecret('alice-password');
    fake.inject(
      { command: 'CreateLoginProfile', kind: 'ServiceFailure', count: Infinity, afterApply: true },
      { command: 'UpdateLoginProfile', kind: 'ServiceFailure', count: Infinity },
    );
    // WHEN the Create fails, before any other event
    const create = await run(createEvent('L', props('alice', secret)));
    fake.clearFaults();
    fake.deleteSecret(secret);
    // THEN the handler failed, the user has no profile, and CloudFormation can delete the user
    expect(create.error).toBeDefined();
    expect(fake.profileOf('alice')).toBeUndefined();
    expect(() => fake.deleteUser('alice')).not.toThrow();
  });

  test('a failed Update is undone by the rollback Update with the properties swapped', async () => {
    // GIVEN a login profile, and a reset that IAM refuses for its policy every time
    fake.createUser('alice');
    const secret = fake.createSecret('alice-password');
    const v1 = props('alice', secret, { ResetToken: 'a' });
    ok(await run(createEvent('L', v1)));
    const v2 = props('alice', secret, { ResetToken: 'b', PasswordResetRequired: 'false' });
    fake.inject({ command: 'UpdateLoginProfile', kind: 'PasswordPolicyViolation', count: Infinity });
    // WHEN the Update fails and CloudFormation rolls back
    const update = await run(updateEvent('L', 'alice', v2, v1));
    expect(update.error).toBeDefined();
    expect(lostPasswords(fake, { allowPending: true })).toEqual([]);
    fake.clearFaults();
    const rollback = ok(await run(updateEvent('L', 'alice', v1, v2)));
    // THEN the profile holds the AWSCURRENT password with the old settings
    expect(rollback.response?.PhysicalResourceId).toBe('alice');
    expect(fake.profileOf('alice')).toEqual({
      password: fake.valueAt(secret, 'AWSCURRENT')!.password,
      resetRequired: true,
    });
    expect(fake.valueAt(secret, 'AWSPENDING')).toBeUndefined();
  });

  test('a renamed user: new physical ID, the old profile gone before CloudFormation deletes the old user', async () => {
    // GIVEN a ConsoleUser alice with a login profile
    fake.createUser('alice');
    const secret = fake.createSecret('console-password');
    ok(await run(createEvent('L', props('alice', secret))));
    // WHEN its userName becomes bob: CloudFormation creates bob, updates the profile, then in
    // cleanup deletes the old physical ID and the old user
    fake.createUser('bob');
    const update = ok(await run(updateEvent('L', 'alice', props('bob', secret), props('alice', secret))));
    ok(await run(deleteEvent('L', 'alice', props('alice', secret))));
    // THEN bob has the profile, its password is the secret's current one, and alice can be deleted
    expect(update.response?.PhysicalResourceId).toBe('bob');
    expect(fake.profileOf('bob')!.password).toBe(fake.valueAt(secret, 'AWSCURRENT')!.password);
    expect(fake.valueAt(secret, 'AWSCURRENT')!.username).toBe('bob');
    expect(() => fake.deleteUser('alice')).not.toThrow();
    expect(lostPasswords(fake)).toEqual([]);
  });

  test('a moved construct (new logical ID, same user) leaves the user with a profile whose password is in the new secret', async () => {
    // GIVEN an imported user with a login profile from construct L1
    fake.createUser('alice');
    const oldSecret = fake.createSecret('old-path');
    ok(await run(createEvent('Old', props('alice', oldSecret))));
    // WHEN the construct moves: CloudFormation creates L2 (with its new secret), then deletes L1
    // and L1's secret
    const newSecret = fake.createSecret('new-path');
    ok(await run(createEvent('New', props('alice', newSecret))));
    ok(await run(deleteEvent('Old', 'alice', props('alice', oldSecret))));
    fake.deleteSecret(oldSecret);
    // THEN the user still has a profile, its password is the new secret's current one, and the
    // new secret owns the user
    expect(fake.profileOf('alice')!.password).toBe(fake.valueAt(newSecret, 'AWSCURRENT')!.password);
    expect(fake.tagsOf('alice')[OWNER_TAG_KEY]).toBe(newSecret);
    expect(lostPasswords(fake)).toEqual([]);
  });

  test('a moved construct whose new Create fails gives the user back to the old secret', async () => {
    // GIVEN a user whose profile belongs to construct L1
    fake.createUser('alice');
    const oldSecret = fake.createSecret('old-path');
    ok(await run(createEvent('Old', props('alice', oldSecret))));
    const before = fake.profileOf('alice')!.password;
    // WHEN the move's new Create fails (IAM refuses every password) and the update rolls back:
    // the Delete of L2 (with its FAILED answer's physical ID), its new secret deleted, L1 untouched
    const newSecret = fake.createSecret('new-path');
    fake.inject({ command: 'UpdateLoginProfile', kind: 'PasswordPolicyViolation', count: Infinity });
    const create = await run(createEvent('New', props('alice', newSecret)));
    fake.clearFaults();
    ok(await run(deleteEvent('New', physicalIdAfterFailedCreate(create, 'New'), props('alice', newSecret))));
    fake.deleteSecret(newSecret);
    // THEN the profile keeps L1's password, L1 owns the user again, and a later stack delete
    // through L1 removes the profile so that the user can go
    expect(create.error).toBeDefined();
    expect(fake.profileOf('alice')!.password).toBe(before);
    expect(fake.valueAt(oldSecret, 'AWSCURRENT')!.password).toBe(before);
    expect(fake.tagsOf('alice')[OWNER_TAG_KEY]).toBe(oldSecret);
    ok(await run(deleteEvent('Old', 'alice', props('alice', oldSecret))));
    expect(fake.profileOf('alice')).toBeUndefined();
    expect(() => fake.deleteUser('alice')).not.toThrow();
  });

  test('known limit: a moved construct whose new Create is killed after it claimed the user loses the profile, and nothing else', async () => {
    // GIVEN a user whose profile belongs to construct L1
    fake.createUser('alice');
    const oldSecret = fake.createSecret('old-path');
    ok(await run(createEvent('Old', props('alice', oldSecret))));
    // WHEN the move's new Create is killed right after it tagged the user (no undo runs), and the
    // rollback sends its Delete (physical ID made up) and deletes its secret
    await killedCreateRolledBack('TagUser');
    // THEN the Delete removed the profile (the owner tag named the killed Create's secret, and the
    // handler cannot know whether that Create set its password): L1's secret now opens nothing,
    // but no profile holds a password that is nowhere, and L1's own Delete and the user's succeed
    expect(fake.profileOf('alice')).toBeUndefined();
    expect(lostPasswords(fake)).toEqual([]);
    ok(await run(deleteEvent('Old', 'alice', props('alice', oldSecret))));
    expect(() => fake.deleteUser('alice')).not.toThrow();
  });

  test('a login profile added again for a user whose earlier one was removed, killed right after CreateLoginProfile: the rollback Delete removes it', async () => {
    // GIVEN an imported user whose earlier login profile (construct L1) was removed from the stack:
    // its Delete removed the profile, and the owner tag still names L1's secret
    fake.createUser('alice');
    const oldSecret = fake.createSecret('old-path');
    ok(await run(createEvent('Old', props('alice', oldSecret))));
    ok(await run(deleteEvent('Old', 'alice', props('alice', oldSecret))));
    fake.deleteSecret(oldSecret);
    expect(fake.tagsOf('alice')[OWNER_TAG_KEY]).toBe(oldSecret);
    // WHEN a new login profile L2 is added, its Create is killed right after IAM created the
    // profile, and CloudFormation rolls back (the Delete, a made-up physical ID, then the secret)
    await killedCreateRolledBack('CreateLoginProfile');
    // THEN no profile holds the password of the deleted secret. This needs the Create to claim the
    // user (TagUser) before it sets the password: claimed afterwards, the stale tag would make the
    // Delete leave the profile. So the previous owner cannot be read after CreateLoginProfile
    // either: the claim has replaced it by then; only a read before the claim (GetUser) has it.
    expect(fake.profileOf('alice')).toBeUndefined();
    expect(lostPasswords(fake)).toEqual([]);
  });

  test('a stack delete removes the profile before the user (and the fake IAM refuses the other order)', async () => {
    // GIVEN a ConsoleUser with a login profile
    fake.createUser('alice');
    const secret = fake.createSecret('alice-password');
    ok(await run(createEvent('L', props('alice', secret))));
    // THEN IAM refuses to delete the user while the profile exists (the fake enforces it)
    expect(() => fake.deleteUser('alice')).toThrow(/login profile/);
    // WHEN the stack is deleted: the custom resource (which depends on the user) goes first
    ok(await run(deleteEvent('L', 'alice', props('alice', secret))));
    // THEN the user can be deleted
    expect(fake.profileOf('alice')).toBeUndefined();
    expect(() => fake.deleteUser('alice')).not.toThrow();
  });

  test('a reset-flag Update after the profile was deleted by hand gives it back with the stored password', async () => {
    // GIVEN a login profile that someone deleted by hand
    fake.createUser('alice');
    const secret = fake.createSecret('alice-password');
    const v1 = props('alice', secret);
    ok(await run(createEvent('L', v1)));
    fake.users.get('alice')!.profile = undefined;
    // WHEN only the reset flag changes
    ok(await run(updateEvent('L', 'alice', { ...v1, PasswordResetRequired: 'false' }, v1)));
    // THEN the profile is back, with the secret's current password and the new flag, and no new version
    expect(fake.profileOf('alice')).toEqual({
      password: fake.valueAt(secret, 'AWSCURRENT')!.password,
      resetRequired: false,
    });
    expect(fake.versionCount(secret)).toBe(1);
  });

  test('a Delete of a user that is already gone succeeds', async () => {
    // GIVEN a secret whose user no longer exists
    const secret = fake.createSecret('alice-password');
    // WHEN the Delete arrives
    const result = await run(deleteEvent('L', 'alice', props('alice', secret)));
    // THEN it succeeds with the user name as physical ID
    expect(result.error).toBeUndefined();
    expect(result.response?.PhysicalResourceId).toBe('alice');
  });
});
