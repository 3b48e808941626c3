/** The rotation function's four steps against the fake: each step, each step twice, each step failing. */
import type { SecretsManagerRotationEventStep } from 'aws-lambda';
import { handler } from '../../lambda/rotation';
import { MAX_ATTEMPTS } from '../../lambda/shared/aws';
import { policyViolations } from '../../lambda/shared/password';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { FakeAws, installFake } from '../support/fake-aws';
import { Invocation, assertNoPasswordIn, failureOf, invoke } from '../support/fault-harness';
import { SIGN_IN_URL, rotationEvent, secretArn } from '../support/lambda-fixtures';

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

const ROTATION_SECRET_TAGS = {
  [ROTATION_TAGS.userName]: 'alice',
  [ROTATION_TAGS.passwordLength]: '24',
  [ROTATION_TAGS.passwordResetRequired]: 'false',
};

let fake: FakeAws;
/** The output of every invocation of the test, scanned for passwords after it. */
let outputs: string[];

interface World {
  /** Version ID -> stages. */
  readonly versions: Record<string, string[]>;
  /** Password in version TOKEN, if createSecret wrote one (else TOKEN has no value yet). */
  readonly pending?: string;
  /** The user's tags. */
  readonly userTags?: Record<string, string>;
  /** Tags of the secret (default: the rotation tags). */
  readonly secretTags?: Record<string, string>;
  /** The password of the user's login profile, or `false` for no profile. @default CURRENT_PASSWORD */
  readonly profile?: string | false;
}

function secretValue(password: string): string {
  return JSON.stringify({ username: 'alice', password, signInUrl: SIGN_IN_URL });
}

/** Builds the account in state `world`: the user, its profile, the policy, the secret and its versions. */
function given(world: World): void {
  fake.passwordPolicy = POLICY;
  fake.createUser('alice', '/', world.userTags ?? { [OWNER_TAG_KEY]: ARN });
  if (world.profile !== false) fake.setProfileByHand('alice', world.profile ?? CURRENT_PASSWORD);
  fake.createSecret('alice-password', { arn: ARN, tags: world.secretTags ?? ROTATION_SECRET_TAGS });
  for (const [id, stages] of Object.entries(world.versions)) {
    const password = id === OLD ? CURRENT_PASSWORD : world.pending;
    fake.putVersionByHand(ARN, id, password === undefined ? undefined : secretValue(password), stages);
  }
}

async function step(name: string, options: { timeoutMs?: number } = {}): Promise<Invocation<void>> {
  const event = rotationEvent(name as SecretsManagerRotationEventStep, ARN, TOKEN);
  const result = await invoke(event, { fn: handler, ...options });
  outputs.push(result.output);
  return result;
}

async function succeeds(name: string): Promise<void> {
  const { error, timedOut } = await step(name);
  expect(error).toBeUndefined();
  expect(timedOut).toBe(false);
}

/** The versions as Secrets Manager shows them after RotateSecret started a rotation to TOKEN. */
const ROTATING = { [OLD]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] };
const SET_ON_USER = { [OWNER_TAG_KEY]: ARN, [ROTATED_VERSION_TAG_KEY]: TOKEN };
/** The reads every step starts with. */
const DESCRIBE = { SecretId: ARN };
const READ_PENDING = { SecretId: ARN, VersionId: TOKEN, VersionStage: 'AWSPENDING' };
const READ_CURRENT = { SecretId: ARN, VersionId: undefined, VersionStage: 'AWSCURRENT' };

beforeEach(() => {
  jest.useFakeTimers();
  fake = new FakeAws();
  installFake(fake);
  outputs = [];
});
afterEach(() => {
  jest.useRealTimers();
  // Whatever happened, no password the fake saw reached any output (logs, stdout, stderr, errors).
  expect(fake.passwordsEverSeen.size).toBeGreaterThan(0);
  assertNoPasswordIn(fake, ...outputs);
});

describe('createSecret', () => {
  test('writes a new password for the live policy as AWSPENDING version ClientRequestToken', async () => {
    // GIVEN a rotation to TOKEN has started and the pending version holds no value yet
    given({ versions: ROTATING });
    // WHEN
    await succeeds('createSecret');
    // THEN it read the secret, found no pending value, read the current one and the live policy
    expect(fake.commands()).toEqual([
      'DescribeSecret',
      'GetSecretValue',
      'GetSecretValue',
      'GetAccountPasswordPolicy',
      'PutSecretValue',
    ]);
    expect(fake.inputsOf('GetSecretValue')).toEqual([READ_PENDING, READ_CURRENT]);
    // and wrote exactly one version: the token, AWSPENDING only
    const value = fake.valueAt(ARN, 'AWSPENDING')!;
    const password = value.password!;
    expect(fake.inputsOf('PutSecretValue', { [password]: '<new>', ...NAMES })).toEqual([
      {
        SecretId: ARN,
        ClientRequestToken: TOKEN,
        SecretString: JSON.stringify({ username: 'alice', password: '<new>', signInUrl: SIGN_IN_URL }),
        VersionStages: ['AWSPENDING'],
      },
    ]);
    expect(fake.stagesOf(ARN)).toEqual({ [OLD]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    // the tagged length (24) is raised to the live policy's minimum (30), and all rules hold
    expect(password.length).toBe(30);
    expect(policyViolations(password, POLICY)).toEqual([]);
    expect(password === CURRENT_PASSWORD).toBe(false);
    // and IAM's password is untouched, AWSCURRENT is not moved
    expect(fake.profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
    expect(fake.valueAt(ARN, 'AWSCURRENT')!.password === CURRENT_PASSWORD).toBe(true);
  });

  test('run twice: the second run finds the pending value and writes nothing', async () => {
    // GIVEN the first run wrote the pending version
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    // WHEN
    await succeeds('createSecret');
    // THEN it only read the secret and the pending value
    expect(fake.commands()).toEqual(['DescribeSecret', 'GetSecretValue']);
    expect(fake.inputsOf('GetSecretValue')).toEqual([READ_PENDING]);
    expect(fake.valueAt(ARN, 'AWSPENDING')!.password === PENDING_PASSWORD).toBe(true);
  });

  test('does nothing when the version is already AWSCURRENT (a finished rotation replayed)', async () => {
    given({ versions: { [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] }, pending: PENDING_PASSWORD });
    await succeeds('createSecret');
    expect(fake.commands()).toEqual(['DescribeSecret']);
    expect(fake.inputsOf('DescribeSecret')).toEqual([DESCRIBE]);
  });

  test('fails when PutSecretValue fails, and leaves AWSCURRENT and IAM as they were', async () => {
    given({ versions: ROTATING });
    // every attempt the SDK makes fails with a 5xx
    fake.inject({ command: 'PutSecretValue', kind: 'InternalServiceError', count: MAX_ATTEMPTS });
    expect(failureOf(await step('createSecret'))).toMatch(/rotation step createSecret failed: InternalServiceError/);
    // the SDK retried the write (same input each time); nothing else was attempted
    expect(fake.commands()).toEqual([
      'DescribeSecret',
      'GetSecretValue',
      'GetSecretValue',
      'GetAccountPasswordPolicy',
      ...Array<string>(MAX_ATTEMPTS).fill('PutSecretValue'),
    ]);
    expect(new Set(fake.inputsOf('PutSecretValue').map((input) => JSON.stringify(input))).size).toBe(1);
    expect(fake.stagesOf(ARN)).toEqual({ [OLD]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    expect(fake.valueAt(ARN, 'AWSPENDING')).toBeUndefined();
    expect(fake.profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
  });

  test('fails when the secret is not one this library rotates (no rotation tags)', async () => {
    given({ versions: ROTATING, secretTags: { team: 'x' } });
    expect(failureOf(await step('createSecret'))).toMatch(/is not a cdk-console-users login profile secret/);
    expect(fake.commands()).toEqual(['DescribeSecret']);
  });

  test('fails when a rotation tag is malformed', async () => {
    given({ versions: ROTATING, secretTags: { ...ROTATION_SECRET_TAGS, [ROTATION_TAGS.passwordLength]: '500' } });
    expect(failureOf(await step('createSecret'))).toMatch(
      /password-length must be a whole number from 6 to 128; got "500"/,
    );
    expect(fake.commands()).toEqual(['DescribeSecret']);
  });

  test('fails when the secret holds no AWSCURRENT password yet', async () => {
    // GIVEN a secret whose only version is the pending one, without a value
    given({ versions: { [TOKEN]: ['AWSPENDING'] } });
    expect(failureOf(await step('createSecret'))).toMatch(/has no AWSCURRENT password yet/);
    expect(fake.calls.map((c) => [c.command, c.outcome])).toEqual([
      ['DescribeSecret', 'ok'],
      ['GetSecretValue', 'ResourceNotFoundException'],
      ['GetSecretValue', 'ResourceNotFoundException'],
    ]);
    expect(fake.inputsOf('GetSecretValue')).toEqual([READ_PENDING, READ_CURRENT]);
  });
});

describe('setSecret', () => {
  test('sets the pending password with the configured reset flag, then records the version on the user', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    await succeeds('setSecret');
    // the tag comes after IAM took the password; the secret is not changed
    expect(fake.commands()).toEqual(['DescribeSecret', 'GetSecretValue', 'GetUser', 'UpdateLoginProfile', 'TagUser']);
    expect(fake.inputsOf('GetSecretValue')).toEqual([READ_PENDING]);
    expect(fake.inputsOf('GetUser')).toEqual([{ UserName: 'alice' }]);
    expect(fake.inputsOf('UpdateLoginProfile', NAMES)).toEqual([
      { UserName: 'alice', Password: '<pending>', PasswordResetRequired: false },
    ]);
    expect(fake.inputsOf('TagUser')).toEqual([
      { UserName: 'alice', Tags: [{ Key: ROTATED_VERSION_TAG_KEY, Value: TOKEN }] },
    ]);
    expect(fake.profileOf('alice')!.password === PENDING_PASSWORD).toBe(true);
    expect(fake.stagesOf(ARN)).toEqual(ROTATING);
  });

  test('run twice: the second run sees the recorded version and does not set the password again', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: PENDING_PASSWORD });
    await succeeds('setSecret');
    expect(fake.commands()).toEqual(['DescribeSecret', 'GetSecretValue', 'GetUser']);
  });

  test('fails when IAM refuses the password for its policy; the version is not recorded and no password leaks', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    // IAM refuses, echoing the request (password included) in its message
    fake.inject({ command: 'UpdateLoginProfile', kind: 'PasswordPolicyViolation', echoInput: true });
    const message = failureOf(await step('setSecret'));
    expect(message).toMatch(/the previous password still works/);
    expect(message.includes(PENDING_PASSWORD)).toBe(false);
    expect(fake.commands()).toEqual(['DescribeSecret', 'GetSecretValue', 'GetUser', 'UpdateLoginProfile']);
    expect(fake.profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
    expect(fake.tagsOf('alice')[ROTATED_VERSION_TAG_KEY]).toBeUndefined();
  });

  test('fails when the user has no login profile, without creating one', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, profile: false });
    expect(failureOf(await step('setSecret'))).toMatch(/has no login profile; rotation does not create one/);
    expect(fake.calls.map((c) => [c.command, c.outcome])).toEqual([
      ['DescribeSecret', 'ok'],
      ['GetSecretValue', 'ok'],
      ['GetUser', 'ok'],
      ['UpdateLoginProfile', 'NoSuchEntityException'],
    ]);
    expect(fake.profileOf('alice')).toBeUndefined();
  });

  test('fails when IAM stays unmodifiable and the next retry would pass the deadline, without waiting for it', async () => {
    // GIVEN a profile IAM keeps answering EntityTemporarilyUnmodifiable for, and a Lambda with
    // 10.4 s left: after the 10 s safety margin, 400 ms, less than the shortest retry delay (500 ms)
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    fake.inject({ command: 'UpdateLoginProfile', kind: 'EntityTemporarilyUnmodifiable', count: 100 });
    // WHEN setSecret runs
    const result = await step('setSecret', { timeoutMs: 10_400 });
    // THEN it tried once and answered at once (on the Lambda's clock), and did not record the version
    expect(failureOf(result)).toMatch(/rotation step setSecret failed: EntityTemporarilyUnmodifiable/);
    expect(fake.callCount('UpdateLoginProfile')).toBe(1);
    expect(result.elapsedMs).toBeLessThan(500);
    expect(fake.commands()).toEqual(['DescribeSecret', 'GetSecretValue', 'GetUser', 'UpdateLoginProfile']);
  });

  test('fails when the login profile belongs to another secret', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: { [OWNER_TAG_KEY]: `${ARN}-other` } });
    expect(failureOf(await step('setSecret'))).toMatch(/is not owned by secret/);
    expect(fake.commands()).toEqual(['DescribeSecret', 'GetSecretValue', 'GetUser']);
  });

  test('fails when createSecret has not written the pending password', async () => {
    given({ versions: ROTATING });
    expect(failureOf(await step('setSecret'))).toMatch(/holds no pending password; run createSecret first/);
    expect(fake.commands()).toEqual(['DescribeSecret', 'GetSecretValue']);
  });
});

describe('testSecret', () => {
  /** What one testSecret reads: the secret, the user, the profile, the pending and current values. */
  const TEST_READS = ['DescribeSecret', 'GetUser', 'GetLoginProfile', 'GetSecretValue', 'GetSecretValue'];

  test('passes when IAM holds the pending version and the profile exists; changes nothing', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: PENDING_PASSWORD });
    await succeeds('testSecret');
    await succeeds('testSecret'); // twice: same answer, still no writes
    expect(fake.commands()).toEqual([...TEST_READS, ...TEST_READS]);
    expect(fake.inputsOf('GetLoginProfile')).toEqual([{ UserName: 'alice' }, { UserName: 'alice' }]);
    expect(fake.inputsOf('GetSecretValue')).toEqual([READ_PENDING, READ_CURRENT, READ_PENDING, READ_CURRENT]);
  });

  test('passes a configuration test (pending version holds the current password) without a rotation tag', async () => {
    // Secrets Manager runs only testSecret when a schedule is created with RotateImmediately=false
    given({ versions: ROTATING, pending: CURRENT_PASSWORD });
    await succeeds('testSecret');
    expect(fake.commands()).toEqual(TEST_READS);
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
    expect(fake.commands()).toEqual([...TEST_READS, 'UpdateLoginProfile']);
    expect(fake.inputsOf('UpdateLoginProfile', NAMES)).toEqual([
      { UserName: 'alice', Password: '<current>', PasswordResetRequired: false },
    ]);
    expect(fake.profileOf('alice')!.password === CURRENT_PASSWORD).toBe(true);
  });

  test('fails when the user has no login profile', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: false });
    expect(failureOf(await step('testSecret'))).toMatch(/has no login profile/);
    expect(fake.calls.map((c) => [c.command, c.outcome])).toEqual([
      ['DescribeSecret', 'ok'],
      ['GetUser', 'ok'],
      ['GetLoginProfile', 'NoSuchEntityException'],
    ]);
    expect(fake.profileOf('alice')).toBeUndefined();
  });
});

describe('finishSecret', () => {
  test('moves AWSCURRENT to the new version (from the old one) and clears AWSPENDING', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: PENDING_PASSWORD });
    await succeeds('finishSecret');
    expect(fake.commands()).toEqual(['DescribeSecret', 'UpdateSecretVersionStage', 'UpdateSecretVersionStage']);
    expect(fake.inputsOf('UpdateSecretVersionStage')).toEqual([
      { SecretId: ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN, RemoveFromVersionId: OLD },
      { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN },
    ]);
    expect(fake.stagesOf(ARN)).toEqual({ [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
  });

  test('run twice: the second run finds the version current and changes nothing', async () => {
    given({ versions: { [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] }, pending: PENDING_PASSWORD });
    await succeeds('finishSecret');
    expect(fake.commands()).toEqual(['DescribeSecret']);
  });

  test('run again after moving AWSCURRENT but before clearing AWSPENDING: only clears it', async () => {
    given({ versions: { [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT', 'AWSPENDING'] }, pending: PENDING_PASSWORD });
    await succeeds('finishSecret');
    expect(fake.commands()).toEqual(['DescribeSecret', 'UpdateSecretVersionStage']);
    expect(fake.inputsOf('UpdateSecretVersionStage')).toEqual([
      { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN },
    ]);
    expect(fake.stagesOf(ARN)).toEqual({ [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
  });

  test('fails when moving the stage fails; AWSPENDING still records the password IAM holds', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, profile: PENDING_PASSWORD });
    // every attempt the SDK makes fails with a 5xx
    fake.inject({ command: 'UpdateSecretVersionStage', kind: 'InternalServiceError', count: MAX_ATTEMPTS });
    expect(failureOf(await step('finishSecret'))).toMatch(/finishSecret failed: InternalServiceError/);
    // nothing else was attempted (the SDK retried the same move): the version that IAM holds stays AWSPENDING
    expect(fake.commands()).toEqual([
      'DescribeSecret',
      ...Array<string>(MAX_ATTEMPTS).fill('UpdateSecretVersionStage'),
    ]);
    expect(new Set(fake.inputsOf('UpdateSecretVersionStage').map((input) => JSON.stringify(input))).size).toBe(1);
    expect(fake.stagesOf(ARN)).toEqual(ROTATING);
    expect(fake.valueAt(ARN, 'AWSPENDING')!.password === fake.profileOf('alice')!.password).toBe(true);
  });

  test('fails when the version is neither pending nor current', async () => {
    // GIVEN TOKEN is an earlier rotation's version (Secrets Manager lists only versions with a stage)
    given({ versions: { [OLD]: ['AWSCURRENT'], [TOKEN]: ['AWSPREVIOUS'] }, pending: PENDING_PASSWORD });
    expect(failureOf(await step('finishSecret'))).toMatch(/is not AWSPENDING; nothing to finish/);
    expect(fake.commands()).toEqual(['DescribeSecret']);
  });
});

describe('dispatch', () => {
  test('fails when the step is unknown', async () => {
    given({ versions: ROTATING });
    expect(failureOf(await step('deleteSecret'))).toMatch(/unknown Step "deleteSecret"/);
    expect(fake.calls).toEqual([]);
  });

  test('fails when the event has no ClientRequestToken', async () => {
    given({ versions: ROTATING });
    const result = await invoke({ SecretId: ARN, Step: 'createSecret' }, { fn: handler });
    outputs.push(result.output);
    expect(failureOf(result)).toMatch(/the event has no ClientRequestToken/);
    expect(fake.calls).toEqual([]);
  });
});
