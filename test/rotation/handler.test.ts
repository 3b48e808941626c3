/**
 * The rotation function's four steps against the fake: each step, each step twice, each step
 * failing, a whole rotation with every step retried, and invocations Secrets Manager did not send
 * (each refused with its reason, and shown to succeed when the check that stops it is taken away).
 */
import { createHmac } from 'node:crypto';
import type { SecretsManagerRotationEventStep } from 'aws-lambda';
import { handler } from '../../lambda/rotation';
import * as checks from '../../lambda/rotation/checks';
import { MAX_ATTEMPTS } from '../../lambda/aws/call';
import { policyViolations } from '../../lambda/password/generator';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import {
  CFN_STACK_ID_TAG_KEY,
  PENDING_VERSION_TAG_KEY,
  ROTATED_VERSION_TAG_KEY,
  ROTATION_TAGS,
} from '../../lib/rotation/contract';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { Invocation, failureOf } from '../tooling/fault-harness';
import { fakeAwsSuite } from '../tooling/handler-suite';
import { FUNCTION_ARN, SIGN_IN_URL, STACK_ID, rotationEvent, secretArn } from '../tooling/lambda-fixtures';

const ARN = secretArn('alice-password');
const TOKEN = '22222222-2222-4222-8222-222222222222';
const OLD = '11111111-1111-4111-8111-111111111111';
// Each satisfies POLICY: IAM (the fake) checks every password it is given against it.
const CURRENT_PASSWORD = 'Current-Password-1!xyzABC-0123456';
const PENDING_PASSWORD = 'Pending-Password-2@abcXYZ-6543210';
/** A password someone set by hand since setSecret. */
const HAND_PASSWORD = 'By-Hand-Password-3#defGHI-9876543';
/** What a failing assertion on an input prints instead of each password. */
const NAMES = { [CURRENT_PASSWORD]: '<current>', [PENDING_PASSWORD]: '<pending>', [HAND_PASSWORD]: '<by hand>' };
const POLICY = {
  MinimumPasswordLength: 30,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
};

/** A password someone with PutSecretValue wrote under a rotation token (they know it). */
const PLANTED_PASSWORD = 'Planted-Password-4$jklMNO-1357924';
/** The function the test invocations run as (the ARN in the harness's Lambda context). */
const THIS_FUNCTION = FUNCTION_ARN;
const OTHER_STACK_ID = STACK_ID.replace('stack/app/', 'stack/other/');

/** The tags CloudFormation puts on the secret it creates in this function's stack (aws: prefix: nobody else can). */
const CFN_TAGS = {
  [CFN_STACK_ID_TAG_KEY]: STACK_ID,
  'aws:cloudformation:stack-name': 'app',
  'aws:cloudformation:logical-id': 'AliceLoginProfileSecret1234ABCD',
};
const ROTATION_SECRET_TAGS = {
  ...CFN_TAGS,
  [ROTATION_TAGS.userName]: 'alice',
  [ROTATION_TAGS.passwordLength]: '24',
  [ROTATION_TAGS.passwordResetRequired]: 'false',
};
/** Rotation as Secrets Manager shows it once a rotation schedule names this function. */
const ROTATION_ON = { enabled: true, lambdaArn: THIS_FUNCTION };

// Whatever happened, no password the fake saw reached any output (logs, stdout, stderr, errors).
const { fake, run } = fakeAwsSuite();

interface World {
  /** Version ID -> stages. */
  readonly versions: Record<string, string[]>;
  /** Password in version TOKEN, if createSecret wrote one (else TOKEN has no value yet). */
  readonly pending?: string;
  /** The user's tags. */
  readonly userTags?: Record<string, string>;
  /** Tags of the secret (default: CloudFormation's and the rotation tags). */
  readonly secretTags?: Record<string, string>;
  /** The secret's rotation configuration (`null`: never configured). @default ROTATION_ON */
  readonly rotation?: { enabled: boolean; lambdaArn?: string } | null;
  /** The password of the user's login profile, or `false` for no profile. @default CURRENT_PASSWORD */
  readonly profile?: string | false;
}

function secretValue(password: string, username = 'alice'): string {
  return JSON.stringify({ username, password, signInUrl: SIGN_IN_URL });
}

/** The pending-version tag createSecret writes for `password` under TOKEN (see `committed` for its format). */
function pendingTag(password: string): string {
  return checks.pendingVersionTag(ARN, TOKEN, CURRENT_PASSWORD, secretValue(password));
}

/** The user's tags when createSecret wrote `pending` under TOKEN (and nothing else happened). */
function createdFor(pending: string): Record<string, string> {
  return { [OWNER_TAG_KEY]: ARN, [PENDING_VERSION_TAG_KEY]: pendingTag(pending) };
}

/** Builds the account in state `world`: the user, its profile, the policy, the secret and its versions. */
function given(world: World): void {
  fake().passwordPolicy = POLICY;
  const defaultTags = world.pending === undefined ? { [OWNER_TAG_KEY]: ARN } : createdFor(world.pending);
  fake().createUser('alice', '/', world.userTags ?? defaultTags);
  if (world.profile !== false) fake().setProfileByHand('alice', world.profile ?? CURRENT_PASSWORD);
  fake().createSecret('alice-password', {
    arn: ARN,
    tags: world.secretTags ?? ROTATION_SECRET_TAGS,
    rotation: world.rotation === null ? undefined : (world.rotation ?? ROTATION_ON),
  });
  for (const [id, stages] of Object.entries(world.versions)) {
    const password = id === OLD ? CURRENT_PASSWORD : world.pending;
    fake().putVersionByHand(ARN, id, password === undefined ? undefined : secretValue(password), stages);
  }
}

async function step(name: string, options: { timeoutMs?: number } = {}): Promise<Invocation<void>> {
  const event = rotationEvent(name as SecretsManagerRotationEventStep, ARN, TOKEN);
  return run(event, { fn: handler, ...options });
}

async function succeeds(name: string): Promise<void> {
  const { error, timedOut } = await step(name);
  expect(error).toBeUndefined();
  expect(timedOut).toBe(false);
}

/** The versions as Secrets Manager shows them after RotateSecret started a rotation to TOKEN. */
const ROTATING = { [OLD]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] };
/** The user's tags once setSecret set PENDING_PASSWORD (version TOKEN). */
const SET_ON_USER = { ...createdFor(PENDING_PASSWORD), [ROTATED_VERSION_TAG_KEY]: TOKEN };
/** The reads every step starts with. */
const DESCRIBE = { SecretId: ARN };
const READ_PENDING = { SecretId: ARN, VersionId: TOKEN, VersionStage: 'AWSPENDING' };
const READ_CURRENT = { SecretId: ARN, VersionId: undefined, VersionStage: 'AWSCURRENT' };
/** What createSecret and setSecret read before they act: the secret, its user, the pending and the current value. */
const STEP_READS = ['DescribeSecret', 'GetUser', 'GetSecretValue', 'GetSecretValue'];

beforeEach(() => {
  process.env[STACK_ID_ENV] = STACK_ID;
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env[STACK_ID_ENV];
  // the fake saw passwords, so the suite's no-password check had something to look for
  expect(fake().passwordsEverSeen.size).toBeGreaterThan(0);
});

describe('createSecret', () => {
  test('writes a new password for the live policy as AWSPENDING version ClientRequestToken', async () => {
    // GIVEN a rotation to TOKEN has started and the pending version holds no value yet
    given({ versions: ROTATING });
    // WHEN
    await succeeds('createSecret');
    // THEN it read the secret and the user (owned by this secret), found no pending value, read the
    // current one and the live policy; recorded the token and a commitment on the user, then wrote
    expect(fake().commands()).toEqual([...STEP_READS, 'GetAccountPasswordPolicy', 'TagUser', 'PutSecretValue']);
    expect(fake().inputsOf('GetUser')).toEqual([{ UserName: 'alice' }]);
    expect(fake().inputsOf('GetSecretValue')).toEqual([READ_PENDING, READ_CURRENT]);
    // and wrote exactly one version: the token, AWSPENDING only
    const value = fake().valueAt(ARN, 'AWSPENDING')!;
    const password = value.password!;
    // the tag is the token and an HMAC-SHA256 of secret, token and value keyed with the AWSCURRENT password
    const written = JSON.stringify({ username: 'alice', password, signInUrl: SIGN_IN_URL });
    const mac = createHmac('sha256', CURRENT_PASSWORD).update(`${ARN}\n${TOKEN}\n${written}`).digest('hex');
    expect(fake().inputsOf('TagUser')).toEqual([
      { UserName: 'alice', Tags: [{ Key: PENDING_VERSION_TAG_KEY, Value: `${TOKEN}/${mac}` }] },
    ]);
    expect(fake().tagsOf('alice')[PENDING_VERSION_TAG_KEY]).toBe(`${TOKEN}/${mac}`);
    expect(fake().inputsOf('PutSecretValue', { [password]: '<new>', ...NAMES })).toEqual([
      {
        SecretId: ARN,
        ClientRequestToken: TOKEN,
        SecretString: JSON.stringify({ username: 'alice', password: '<new>', signInUrl: SIGN_IN_URL }),
        VersionStages: ['AWSPENDING'],
      },
    ]);
    expect(fake().stagesOf(ARN)).toEqual({ [OLD]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    // the tagged length (24) is raised to the live policy's minimum (30), and all rules hold
    expect(password.length).toBe(30);
    expect(policyViolations(password, POLICY)).toEqual([]);
    expect(password === CURRENT_PASSWORD).toBe(false);
    // and IAM's password is untouched, AWSCURRENT is not moved
    expect(fake().profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
    expect(fake().valueAt(ARN, 'AWSCURRENT')!.password === CURRENT_PASSWORD).toBe(true);
  });

  test('run twice: the second run finds the pending value it wrote and writes nothing', async () => {
    // GIVEN the first run wrote the pending version (and its commitment on the user)
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    // WHEN
    await succeeds('createSecret');
    // THEN it only read the secret, the user and the pending and current values
    expect(fake().commands()).toEqual(STEP_READS);
    expect(fake().inputsOf('GetSecretValue')).toEqual([READ_PENDING, READ_CURRENT]);
    expect(fake().valueAt(ARN, 'AWSPENDING')!.password === PENDING_PASSWORD).toBe(true);
  });

  test('does nothing when the version is already AWSCURRENT (a finished rotation replayed)', async () => {
    given({ versions: { [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] }, pending: PENDING_PASSWORD });
    await succeeds('createSecret');
    expect(fake().commands()).toEqual(['DescribeSecret']);
    expect(fake().inputsOf('DescribeSecret')).toEqual([DESCRIBE]);
  });

  test('fails when PutSecretValue fails, and leaves AWSCURRENT and IAM as they were', async () => {
    given({ versions: ROTATING });
    // every attempt the SDK makes fails with a 5xx
    fake().inject({ command: 'PutSecretValue', kind: 'InternalServiceError', count: MAX_ATTEMPTS });
    expect(failureOf(await step('createSecret'))).toMatch(/rotation step createSecret failed: InternalServiceError/);
    // the SDK retried the write (same input each time); nothing else was attempted
    expect(fake().commands()).toEqual([
      ...STEP_READS,
      'GetAccountPasswordPolicy',
      'TagUser',
      ...Array<string>(MAX_ATTEMPTS).fill('PutSecretValue'),
    ]);
    expect(
      new Set(
        fake()
          .inputsOf('PutSecretValue')
          .map((input) => JSON.stringify(input)),
      ).size,
    ).toBe(1);
    expect(fake().stagesOf(ARN)).toEqual({ [OLD]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    expect(fake().valueAt(ARN, 'AWSPENDING')).toBeUndefined();
    expect(fake().profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
  });

  test('fails when the secret is not one this library rotates (no rotation tags)', async () => {
    given({ versions: ROTATING, secretTags: { ...CFN_TAGS, team: 'x' } });
    expect(failureOf(await step('createSecret'))).toMatch(/is not a cdk-console-users login profile secret/);
    expect(fake().commands()).toEqual(['DescribeSecret']);
  });

  test('fails when a rotation tag is malformed', async () => {
    given({ versions: ROTATING, secretTags: { ...ROTATION_SECRET_TAGS, [ROTATION_TAGS.passwordLength]: '500' } });
    expect(failureOf(await step('createSecret'))).toMatch(
      /password-length must be a whole number from 6 to 128; got "500"/,
    );
    expect(fake().commands()).toEqual(['DescribeSecret']);
  });

  test('fails when the secret holds no AWSCURRENT password yet', async () => {
    // GIVEN a secret whose only version is the pending one, without a value
    given({ versions: { [TOKEN]: ['AWSPENDING'] } });
    expect(failureOf(await step('createSecret'))).toMatch(/has no AWSCURRENT password yet/);
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['DescribeSecret', 'ok'],
      ['GetUser', 'ok'],
      ['GetSecretValue', 'ResourceNotFoundException'],
      ['GetSecretValue', 'ResourceNotFoundException'],
    ]);
    expect(fake().inputsOf('GetSecretValue')).toEqual([READ_PENDING, READ_CURRENT]);
  });
});

describe('setSecret', () => {
  test('sets the pending password with the configured reset flag, then records the version on the user', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    await succeeds('setSecret');
    // it checked the user's owner and the pending version's commitment (against AWSCURRENT) first;
    // the tag comes after IAM took the password; the secret is not changed
    expect(fake().commands()).toEqual([...STEP_READS, 'UpdateLoginProfile', 'TagUser']);
    expect(fake().inputsOf('GetSecretValue')).toEqual([READ_PENDING, READ_CURRENT]);
    expect(fake().inputsOf('GetUser')).toEqual([{ UserName: 'alice' }]);
    expect(fake().inputsOf('UpdateLoginProfile', NAMES)).toEqual([
      { UserName: 'alice', Password: '<pending>', PasswordResetRequired: false },
    ]);
    expect(fake().inputsOf('TagUser')).toEqual([
      { UserName: 'alice', Tags: [{ Key: ROTATED_VERSION_TAG_KEY, Value: TOKEN }] },
    ]);
    expect(fake().profileOf('alice')!.password === PENDING_PASSWORD).toBe(true);
    expect(fake().stagesOf(ARN)).toEqual(ROTATING);
  });

  test('run twice: the second run sees the recorded version and does not set the password again', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: PENDING_PASSWORD });
    await succeeds('setSecret');
    expect(fake().commands()).toEqual(STEP_READS);
  });

  test('fails when IAM refuses the password for its policy; the version is not recorded and no password leaks', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    // IAM refuses, echoing the request (password included) in its message
    fake().inject({ command: 'UpdateLoginProfile', kind: 'PasswordPolicyViolation', echoInput: true });
    const message = failureOf(await step('setSecret'));
    expect(message).toMatch(/the previous password still works/);
    expect(message.includes(PENDING_PASSWORD)).toBe(false);
    expect(fake().commands()).toEqual([...STEP_READS, 'UpdateLoginProfile']);
    expect(fake().profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
    expect(fake().tagsOf('alice')[ROTATED_VERSION_TAG_KEY]).toBeUndefined();
  });

  test('fails when the user has no login profile, without creating one', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, profile: false });
    expect(failureOf(await step('setSecret'))).toMatch(/has no login profile; rotation does not create one/);
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['DescribeSecret', 'ok'],
      ['GetUser', 'ok'],
      ['GetSecretValue', 'ok'],
      ['GetSecretValue', 'ok'],
      ['UpdateLoginProfile', 'NoSuchEntityException'],
    ]);
    expect(fake().profileOf('alice')).toBeUndefined();
  });

  test('fails when IAM stays unmodifiable and the next retry would pass the deadline, without waiting for it', async () => {
    // GIVEN a profile IAM keeps answering EntityTemporarilyUnmodifiable for, and a Lambda with
    // 10.4 s left: after the 10 s safety margin, 400 ms, less than the shortest retry delay (500 ms)
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    fake().inject({ command: 'UpdateLoginProfile', kind: 'EntityTemporarilyUnmodifiable', count: 100 });
    // WHEN setSecret runs
    const result = await step('setSecret', { timeoutMs: 10_400 });
    // THEN it tried once and answered at once (on the Lambda's clock), and did not record the version
    expect(failureOf(result)).toMatch(/rotation step setSecret failed: EntityTemporarilyUnmodifiable/);
    expect(fake().callCount('UpdateLoginProfile')).toBe(1);
    expect(result.elapsedMs).toBeLessThan(500);
    expect(fake().commands()).toEqual([...STEP_READS, 'UpdateLoginProfile']);
  });

  test('fails when the login profile belongs to another secret', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: { [OWNER_TAG_KEY]: `${ARN}-other` } });
    expect(failureOf(await step('setSecret'))).toMatch(/is not owned by secret/);
    expect(fake().commands()).toEqual(['DescribeSecret', 'GetUser']);
  });

  test('fails when createSecret has not written the pending password', async () => {
    given({ versions: ROTATING });
    expect(failureOf(await step('setSecret'))).toMatch(/holds no pending password; run createSecret first/);
    expect(fake().commands()).toEqual(['DescribeSecret', 'GetUser', 'GetSecretValue']);
    expect(fake().profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
  });
});

describe('testSecret', () => {
  /** What one testSecret reads: the secret, the user, the profile, the pending and current values. */
  const TEST_READS = ['DescribeSecret', 'GetUser', 'GetLoginProfile', 'GetSecretValue', 'GetSecretValue'];

  test('passes when IAM holds the pending version and the profile exists; changes nothing', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: PENDING_PASSWORD });
    await succeeds('testSecret');
    await succeeds('testSecret'); // twice: same answer, still no writes
    expect(fake().commands()).toEqual([...TEST_READS, ...TEST_READS]);
    expect(fake().inputsOf('GetLoginProfile')).toEqual([{ UserName: 'alice' }, { UserName: 'alice' }]);
    expect(fake().inputsOf('GetSecretValue')).toEqual([READ_PENDING, READ_CURRENT, READ_PENDING, READ_CURRENT]);
  });

  test('passes a configuration test (pending version holds the current password) without a rotation tag', async () => {
    // Secrets Manager runs only testSecret when a schedule is created with RotateImmediately=false
    given({ versions: ROTATING, pending: CURRENT_PASSWORD });
    await succeeds('testSecret');
    expect(fake().commands()).toEqual(TEST_READS);
  });

  test('fails when IAM holds another version, and puts the AWSCURRENT password back', async () => {
    // GIVEN the user's tag names another version, and someone set a password by hand since
    given({
      versions: ROTATING,
      pending: PENDING_PASSWORD,
      userTags: { [OWNER_TAG_KEY]: ARN, [ROTATED_VERSION_TAG_KEY]: OLD },
      profile: HAND_PASSWORD,
    });
    expect(failureOf(await step('testSecret'))).toMatch(
      /does not hold pending version .* restored the AWSCURRENT password/,
    );
    expect(fake().commands()).toEqual([...TEST_READS, 'UpdateLoginProfile']);
    expect(fake().inputsOf('UpdateLoginProfile', NAMES)).toEqual([
      { UserName: 'alice', Password: '<current>', PasswordResetRequired: false },
    ]);
    expect(fake().profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
  });

  test('fails when the user has no login profile', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: false });
    expect(failureOf(await step('testSecret'))).toMatch(/has no login profile/);
    // (the values are read to tell whether console access is off: then no profile is what it checks for)
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['DescribeSecret', 'ok'],
      ['GetUser', 'ok'],
      ['GetLoginProfile', 'NoSuchEntityException'],
      ['GetSecretValue', 'ok'],
      ['GetSecretValue', 'ok'],
    ]);
    expect(fake().profileOf('alice')).toBeUndefined();
  });
});

describe('finishSecret', () => {
  test('moves AWSCURRENT to the new version (from the old one) and clears AWSPENDING', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: PENDING_PASSWORD });
    await succeeds('finishSecret');
    // only after checking that IAM holds the version (setSecret's tag on the user), and that
    // console access is on (the AWSCURRENT value holds a password)
    expect(fake().commands()).toEqual([
      'DescribeSecret',
      'GetUser',
      'GetSecretValue',
      'UpdateSecretVersionStage',
      'UpdateSecretVersionStage',
    ]);
    expect(fake().inputsOf('UpdateSecretVersionStage')).toEqual([
      { SecretId: ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN, RemoveFromVersionId: OLD },
      { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN },
    ]);
    expect(fake().stagesOf(ARN)).toEqual({ [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
  });

  test('run twice: the second run finds the version current and changes nothing', async () => {
    given({ versions: { [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] }, pending: PENDING_PASSWORD });
    await succeeds('finishSecret');
    // (it reads the current value: a password is announced again, the access-off copy never)
    expect(fake().commands()).toEqual(['DescribeSecret', 'GetSecretValue']);
    expect(fake().inputsOf('GetSecretValue')).toEqual([READ_CURRENT]);
  });

  test('run again after moving AWSCURRENT but before clearing AWSPENDING: only clears it', async () => {
    given({ versions: { [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT', 'AWSPENDING'] }, pending: PENDING_PASSWORD });
    await succeeds('finishSecret');
    expect(fake().commands()).toEqual(['DescribeSecret', 'GetSecretValue', 'UpdateSecretVersionStage']);
    expect(fake().inputsOf('UpdateSecretVersionStage')).toEqual([
      { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN },
    ]);
    expect(fake().stagesOf(ARN)).toEqual({ [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
  });

  test('fails when moving the stage fails; AWSPENDING still records the password IAM holds', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: PENDING_PASSWORD });
    // every attempt the SDK makes fails with a 5xx
    fake().inject({ command: 'UpdateSecretVersionStage', kind: 'InternalServiceError', count: MAX_ATTEMPTS });
    expect(failureOf(await step('finishSecret'))).toMatch(/finishSecret failed: InternalServiceError/);
    // nothing else was attempted (the SDK retried the same move): the version that IAM holds stays AWSPENDING
    expect(fake().commands()).toEqual([
      'DescribeSecret',
      'GetUser',
      'GetSecretValue',
      ...Array<string>(MAX_ATTEMPTS).fill('UpdateSecretVersionStage'),
    ]);
    expect(
      new Set(
        fake()
          .inputsOf('UpdateSecretVersionStage')
          .map((input) => JSON.stringify(input)),
      ).size,
    ).toBe(1);
    expect(fake().stagesOf(ARN)).toEqual(ROTATING);
    expect(fake().valueAt(ARN, 'AWSPENDING')!.password === fake().profileOf('alice')!.password).toBe(true);
  });

  test('fails when the version is neither pending nor current', async () => {
    // GIVEN TOKEN is an earlier rotation's version (Secrets Manager lists only versions with a stage)
    given({ versions: { [OLD]: ['AWSCURRENT'], [TOKEN]: ['AWSPREVIOUS'] }, pending: PENDING_PASSWORD });
    expect(failureOf(await step('finishSecret'))).toMatch(/is not staged AWSPENDING \(stages \["AWSPREVIOUS"\]\)/);
    expect(fake().commands()).toEqual(['DescribeSecret']);
  });
});

describe('dispatch', () => {
  test('fails when the step is unknown', async () => {
    given({ versions: ROTATING });
    expect(failureOf(await step('deleteSecret'))).toMatch(/unknown Step "deleteSecret"/);
    expect(fake().calls).toEqual([]);
  });

  test('fails when the event has no ClientRequestToken', async () => {
    given({ versions: ROTATING });
    const result = await run({ SecretId: ARN, Step: 'createSecret' }, { fn: handler });
    expect(failureOf(result)).toMatch(/the event has no ClientRequestToken/);
    expect(fake().calls).toEqual([]);
  });
});

/** The calls that change something in IAM or Secrets Manager. */
const WRITES = new Set([
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'TagUser',
  'UpdateLoginProfile',
  'CreateLoginProfile',
  'DeleteLoginProfile',
]);
const writes = (): string[] =>
  fake()
    .commands()
    .filter((c) => WRITES.has(c));

/** True when the password IAM holds for `user` is recorded in the secret as AWSCURRENT or AWSPENDING (invariant 1). */
function recorded(user = 'alice'): boolean {
  const password = fake().profileOf(user)?.password;
  return [fake().valueAt(ARN, 'AWSCURRENT')?.password, fake().valueAt(ARN, 'AWSPENDING')?.password].includes(password);
}

describe('a whole rotation', () => {
  const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

  test('the four steps, each run twice: one new password, set once, current at the end, recorded throughout', async () => {
    // GIVEN Secrets Manager started a rotation to TOKEN (RotateSecret staged it AWSPENDING)
    given({ versions: ROTATING });
    for (const name of STEPS) {
      // WHEN it calls each step, and calls it again (a retry with the same token)
      await succeeds(name);
      await succeeds(name);
      // THEN at every point IAM's password is in the secret
      expect(recorded()).toBe(true);
    }
    // one version written, one password change, and the new version is current
    expect(fake().callCount('PutSecretValue')).toBe(1);
    expect(fake().callCount('UpdateLoginProfile')).toBe(1);
    expect(fake().stagesOf(ARN)).toEqual({ [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
    const current = fake().valueAt(ARN, 'AWSCURRENT')!.password!;
    expect(current === CURRENT_PASSWORD).toBe(false);
    expect(fake().profileOf('alice')!.password === current).toBe(true);
    expect(policyViolations(current, POLICY)).toEqual([]);
    expect(fake().tagsOf('alice')[ROTATED_VERSION_TAG_KEY]).toBe(TOKEN);
  });

  test("a crash between createSecret's tag and its write: the retry writes a new value under a new commitment, and the rotation completes", async () => {
    // GIVEN createSecret dies in PutSecretValue (the tag is written, the value is not)
    given({ versions: ROTATING });
    fake().inject({ command: 'PutSecretValue', kind: 'Crash' });
    const crashed = await step('createSecret');
    expect(crashed.timedOut || crashed.error !== undefined).toBe(true);
    const firstTag = fake().tagsOf('alice')[PENDING_VERSION_TAG_KEY];
    expect(firstTag.startsWith(`${TOKEN}/`)).toBe(true);
    expect(fake().valueAt(ARN, 'AWSPENDING')).toBeUndefined();
    expect(fake().profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
    // WHEN Secrets Manager retries with the same token, then runs the other steps
    for (const name of STEPS) await succeeds(name);
    // THEN the retry committed to (and wrote) a new value, and IAM holds it as AWSCURRENT
    expect(fake().tagsOf('alice')[PENDING_VERSION_TAG_KEY]).not.toBe(firstTag);
    expect(fake().stagesOf(ARN)).toEqual({ [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
    expect(fake().profileOf('alice')!.password === fake().valueAt(ARN, 'AWSCURRENT')!.password).toBe(true);
  });

  test("a crash between setSecret's password change and its tag: the password is recorded as AWSPENDING, and the retry completes", async () => {
    given({ versions: ROTATING });
    await succeeds('createSecret');
    // GIVEN setSecret dies after IAM took the pending password, before recording it on the user
    fake().inject({ command: 'TagUser', kind: 'Crash' });
    const crashed = await step('setSecret');
    expect(crashed.timedOut || crashed.error !== undefined).toBe(true);
    expect(fake().profileOf('alice')!.password === fake().valueAt(ARN, 'AWSPENDING')!.password).toBe(true);
    expect(fake().tagsOf('alice')[ROTATED_VERSION_TAG_KEY]).toBeUndefined();
    // and finishSecret, sent now, refuses: IAM's tag does not name the version yet
    expect(failureOf(await step('finishSecret'))).toMatch(/does not hold version .* run setSecret first/);
    expect(fake().stagesOf(ARN)).toEqual(ROTATING);
    // WHEN Secrets Manager retries setSecret and goes on
    for (const name of ['setSecret', 'testSecret', 'finishSecret']) await succeeds(name);
    // THEN
    expect(fake().stagesOf(ARN)).toEqual({ [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
    expect(fake().profileOf('alice')!.password === fake().valueAt(ARN, 'AWSCURRENT')!.password).toBe(true);
  });

  test('accepts a RotationLambdaARN naming this function with a version or alias', async () => {
    given({ versions: ROTATING, rotation: { enabled: true, lambdaArn: `${THIS_FUNCTION}:live` } });
    await succeeds('createSecret');
    expect(fake().callCount('PutSecretValue')).toBe(1);
  });
});

/** An invocation Secrets Manager did not send, the check that refuses it, and what it does without that check. */
interface Forged {
  readonly name: string;
  readonly world: () => void;
  /** The steps the invoker sends, in order: each one is refused. */
  readonly attack: string[];
  readonly refusal: RegExp;
  /** The check that stops it, and what it does in its place when taken away (the test seam). */
  readonly check?: { name: keyof typeof checks; without: (...args: never[]) => unknown };
  /** What the attack achieved, with the check taken away. */
  readonly succeeded?: () => void;
}

const BOB_ARN = secretArn('bob-password');
const BOB_PASSWORD = 'Bobs-Own-Password-5%pqrSTU-2468013';
const SOMEONE_ELSES_FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:someone-elses-rotation';
const pass = () => undefined;

const FORGED: Forged[] = [
  {
    name: 'a secret of another stack',
    world: () =>
      given({ versions: ROTATING, secretTags: { ...ROTATION_SECRET_TAGS, [CFN_STACK_ID_TAG_KEY]: OTHER_STACK_ID } }),
    attack: ['createSecret'],
    refusal: /was not created by this function's stack \(tag aws:cloudformation:stack-id is ".*stack\/other\/.*"/,
    check: { name: 'requireOwnStack', without: pass },
    succeeded: () => expect(fake().callCount('PutSecretValue')).toBe(1),
  },
  {
    name: 'a secret CloudFormation did not create (no aws:cloudformation:stack-id tag)',
    world: () => {
      const handMade: Record<string, string> = { ...ROTATION_SECRET_TAGS };
      delete handMade[CFN_STACK_ID_TAG_KEY];
      given({ versions: ROTATING, secretTags: handMade });
    },
    attack: ['createSecret'],
    refusal: /was not created by this function's stack \(tag aws:cloudformation:stack-id is absent/,
    check: { name: 'requireOwnStack', without: pass },
    succeeded: () => expect(fake().callCount('PutSecretValue')).toBe(1),
  },
  {
    name: 'a secret whose rotation is disabled',
    world: () => given({ versions: ROTATING, rotation: { enabled: false, lambdaArn: THIS_FUNCTION } }),
    attack: ['createSecret'],
    refusal: /rotation of secret .*alice-password.* is not enabled/,
    check: { name: 'requireRotationBySecretsManager', without: pass },
    succeeded: () => expect(fake().callCount('PutSecretValue')).toBe(1),
  },
  {
    name: 'a secret that was never configured for rotation',
    world: () => given({ versions: ROTATING, rotation: null }),
    attack: ['createSecret'],
    refusal: /rotation of secret .*alice-password.* is not enabled/,
    check: { name: 'requireRotationBySecretsManager', without: pass },
    succeeded: () => expect(fake().callCount('PutSecretValue')).toBe(1),
  },
  {
    name: 'a secret whose RotationLambdaARN is another function',
    world: () => given({ versions: ROTATING, rotation: { enabled: true, lambdaArn: SOMEONE_ELSES_FUNCTION } }),
    attack: ['createSecret'],
    refusal:
      /is rotated by .*function:someone-elses-rotation, not by this function \(.*function:app-LoginProfileHandler\)/,
    check: { name: 'requireRotationBySecretsManager', without: pass },
    succeeded: () => expect(fake().callCount('PutSecretValue')).toBe(1),
  },
  {
    name: 'a token Secrets Manager did not stage AWSPENDING',
    world: () => given({ versions: { [OLD]: ['AWSCURRENT'] } }),
    attack: ['createSecret'],
    refusal:
      /version 22222222-.* is not staged AWSPENDING \(no such version\); only a rotation Secrets Manager started is run/,
    check: { name: 'requireRotationToken', without: () => 'pending' },
    // a new AWSPENDING version, outside any rotation Secrets Manager runs
    succeeded: () => expect(fake().stagesOf(ARN)[TOKEN]).toEqual(['AWSPENDING']),
  },
  {
    name: "the secret's user-name tag changed to another user of the stack",
    world: () => {
      given({ versions: ROTATING, secretTags: { ...ROTATION_SECRET_TAGS, [ROTATION_TAGS.userName]: 'bob' } });
      fake().createUser('bob', '/', { [OWNER_TAG_KEY]: BOB_ARN });
      fake().setProfileByHand('bob', BOB_PASSWORD);
    },
    attack: ['createSecret', 'setSecret'],
    refusal:
      /the login profile of bob is not owned by secret .*alice-password.* \(tag cdk-console-users:login-profile-secret is ".*bob-password.*"\)/,
    check: { name: 'requireUserOwnedBy', without: (tags?: Record<string, string>) => tags ?? {} },
    // bob's password is now one in alice's secret (which the tag's author may read)
    succeeded: () => {
      expect(fake().profileOf('bob')!.password === BOB_PASSWORD).toBe(false);
      expect(fake().profileOf('bob')!.password === fake().valueAt(ARN, 'AWSPENDING')!.password).toBe(true);
    },
  },
  {
    name: 'a value planted under the pending token with PutSecretValue, then setSecret',
    world: () => given({ versions: ROTATING, pending: PLANTED_PASSWORD, userTags: { [OWNER_TAG_KEY]: ARN } }),
    attack: ['setSecret'],
    refusal:
      /version 22222222-.* was not written by this function \(tag cdk-console-users:pending-version of alice is absent\)/,
    check: { name: 'requireOwnPendingVersion', without: pass },
    succeeded: () => expect(fake().profileOf('alice')!.password === PLANTED_PASSWORD).toBe(true),
  },
  {
    name: 'a value planted under the pending token, then the createSecret and setSecret Secrets Manager sends',
    world: () => given({ versions: ROTATING, pending: PLANTED_PASSWORD, userTags: { [OWNER_TAG_KEY]: ARN } }),
    attack: ['createSecret', 'setSecret'],
    refusal: /version 22222222-.* was not written by this function/,
    check: { name: 'requireOwnPendingVersion', without: pass },
    succeeded: () => expect(fake().profileOf('alice')!.password === PLANTED_PASSWORD).toBe(true),
  },
  {
    name: 'a value planted after createSecret tagged the user and crashed before writing, then createSecret and setSecret',
    world: () => given({ versions: ROTATING, pending: PLANTED_PASSWORD, userTags: createdFor(PENDING_PASSWORD) }),
    attack: ['createSecret', 'setSecret'],
    refusal: /the value of version 22222222-.* does not match tag cdk-console-users:pending-version of alice/,
    check: { name: 'requireOwnPendingVersion', without: pass },
    succeeded: () => expect(fake().profileOf('alice')!.password === PLANTED_PASSWORD).toBe(true),
  },
  {
    name: 'setSecret before createSecret (nothing written under the token)',
    world: () => given({ versions: ROTATING }),
    attack: ['setSecret'],
    refusal: /holds no pending password; run createSecret first/,
  },
  {
    name: 'finishSecret before setSecret (IAM does not hold the pending password)',
    world: () => given({ versions: ROTATING, pending: PENDING_PASSWORD }),
    attack: ['finishSecret'],
    refusal:
      /user alice does not hold version 22222222-.* \(tag cdk-console-users:rotated-version is absent\); run setSecret first, AWSCURRENT stays/,
    check: { name: 'requireIamHolds', without: pass },
    // AWSCURRENT names a password IAM does not have; IAM's is only AWSPREVIOUS
    succeeded: () => {
      expect(fake().stagesOf(ARN)).toEqual({ [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
      expect(recorded()).toBe(false);
    },
  },
];

describe('invocations Secrets Manager did not send', () => {
  test.each(FORGED.map((f) => [f.name, f] as const))('refuses %s: no password set, nothing written', async (_, f) => {
    // GIVEN
    f.world();
    const before = { stages: fake().stagesOf(ARN), alice: fake().tagsOf('alice'), bob: fake().tagsOf('bob') };
    const profiles = { alice: fake().profileOf('alice')?.password, bob: fake().profileOf('bob')?.password };
    // WHEN the invoker sends its steps
    for (const name of f.attack) {
      // THEN each is refused, saying why
      expect(failureOf(await step(name))).toMatch(f.refusal);
    }
    // and nothing changed: no write of any kind, no password set
    expect(writes()).toEqual([]);
    expect(fake().stagesOf(ARN)).toEqual(before.stages);
    expect({ alice: fake().tagsOf('alice'), bob: fake().tagsOf('bob') }).toEqual({
      alice: before.alice,
      bob: before.bob,
    });
    expect(fake().profileOf('alice')?.password === profiles.alice).toBe(true);
    expect(fake().profileOf('bob')?.password === profiles.bob).toBe(true);
  });

  const seamed = FORGED.filter((f) => f.check !== undefined);
  test.each(seamed.map((f) => [f.check!.name, f.name, f] as const))(
    'without %s, %s succeeds (the check is what stops it)',
    async (_, __, f) => {
      // GIVEN the same world, and the check taken away (a test seam, not a production switch)
      f.world();
      jest.spyOn(checks, f.check!.name).mockImplementation(f.check!.without as never);
      // WHEN the invoker sends its steps, THEN every one goes through
      for (const name of f.attack) await succeeds(name);
      f.succeeded!();
    },
  );
});
