/**
 * Console access off and on, with the login-profile handler against the fake: each transition,
 * what it calls in which order, replays, late deliveries, rollbacks, renames and moves while off,
 * a reset token while off, and a Delete while off. No password in any output (checked after each test).
 */
import { LoginProfileEvent, handlerWith, loginProfileKind } from '../../lambda/login-profile';
import { versionToken } from '../../lambda/login-profile/plan';
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import { Delivery, answersOf, failureOf, lostPasswords } from '../tooling/fault-harness';
import { fakeAwsSuite } from '../tooling/handler-suite';
import {
  LoginProfileProps,
  SIGN_IN_URL,
  STACK_ID,
  createEventOf,
  deleteEventOf,
  loginProfileProperties,
  loginProfileSource,
  secretArn,
  updateEventOf,
} from '../tooling/lambda-fixtures';
import { expectAccessOff } from '../tooling/scenarios';

const SECRET_ARN = secretArn('alice-password');
const OTHER_SECRET_ARN = secretArn('alice-next', 'GhIjKl');
const ON: LoginProfileProps = { UserName: 'alice', SecretArn: SECRET_ARN };
const OFF: LoginProfileProps = { ...ON, ConsoleAccess: 'false' };
const L = 'AliceLoginProfile';
/** The off value the handler writes for alice: documented in docs/console-access.md. */
const OFF_VALUE = JSON.stringify({ username: 'alice', signInUrl: SIGN_IN_URL, consoleAccess: 'off' });

const { fake, run, succeeds } = fakeAwsSuite();
afterEach(() => {
  // whatever the test did, no login profile is left whose password the secret does not hold
  expect(lostPasswords(fake())).toEqual([]);
});
let requests = 0;

const create = (props: LoginProfileProps, requestId = `r${++requests}`): LoginProfileEvent =>
  createEventOf(loginProfileSource(L, props, requestId));
const update = (props: LoginProfileProps, old: LoginProfileProps, physicalId = 'alice'): LoginProfileEvent =>
  updateEventOf(loginProfileSource(L, props, `r${++requests}`), physicalId, loginProfileProperties(old));
const remove = (props: LoginProfileProps, physicalId = 'alice'): LoginProfileEvent =>
  deleteEventOf(loginProfileSource(L, props, `r${++requests}`), physicalId);

/** alice and her secret, a Create with `props` done, its calls forgotten. */
async function deployed(props: LoginProfileProps): Promise<void> {
  if (!fake().users.has(props.UserName)) fake().createUser(props.UserName);
  if (!fake().secrets.has(props.SecretArn)) {
    fake().createSecret(props.SecretArn === SECRET_ARN ? 'alice-password' : 'alice-next', { arn: props.SecretArn });
  }
  await succeeds(create(props));
  fake().forgetCalls();
}

function stored(arn = SECRET_ARN, stage = 'AWSCURRENT'): string | undefined {
  const id = fake().versionIdAt(arn, stage);
  return id === undefined ? undefined : fake().secrets.get(arn)!.versions.get(id)!.secretString;
}

describe('Create with console access off', () => {
  test('claims the user, sets no login profile, and the secret holds the off value (no password)', async () => {
    fake().createUser('alice');
    fake().createSecret('alice-password', { arn: SECRET_ARN });
    const response = await succeeds(create(OFF));
    // the physical ID is the user, and no SecretVersionId: no password was set
    expect(response).toEqual({ PhysicalResourceId: 'alice', Data: { UserName: 'alice' } });
    expect(fake().commands()).toEqual(['DescribeSecret', 'GetUser', 'TagUser', 'DeleteLoginProfile', 'PutSecretValue']);
    expect(fake().tagsOf('alice')).toEqual({ [OWNER_TAG_KEY]: SECRET_ARN, [STACK_TAG_KEY]: STACK_ID });
    expect(stored()).toBe(OFF_VALUE);
    expect(fake().versionCount(SECRET_ARN)).toBe(1);
    expect(expectAccessOff(fake(), 'alice', SECRET_ARN)).toEqual([]);
  });

  test('removes a login profile the user already had (as a Create with access on replaces it)', async () => {
    fake().createUser('alice');
    fake().setProfileByHand('alice', 'Hand-Made-Password-1!');
    fake().createSecret('alice-password', { arn: SECRET_ARN });
    await succeeds(create(OFF));
    expect(fake().profileOf('alice')).toBeUndefined();
    expect(stored()).toBe(OFF_VALUE);
  });

  test('a construct moved with access off (new logical ID, new secret): the old resource leaves no profile behind', async () => {
    // GIVEN alice's profile from the old resource, whose password is in the old secret
    await deployed(ON);
    fake().createSecret('alice-next', { arn: OTHER_SECRET_ARN });
    // WHEN CloudFormation creates the moved resource (access off), then deletes the old one
    await succeeds(createEventOf(loginProfileSource('MovedLoginProfile', { ...OFF, SecretArn: OTHER_SECRET_ARN })));
    await succeeds(remove(ON));
    // THEN alice has no profile, and the new secret holds the off value
    expect(expectAccessOff(fake(), 'alice', OTHER_SECRET_ARN)).toEqual([]);
    expect(fake().tagsOf('alice')[OWNER_TAG_KEY]).toBe(OTHER_SECRET_ARN);
  });

  test('fails when the user does not exist, and writes nothing', async () => {
    fake().createSecret('alice-password', { arn: SECRET_ARN });
    expect(failureOf(await run(create(OFF)))).toMatch(/IAM user "alice" does not exist/);
    expect(fake().versionCount(SECRET_ARN)).toBe(0);
  });

  test('a failed Create gives the user back to the secret that owned it before', async () => {
    // GIVEN alice owned by another secret, and a PutSecretValue that keeps failing
    fake().createUser('alice', '/', { [OWNER_TAG_KEY]: OTHER_SECRET_ARN });
    fake().createSecret('alice-password', { arn: SECRET_ARN });
    fake().inject({ command: 'PutSecretValue', kind: 'InternalServiceError', count: Number.POSITIVE_INFINITY });
    // WHEN the Create runs
    expect(failureOf(await run(create(OFF)))).toMatch(/InternalServiceError/);
    // THEN the owner tag names the previous secret again
    expect(fake().tagsOf('alice')[OWNER_TAG_KEY]).toBe(OTHER_SECRET_ARN);
  });

  test('fails when ConsoleAccess is neither "true" nor "false", naming the property', async () => {
    fake().createUser('alice');
    fake().createSecret('alice-password', { arn: SECRET_ARN });
    expect(failureOf(await run(create({ ...ON, ConsoleAccess: 'no' })))).toMatch(
      /ConsoleAccess must be "true" or "false"; got "no"/,
    );
    expect(fake().commands()).toEqual([]);
  });
});

describe('switching console access off', () => {
  test('deletes the login profile, then writes the off value as AWSCURRENT; the user keeps its tags', async () => {
    await deployed(ON);
    const before = fake().versionIdAt(SECRET_ARN, 'AWSCURRENT')!;
    const tags = fake().tagsOf('alice');
    const response = await succeeds(update(OFF, ON));
    expect(response).toEqual({ PhysicalResourceId: 'alice', Data: { UserName: 'alice' } });
    // the profile goes before the off value moves the password out of AWSCURRENT (invariant 1)
    expect(fake().commands()).toEqual(['DescribeSecret', 'GetUser', 'DeleteLoginProfile', 'PutSecretValue']);
    expect(fake().inputsOf('PutSecretValue')).toEqual([
      {
        SecretId: SECRET_ARN,
        ClientRequestToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
        SecretString: OFF_VALUE,
        VersionStages: ['AWSCURRENT'],
      },
    ]);
    expect(fake().users.has('alice')).toBe(true);
    expect(fake().tagsOf('alice')).toEqual(tags);
    expect(expectAccessOff(fake(), 'alice', SECRET_ARN)).toEqual([]);
    expect(fake().stagesOf(SECRET_ARN)[before]).toEqual(['AWSPREVIOUS']);
  });

  test('delivered twice: the same answer, the same one version', async () => {
    await deployed(ON);
    const event = update(OFF, ON);
    const first = await succeeds(event);
    const versions = fake().versionCount(SECRET_ARN);
    const second = await succeeds(event);
    expect(second).toEqual(first);
    expect(fake().versionCount(SECRET_ARN)).toBe(versions);
    expect(expectAccessOff(fake(), 'alice', SECRET_ARN)).toEqual([]);
  });

  test('leaves a login profile another secret owns (the switch removes only its own), and still says off', async () => {
    // GIVEN alice claimed since by another secret, whose password her profile now has
    await deployed(ON);
    fake().users.get('alice')!.tags.set(OWNER_TAG_KEY, OTHER_SECRET_ARN);
    fake().setProfileByHand('alice', 'Other-Secrets-Password-1!');
    fake().createSecret('alice-next', { arn: OTHER_SECRET_ARN });
    fake().putVersionByHand(
      OTHER_SECRET_ARN,
      'v1',
      JSON.stringify({ username: 'alice', password: 'Other-Secrets-Password-1!', signInUrl: SIGN_IN_URL }),
      ['AWSCURRENT'],
    );
    await succeeds(update(OFF, ON));
    expect(fake().profileOf('alice')).toBeDefined();
    expect(fake().callCount('DeleteLoginProfile')).toBe(0);
    expect(stored()).toBe(OFF_VALUE);
  });

  test('a late delivery after access went back on changes nothing (its off version was overtaken)', async () => {
    // GIVEN access switched off, then on again
    await deployed(ON);
    const off = update(OFF, ON);
    await succeeds(off);
    await succeeds(update(ON, OFF));
    const password = fake().profileOf('alice')!.password;
    fake().forgetCalls();
    // WHEN the off event arrives again, to a handler that trusts it (CloudFormation's record would
    // refuse it: this is the handler's own check behind that one)
    const trusting = answersOf(
      (send) => handlerWith(send, { ...loginProfileKind, attest: async (event) => ({ event }) }),
      Delivery.FORGED,
    );
    const late = await run(off, { fn: trusting as never });
    // THEN it read the secret and stopped: the profile and AWSCURRENT password stay
    expect(late.error).toBeUndefined();
    expect(fake().commands()).toEqual(['DescribeSecret']);
    expect(fake().profileOf('alice')!.password === password).toBe(true);
    expect(fake().valueAt(SECRET_ARN, 'AWSCURRENT')!.password === password).toBe(true);
  });

  test('when the off value cannot be written, the profile is already gone and AWSCURRENT is unchanged; the rollback issues a new password', async () => {
    await deployed(ON);
    const before = fake().valueAt(SECRET_ARN, 'AWSCURRENT')!.password;
    fake().inject({ command: 'PutSecretValue', kind: 'InternalServiceError', count: Number.POSITIVE_INFINITY });
    const failed = await run(update(OFF, ON));
    expect(failureOf(failed)).toMatch(/InternalServiceError/);
    expect(fake().profileOf('alice')).toBeUndefined();
    expect(fake().valueAt(SECRET_ARN, 'AWSCURRENT')!.password === before).toBe(true);
    fake().clearFaults();
    // WHEN CloudFormation rolls back (the Update with the properties swapped: access on)
    await succeeds(update(ON, OFF));
    // THEN alice has a profile again, with a new password that is AWSCURRENT
    expect(fake().profileOf('alice')).toBeDefined();
    expect(fake().valueAt(SECRET_ARN, 'AWSCURRENT')!.password === before).toBe(false);
  });
});

describe('while console access is off', () => {
  test.each<[string, Partial<LoginProfileProps>]>([
    ['a new reset token', { ResetToken: 'r2' }],
    ['the reset flag', { PasswordResetRequired: 'false' }],
    ['the password length', { PasswordLength: '40' }],
  ])('%s issues nothing and makes no IAM or Secrets Manager call', async (_name, change) => {
    await deployed(OFF);
    const before = stored();
    const response = await succeeds(update({ ...OFF, ...change }, OFF));
    expect(response).toEqual({ PhysicalResourceId: 'alice', Data: { UserName: 'alice' } });
    expect(fake().commands()).toEqual([]);
    expect(stored()).toBe(before);
    expect(fake().profileOf('alice')).toBeUndefined();
  });

  test('a Delete succeeds (there is no profile to remove) and the user can then be deleted', async () => {
    await deployed(OFF);
    await succeeds(remove(OFF));
    expect(fake().commands()).toEqual(['GetUser', 'DeleteLoginProfile']);
    fake().deleteUser('alice');
    expect(fake().users.has('alice')).toBe(false);
  });

  test('a rename (new user): neither user has a profile, the new one is claimed, the secret names it', async () => {
    await deployed(OFF);
    fake().createUser('bob');
    const response = await succeeds(update({ ...OFF, UserName: 'bob' }, OFF));
    expect(response.PhysicalResourceId).toBe('bob');
    expect(fake().profileOf('alice')).toBeUndefined();
    expect(expectAccessOff(fake(), 'bob', SECRET_ARN)).toEqual([]);
    expect(fake().tagsOf('bob')[OWNER_TAG_KEY]).toBe(SECRET_ARN);
    // CloudFormation's cleanup Delete of the old physical ID, then user alice
    await succeeds(remove(OFF, 'alice'));
    fake().deleteUser('alice');
  });

  test('a rename that switches access off: the old user loses its profile, the new one gets none', async () => {
    await deployed(ON);
    fake().createUser('bob');
    await succeeds(update({ ...OFF, UserName: 'bob' }, ON));
    expect(fake().profileOf('alice')).toBeUndefined();
    expect(expectAccessOff(fake(), 'bob', SECRET_ARN)).toEqual([]);
  });

  test('a new secret while switching off: the profile goes, the new secret holds the off value', async () => {
    await deployed(ON);
    fake().createSecret('alice-next', { arn: OTHER_SECRET_ARN });
    await succeeds(update({ ...OFF, SecretArn: OTHER_SECRET_ARN }, ON));
    expect(expectAccessOff(fake(), 'alice', OTHER_SECRET_ARN)).toEqual([]);
    expect(fake().tagsOf('alice')[OWNER_TAG_KEY]).toBe(OTHER_SECRET_ARN);
  });
});

describe('switching console access on', () => {
  test('issues a new password as on Create: claimed, stored as AWSCURRENT, set as the login profile', async () => {
    await deployed(OFF);
    const off = fake().versionIdAt(SECRET_ARN, 'AWSCURRENT')!;
    const response = await succeeds(update(ON, OFF));
    expect(fake().commands()).toEqual([
      'GetUser',
      'TagUser',
      'GetAccountPasswordPolicy',
      'PutSecretValue',
      'CreateLoginProfile',
    ]);
    const current = fake().versionIdAt(SECRET_ARN, 'AWSCURRENT')!;
    expect(response.Data).toEqual({ UserName: 'alice', SecretVersionId: current });
    expect(current).not.toBe(off);
    expect(fake().profileOf('alice')!.password === fake().valueAt(SECRET_ARN, 'AWSCURRENT')!.password).toBe(true);
    expect(fake().profileOf('alice')!.resetRequired).toBe(true);
  });

  test('issues a password even when the reset token did not change, and a different one from before access went off', async () => {
    await deployed({ ...ON, ResetToken: 't1' });
    const first = fake().profileOf('alice')!.password;
    await succeeds(update({ ...OFF, ResetToken: 't1' }, { ...ON, ResetToken: 't1' }));
    await succeeds(update({ ...ON, ResetToken: 't1' }, { ...OFF, ResetToken: 't1' }));
    expect(fake().profileOf('alice')!.password === first).toBe(false);
  });

  test('a reset token changed while off issues nothing until access is on, then one password', async () => {
    await deployed(OFF);
    await succeeds(update({ ...OFF, ResetToken: 'r2' }, OFF));
    expect(fake().versionCount(SECRET_ARN)).toBe(1);
    await succeeds(update({ ...ON, ResetToken: 'r2' }, { ...OFF, ResetToken: 'r2' }));
    expect(fake().versionCount(SECRET_ARN)).toBe(2);
    expect(fake().profileOf('alice')).toBeDefined();
  });

  test('a failed switch on is rolled back to off: the profile it set goes, the secret says off again', async () => {
    await deployed(OFF);
    fake().inject({
      command: 'CreateLoginProfile',
      kind: 'ServiceFailure',
      count: Number.POSITIVE_INFINITY,
      afterApply: true,
    });
    fake().inject({ command: 'UpdateLoginProfile', kind: 'ServiceFailure', count: Number.POSITIVE_INFINITY });
    expect(failureOf(await run(update(ON, OFF)))).toMatch(/ServiceFailure/);
    fake().clearFaults();
    await succeeds(update(OFF, ON));
    expect(expectAccessOff(fake(), 'alice', SECRET_ARN)).toEqual([]);
  });
});

describe('the version token', () => {
  test("the off value is written under the event's version token (attempt 0)", async () => {
    await deployed(ON);
    const event = update(OFF, ON);
    await succeeds(event);
    const token = versionToken(
      {
        stackId: event.StackId,
        logicalResourceId: event.LogicalResourceId,
        requestId: event.RequestId,
        requestType: event.RequestType,
      },
      0,
    );
    expect(fake().versionIdAt(SECRET_ARN, 'AWSCURRENT')).toBe(token);
  });
});
