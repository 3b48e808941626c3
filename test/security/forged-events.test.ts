/**
 * Forged events (design invariant 6, "only CloudFormation moves a password"): anyone allowed
 * `lambda:InvokeFunction` on a handler can send it an event of their own making. Each attack below
 * is delivered as a forged event (CloudFormation's record does not change) and must make no IAM or
 * Secrets Manager call, answer FAILED with the one fixed reason, and log its own reason code. Each
 * is also shown to succeed against the same handler with its attestation replaced by one that
 * trusts the event (through the runtime kind, as only a test can), so every test here can fail.
 *
 * The second half drives genuine sequences, CloudFormation sending each event (the harness's
 * default), through the states the attested-events contract lists: they must still succeed.
 */
import { createHash } from 'node:crypto';
import {
  LoginProfileEvent,
  handlerWith as loginProfileHandlerWith,
  loginProfileKind,
} from '../../lambda/login-profile';
import { handlerWith as passwordPolicyHandlerWith, passwordPolicyKind } from '../../lambda/password-policy';
import { encodePhysicalId } from '../../lambda/password-policy/policy';
import { REFUSED_REASON, RefusalReason } from '../../lambda/runtime/attestation';
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import type { AccountPasswordPolicyResourceProperties } from '../../lib/password-policy/contract';
import {
  Delivery,
  FailedAnswer,
  Invocation,
  Props,
  STACK_ID,
  answersOf,
  createEvent,
  deleteEvent,
  lostPasswords,
  updateEvent,
} from '../tooling/fault-harness';
import { fakeAwsSuite } from '../tooling/handler-suite';
import { EventSource, createEventOf, deleteEventOf, updateEventOf } from '../tooling/lambda-fixtures';

const BG = 'BreakGlassLoginProfile';
const AL = 'AliceLoginProfile';
const PP = 'PasswordPolicy';
const OTHER_STACK = STACK_ID.replace('/app/', '/attacker/');
const STRONG: AccountPasswordPolicyResourceProperties = {
  MinimumPasswordLength: '32',
  RequireSymbols: 'true',
  RequireNumbers: 'true',
  RequireUppercaseCharacters: 'true',
  RequireLowercaseCharacters: 'true',
};
const WEAK: AccountPasswordPolicyResourceProperties = { MinimumPasswordLength: '6' };
/** The account's policy before the stack (what the policy resource's Delete restores). */
const BEFORE_STACK = { MinimumPasswordLength: 12, RequireNumbers: true };

const policySource = (properties: AccountPasswordPolicyResourceProperties): EventSource<typeof properties> => ({
  logicalResourceId: PP,
  resourceType: 'Custom::AccountPasswordPolicy',
  properties,
});

/** The handlers as CloudFormation drives them, as a forger drives them, and with attestation bypassed. */
const policyHandler = answersOf(passwordPolicyHandlerWith);
const forgedPolicyHandler = answersOf(passwordPolicyHandlerWith, Delivery.FORGED);
const trustingLogin = answersOf(
  (send) => loginProfileHandlerWith(send, { ...loginProfileKind, attest: async (event) => ({ event }) }),
  Delivery.FORGED,
);
const trustingPolicy = answersOf(
  (send) => passwordPolicyHandlerWith(send, { ...passwordPolicyKind, attest: async (event) => ({ event }) }),
  Delivery.FORGED,
);

const { fake, run } = fakeAwsSuite();
let breakGlassSecret: string;
let aliceSecret: string;
let policyPhysicalId: string;

/** Digests of everything an attack could change (no password is ever held in a failure message). */
function accountState(): string {
  const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
  return JSON.stringify({
    users: [...fake().users.values()].map((u) => [u.name, Object.fromEntries(u.tags), digest(u.profile ?? null)]),
    secrets: [...fake().secrets.keys()].map((arn) => [
      arn,
      digest(fake().stagesOf(arn)),
      digest(fake().valueAt(arn, 'AWSCURRENT') ?? null),
    ]),
    policy: fake().passwordPolicy ?? null,
  });
}

async function genuine(event: unknown, fn?: typeof policyHandler): Promise<Invocation> {
  const result = await run(event, fn ? { fn: fn as never } : {});
  if (result.error !== undefined) throw new Error(`a genuine event failed: ${String(result.error)}`);
  return result;
}

/** The reason codes the invocation logged for refusals. */
function reasonsIn(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { reason?: string })
    .flatMap((entry) => (entry.reason === undefined ? [] : [entry.reason]));
}

beforeEach(async () => {
  // GIVEN a deployed stack: a break-glass user and an ordinary user, each with a login profile and
  // its own secret, and the account password policy (the account had one before the stack)
  fake().createUser('breakglass');
  fake().createUser('alice');
  fake().createUser('mallory');
  breakGlassSecret = fake().createSecret('breakglass-password');
  aliceSecret = fake().createSecret('alice-password');
  fake().passwordPolicy = { ...BEFORE_STACK };
  policyPhysicalId = (await genuine(createEventOf(policySource(STRONG)), policyHandler)).response!.PhysicalResourceId;
  await genuine(createEvent(BG, { UserName: 'breakglass', SecretArn: breakGlassSecret }));
  await genuine(createEvent(AL, { UserName: 'alice', SecretArn: aliceSecret }));
  fake().forgetCalls();
});

const bg = (): Props => ({ UserName: 'breakglass', SecretArn: breakGlassSecret });
const alice = (): Props => ({ UserName: 'alice', SecretArn: aliceSecret });

/** Puts CloudFormation in the middle of a genuine Update of Alice's login profile (the record shows `shown`). */
function aliceUpdateInProgress(shown: Props, stackStatus = 'UPDATE_IN_PROGRESS'): void {
  fake().cloudFormation.setStackStatus(stackStatus);
  fake().cloudFormation.setResource(AL, {
    resourceType: 'Custom::ConsoleLoginProfile',
    status: 'UPDATE_IN_PROGRESS',
    physicalResourceId: 'alice',
    properties: { PasswordLength: '24', PasswordResetRequired: 'true', ...shown },
  });
}

interface Attack {
  /** What the forger does. */
  readonly name: string;
  readonly reason: RefusalReason;
  readonly policy?: boolean;
  /** CloudFormation's state when the forged event arrives (default: the deployed stack, nothing in progress). */
  readonly during?: () => void;
  readonly event: () => unknown;
  /** Whether the attack did what it aims at (checked after the bypassed handler ran it). */
  readonly succeeded: () => boolean;
}

const ATTACKS: Attack[] = [
  {
    name: "a Create pairing the break-glass user with an ordinary user's secret (takeover)",
    reason: 'not-in-progress',
    event: () => createEvent(AL, { UserName: 'breakglass', SecretArn: aliceSecret }),
    succeeded: () =>
      fake().valueAt(aliceSecret, 'AWSCURRENT')?.username === 'breakglass' &&
      fake().valueAt(aliceSecret, 'AWSCURRENT')?.password === fake().profileOf('breakglass')?.password,
  },
  {
    name: 'the same takeover under a logical ID the stack does not have',
    reason: 'no-such-resource',
    event: () => createEvent('Forged', { UserName: 'breakglass', SecretArn: aliceSecret }),
    succeeded: () => fake().valueAt(aliceSecret, 'AWSCURRENT')?.username === 'breakglass',
  },
  {
    name: "the same takeover while CloudFormation creates Alice's profile (the record names Alice and her secret)",
    reason: 'record-contradicts-event',
    during: () => {
      fake().cloudFormation.setStackStatus('UPDATE_IN_PROGRESS');
      fake().cloudFormation.setResource(AL, {
        resourceType: 'Custom::ConsoleLoginProfile',
        status: 'CREATE_IN_PROGRESS',
        properties: { UserName: 'alice', SecretArn: aliceSecret, PasswordLength: '24', PasswordResetRequired: 'true' },
      });
    },
    event: () => createEvent(AL, { UserName: 'breakglass', SecretArn: aliceSecret }),
    succeeded: () => fake().valueAt(aliceSecret, 'AWSCURRENT')?.username === 'breakglass',
  },
  {
    name: 'an Update with a new ResetToken outside any stack operation (a new break-glass password)',
    reason: 'not-in-progress',
    event: () => updateEvent(BG, 'breakglass', { ...bg(), ResetToken: 'forged' }, bg()),
    succeeded: () => fake().valueAt(breakGlassSecret, 'AWSPREVIOUS') !== undefined,
  },
  {
    name: "a Delete of the break-glass user's profile",
    reason: 'not-in-progress',
    event: () => deleteEvent(BG, 'breakglass', bg()),
    succeeded: () => fake().profileOf('breakglass') === undefined,
  },
  {
    name: 'a Delete naming the break-glass user as a replaced physical ID, outside the cleanup phase',
    reason: 'not-cleanup-phase',
    event: () => deleteEvent(AL, 'breakglass', bg()),
    succeeded: () => fake().profileOf('breakglass') === undefined,
  },
  {
    name: "a Create with another stack's StackId (moves the user's stack tag)",
    reason: 'foreign-stack',
    event: () => ({ ...createEvent(BG, bg()), StackId: OTHER_STACK }),
    succeeded: () => fake().tagsOf('breakglass')[STACK_TAG_KEY] === OTHER_STACK,
  },
  {
    name: 'an event of another resource type naming a login profile (the IAM user of the stack, say)',
    reason: 'wrong-resource-type',
    during: () =>
      fake().cloudFormation.setResource('BreakGlassUser', {
        resourceType: 'AWS::IAM::User',
        status: 'CREATE_IN_PROGRESS',
        properties: {
          UserName: 'breakglass',
          SecretArn: aliceSecret,
          PasswordLength: '24',
          PasswordResetRequired: 'true',
        },
      }),
    event: () => createEvent('BreakGlassUser', { UserName: 'breakglass', SecretArn: aliceSecret }),
    succeeded: () => fake().valueAt(aliceSecret, 'AWSCURRENT')?.username === 'breakglass',
  },
  {
    name: 'a forged OldResourceProperties during a genuine rename (deletes the profile of the user it names)',
    reason: 'old-user-not-recorded',
    during: () => aliceUpdateInProgress({ UserName: 'mallory', SecretArn: aliceSecret }),
    event: () => updateEvent(AL, 'alice', { UserName: 'mallory', SecretArn: aliceSecret }, bg()),
    succeeded: () => fake().profileOf('breakglass') === undefined,
  },
  {
    name: "an Update moving Alice's resource to another physical ID during its genuine Update",
    reason: 'physical-id-mismatch',
    during: () => aliceUpdateInProgress({ ...alice(), PasswordResetRequired: 'false' }),
    event: () => updateEvent(AL, 'breakglass', { ...bg(), PasswordResetRequired: 'false', ResetToken: 'x' }, bg()),
    succeeded: () => fake().valueAt(breakGlassSecret, 'AWSPREVIOUS') !== undefined,
  },
  {
    name: 'an Update pairing a new secret while the record keeps showing the old properties',
    reason: 'record-not-current',
    during: () => aliceUpdateInProgress(alice()),
    event: () => updateEvent(AL, 'alice', { UserName: 'alice', SecretArn: breakGlassSecret }, alice()),
    succeeded: () => fake().valueAt(breakGlassSecret, 'AWSCURRENT')?.username === 'alice',
  },
  {
    name: 'an Update of the password policy that weakens it',
    reason: 'not-in-progress',
    policy: true,
    event: () => updateEventOf(policySource(WEAK), policyPhysicalId, STRONG),
    succeeded: () => fake().passwordPolicy?.MinimumPasswordLength === 6,
  },
  {
    name: 'a Delete of the password policy (restores the policy from before the stack)',
    reason: 'not-in-progress',
    policy: true,
    event: () => deleteEventOf(policySource(STRONG), policyPhysicalId),
    succeeded: () => fake().passwordPolicy?.MinimumPasswordLength === 12,
  },
  {
    name: 'a Delete of the password policy whose physical ID encodes a weak policy to "restore"',
    reason: 'physical-id-mismatch',
    policy: true,
    event: () => deleteEventOf(policySource(STRONG), encodePhysicalId({ MinimumPasswordLength: 6 })),
    succeeded: () => fake().passwordPolicy?.MinimumPasswordLength === 6,
  },
  {
    name: 'a weaker policy sent while CloudFormation updates the policy to a stronger one',
    reason: 'record-contradicts-event',
    policy: true,
    during: () =>
      fake().cloudFormation.setResource(PP, {
        resourceType: 'Custom::AccountPasswordPolicy',
        status: 'UPDATE_IN_PROGRESS',
        physicalResourceId: policyPhysicalId,
        properties: { ...STRONG, MinimumPasswordLength: '40' },
      }),
    event: () => updateEventOf(policySource(WEAK), policyPhysicalId, STRONG),
    succeeded: () => fake().passwordPolicy?.MinimumPasswordLength === 6,
  },
];

describe('a forged event changes nothing', () => {
  test.each(ATTACKS.map((a) => [a.name, a] as const))('%s', async (_name, attack) => {
    // GIVEN CloudFormation's state when the event arrives
    attack.during?.();
    const before = accountState();
    // WHEN the forged event arrives
    const result = await run(attack.event(), attack.policy ? { fn: forgedPolicyHandler as never } : { forged: true });
    // THEN no IAM or Secrets Manager call, nothing changed, FAILED with the fixed reason, and the
    // reason code in the log
    expect(fake().calls).toEqual([]);
    expect(accountState()).toBe(before);
    expect(result.error).toBeInstanceOf(FailedAnswer);
    expect((result.error as FailedAnswer).answer.Reason).toBe(REFUSED_REASON);
    expect(reasonsIn(result.output)).toEqual([attack.reason]);
    expect(attack.succeeded()).toBe(false);
  });

  test.each(ATTACKS.map((a) => [a.name, a] as const))(
    '(without attestation the attack works) %s',
    async (_name, attack) => {
      attack.during?.();
      await run(attack.event(), { fn: (attack.policy ? trustingPolicy : trustingLogin) as never });
      expect(attack.succeeded()).toBe(true);
    },
  );

  test('every attack is refused for a reason of its own (the codes tell the checks apart)', () => {
    const reasons = new Set(ATTACKS.map((a) => a.reason));
    expect(reasons).toEqual(
      new Set([
        'not-in-progress',
        'no-such-resource',
        'record-contradicts-event',
        'not-cleanup-phase',
        'foreign-stack',
        'wrong-resource-type',
        'old-user-not-recorded',
        'physical-id-mismatch',
        'record-not-current',
      ]),
    );
  });

  test('the fixed reason names no resource and carries no error text', () => {
    for (const name of ['breakglass', 'alice', 'arn:', STACK_ID, BG, AL, 'Exception', 'Error']) {
      expect(REFUSED_REASON).not.toContain(name);
    }
  });

  test("a SignInUrl of the attacker's is never written, even by an event the handler trusts", async () => {
    // WHEN a trusted Update carries a sign-in URL of the attacker's, and a new token
    const event = updateEvent(BG, 'breakglass', { ...bg(), ResetToken: 'forged' }, bg()) as LoginProfileEvent;
    (event.ResourceProperties as Record<string, unknown>).SignInUrl = 'https://evil.example/console';
    const result = await run(event, { fn: trustingLogin as never });
    // THEN the secret holds the function's own account's URL
    expect(result.error).toBeUndefined();
    expect(JSON.parse(JSON.stringify(fake().valueAt(breakGlassSecret, 'AWSCURRENT'))).signInUrl).toBe(
      'https://123456789012.signin.aws.amazon.com/console',
    );
    // AND forged, the same event is refused before anything
    fake().forgetCalls();
    const forged = await run({ ...event, RequestId: 'again' }, { forged: true });
    expect(forged.error).toBeInstanceOf(FailedAnswer);
    expect(fake().calls).toEqual([]);
  });

  test('a forged cleanup Delete during a genuine cleanup phase cannot delete a profile another secret owns', async () => {
    // GIVEN the stack in its cleanup phase (some other resource was replaced)
    fake().cloudFormation.setStackStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const before = accountState();
    // WHEN a Delete names the break-glass user as Alice's replaced physical ID, with the break-glass secret
    const result = await run(deleteEvent(AL, 'breakglass', bg()), { forged: true });
    // THEN it is taken as a cleanup Delete, but ownership is checked against Alice's recorded
    // secret: the break-glass profile (owned by its own secret) stays; nothing was written
    expect(result.error).toBeUndefined();
    expect(fake().commands()).toEqual(['GetUser']);
    expect(accountState()).toBe(before);
    expect(fake().tagsOf('breakglass')[OWNER_TAG_KEY]).toBe(breakGlassSecret);
  });

  test('a forged event when CloudFormation cannot be asked (access denied) is refused: cannot-verify', async () => {
    fake().inject({ command: 'DescribeStackResource', kind: 'AccessDenied', count: 10 });
    const before = accountState();
    const result = await run(deleteEvent(BG, 'breakglass', bg()), { forged: true });
    expect(fake().calls).toEqual([]);
    expect(accountState()).toBe(before);
    expect((result.error as FailedAnswer).answer.Reason).toBe(REFUSED_REASON);
    expect(reasonsIn(result.output)).toEqual(['cannot-verify']);
  });

  test('a record without the properties metadata (a resource the library did not make) is refused', async () => {
    fake().cloudFormation.setResource('Foreign', {
      resourceType: 'Custom::ConsoleLoginProfile',
      status: 'CREATE_IN_PROGRESS',
    });
    const result = await run(createEvent('Foreign', { UserName: 'breakglass', SecretArn: aliceSecret }), {
      forged: true,
    });
    expect(fake().calls).toEqual([]);
    expect(reasonsIn(result.output)).toEqual(['no-recorded-properties']);
  });
});

describe('genuine sequences, CloudFormation sending each event', () => {
  const expectHealthy = () => expect(lostPasswords(fake())).toEqual([]);
  const password = (user: string) => fake().profileOf(user)?.password;

  test('create, then updates of the reset flag, the reset token and the password length', async () => {
    const first = password('alice');
    await genuine(updateEvent(AL, 'alice', { ...alice(), PasswordResetRequired: 'false' }, alice()));
    expect(fake().profileOf('alice')!.resetRequired).toBe(false);
    expect(password('alice') === first).toBe(true);
    const flag = { ...alice(), PasswordResetRequired: 'false' };
    await genuine(updateEvent(AL, 'alice', { ...flag, ResetToken: '2' }, flag));
    expect(password('alice') === first).toBe(false);
    const token = { ...flag, ResetToken: '2' };
    await genuine(updateEvent(AL, 'alice', { ...token, PasswordLength: '40' }, token));
    expect(fake().cloudFormation.resource(AL)!.status).toBe('UPDATE_COMPLETE');
    expectHealthy();
    // each event read CloudFormation's record once
    expect(fake().cloudFormationCommands()).toEqual(Array(3).fill('DescribeStackResource'));
  });

  test('the same updates when the record shows the OLD properties during the Update', async () => {
    fake().cloudFormation.updateShows = 'old';
    const first = password('alice');
    await genuine(updateEvent(AL, 'alice', { ...alice(), PasswordResetRequired: 'false' }, alice()));
    const flag = { ...alice(), PasswordResetRequired: 'false' };
    await genuine(updateEvent(AL, 'alice', { ...flag, ResetToken: '2' }, flag));
    await genuine(
      updateEvent(AL, 'alice', { ...flag, ResetToken: '2', PasswordLength: '40' }, { ...flag, ResetToken: '2' }),
    );
    expect(fake().profileOf('alice')!.resetRequired).toBe(false);
    expect(password('alice') === first).toBe(false);
    expectHealthy();
  });

  test('a rename, then its cleanup Delete of the old user (a replaced physical ID)', async () => {
    fake().createUser('alice2');
    const renamed = { UserName: 'alice2', SecretArn: aliceSecret };
    const update = await genuine(updateEvent(AL, 'alice', renamed, alice()));
    expect(update.response!.PhysicalResourceId).toBe('alice2');
    fake().forgetCalls();
    await genuine(deleteEvent(AL, 'alice', alice()));
    // case b: the record shows alice2; the stack was in its cleanup phase
    expect(fake().cloudFormationCommands()).toEqual(['DescribeStackResource', 'DescribeStacks']);
    expect(fake().cloudFormation.stack(STACK_ID).status).toBe('UPDATE_COMPLETE');
    expect(fake().profileOf('alice')).toBeUndefined();
    expect(fake().profileOf('alice2')).toBeDefined();
    fake().deleteUser('alice');
    expectHealthy();
  });

  test('a construct that moves (new logical ID, same user): Create of the new, then Delete of the old', async () => {
    const moved = fake().createSecret('alice-password-2');
    await genuine(createEvent('AliceMoved', { UserName: 'alice', SecretArn: moved }));
    await genuine(deleteEvent(AL, 'alice', alice()));
    expect(fake().profileOf('alice')!.password).toBe(fake().valueAt(moved, 'AWSCURRENT')!.password);
    expectHealthy();
  });

  test.each(['new', 'old'] as const)(
    'a failed Update and its rollback Update (the record shows the %s properties)',
    async (shows) => {
      fake().cloudFormation.updateShows = shows;
      const flag = { ...alice(), PasswordResetRequired: 'false' };
      fake().inject({ command: 'UpdateLoginProfile', kind: 'AccessDenied' });
      const failed = await run(updateEvent(AL, 'alice', flag, alice()));
      expect(failed.error).toBeInstanceOf(FailedAnswer);
      expect(fake().cloudFormation.resource(AL)!.status).toBe('UPDATE_FAILED');
      // the rollback: old and new swapped, the stack in UPDATE_ROLLBACK_IN_PROGRESS
      await genuine(updateEvent(AL, 'alice', alice(), flag));
      expect(fake().cloudFormation.stack(STACK_ID).status).toBe('UPDATE_ROLLBACK_COMPLETE');
      expect(fake().profileOf('alice')!.resetRequired).toBe(true);
      expectHealthy();
    },
  );

  test('a failed rename and its rollback Update, which removes the profile the failed update gave', async () => {
    fake().createUser('alice2');
    const renamed = { UserName: 'alice2', SecretArn: aliceSecret };
    // the rename's password reaches IAM, but its answer is lost: the Update fails
    fake().inject({ command: 'CreateLoginProfile', kind: 'AppliedNoAnswer' });
    const failed = await run(updateEvent(AL, 'alice', renamed, alice()));
    expect(failed.error).toBeInstanceOf(FailedAnswer);
    fake().clearFaults();
    // the rollback goes back to alice (the recorded physical ID)
    await genuine(updateEvent(AL, 'alice', alice(), renamed));
    expect(fake().profileOf('alice2')).toBeUndefined();
    expect(fake().profileOf('alice')).toBeDefined();
    fake().deleteUser('alice2');
    expectHealthy();
  });

  test('a rename whose record keeps showing the old properties is refused (record-not-current), changing nothing', async () => {
    fake().cloudFormation.updateShows = 'old';
    fake().createUser('alice2');
    const before = accountState();
    const result = await run(updateEvent(AL, 'alice', { UserName: 'alice2', SecretArn: aliceSecret }, alice()));
    expect((result.error as FailedAnswer).answer.Reason).toBe(REFUSED_REASON);
    expect(reasonsIn(result.output)).toEqual(['record-not-current']);
    expect(accountState()).toBe(before);
    // it read the record a few times, waiting between the reads
    expect(fake().cloudFormationCommands().length).toBeGreaterThan(1);
  });

  test('a failed Create and the rollback Delete that follows it', async () => {
    fake().createUser('bob');
    const bobSecret = fake().createSecret('bob-password');
    const bob = { UserName: 'bob', SecretArn: bobSecret };
    fake().inject({ command: 'CreateLoginProfile', kind: 'AppliedNoAnswer' });
    const failed = await run(createEvent('BobLoginProfile', bob));
    expect(failed.error).toBeInstanceOf(FailedAnswer);
    fake().clearFaults();
    const physicalId = (failed.error as FailedAnswer).physicalResourceId;
    expect(fake().cloudFormation.resource('BobLoginProfile')!.status).toBe('CREATE_FAILED');
    await genuine(deleteEvent('BobLoginProfile', physicalId, bob));
    expect(fake().profileOf('bob')).toBeUndefined();
    expect(fake().cloudFormation.resource('BobLoginProfile')).toBeUndefined();
    fake().deleteUser('bob');
    expectHealthy();
  });

  test('a stack delete: every profile goes, and the policy from before the stack comes back', async () => {
    await genuine(deleteEvent(AL, 'alice', alice()));
    await genuine(deleteEvent(BG, 'breakglass', bg()));
    await genuine(deleteEventOf(policySource(STRONG), policyPhysicalId), policyHandler);
    expect(fake().profileOf('alice')).toBeUndefined();
    expect(fake().profileOf('breakglass')).toBeUndefined();
    expect(fake().passwordPolicy?.MinimumPasswordLength).toBe(12);
    expect(fake().cloudFormation.stack(STACK_ID).status).toBe('DELETE_COMPLETE');
  });

  test('the policy: an Update applies the recorded policy; with the old one shown, it is refused after re-reading', async () => {
    await genuine(
      updateEventOf(policySource({ ...STRONG, MinimumPasswordLength: '40' }), policyPhysicalId, STRONG),
      policyHandler,
    );
    expect(fake().passwordPolicy?.MinimumPasswordLength).toBe(40);
    fake().cloudFormation.updateShows = 'old';
    const before = accountState();
    const refused = await run(
      updateEventOf(policySource({ ...STRONG, MinimumPasswordLength: '50' }), policyPhysicalId, {
        ...STRONG,
        MinimumPasswordLength: '40',
      }),
      { fn: policyHandler as never },
    );
    expect(reasonsIn(refused.output)).toEqual(['record-not-current']);
    expect(accountState()).toBe(before);
  });

  test('a duplicate delivery while CloudFormation waits succeeds; after it moved on, it is refused and changes nothing', async () => {
    fake().createUser('carol');
    const carolSecret = fake().createSecret('carol-password');
    const event = createEvent('CarolLoginProfile', { UserName: 'carol', SecretArn: carolSecret });
    // CloudFormation sends it; Lambda delivers it twice before the answer is in
    fake().cloudFormation.sending(event);
    for (let i = 0; i < 2; i++) {
      const again = await run(event, { forged: true });
      expect(again.error).toBeUndefined();
    }
    fake().cloudFormation.answered(event, { Status: 'SUCCESS', PhysicalResourceId: 'carol' });
    const stored = fake().valueAt(carolSecret, 'AWSCURRENT')!.password;
    expect(fake().profileOf('carol')!.password === stored).toBe(true);
    // a third delivery after CloudFormation moved on
    const before = accountState();
    fake().forgetCalls();
    const late = await run(event, { forged: true });
    expect(reasonsIn(late.output)).toEqual(['not-in-progress']);
    expect(fake().calls).toEqual([]);
    expect(accountState()).toBe(before);
  });

  test("each event logs one line of what CloudFormation's record showed, without names or ARNs", async () => {
    // GIVEN a rename: its Update, then its cleanup Delete of the old physical ID
    fake().createUser('alice2');
    const renamed = { ...alice(), UserName: 'alice2' };
    const update = await genuine(updateEvent(AL, 'alice', renamed, alice()));
    const cleanup = await genuine(deleteEvent(AL, 'alice', alice()));
    // and a forged Create of the break-glass user's profile
    const forged = await run(createEvent(BG, alice()), { forged: true });
    const observations = (output: string) =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{') && (JSON.parse(line) as { message: string }).message === 'attestation')
        .map((line) => JSON.parse(line) as Record<string, string>);
    expect(observations(update.output)).toEqual([
      {
        message: 'attestation',
        requestType: 'Update',
        logicalResourceId: AL,
        resourceStatus: 'UPDATE_IN_PROGRESS',
        physicalIdMatches: 'true',
        metadataIs: 'new',
      },
    ]);
    expect(observations(cleanup.output)).toEqual([
      {
        message: 'attestation',
        requestType: 'Delete',
        logicalResourceId: AL,
        resourceStatus: 'UPDATE_COMPLETE',
        stackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
        physicalIdMatches: 'false',
        metadataIs: 'other',
      },
    ]);
    expect(observations(forged.output)).toEqual([
      {
        message: 'attestation',
        requestType: 'Create',
        logicalResourceId: BG,
        resourceStatus: 'CREATE_COMPLETE',
        physicalIdMatches: 'false',
        metadataIs: 'other',
      },
    ]);
    for (const line of [update, cleanup, forged].flatMap((r) => observations(r.output))) {
      expect(JSON.stringify(line)).not.toMatch(/alice|breakglass|arn:/);
    }
  });

  test('Throttling on DescribeStackResource is retried, and the event goes through', async () => {
    // more throttled attempts than the SDK makes alone (4): the handler's own policy retries too
    fake().inject({ command: 'DescribeStackResource', kind: 'Throttling', count: 5 });
    await genuine(updateEvent(AL, 'alice', { ...alice(), PasswordResetRequired: 'false' }, alice()));
    expect(fake().cloudFormationCalls.map((c) => c.outcome)).toEqual([...Array(5).fill('Throttling'), 'ok']);
    expect(fake().profileOf('alice')!.resetRequired).toBe(false);
  });

  test('Throttling that outlasts the retries refuses the event (cannot-verify) without any other call', async () => {
    fake().inject({ command: 'DescribeStackResource', kind: 'Throttling', count: 1000 });
    const result = await run(updateEvent(AL, 'alice', { ...alice(), PasswordResetRequired: 'false' }, alice()));
    expect(reasonsIn(result.output)).toEqual(['cannot-verify']);
    expect(fake().calls).toEqual([]);
    expect(fake().profileOf('alice')!.resetRequired).toBe(true);
  });
});
