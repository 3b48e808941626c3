/**
 * Bad input, at synth (construct props) and at deploy (events as CloudFormation or a forger would
 * send them): each fails with an error naming what was wrong, leaks no password, and leaves no
 * half-made login profile or secret version behind.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsoleUser, HandlerCode, HandlerSettings, LoginProfile } from '../../lib';
import { ACCOUNT, FakeAws, REGION, installFake } from '../tooling/fake-aws';
import { FailedAnswer, STACK_ID, assertNoPasswordIn, invoke, properties, requestId } from '../tooling/fault-harness';
import { RESPONSE_URL } from '../tooling/lambda-fixtures';

describe('bad props at synth', () => {
  const stack = () => new Stack(new App(), 'app');
  const cases: [string, (s: Stack) => void, RegExp][] = [
    [
      'a user name with a space',
      (s) => new ConsoleUser(s, 'U', { userName: 'bad name' }),
      /^app\/U: 'userName' must be 1-64 .*, got "bad name"$/,
    ],
    [
      'a user name of 65 characters',
      (s) => new ConsoleUser(s, 'U', { userName: 'a'.repeat(65) }),
      /^app\/U: 'userName' must be 1-64/,
    ],
    [
      'an imported user whose name has a space',
      (s) => new LoginProfile(s, 'P', { user: iam.User.fromUserName(s, 'I', 'bad name') }),
      /^app\/P: the user name of 'user' must be 1-64 .*, got "bad name"$/,
    ],
    [
      'passwordLength 5',
      (s) => new ConsoleUser(s, 'U', { passwordLength: 5 }),
      /^app\/U: 'passwordLength' must be a whole number from 6 to 128, got 5$/,
    ],
    [
      'passwordLength 129',
      (s) => new ConsoleUser(s, 'U', { passwordLength: 129 }),
      /^app\/U: 'passwordLength'.*got 129$/,
    ],
    [
      'passwordLength 12.5',
      (s) => new ConsoleUser(s, 'U', { passwordLength: 12.5 }),
      /^app\/U: 'passwordLength'.*got 12\.5$/,
    ],
    [
      'passwordLength NaN',
      (s) => new ConsoleUser(s, 'U', { passwordLength: NaN }),
      /^app\/U: 'passwordLength'.*got NaN$/,
    ],
    [
      'a secret name with a space',
      (s) => new ConsoleUser(s, 'U', { secretName: 'my secret' }),
      /^app\/U: 'secretName'.*"my secret"$/,
    ],
    [
      'an empty reset token',
      (s) => new ConsoleUser(s, 'U', { resetToken: '' }),
      /^app\/U: 'resetToken' must be 1-256 characters, got 0 characters$/,
    ],
    [
      'a reset token of 257 characters',
      (s) => new ConsoleUser(s, 'U', { resetToken: 'x'.repeat(257) }),
      /^app\/U: 'resetToken'.*got 257 characters$/,
    ],
    [
      'a password on a ConsoleUser',
      (s) => new ConsoleUser(s, 'U', { password: { toString: () => 'literal' } } as never),
      /^app\/U: 'password' cannot be set on a ConsoleUser/,
    ],
    ['a LoginProfile without a user', (s) => new LoginProfile(s, 'P', {} as never), /^app\/P: 'user' is required/],
    [
      'two login profiles for one user',
      (s) => {
        const user = new iam.User(s, 'U');
        new LoginProfile(s, 'P1', { user });
        new LoginProfile(s, 'P2', { user });
      },
      /^app\/P2: 'user' app\/U already has a login profile \(app\/P1\)/,
    ],
    [
      'handler settings given twice for one stack',
      (s) => {
        HandlerSettings.configure(s);
        new ConsoleUser(s, 'U');
        HandlerSettings.configure(s.node.findChild('U'), { handlerCode: HandlerCode.INLINE });
      },
      /^app\/U: HandlerSettings.configure was already called for stack app, on app;/,
    ],
  ];
  test.each(cases)('fails on %s, naming the prop', (_name, build, message) => {
    // GIVEN a stack; WHEN the construct gets the bad prop; THEN synth fails with a clear message
    expect(() => build(stack())).toThrow(message);
  });
});

describe('bad events at deploy', () => {
  let fake: FakeAws;
  const secretArn = () => [...fake.secrets.keys()][0];
  beforeEach(() => {
    jest.useFakeTimers();
    fake = new FakeAws();
    installFake(fake);
    fake.createUser('alice');
    fake.createSecret('alice-password');
  });
  afterEach(() => jest.useRealTimers());

  const good = (): Record<string, unknown> => properties({ UserName: 'alice', SecretArn: secretArn() });
  const event = (overrides: Record<string, unknown>) => ({
    RequestType: 'Create',
    RequestId: requestId(),
    StackId: STACK_ID,
    LogicalResourceId: 'L',
    ResourceType: 'Custom::ConsoleLoginProfile',
    ResponseURL: RESPONSE_URL,
    ResourceProperties: good(),
    ...overrides,
  });
  const withProps = (change: Record<string, unknown>) => () => event({ ResourceProperties: { ...good(), ...change } });
  const without = (key: string) => () => {
    const props = good();
    delete props[key];
    return event({ ResourceProperties: props });
  };

  const cases: [string, () => unknown, RegExp][] = [
    [
      'an unknown RequestType',
      () => event({ RequestType: 'Upsert' }),
      /unknown RequestType "Upsert"; expected Create, Update or Delete/,
    ],
    ['no RequestType', () => event({ RequestType: undefined }), /unknown RequestType undefined/],
    ['no ResourceProperties', () => event({ ResourceProperties: undefined }), /ResourceProperties are missing/],
    ['no UserName', without('UserName'), /UserName is required but missing/],
    ['a UserName with a space', withProps({ UserName: 'a b' }), /UserName must be 1-64 characters.*"a b"/],
    ['a UserName that is an object', withProps({ UserName: { Ref: 'User' } }), /UserName must be a string; got object/],
    ['a user that does not exist', withProps({ UserName: 'ghost' }), /IAM user "ghost" does not exist/],
    ['no SecretArn', without('SecretArn'), /SecretArn is required but missing/],
    [
      'a SecretArn that is a name, not an ARN',
      withProps({ SecretArn: 'alice-password' }),
      /SecretArn must be a Secrets Manager secret ARN; got "alice-password"/,
    ],
    [
      'a secret in another account',
      withProps({ SecretArn: `arn:aws:secretsmanager:${REGION}:999999999999:secret:stolen-AbCdEf` }),
      /SecretArn must be in this account \(123456789012\); got a secret in account 999999999999/,
    ],
    [
      'a secret that does not exist',
      withProps({ SecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:missing-AbCdEf` }),
      /ResourceNotFoundException: Secrets Manager can't find the specified secret/,
    ],
    [
      'PasswordLength "5"',
      withProps({ PasswordLength: '5' }),
      /PasswordLength must be a whole number from 6 to 128; got "5"/,
    ],
    ['PasswordLength "129"', withProps({ PasswordLength: '129' }), /PasswordLength .*got "129"/],
    ['PasswordLength "24.0"', withProps({ PasswordLength: '24.0' }), /PasswordLength .*got "24.0"/],
    ['PasswordLength "abc"', withProps({ PasswordLength: 'abc' }), /PasswordLength .*got "abc"/],
    ['PasswordLength ""', withProps({ PasswordLength: '' }), /PasswordLength must not be empty/],
    ['PasswordLength as a boolean', withProps({ PasswordLength: true }), /PasswordLength .*got "true"/],
    [
      'PasswordResetRequired "yes"',
      withProps({ PasswordResetRequired: 'yes' }),
      /PasswordResetRequired must be "true" or "false"; got "yes"/,
    ],
    [
      'PasswordResetRequired as a list',
      withProps({ PasswordResetRequired: ['true'] }),
      /PasswordResetRequired must be a string; got object/,
    ],
    ['ResetToken as an object', withProps({ ResetToken: { v: 1 } }), /ResetToken must be a string; got object/],
    [
      'an Update without OldResourceProperties',
      () => event({ RequestType: 'Update', PhysicalResourceId: 'alice', OldResourceProperties: undefined }),
      /the Update event has no OldResourceProperties/,
    ],
    [
      'an Update whose new properties are bad',
      () =>
        event({
          RequestType: 'Update',
          PhysicalResourceId: 'alice',
          OldResourceProperties: good(),
          ResourceProperties: { ...good(), PasswordLength: '1000' },
        }),
      /PasswordLength .*got "1000"/,
    ],
  ];

  test.each(cases)('fails on %s, naming what was wrong and changing nothing', async (_name, build, message) => {
    // GIVEN an existing user and an empty secret
    // WHEN the bad event arrives
    const result = await invoke(build());
    // THEN it fails with a message naming the problem, says it in the Create/Update context,
    // leaks nothing, and leaves no profile and no secret version behind
    expect(result.error).toBeDefined();
    expect(String(result.error)).toMatch(message);
    expect(String(result.error)).toMatch(/^HandlerError: \S+ of login profile \S+ failed: /);
    assertNoPasswordIn(fake, result.output);
    for (const user of fake.users.values()) expect(user.profile).toBeUndefined();
    for (const arn of fake.secrets.keys()) expect(fake.versionCount(arn)).toBe(0);
  });

  // Without these fields there is no answer CloudFormation would take: the handler logs why and
  // stops (CloudFormation, if it sent the event, gives up at the resource's ServiceTimeout).
  const unanswerable: [string, () => unknown, RegExp][] = [
    ['an event that is not an object', () => null, /the event is not an object/],
    ['no RequestId', () => event({ RequestId: undefined }), /the event has no RequestId/],
    ['no StackId', () => event({ StackId: '' }), /the event has no StackId/],
    ['no ResponseURL', () => event({ ResponseURL: undefined }), /the event has no ResponseURL/],
  ];
  test.each(unanswerable)(
    'cannot answer %s: logs what was wrong and changes nothing',
    async (_name, build, message) => {
      const result = await invoke(build());
      expect(String(result.error)).toMatch(/the handler answered 0 times/);
      expect(result.output).toMatch(message);
      expect(fake.calls).toEqual([]);
    },
  );

  test('a Create with no usable user name answers a physical ID whose Delete calls nothing', async () => {
    // GIVEN a Create that fails validation, and the Delete CloudFormation sends after it
    const create = await invoke(event({ ResourceProperties: { ...good(), UserName: 'a b' } }));
    const physicalId = (create.error as FailedAnswer).physicalResourceId;
    expect(physicalId).toBe('L:no-user');
    const del = await invoke(
      event({ RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: { UserName: 'a b' } }),
    );
    // THEN both answered, and neither called AWS
    expect(del.error).toBeUndefined();
    expect(fake.calls).toEqual([]);
  });

  test('a Delete with no usable user name succeeds without calling AWS', async () => {
    // GIVEN a Delete for a resource whose Create failed validation (CloudFormation still deletes it)
    const bad = event({ RequestType: 'Delete', PhysicalResourceId: '', ResourceProperties: { UserName: 'a b' } });
    // WHEN it arrives
    const result = await invoke(bad);
    // THEN it succeeds (a stuck Delete would block the stack) and touches nothing
    expect(result.error).toBeUndefined();
    expect(fake.calls).toEqual([]);
  });
});
