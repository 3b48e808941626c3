/** The rotation function's four steps with mocked AWS clients: each step, each step twice, each step failing. */
import {
  GetAccountPasswordPolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  TagUserCommand,
  UpdateLoginProfileCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { SecretsManagerRotationEventStep } from 'aws-lambda';
import { handler } from '../../lambda/rotation';
import { resetClients } from '../../lambda/shared/aws';
import { policyViolations } from '../../lambda/shared/password';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alice-password-AbCdEf';
const TOKEN = '22222222-2222-4222-8222-222222222222';
const OLD = '11111111-1111-4111-8111-111111111111';
const CURRENT_PASSWORD = 'Current-Password-1!xyzABC';
const PENDING_PASSWORD = 'Pending-Password-2@abcXYZ';
const SIGN_IN = 'https://123456789012.signin.aws.amazon.com/console';
const POLICY = {
  MinimumPasswordLength: 30,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
};

const iam = mockClient(IAMClient);
const sm = mockClient(SecretsManagerClient);
let output: string[];

function awsError(name: string) {
  return Object.assign(new Error(`${name} (from the mock)`), { name, $metadata: { httpStatusCode: 400 } });
}

interface World {
  /** Version ID -> stages. */
  readonly versions: Record<string, string[]>;
  /** Password in the pending version, if createSecret wrote one. */
  readonly pending?: string;
  /** The user's tags. */
  readonly userTags?: Record<string, string>;
  /** Tags of the secret (default: the rotation tags). */
  readonly secretTags?: Record<string, string>;
  readonly hasProfile?: boolean;
}

const ROTATION_SECRET_TAGS = {
  [ROTATION_TAGS.userName]: 'alice',
  [ROTATION_TAGS.passwordLength]: '24',
  [ROTATION_TAGS.passwordResetRequired]: 'false',
};

/** Sets the mocks to answer like an account in state `world`; any other call fails the test. */
function given(world: World): void {
  iam.reset();
  sm.reset();
  iam.onAnyCommand().rejects(new Error('unexpected IAM call'));
  sm.onAnyCommand().rejects(new Error('unexpected Secrets Manager call'));
  const secretTags = world.secretTags ?? ROTATION_SECRET_TAGS;
  sm.on(DescribeSecretCommand, { SecretId: ARN }).resolves({
    ARN,
    Tags: Object.entries(secretTags).map(([Key, Value]) => ({ Key, Value })),
    VersionIdsToStages: world.versions,
  });
  sm.on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' }).resolves({
    VersionId: OLD,
    SecretString: JSON.stringify({ username: 'alice', password: CURRENT_PASSWORD, signInUrl: SIGN_IN }),
  });
  const pendingRequest = { SecretId: ARN, VersionId: TOKEN, VersionStage: 'AWSPENDING' };
  if (world.pending === undefined) {
    sm.on(GetSecretValueCommand, pendingRequest).rejects(awsError('ResourceNotFoundException'));
  } else {
    sm.on(GetSecretValueCommand, pendingRequest).resolves({
      VersionId: TOKEN,
      SecretString: JSON.stringify({ username: 'alice', password: world.pending, signInUrl: SIGN_IN }),
    });
  }
  sm.on(PutSecretValueCommand).resolves({ ARN, VersionId: TOKEN });
  sm.on(UpdateSecretVersionStageCommand).resolves({ ARN });
  const userTags = world.userTags ?? { [OWNER_TAG_KEY]: ARN };
  iam.on(GetUserCommand, { UserName: 'alice' }).resolves({
    User: {
      UserName: 'alice',
      UserId: 'AIDA0000',
      Arn: 'arn:aws:iam::123456789012:user/alice',
      Path: '/',
      CreateDate: new Date(),
      Tags: Object.entries(userTags).map(([Key, Value]) => ({ Key, Value })),
    },
  });
  iam.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: POLICY });
  iam.on(UpdateLoginProfileCommand).resolves({});
  iam.on(TagUserCommand).resolves({});
  if (world.hasProfile === false) iam.on(GetLoginProfileCommand).rejects(awsError('NoSuchEntityException'));
  else
    iam
      .on(GetLoginProfileCommand, { UserName: 'alice' })
      .resolves({ LoginProfile: { UserName: 'alice', CreateDate: new Date() } });
}

function step(name: string, token = TOKEN) {
  return handler({ SecretId: ARN, ClientRequestToken: token, Step: name as SecretsManagerRotationEventStep });
}

/** The versions as Secrets Manager shows them after RotateSecret started a rotation to TOKEN. */
const ROTATING = { [OLD]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] };
const SET_ON_USER = { [OWNER_TAG_KEY]: ARN, [ROTATED_VERSION_TAG_KEY]: TOKEN };

beforeEach(() => {
  resetClients();
  output = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(String(line)));
});
afterEach(() => {
  jest.restoreAllMocks();
  // Whatever happened, no password reached the logs.
  for (const password of [CURRENT_PASSWORD, PENDING_PASSWORD]) {
    expect(output.some((line) => line.includes(password))).toBe(false);
  }
});

describe('createSecret', () => {
  test('writes a new password for the live policy as AWSPENDING version ClientRequestToken', async () => {
    // GIVEN a rotation to TOKEN has started and the pending version holds no value yet
    given({ versions: ROTATING });
    // WHEN
    await step('createSecret');
    // THEN exactly one version is written: the token, AWSPENDING only
    const puts = sm.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0].args[0].input;
    expect(input).toMatchObject({ SecretId: ARN, ClientRequestToken: TOKEN, VersionStages: ['AWSPENDING'] });
    const value = JSON.parse(input.SecretString!);
    expect(value.username).toBe('alice');
    expect(value.signInUrl).toBe(SIGN_IN);
    // the tagged length (24) is raised to the live policy's minimum (30), and all rules hold
    expect(value.password).toHaveLength(30);
    expect(policyViolations(value.password, POLICY)).toEqual([]);
    expect(value.password === CURRENT_PASSWORD).toBe(false);
    // and IAM's password is untouched, AWSCURRENT is not moved
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  test('run twice: the second run finds the pending value and writes nothing', async () => {
    // GIVEN the first run wrote the pending version
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    // WHEN
    await step('createSecret');
    // THEN
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(iam.commandCalls(GetAccountPasswordPolicyCommand)).toHaveLength(0);
  });

  test('does nothing when the version is already AWSCURRENT (a finished rotation replayed)', async () => {
    given({ versions: { [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] } });
    await step('createSecret');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('fails when PutSecretValue fails, and leaves AWSCURRENT and IAM as they were', async () => {
    given({ versions: ROTATING });
    sm.on(PutSecretValueCommand).rejects(awsError('InternalServiceError'));
    await expect(step('createSecret')).rejects.toThrow(/rotation step createSecret failed: InternalServiceError/);
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  test('fails when the secret is not one this library rotates (no rotation tags)', async () => {
    given({ versions: ROTATING, secretTags: { team: 'x' } });
    await expect(step('createSecret')).rejects.toThrow(/is not a cdk-console-users login profile secret/);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('fails when a rotation tag is malformed', async () => {
    given({ versions: ROTATING, secretTags: { ...ROTATION_SECRET_TAGS, [ROTATION_TAGS.passwordLength]: '500' } });
    await expect(step('createSecret')).rejects.toThrow(
      /password-length must be a whole number from 6 to 128; got "500"/,
    );
  });

  test('fails when the secret holds no AWSCURRENT password yet', async () => {
    given({ versions: { [TOKEN]: ['AWSPENDING'] } });
    sm.on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' }).rejects(
      awsError('ResourceNotFoundException'),
    );
    await expect(step('createSecret')).rejects.toThrow(/has no AWSCURRENT password yet/);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe('setSecret', () => {
  test('sets the pending password with the configured reset flag, then records the version on the user', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    await step('setSecret');
    const updates = iam.commandCalls(UpdateLoginProfileCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0].args[0].input.UserName).toBe('alice');
    expect(updates[0].args[0].input.Password === PENDING_PASSWORD).toBe(true);
    expect(updates[0].args[0].input.PasswordResetRequired).toBe(false);
    const tags = iam.commandCalls(TagUserCommand);
    expect(tags).toHaveLength(1);
    expect(tags[0].args[0].input).toEqual({
      UserName: 'alice',
      Tags: [{ Key: ROTATED_VERSION_TAG_KEY, Value: TOKEN }],
    });
    // the tag comes after IAM took the password
    const order = iam.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('UpdateLoginProfileCommand')).toBeLessThan(order.indexOf('TagUserCommand'));
    // the secret is not changed
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  test('run twice: the second run sees the recorded version and does not set the password again', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER });
    await step('setSecret');
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
    expect(iam.commandCalls(TagUserCommand)).toHaveLength(0);
  });

  test('fails when IAM refuses the password for its policy; the version is not recorded and no password leaks', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    iam.on(UpdateLoginProfileCommand).rejects(
      Object.assign(new Error(`Password ${PENDING_PASSWORD} does not meet policy`), {
        name: 'PasswordPolicyViolationException',
      }),
    );
    const error = await step('setSecret').catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/the previous password still works/);
    expect((error as Error).message.includes(PENDING_PASSWORD)).toBe(false);
    expect(iam.commandCalls(TagUserCommand)).toHaveLength(0);
  });

  test('fails when the user has no login profile, without creating one', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    iam.on(UpdateLoginProfileCommand).rejects(awsError('NoSuchEntityException'));
    await expect(step('setSecret')).rejects.toThrow(/has no login profile; rotation does not create one/);
    expect(iam.commandCalls(TagUserCommand)).toHaveLength(0);
  });

  test('fails when IAM stays unmodifiable and the next retry would pass the deadline, without waiting for it', async () => {
    // GIVEN a profile IAM keeps answering EntityTemporarilyUnmodifiable for, and a Lambda with
    // 10.4 s left: after the 10 s safety margin, 400 ms, less than the shortest retry delay (500 ms)
    given({ versions: ROTATING, pending: PENDING_PASSWORD });
    iam.on(UpdateLoginProfileCommand).rejects(awsError('EntityTemporarilyUnmodifiableException'));
    const context = { getRemainingTimeInMillis: () => 10_400 };
    // WHEN setSecret runs
    const event = { SecretId: ARN, ClientRequestToken: TOKEN, Step: 'setSecret' as const };
    const started = Date.now();
    await expect(handler(event, context)).rejects.toThrow(
      /rotation step setSecret failed: EntityTemporarilyUnmodifiable/,
    );
    // THEN it tried once and answered at once, and did not record the version
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(500);
    expect(iam.commandCalls(TagUserCommand)).toHaveLength(0);
  });

  test('fails when the login profile belongs to another secret', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: { [OWNER_TAG_KEY]: `${ARN}-other` } });
    await expect(step('setSecret')).rejects.toThrow(/is not owned by secret/);
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
  });

  test('fails when createSecret has not written the pending password', async () => {
    given({ versions: ROTATING });
    await expect(step('setSecret')).rejects.toThrow(/holds no pending password; run createSecret first/);
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
  });
});

describe('testSecret', () => {
  test('passes when IAM holds the pending version and the profile exists; changes nothing', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER });
    await step('testSecret');
    await step('testSecret'); // twice: same answer, still no writes
    expect(iam.commandCalls(GetLoginProfileCommand)).toHaveLength(2);
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  test('passes a configuration test (pending version holds the current password) without a rotation tag', async () => {
    // Secrets Manager runs only testSecret when a schedule is created with RotateImmediately=false
    given({ versions: ROTATING, pending: CURRENT_PASSWORD });
    await step('testSecret');
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
  });

  test('fails when IAM holds another version, and puts the AWSCURRENT password back', async () => {
    given({
      versions: ROTATING,
      pending: PENDING_PASSWORD,
      userTags: { [OWNER_TAG_KEY]: ARN, [ROTATED_VERSION_TAG_KEY]: OLD },
    });
    await expect(step('testSecret')).rejects.toThrow(
      /does not hold pending version .* restored the AWSCURRENT password/,
    );
    const updates = iam.commandCalls(UpdateLoginProfileCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0].args[0].input.Password === CURRENT_PASSWORD).toBe(true);
  });

  test('fails when the user has no login profile', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER, hasProfile: false });
    await expect(step('testSecret')).rejects.toThrow(/has no login profile/);
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
  });
});

describe('finishSecret', () => {
  test('moves AWSCURRENT to the new version (from the old one) and clears AWSPENDING', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER });
    await step('finishSecret');
    const moves = sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input);
    expect(moves).toEqual([
      { SecretId: ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN, RemoveFromVersionId: OLD },
      { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN },
    ]);
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
  });

  test('run twice: the second run finds the version current and changes nothing', async () => {
    given({ versions: { [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] } });
    await step('finishSecret');
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  test('run again after moving AWSCURRENT but before clearing AWSPENDING: only clears it', async () => {
    given({ versions: { [OLD]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT', 'AWSPENDING'] } });
    await step('finishSecret');
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: TOKEN },
    ]);
  });

  test('fails when moving the stage fails; AWSPENDING still records the password IAM holds', async () => {
    given({ versions: ROTATING, pending: PENDING_PASSWORD, userTags: SET_ON_USER });
    sm.on(UpdateSecretVersionStageCommand).rejects(awsError('InternalServiceError'));
    await expect(step('finishSecret')).rejects.toThrow(/finishSecret failed: InternalServiceError/);
    // nothing else was attempted: the version that IAM holds stays AWSPENDING for the retry
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(1);
    expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
  });

  test('fails when the version is neither pending nor current', async () => {
    given({ versions: { [OLD]: ['AWSCURRENT'], [TOKEN]: [] } });
    await expect(step('finishSecret')).rejects.toThrow(/is not AWSPENDING; nothing to finish/);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });
});

describe('dispatch', () => {
  test('fails when the step is unknown', async () => {
    given({ versions: ROTATING });
    await expect(step('deleteSecret')).rejects.toThrow(/unknown Step "deleteSecret"/);
    expect(sm.calls()).toHaveLength(0);
  });

  test('fails when the event has no ClientRequestToken', async () => {
    given({ versions: ROTATING });
    await expect(handler({ SecretId: ARN, Step: 'createSecret' } as never)).rejects.toThrow(
      /the event has no ClientRequestToken/,
    );
  });
});
