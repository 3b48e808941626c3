/** The login-profile handler against the fake: every event type, replays, and each failure. */
import { LoginProfileEvent, handler, handlerWith } from '../../lambda/login-profile';
import { LOG_FIELDS } from '../../lambda/runtime/log';
import { policyViolations } from '../../lambda/password/generator';
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import { assertNoPasswordIn, captureOutput, failureOf } from '../tooling/fault-harness';
import { fakeAwsSuite } from '../tooling/handler-suite';
import {
  LoginProfileProps,
  RESET_TOKEN_CALLS,
  SIGN_IN_URL,
  STACK_ID,
  STRICT_POLICY,
  createEventOf,
  deleteEventOf,
  lambdaContext,
  loginProfileProperties,
  loginProfileSource,
  secretArn,
  updateEventOf,
} from '../tooling/lambda-fixtures';

const SECRET_ARN = secretArn('alice-password');
const PROPS: LoginProfileProps = {
  UserName: 'alice',
  SecretArn: SECRET_ARN,
  PasswordLength: '24',
  PasswordResetRequired: 'true',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Whatever happened, no password the fake saw reached any output (logs, stdout, stderr, errors, responses).
const { fake, run, succeeds } = fakeAwsSuite();

const source = (props: Partial<LoginProfileProps> = {}, requestId = 'request-1') =>
  loginProfileSource('AliceLoginProfile', { ...PROPS, ...props }, requestId);
const createEvent = (props: Partial<LoginProfileProps> = {}, requestId?: string): LoginProfileEvent =>
  createEventOf(source(props, requestId));

/** A user, its secret, and a Create that succeeded (its calls forgotten): the world before an Update or Delete. */
async function deployed(): Promise<{ version: string; password: string }> {
  fake().createUser('alice');
  fake().createSecret('alice-password', { arn: SECRET_ARN });
  await succeeds(createEvent({}, 'request-0'));
  fake().forgetCalls();
  return {
    version: fake().versionIdAt(SECRET_ARN, 'AWSCURRENT')!,
    password: fake().valueAt(SECRET_ARN, 'AWSCURRENT')!.password!,
  };
}

/** The password now in the secret's AWSCURRENT version and in the user's login profile (they must agree). */
function currentPassword(userName = 'alice'): string {
  const stored = fake().valueAt(SECRET_ARN, 'AWSCURRENT')!.password!;
  expect(fake().profileOf(userName)!.password === stored).toBe(true);
  return stored;
}

describe('Create', () => {
  beforeEach(() => {
    fake().createUser('alice');
    fake().createSecret('alice-password', { arn: SECRET_ARN });
  });

  test('with no account policy: claims the user, stores a compliant password, then creates the profile', async () => {
    // GIVEN an account with no custom password policy
    // WHEN
    const response = await succeeds(createEvent());
    // THEN exactly these calls, in this order of effect: the secret is written before IAM sees the password
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['GetUser', 'ok'],
      ['TagUser', 'ok'],
      ['GetAccountPasswordPolicy', 'NoSuchEntityException'],
      ['PutSecretValue', 'ok'],
      ['CreateLoginProfile', 'ok'],
    ]);
    expect(fake().inputsOf('GetUser')).toEqual([{ UserName: 'alice' }]);
    expect(fake().inputsOf('TagUser')).toEqual([
      {
        UserName: 'alice',
        Tags: [
          { Key: OWNER_TAG_KEY, Value: SECRET_ARN },
          { Key: STACK_TAG_KEY, Value: STACK_ID },
        ],
      },
    ]);
    expect(fake().inputsOf('GetAccountPasswordPolicy')).toEqual([{}]);
    const password = currentPassword();
    const names = { [password]: '<new>' };
    const [put] = fake().inputsOf('PutSecretValue', names);
    expect(put.ClientRequestToken).toMatch(UUID);
    expect(put).toEqual({
      SecretId: SECRET_ARN,
      ClientRequestToken: put.ClientRequestToken,
      SecretString: JSON.stringify({ username: 'alice', password: '<new>', signInUrl: SIGN_IN_URL }),
      VersionStages: ['AWSCURRENT'],
    });
    expect(fake().inputsOf('CreateLoginProfile', names)).toEqual([
      { UserName: 'alice', Password: '<new>', PasswordResetRequired: true },
    ]);
    expect(fake().profileOf('alice')!.resetRequired).toBe(true);
    // AWS's default rules (8+ characters, 3 of 4 classes): we give 24 characters and all four.
    expect(password.length).toBe(24);
    expect(
      policyViolations(password, {
        MinimumPasswordLength: 8,
        RequireLowercaseCharacters: true,
        RequireUppercaseCharacters: true,
        RequireNumbers: true,
        RequireSymbols: true,
      }),
    ).toEqual([]);
    expect(response).toEqual({
      PhysicalResourceId: 'alice',
      Data: { UserName: 'alice', SecretVersionId: put.ClientRequestToken },
    });
    expect(fake().tagsOf('alice')).toEqual({ [OWNER_TAG_KEY]: SECRET_ARN, [STACK_TAG_KEY]: STACK_ID });
    expect(fake().passwordsEverSeen.size).toBeGreaterThan(0);
  });

  test('with a strict policy: raises the length to its minimum and satisfies it', async () => {
    const policy = STRICT_POLICY;
    fake().passwordPolicy = policy;
    await succeeds(createEvent());
    expect(fake().commands()).toEqual([
      'GetUser',
      'TagUser',
      'GetAccountPasswordPolicy',
      'PutSecretValue',
      'CreateLoginProfile',
    ]);
    const password = currentPassword();
    expect(fake().inputsOf('CreateLoginProfile', { [password]: '<stored>' })[0].Password).toBe('<stored>');
    expect(password.length).toBe(40);
    expect(policyViolations(password, policy)).toEqual([]);
  });

  test('on PasswordPolicyViolation: re-reads the policy and stores a new password under a new token', async () => {
    // GIVEN a policy that tightens between the handler's read and IAM's check
    fake().passwordPolicy = { MinimumPasswordLength: 8 };
    fake().beforeCall = (command, n) => {
      if (command === 'CreateLoginProfile' && n === 1) fake().passwordPolicy = { MinimumPasswordLength: 30 };
    };
    // WHEN
    await succeeds(createEvent());
    // THEN IAM refused the first password, the handler read the policy again and stored a new one
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['GetUser', 'ok'],
      ['TagUser', 'ok'],
      ['GetAccountPasswordPolicy', 'ok'],
      ['PutSecretValue', 'ok'],
      ['CreateLoginProfile', 'PasswordPolicyViolationException'],
      ['GetAccountPasswordPolicy', 'ok'],
      ['PutSecretValue', 'ok'],
      ['CreateLoginProfile', 'ok'],
    ]);
    const second = currentPassword();
    const names = { [second]: '<second>' };
    const puts = fake().inputsOf('PutSecretValue', names);
    expect(puts[0].ClientRequestToken).not.toBe(puts[1].ClientRequestToken);
    expect(JSON.parse(puts[1].SecretString as string).password).toBe('<second>');
    const creates = fake()
      .inputsOf('CreateLoginProfile', names)
      .map((input) => input.Password);
    expect(creates).toEqual(['<password>', '<second>']);
    expect(second.length).toBe(30);
  });

  test('fails after three policy violations, with a message that holds no password', async () => {
    fake().passwordPolicy = {};
    // IAM refuses every password, echoing the request (password included) in its message
    fake().inject({ command: 'CreateLoginProfile', kind: 'PasswordPolicyViolation', count: 100, echoInput: true });
    const failed = await run(createEvent());
    const message = failureOf(failed);
    expect(message).toContain(
      'Create of login profile AliceLoginProfile failed: PasswordPolicyViolationException: Password does not conform to the account password policy.',
    );
    expect(fake().callCount('CreateLoginProfile')).toBe(3);
    expect(fake().commands()).toEqual([
      'GetUser',
      'TagUser',
      ...['GetAccountPasswordPolicy', 'PutSecretValue', 'CreateLoginProfile'],
      ...['GetAccountPasswordPolicy', 'PutSecretValue', 'CreateLoginProfile'],
      ...['GetAccountPasswordPolicy', 'PutSecretValue', 'CreateLoginProfile'],
    ]);
    expect(fake().passwordsEverSeen.size).toBe(3);
    assertNoPasswordIn(fake(), message, String(failed.error), failed.output);
    expect(fake().profileOf('alice')).toBeUndefined();
  });

  test('a replayed Create sets the password its first delivery stored, not a new one', async () => {
    // GIVEN the first delivery stored version `token` and created the profile
    const event = createEvent();
    await succeeds(event);
    const first = currentPassword();
    const token = fake().versionIdAt(SECRET_ARN, 'AWSCURRENT');
    fake().forgetCalls();
    // WHEN the same event arrives again
    await succeeds(event);
    // THEN its write finds the version (same token), reads it back and sets that same password
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['GetUser', 'ok'],
      ['TagUser', 'ok'],
      ['GetAccountPasswordPolicy', 'NoSuchEntityException'],
      ['PutSecretValue', 'ResourceExistsException'],
      ['GetSecretValue', 'ok'],
      ['CreateLoginProfile', 'EntityAlreadyExistsException'],
      ['UpdateLoginProfile', 'ok'],
    ]);
    expect(fake().inputsOf('PutSecretValue')[0].ClientRequestToken).toBe(token);
    expect(fake().inputsOf('GetSecretValue')).toEqual([
      { SecretId: SECRET_ARN, VersionId: token, VersionStage: undefined },
    ]);
    expect(fake().inputsOf('UpdateLoginProfile', { [first]: '<first delivery>' })).toEqual([
      { UserName: 'alice', Password: '<first delivery>', PasswordResetRequired: true },
    ]);
    expect(currentPassword() === first).toBe(true);
    expect(fake().versionCount(SECRET_ARN)).toBe(1);
  });

  test('the version token is the same for a replay and different for another request', async () => {
    const event = createEvent();
    await succeeds(event);
    await succeeds(event);
    await succeeds(createEvent({}, 'request-2'));
    const tokens = fake()
      .inputsOf('PutSecretValue')
      .map((input) => input.ClientRequestToken);
    expect(tokens).toHaveLength(3);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
  });

  test('fails with a clear reason when the user does not exist', async () => {
    fake().users.delete('alice');
    // IAM is eventually consistent about new users: the handler waits and retries (bounded) first.
    const failed = await run(createEvent());
    expect(failureOf(failed)).toContain('IAM user "alice" does not exist');
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['GetUser', 'NoSuchEntityException'],
      ...Array(5).fill(['TagUser', 'NoSuchEntityException']),
    ]);
  });

  test('fails when the secret is in another account, before any call', async () => {
    const failed = await run(createEvent({ SecretArn: secretArn('alice-password', 'AbCdEf', '210987654321') }));
    expect(failureOf(failed)).toContain(
      'SecretArn must be in this account (123456789012); got a secret in account 210987654321',
    );
    expect(fake().calls).toEqual([]);
  });
});

describe('Update', () => {
  const update = (newProps: Partial<LoginProfileProps>, oldProps: LoginProfileProps = PROPS): LoginProfileEvent =>
    updateEventOf(source(newProps), 'alice', loginProfileProperties(oldProps));

  test('of passwordResetRequired only: one UpdateLoginProfile, no new password', async () => {
    const before = await deployed();
    const response = await succeeds(update({ PasswordResetRequired: 'false' }));
    expect(fake().commands()).toEqual(['UpdateLoginProfile']);
    expect(fake().inputsOf('UpdateLoginProfile')).toEqual([
      { UserName: 'alice', Password: undefined, PasswordResetRequired: false },
    ]);
    expect(response).toEqual({ PhysicalResourceId: 'alice', Data: { UserName: 'alice' } });
    expect(fake().profileOf('alice')!.resetRequired).toBe(false);
    expect(currentPassword() === before.password).toBe(true);
  });

  test('of the reset token: a pending version, the new password in IAM, then promotion', async () => {
    const before = await deployed();
    await succeeds(update({ ResetToken: 'v2' }));
    // IAM took the password before the secret called it current.
    expect(fake().commands()).toEqual(RESET_TOKEN_CALLS);
    const password = currentPassword();
    const names = { [password]: '<new>', [before.password]: '<old>' };
    const [put] = fake().inputsOf('PutSecretValue', names);
    const token = put.ClientRequestToken as string;
    expect(put).toEqual({
      SecretId: SECRET_ARN,
      ClientRequestToken: token,
      SecretString: JSON.stringify({ username: 'alice', password: '<new>', signInUrl: SIGN_IN_URL }),
      VersionStages: ['AWSPENDING'],
    });
    expect(fake().inputsOf('UpdateLoginProfile', names)).toEqual([
      { UserName: 'alice', Password: '<new>', PasswordResetRequired: true },
    ]);
    expect(fake().inputsOf('UpdateSecretVersionStage')).toEqual([
      {
        SecretId: SECRET_ARN,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: before.version,
      },
      { SecretId: SECRET_ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: token },
    ]);
    expect(fake().stagesOf(SECRET_ARN)).toEqual({ [before.version]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
  });

  test('of the user name: the old user profile goes, the new user gets one under a new physical ID', async () => {
    await deployed();
    fake().createUser('alice2');
    const response = await succeeds(update({ UserName: 'alice2' }));
    expect(response.PhysicalResourceId).toBe('alice2');
    expect(fake().commands()).toEqual([
      'GetUser',
      'DeleteLoginProfile',
      'GetUser',
      'TagUser',
      'GetAccountPasswordPolicy',
      'PutSecretValue',
      'CreateLoginProfile',
    ]);
    expect(fake().inputsOf('GetUser')).toEqual([{ UserName: 'alice' }, { UserName: 'alice2' }]);
    expect(fake().inputsOf('DeleteLoginProfile')).toEqual([{ UserName: 'alice' }]);
    expect(fake().inputsOf('CreateLoginProfile')[0].UserName).toBe('alice2');
    expect(fake().profileOf('alice')).toBeUndefined();
    currentPassword('alice2');
  });

  test('of nothing that matters (the password length): no calls at all', async () => {
    await deployed();
    await succeeds(update({ PasswordLength: '30' }));
    expect(fake().calls).toEqual([]);
  });

  test('fails when OldResourceProperties are missing', async () => {
    const e: Partial<LoginProfileEvent> = update({ PasswordResetRequired: 'false' });
    delete (e as { OldResourceProperties?: unknown }).OldResourceProperties;
    expect(failureOf(await run(e as LoginProfileEvent))).toContain('the Update event has no OldResourceProperties');
    expect(fake().calls).toEqual([]);
  });
});

describe('Delete', () => {
  const del = (physicalId = 'alice'): LoginProfileEvent => deleteEventOf(source(), physicalId);

  test('deletes the profile of a user this secret owns', async () => {
    await deployed();
    const response = await succeeds(del());
    expect(fake().commands()).toEqual(['GetUser', 'DeleteLoginProfile']);
    expect(fake().inputsOf('GetUser')).toEqual([{ UserName: 'alice' }]);
    expect(fake().inputsOf('DeleteLoginProfile')).toEqual([{ UserName: 'alice' }]);
    expect(response).toEqual({ PhysicalResourceId: 'alice' });
    expect(fake().profileOf('alice')).toBeUndefined();
  });

  test('succeeds when the profile is already gone', async () => {
    fake().createUser('alice', '/', { [OWNER_TAG_KEY]: SECRET_ARN });
    expect(await succeeds(del())).toEqual({ PhysicalResourceId: 'alice' });
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['GetUser', 'ok'],
      ['DeleteLoginProfile', 'NoSuchEntityException'],
    ]);
  });

  test('succeeds when the user is gone (DeleteLoginProfile settles it: NoSuchEntity)', async () => {
    expect(await succeeds(del())).toEqual({ PhysicalResourceId: 'alice' });
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['GetUser', 'NoSuchEntityException'],
      ['DeleteLoginProfile', 'NoSuchEntityException'],
    ]);
  });

  test('leaves the profile alone when another secret owns it now (the construct moved)', async () => {
    fake().createUser('alice', '/', { [OWNER_TAG_KEY]: `${SECRET_ARN}-other` });
    fake().setProfileByHand('alice', 'Successor-Passw0rd!x');
    await succeeds(del());
    expect(fake().commands()).toEqual(['GetUser']);
    expect(fake().profileOf('alice')).toBeDefined();
  });

  test('leaves a profile set by hand on a user no secret claimed', async () => {
    fake().createUser('alice');
    fake().setProfileByHand('alice', 'Hand-Set-Passw0rd!x');
    await succeeds(del());
    expect(fake().commands()).toEqual(['GetUser']);
    expect(fake().profileOf('alice')).toBeDefined();
  });

  test('looks for the user of the properties when the physical ID is not a user it answered (a Create that never answered)', async () => {
    // GIVEN alice's profile, owned by this secret, and a Delete whose physical ID CloudFormation made up
    await deployed();
    // WHEN the Delete arrives
    const response = await succeeds(del('app-AliceLoginProfile-1A2B3C4D'));
    // THEN it found no user by the made-up ID, then removed alice's profile
    expect(fake().calls.map((c) => [c.command, c.input.UserName, c.outcome])).toEqual([
      ['GetUser', 'app-AliceLoginProfile-1A2B3C4D', 'NoSuchEntityException'],
      ['DeleteLoginProfile', 'app-AliceLoginProfile-1A2B3C4D', 'NoSuchEntityException'],
      ['GetUser', 'alice', 'ok'],
      ['DeleteLoginProfile', 'alice', 'ok'],
    ]);
    expect(fake().profileOf('alice')).toBeUndefined();
    expect(response).toEqual({ PhysicalResourceId: 'app-AliceLoginProfile-1A2B3C4D' });
  });

  test('retries EntityTemporarilyUnmodifiable', async () => {
    fake().createUser('alice', '/', { [OWNER_TAG_KEY]: SECRET_ARN });
    fake().setProfileByHand('alice', 'Hand-Set-Passw0rd!x');
    fake().inject({ command: 'DeleteLoginProfile', kind: 'EntityTemporarilyUnmodifiable' });
    await succeeds(del());
    expect(fake().calls.map((c) => [c.command, c.outcome])).toEqual([
      ['GetUser', 'ok'],
      ['DeleteLoginProfile', 'EntityTemporarilyUnmodifiableException'],
      ['DeleteLoginProfile', 'ok'],
    ]);
    expect(fake().profileOf('alice')).toBeUndefined();
  });

  test('deletes the profile of the user in the physical ID (the old user after a rename)', async () => {
    fake().createUser('old-alice', '/', { [OWNER_TAG_KEY]: SECRET_ARN });
    fake().setProfileByHand('old-alice', 'Old-Alice-Passw0rd!x');
    fake().createUser('alice');
    fake().setProfileByHand('alice', 'New-Alice-Passw0rd!x');
    await succeeds(del('old-alice'));
    // (then alice, of the properties: no secret claimed her, her profile stays)
    expect(fake().commands()).toEqual(['GetUser', 'DeleteLoginProfile', 'GetUser']);
    expect(fake().inputsOf('GetUser')).toEqual([{ UserName: 'old-alice' }, { UserName: 'alice' }]);
    expect(fake().inputsOf('DeleteLoginProfile')).toEqual([{ UserName: 'old-alice' }]);
    expect(fake().profileOf('old-alice')).toBeUndefined();
    expect(fake().profileOf('alice')).toBeDefined();
  });
});

describe('malformed events', () => {
  const withProps = (props: Record<string, unknown>) =>
    ({ ...createEvent(), ResourceProperties: { ...createEvent().ResourceProperties, ...props } }) as LoginProfileEvent;
  test.each([
    [
      'an unknown request type',
      () => ({ ...createEvent(), RequestType: 'Replace' }),
      'unknown RequestType "Replace"; expected Create, Update or Delete',
    ],
    ['no properties', () => ({ ...createEvent(), ResourceProperties: undefined }), 'ResourceProperties are missing'],
    ['no UserName', () => withProps({ UserName: undefined }), 'UserName is required but missing'],
    [
      'a bad user name',
      () => withProps({ UserName: 'a b' }),
      'UserName must be 1-64 characters of letters, digits and +=,.@_- ; got "a b"',
    ],
    [
      'a non-numeric length',
      () => withProps({ PasswordLength: 'long' }),
      'PasswordLength must be a whole number from 6 to 128; got "long"',
    ],
    [
      'a length of 200',
      () => withProps({ PasswordLength: '200' }),
      'PasswordLength must be a whole number from 6 to 128; got "200"',
    ],
    [
      'a reset flag that is not a boolean',
      () => withProps({ PasswordResetRequired: 'yes' }),
      'PasswordResetRequired must be "true" or "false"; got "yes"',
    ],
    [
      'a secret ARN that is not one',
      () => withProps({ SecretArn: 'my-secret' }),
      'SecretArn must be a Secrets Manager secret ARN; got "my-secret"',
    ],
  ])('fails on %s, before any AWS call', async (_name, e, message) => {
    fake().createUser('alice');
    fake().createSecret('alice-password', { arn: SECRET_ARN });
    expect(failureOf(await run(e() as LoginProfileEvent))).toContain(message);
    expect(fake().calls).toEqual([]);
  });

  test.each(['RequestId', 'StackId', 'LogicalResourceId', 'ResponseURL'])(
    'an event without %s cannot be answered: no AWS call, no answer, a log line naming the field',
    async (field) => {
      fake().createUser('alice');
      fake().createSecret('alice-password', { arn: SECRET_ARN });
      const sent: unknown[] = [];
      const output: string[] = [];
      const restore = captureOutput(output);
      let returned: unknown;
      try {
        returned = await handlerWith(async (_url, answer) => void sent.push(answer))(
          { ...createEvent(), [field]: undefined } as never,
          lambdaContext(),
        );
      } finally {
        restore();
      }
      expect(returned).toBeUndefined();
      expect(sent).toEqual([]);
      expect(fake().calls).toEqual([]);
      expect(output.join('\n')).toContain(`the event has no ${field}`);
    },
  );

  test('logs never contain the event or its properties, only allow-listed fields', async () => {
    const output: string[] = [];
    const restore = captureOutput(output);
    try {
      await handler({ ...createEvent(), RequestType: 'Bogus' } as never, lambdaContext()).catch(() => undefined);
    } finally {
      restore();
    }
    expect(output.length).toBeGreaterThan(0);
    for (const line of output) {
      const entry = JSON.parse(line);
      for (const key of Object.keys(entry)) {
        expect(['message', ...LOG_FIELDS]).toContain(key);
      }
    }
    expect(output.join('\n')).not.toContain(SECRET_ARN);
    expect(output.join('\n')).not.toContain(createEvent().ResponseURL);
    expect(fake().calls).toEqual([]);
  });
});
