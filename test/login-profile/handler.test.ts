import {
  CreateLoginProfileCommand,
  DeleteLoginProfileCommand,
  GetAccountPasswordPolicyCommand,
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
import { LoginProfileEvent, handler } from '../../lambda/login-profile';
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import { policyViolations } from '../../lambda/shared/password';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alice-password-AbCdEf';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:handler';
const context = { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => 120_000 };
const PROPS = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:framework',
  UserName: 'alice',
  SecretArn: SECRET_ARN,
  SignInUrl: 'https://123456789012.signin.aws.amazon.com/console',
  PasswordLength: '24',
  PasswordResetRequired: 'true',
};

const iam = mockClient(IAMClient);
const sm = mockClient(SecretsManagerClient);
let output: string[];

function awsError(name: string, message = name) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

function event(requestType: string, extra: Record<string, unknown> = {}): LoginProfileEvent {
  return {
    RequestType: requestType,
    ServiceToken: PROPS.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/response',
    RequestId: 'request-1',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
    LogicalResourceId: 'AliceLoginProfile',
    ResourceType: 'Custom::ConsoleLoginProfile',
    ResourceProperties: PROPS,
    ...extra,
  } as LoginProfileEvent;
}

/** Every password the mocks saw, from IAM calls and secret writes. */
function passwordsSent(): string[] {
  const fromIam = [...iam.commandCalls(CreateLoginProfileCommand), ...iam.commandCalls(UpdateLoginProfileCommand)]
    .map((c) => c.args[0].input.Password)
    .filter((p): p is string => p !== undefined);
  const fromSecrets = sm
    .commandCalls(PutSecretValueCommand)
    .map((c) => JSON.parse(c.args[0].input.SecretString!).password as string);
  return [...fromIam, ...fromSecrets];
}

function expectNoPasswordIn(value: unknown) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const passwords = passwordsSent();
  expect(passwords.length).toBeGreaterThan(0);
  for (const p of passwords) expect(text.includes(p)).toBe(false);
}

beforeEach(() => {
  iam.reset();
  sm.reset();
  // Anything not stubbed below fails the test: an unexpected call is a bug.
  iam.onAnyCommand().rejects(new Error('unexpected IAM call'));
  sm.onAnyCommand().rejects(new Error('unexpected Secrets Manager call'));
  output = [];
  jest.spyOn(console, 'log').mockImplementation((...args) => void output.push(args.join(' ')));
  jest.spyOn(console, 'error').mockImplementation((...args) => void output.push(args.join(' ')));
  jest.spyOn(console, 'warn').mockImplementation((...args) => void output.push(args.join(' ')));
});

afterEach(() => jest.restoreAllMocks());

describe('Create', () => {
  beforeEach(() => {
    iam.on(TagUserCommand).resolves({});
    iam.on(CreateLoginProfileCommand).resolves({});
    sm.on(PutSecretValueCommand).resolves({});
  });

  test('with no account policy: claims the user, stores a compliant password, then creates the profile', async () => {
    // GIVEN an account with no custom password policy
    iam.on(GetAccountPasswordPolicyCommand).rejects(awsError('NoSuchEntityException'));
    // WHEN
    const response = await handler(event('Create'), context);
    // THEN exactly four calls, in this order of effect
    expect(iam.commandCalls(TagUserCommand).map((c) => c.args[0].input)).toEqual([
      {
        UserName: 'alice',
        Tags: [
          { Key: OWNER_TAG_KEY, Value: SECRET_ARN },
          { Key: STACK_TAG_KEY, Value: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1' },
        ],
      },
    ]);
    expect(iam.commandCalls(GetAccountPasswordPolicyCommand)).toHaveLength(1);
    const put = sm.commandCalls(PutSecretValueCommand);
    expect(put).toHaveLength(1);
    const putInput = put[0].args[0].input;
    expect(putInput.SecretId).toBe(SECRET_ARN);
    expect(putInput.VersionStages).toEqual(['AWSCURRENT']);
    expect(putInput.ClientRequestToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const stored = JSON.parse(putInput.SecretString!);
    expect(Object.keys(stored).sort()).toEqual(['password', 'signInUrl', 'username']);
    expect(stored.username).toBe('alice');
    expect(stored.signInUrl).toBe(PROPS.SignInUrl);

    const create = iam.commandCalls(CreateLoginProfileCommand);
    expect(create).toHaveLength(1);
    expect(create[0].args[0].input).toEqual({
      UserName: 'alice',
      Password: stored.password,
      PasswordResetRequired: true,
    });
    // AWS's default rules (8+ characters, 3 of 4 classes): we give 24 characters and all four.
    expect(stored.password).toHaveLength(24);
    expect(
      policyViolations(stored.password, {
        MinimumPasswordLength: 8,
        RequireLowercaseCharacters: true,
        RequireUppercaseCharacters: true,
        RequireNumbers: true,
        RequireSymbols: true,
      }),
    ).toEqual([]);
    // The secret is written before IAM sees the password.
    expect(sm.commandCalls(PutSecretValueCommand)[0].calledBefore(create[0])).toBe(true);
    expect(response).toEqual({
      PhysicalResourceId: 'alice',
      Data: { UserName: 'alice', SecretVersionId: putInput.ClientRequestToken },
    });
    expectNoPasswordIn(response);
    expectNoPasswordIn(output);
  });

  test('with a strict policy: raises the length to its minimum and satisfies it', async () => {
    const policy = {
      MinimumPasswordLength: 40,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
    };
    iam.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: policy });
    await handler(event('Create'), context);
    const password = iam.commandCalls(CreateLoginProfileCommand)[0].args[0].input.Password!;
    expect(password).toHaveLength(40);
    expect(policyViolations(password, policy)).toEqual([]);
  });

  test('on PasswordPolicyViolation: re-reads the policy and stores a new password under a new token', async () => {
    iam.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: { MinimumPasswordLength: 8 } });
    iam
      .on(CreateLoginProfileCommand)
      .rejectsOnce(awsError('PasswordPolicyViolationException', 'Password should have at least 30 characters'))
      .resolves({});
    await handler(event('Create'), context);
    expect(iam.commandCalls(GetAccountPasswordPolicyCommand)).toHaveLength(2);
    const puts = sm.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(2);
    expect(puts[0].ClientRequestToken).not.toBe(puts[1].ClientRequestToken);
    const creates = iam.commandCalls(CreateLoginProfileCommand).map((c) => c.args[0].input.Password);
    expect(creates[1]).toBe(JSON.parse(puts[1].SecretString!).password);
    expect(creates[0]).not.toBe(creates[1]);
  });

  test('fails after three policy violations, with a message that holds no password', async () => {
    iam.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: {} });
    iam.on(CreateLoginProfileCommand).rejects(awsError('PasswordPolicyViolationException', 'policy says no'));
    const failure = handler(event('Create'), context);
    await expect(failure).rejects.toThrow(
      'Create of login profile AliceLoginProfile failed: PasswordPolicyViolationException: policy says no',
    );
    expect(iam.commandCalls(CreateLoginProfileCommand)).toHaveLength(3);
    const error = await failure.catch((e: Error) => e);
    expectNoPasswordIn(String(error));
    expectNoPasswordIn(output);
  });

  test('a replayed Create sets the password its first delivery stored, not a new one', async () => {
    // GIVEN the first delivery stored version `token` and created the profile
    iam.on(GetAccountPasswordPolicyCommand).rejects(awsError('NoSuchEntityException'));
    const firstValue = JSON.stringify({
      username: 'alice',
      password: 'Earlier-Passw0rd!x',
      signInUrl: PROPS.SignInUrl,
    });
    sm.on(PutSecretValueCommand).rejects(awsError('ResourceExistsException'));
    sm.on(GetSecretValueCommand).resolves({ SecretString: firstValue });
    iam.on(CreateLoginProfileCommand).rejects(awsError('EntityAlreadyExistsException'));
    iam.on(UpdateLoginProfileCommand).resolves({});
    // WHEN the same event arrives again
    await handler(event('Create'), context);
    // THEN it reads that version back (by the same token) and sets that same password
    const token = sm.commandCalls(PutSecretValueCommand)[0].args[0].input.ClientRequestToken;
    expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({
      SecretId: SECRET_ARN,
      VersionId: token,
      VersionStage: undefined,
    });
    expect(iam.commandCalls(UpdateLoginProfileCommand)[0].args[0].input).toEqual({
      UserName: 'alice',
      Password: 'Earlier-Passw0rd!x',
      PasswordResetRequired: true,
    });
    expect(output.join('\n')).not.toContain('Earlier-Passw0rd!x');
  });

  test('the version token is the same for a replay and different for another request', async () => {
    iam.on(GetAccountPasswordPolicyCommand).rejects(awsError('NoSuchEntityException'));
    await handler(event('Create'), context);
    await handler(event('Create'), context);
    await handler(event('Create', { RequestId: 'request-2' }), context);
    const tokens = sm.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
  });

  test('fails with a clear reason when the user does not exist', async () => {
    iam.on(TagUserCommand).rejects(awsError('NoSuchEntityException', 'The user with name alice cannot be found.'));
    // IAM is eventually consistent about new users: the handler waits and retries (bounded) first.
    const error = await withFakeTimers(() => handler(event('Create'), context));
    expect(String(error)).toContain('IAM user "alice" does not exist');
    expect(iam.commandCalls(TagUserCommand)).toHaveLength(5);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(iam.commandCalls(CreateLoginProfileCommand)).toHaveLength(0);
  });

  test('fails when the secret is in another account, before any call', async () => {
    const props = { ...PROPS, SecretArn: SECRET_ARN.replace('123456789012', '210987654321') };
    await expect(handler(event('Create', { ResourceProperties: props }), context)).rejects.toThrow(
      'SecretArn must be in this account (123456789012); got a secret in account 210987654321',
    );
    expect(iam.calls()).toHaveLength(0);
    expect(sm.calls()).toHaveLength(0);
  });
});

describe('Update', () => {
  const update = (newProps: Record<string, unknown>, oldProps: Record<string, unknown> = PROPS) =>
    event('Update', {
      PhysicalResourceId: 'alice',
      ResourceProperties: { ...PROPS, ...newProps },
      OldResourceProperties: oldProps,
    });

  test('of passwordResetRequired only: one UpdateLoginProfile, no new password', async () => {
    iam.on(UpdateLoginProfileCommand).resolves({});
    const response = await handler(update({ PasswordResetRequired: 'false' }), context);
    expect(iam.commandCalls(UpdateLoginProfileCommand).map((c) => c.args[0].input)).toEqual([
      { UserName: 'alice', Password: undefined, PasswordResetRequired: false },
    ]);
    expect(iam.calls()).toHaveLength(1);
    expect(sm.calls()).toHaveLength(0);
    expect(response).toEqual({ PhysicalResourceId: 'alice', Data: { UserName: 'alice' } });
  });

  test('of the reset token: a pending version, the new password in IAM, then promotion', async () => {
    iam.on(GetAccountPasswordPolicyCommand).rejects(awsError('NoSuchEntityException'));
    iam.on(UpdateLoginProfileCommand).resolves({});
    let token = '';
    sm.on(DescribeSecretCommand).callsFake(() => ({
      VersionIdsToStages: { 'old-version': ['AWSCURRENT'], [token]: ['AWSPENDING'] },
    }));
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    sm.on(PutSecretValueCommand).callsFake((input) => {
      token = input.ClientRequestToken;
      return {};
    });
    await handler(update({ ResetToken: 'v2' }), context);

    const putInput = sm.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(putInput.VersionStages).toEqual(['AWSPENDING']);
    const password = JSON.parse(putInput.SecretString!).password;
    expect(iam.commandCalls(UpdateLoginProfileCommand)[0].args[0].input).toEqual({
      UserName: 'alice',
      Password: password,
      PasswordResetRequired: true,
    });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: SECRET_ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: 'old-version' },
      { SecretId: SECRET_ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: token },
    ]);
    // IAM took the password before the secret called it current.
    expect(
      iam.commandCalls(UpdateLoginProfileCommand)[0].calledBefore(sm.commandCalls(UpdateSecretVersionStageCommand)[0]),
    ).toBe(true);
  });

  test('of the user name: the old user profile goes, the new user gets one under a new physical ID', async () => {
    iam.on(GetUserCommand).resolves({ User: userWithTags({ [OWNER_TAG_KEY]: SECRET_ARN }) });
    iam.on(DeleteLoginProfileCommand).resolves({});
    iam.on(TagUserCommand).resolves({});
    iam.on(GetAccountPasswordPolicyCommand).rejects(awsError('NoSuchEntityException'));
    sm.on(PutSecretValueCommand).resolves({});
    iam.on(CreateLoginProfileCommand).resolves({});
    const response = await handler(update({ UserName: 'alice2' }), context);
    expect(response.PhysicalResourceId).toBe('alice2');
    expect(iam.commandCalls(CreateLoginProfileCommand)[0].args[0].input.UserName).toBe('alice2');
    expect(iam.commandCalls(DeleteLoginProfileCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'alice' }]);
  });

  test('of nothing that matters (the password length): no calls at all', async () => {
    await handler(update({ PasswordLength: '30' }), context);
    expect(iam.calls()).toHaveLength(0);
    expect(sm.calls()).toHaveLength(0);
  });

  test('fails when OldResourceProperties are missing', async () => {
    const e = event('Update', { PhysicalResourceId: 'alice' });
    await expect(handler(e, context)).rejects.toThrow('the Update event has no OldResourceProperties');
  });
});

describe('Delete', () => {
  const del = (extra: Record<string, unknown> = {}) => event('Delete', { PhysicalResourceId: 'alice', ...extra });

  test('deletes the profile of a user this secret owns', async () => {
    iam.on(GetUserCommand).resolves({ User: userWithTags({ [OWNER_TAG_KEY]: SECRET_ARN }) });
    iam.on(DeleteLoginProfileCommand).resolves({});
    const response = await handler(del(), context);
    expect(iam.commandCalls(DeleteLoginProfileCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'alice' }]);
    expect(iam.calls()).toHaveLength(2);
    expect(response).toEqual({ PhysicalResourceId: 'alice' });
  });

  test('succeeds when the profile is already gone', async () => {
    iam.on(GetUserCommand).resolves({ User: userWithTags({}) });
    iam.on(DeleteLoginProfileCommand).rejects(awsError('NoSuchEntityException'));
    await expect(handler(del(), context)).resolves.toEqual({ PhysicalResourceId: 'alice' });
  });

  test('succeeds when the user is gone (DeleteLoginProfile settles it: NoSuchEntity)', async () => {
    iam.on(GetUserCommand).rejects(awsError('NoSuchEntityException'));
    iam.on(DeleteLoginProfileCommand).rejects(awsError('NoSuchEntityException'));
    await expect(handler(del(), context)).resolves.toEqual({ PhysicalResourceId: 'alice' });
  });

  test('leaves the profile alone when another secret owns it now (the construct moved)', async () => {
    iam.on(GetUserCommand).resolves({ User: userWithTags({ [OWNER_TAG_KEY]: `${SECRET_ARN}-other` }) });
    await handler(del(), context);
    expect(iam.commandCalls(DeleteLoginProfileCommand)).toHaveLength(0);
  });

  test('retries EntityTemporarilyUnmodifiable', async () => {
    iam.on(GetUserCommand).resolves({ User: userWithTags({}) });
    iam.on(DeleteLoginProfileCommand).rejectsOnce(awsError('EntityTemporarilyUnmodifiableException')).resolves({});
    await withFakeTimers(() => handler(del(), context));
    expect(iam.commandCalls(DeleteLoginProfileCommand)).toHaveLength(2);
  });

  test('deletes the profile of the user in the physical ID (the old user after a rename)', async () => {
    iam.on(GetUserCommand).resolves({ User: userWithTags({ [OWNER_TAG_KEY]: SECRET_ARN }) });
    iam.on(DeleteLoginProfileCommand).resolves({});
    await handler(del({ PhysicalResourceId: 'old-alice' }), context);
    expect(iam.commandCalls(GetUserCommand)[0].args[0].input).toEqual({ UserName: 'old-alice' });
    expect(iam.commandCalls(DeleteLoginProfileCommand)[0].args[0].input).toEqual({ UserName: 'old-alice' });
  });
});

describe('malformed events', () => {
  test.each([
    ['an unknown request type', event('Replace'), 'unknown RequestType "Replace"; expected Create, Update or Delete'],
    ['no properties', event('Create', { ResourceProperties: undefined }), 'ResourceProperties are missing'],
    [
      'no UserName',
      event('Create', { ResourceProperties: { ...PROPS, UserName: undefined } }),
      'UserName is required but missing',
    ],
    [
      'a bad user name',
      event('Create', { ResourceProperties: { ...PROPS, UserName: 'a b' } }),
      'UserName must be 1-64 characters of letters, digits and +=,.@_- ; got "a b"',
    ],
    [
      'a non-numeric length',
      event('Create', { ResourceProperties: { ...PROPS, PasswordLength: 'long' } }),
      'PasswordLength must be a whole number from 6 to 128; got "long"',
    ],
    [
      'a length of 200',
      event('Create', { ResourceProperties: { ...PROPS, PasswordLength: '200' } }),
      'PasswordLength must be a whole number from 6 to 128; got "200"',
    ],
    [
      'a reset flag that is not a boolean',
      event('Create', { ResourceProperties: { ...PROPS, PasswordResetRequired: 'yes' } }),
      'PasswordResetRequired must be "true" or "false"; got "yes"',
    ],
    [
      'a secret ARN that is not one',
      event('Create', { ResourceProperties: { ...PROPS, SecretArn: 'my-secret' } }),
      'SecretArn must be a Secrets Manager secret ARN; got "my-secret"',
    ],
    ['no RequestId', event('Create', { RequestId: undefined }), 'the event has no RequestId'],
  ])('fails on %s, before any AWS call', async (_name, e, message) => {
    await expect(handler(e as never, context)).rejects.toThrow(message);
    expect(iam.calls()).toHaveLength(0);
    expect(sm.calls()).toHaveLength(0);
  });

  test('logs never contain the event or its properties, only allow-listed fields', async () => {
    await handler(event('Bogus'), context).catch(() => undefined);
    for (const line of output) {
      const entry = JSON.parse(line);
      for (const key of Object.keys(entry)) {
        expect([
          'message',
          'requestType',
          'logicalResourceId',
          'userName',
          'action',
          'secretVersionId',
          'error',
          'step',
        ]).toContain(key);
      }
    }
    expect(output.join('\n')).not.toContain(SECRET_ARN);
  });
});

function userWithTags(tags: Record<string, string>) {
  return {
    UserName: 'alice',
    UserId: 'AIDAEXAMPLE',
    Arn: 'arn:aws:iam::123456789012:user/alice',
    Path: '/',
    CreateDate: new Date(),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** Runs `fn` under fake timers, fast-forwarding the handler's retry delays; returns its result or error. */
async function withFakeTimers<T>(fn: () => Promise<T>): Promise<T | Error> {
  jest.useFakeTimers();
  try {
    const settled = fn().catch((e: Error) => e);
    await jest.runAllTimersAsync();
    return await settled;
  } finally {
    jest.useRealTimers();
  }
}
