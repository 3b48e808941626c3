/**
 * Rotation while console access is off, against the fake: every step succeeds without issuing
 * anything (createSecret stages a copy of the off value, setSecret touches no profile, testSecret
 * checks there is none, finishSecret promotes the copy), a profile made by hand while off fails
 * the rotation, and a rotation that straddles a switch (off or on while it runs) neither puts a
 * password in AWSCURRENT while access is off nor replaces a password a profile uses.
 */
import type { SecretsManagerRotationEventStep } from 'aws-lambda';
import { handler } from '../../lambda/rotation';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { CFN_STACK_ID_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { Invocation, failureOf, lostPasswords } from '../tooling/fault-harness';
import { fakeAwsSuite } from '../tooling/handler-suite';
import {
  FUNCTION_ARN,
  LoginProfileProps,
  SIGN_IN_URL,
  STACK_ID,
  createEventOf,
  loginProfileProperties,
  loginProfileSource,
  rotationEvent,
  secretArn,
  updateEventOf,
} from '../tooling/lambda-fixtures';
import { expectAccessOff } from '../tooling/scenarios';

const ARN = secretArn('alice-password');
const TOKEN = '22222222-2222-4222-8222-222222222222';
const STEPS: SecretsManagerRotationEventStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const ON: LoginProfileProps = { UserName: 'alice', SecretArn: ARN, PasswordResetRequired: 'false' };
const OFF: LoginProfileProps = { ...ON, ConsoleAccess: 'false' };
const OFF_VALUE = JSON.stringify({ username: 'alice', signInUrl: SIGN_IN_URL, consoleAccess: 'off' });
/** IAM calls that would give, change or remove a login profile or tag the user. */
const IAM_WRITES = ['CreateLoginProfile', 'UpdateLoginProfile', 'DeleteLoginProfile', 'TagUser'];

const { fake, run } = fakeAwsSuite();
let requests = 0;

/** A login-profile event as CloudFormation sends it. */
async function loginProfile(props: LoginProfileProps, old?: LoginProfileProps): Promise<void> {
  const source = loginProfileSource('AliceLoginProfile', props, `r${++requests}`);
  const event = old === undefined ? createEventOf(source) : updateEventOf(source, 'alice', loginProfileProperties(old));
  const result = await run(event);
  expect(result.error).toBeUndefined();
}

async function step(name: SecretsManagerRotationEventStep): Promise<Invocation<void>> {
  return run(rotationEvent(name, ARN, TOKEN), { fn: handler });
}

async function succeeds(name: SecretsManagerRotationEventStep): Promise<void> {
  const result = await step(name);
  expect(result.error).toBeUndefined();
}

/** What RotateSecret does before the first step: the token staged AWSPENDING, with no value yet. */
function startRotation(): void {
  fake().putVersionByHand(ARN, TOKEN, undefined, ['AWSPENDING']);
}

function text(stage: string): string | undefined {
  const id = fake().versionIdAt(ARN, stage);
  return id === undefined ? undefined : fake().secrets.get(ARN)!.versions.get(id)!.secretString;
}

beforeEach(async () => {
  process.env[STACK_ID_ENV] = STACK_ID;
  // GIVEN alice and her secret as a LoginProfile with rotation creates them
  fake().createUser('alice');
  fake().createSecret('alice-password', {
    arn: ARN,
    tags: {
      [CFN_STACK_ID_TAG_KEY]: STACK_ID,
      [ROTATION_TAGS.userName]: 'alice',
      [ROTATION_TAGS.passwordLength]: '24',
      [ROTATION_TAGS.passwordResetRequired]: 'false',
    },
    rotation: { enabled: true, lambdaArn: FUNCTION_ARN },
  });
});
afterEach(() => {
  delete process.env[STACK_ID_ENV];
  expect(lostPasswords(fake())).toEqual([]);
});

describe('a rotation while console access is off', () => {
  test('every step succeeds, each run twice, without a password or a login profile anywhere', async () => {
    // GIVEN access off from the start
    await loginProfile(OFF);
    const offVersion = fake().versionIdAt(ARN, 'AWSCURRENT')!;
    startRotation();
    fake().forgetCalls();
    for (const name of STEPS) {
      for (let run = 1; run <= 2; run++) {
        // WHEN Secrets Manager calls the step (and again)
        await succeeds(name);
        // THEN at every point: no profile, and neither AWSCURRENT nor AWSPENDING holds a password
        expect(fake().profileOf('alice')).toBeUndefined();
        expect(fake().valueAt(ARN, 'AWSCURRENT')?.password).toBeUndefined();
        expect(fake().valueAt(ARN, 'AWSPENDING')?.password).toBeUndefined();
      }
    }
    // ...createSecret staged the copy once, and nothing touched IAM beyond reading
    expect(fake().inputsOf('PutSecretValue')).toEqual([
      { SecretId: ARN, ClientRequestToken: TOKEN, SecretString: OFF_VALUE, VersionStages: ['AWSPENDING'] },
    ]);
    expect(
      fake()
        .commands()
        .filter((c) => IAM_WRITES.includes(c)),
    ).toEqual([]);
    // ...and finishSecret made the copy AWSCURRENT, as after any rotation
    expect(fake().stagesOf(ARN)).toEqual({ [offVersion]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
    expect(text('AWSCURRENT')).toBe(OFF_VALUE);
    expect(expectAccessOff(fake(), 'alice', ARN)).toEqual([]);
  });

  test('after access was switched off (not created off): the same, and the password stays out of AWSCURRENT', async () => {
    await loginProfile(ON);
    await loginProfile(OFF, ON);
    startRotation();
    for (const name of STEPS) await succeeds(name);
    expect(expectAccessOff(fake(), 'alice', ARN)).toEqual([]);
    expect(fake().stagesOf(ARN)[TOKEN]).toEqual(['AWSCURRENT']);
  });

  test('testSecret fails when the user has a login profile anyway (made by hand), and no step touched it', async () => {
    await loginProfile(OFF);
    startRotation();
    fake().forgetCalls();
    await succeeds('createSecret');
    fake().setProfileByHand('alice', 'Made-By-Hand-Password-1!');
    await succeeds('setSecret');
    const message = failureOf(await step('testSecret'));
    expect(message).toMatch(/console access of alice is off, but the user has a login profile/);
    expect(message).toMatch(/delete the profile, or switch console access on/);
    expect(fake().profileOf('alice')!.password).toBe('Made-By-Hand-Password-1!');
    expect(
      fake()
        .commands()
        .filter((c) => IAM_WRITES.includes(c)),
    ).toEqual([]);
    // the profile is the operator's; the hand-made password was never the secret's
    fake().users.get('alice')!.profile = undefined;
  });

  test('finishSecret does not promote a pending value that holds a password (planted under the token); it only removes AWSPENDING', async () => {
    await loginProfile(OFF);
    const offVersion = fake().versionIdAt(ARN, 'AWSCURRENT')!;
    // GIVEN someone with PutSecretValue wrote a password under the rotation token
    fake().putVersionByHand(
      ARN,
      TOKEN,
      JSON.stringify({ username: 'alice', password: 'Planted-Password-4$jkl', signInUrl: SIGN_IN_URL }),
      ['AWSPENDING'],
    );
    // WHEN the rotation runs
    for (const name of STEPS) await succeeds(name);
    // THEN AWSCURRENT stays the off value, the planted version keeps no stage, no profile was set
    expect(fake().stagesOf(ARN)).toEqual({ [offVersion]: ['AWSCURRENT'], [TOKEN]: [] });
    expect(expectAccessOff(fake(), 'alice', ARN)).toEqual([]);
  });

  test('testSecret fails for a pending off value that is not the copy (another user named)', async () => {
    await loginProfile(OFF);
    fake().putVersionByHand(
      ARN,
      TOKEN,
      JSON.stringify({ username: 'mallory', signInUrl: SIGN_IN_URL, consoleAccess: 'off' }),
      ['AWSPENDING'],
    );
    expect(failureOf(await step('testSecret'))).toMatch(/is not the off value of alice/);
  });
});

describe('a rotation that straddles a switch', () => {
  test('access switched off after createSecret: the staged password is never set or promoted', async () => {
    // GIVEN a rotation that staged a new password while access was on
    await loginProfile(ON);
    startRotation();
    await succeeds('createSecret');
    expect(fake().valueAt(ARN, 'AWSPENDING')!.password).toBeDefined();
    // WHEN access is switched off, and the rotation goes on
    await loginProfile(OFF, ON);
    const offVersion = fake().versionIdAt(ARN, 'AWSCURRENT')!;
    fake().forgetCalls();
    for (const name of ['setSecret', 'testSecret', 'finishSecret'] as const) await succeeds(name);
    // THEN no profile, AWSCURRENT is the off value, and AWSPENDING is gone
    expect(
      fake()
        .commands()
        .filter((c) => IAM_WRITES.includes(c)),
    ).toEqual([]);
    expect(fake().versionIdAt(ARN, 'AWSCURRENT')).toBe(offVersion);
    expect(fake().versionIdAt(ARN, 'AWSPENDING')).toBeUndefined();
    expect(expectAccessOff(fake(), 'alice', ARN)).toEqual([]);
  });

  test('access switched off after setSecret (IAM held the pending password): finishSecret does not promote it', async () => {
    await loginProfile(ON);
    startRotation();
    await succeeds('createSecret');
    await succeeds('setSecret');
    await loginProfile(OFF, ON);
    await succeeds('testSecret');
    await succeeds('finishSecret');
    expect(expectAccessOff(fake(), 'alice', ARN)).toEqual([]);
    expect(fake().versionIdAt(ARN, 'AWSPENDING')).toBeUndefined();
  });

  test('access switched on after createSecret staged the off copy: the new password stays AWSCURRENT', async () => {
    // GIVEN a rotation that staged the off copy while access was off
    await loginProfile(OFF);
    startRotation();
    await succeeds('createSecret');
    // WHEN access is switched on (a new password), and the rotation goes on
    await loginProfile(ON, OFF);
    const issued = fake().versionIdAt(ARN, 'AWSCURRENT')!;
    const password = fake().profileOf('alice')!.password;
    fake().forgetCalls();
    for (const name of ['setSecret', 'testSecret', 'finishSecret'] as const) await succeeds(name);
    // THEN the issued password is still AWSCURRENT and IAM's, the off copy was not promoted
    expect(
      fake()
        .commands()
        .filter((c) => IAM_WRITES.includes(c)),
    ).toEqual([]);
    expect(fake().versionIdAt(ARN, 'AWSCURRENT')).toBe(issued);
    expect(fake().versionIdAt(ARN, 'AWSPENDING')).toBeUndefined();
    expect(fake().profileOf('alice')!.password === password).toBe(true);
  });

  test('the next rotation after access went back on rotates the password as usual', async () => {
    await loginProfile(OFF);
    await loginProfile(ON, OFF);
    const before = fake().profileOf('alice')!.password;
    startRotation();
    for (const name of STEPS) await succeeds(name);
    expect(fake().versionIdAt(ARN, 'AWSCURRENT')).toBe(TOKEN);
    expect(fake().profileOf('alice')!.password === before).toBe(false);
    expect(fake().profileOf('alice')!.password === fake().valueAt(ARN, 'AWSCURRENT')!.password).toBe(true);
  });
});
