import { App, CfnParameter, Duration, NestedStack, RemovalPolicy, SecretValue, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SERVICE_TIMEOUT_ENV } from '../../lambda/runtime/custom-resource';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { ConsoleUser, HandlerSettings, LoginProfile } from '../../lib';

function newStack(name = 'TestStack'): Stack {
  return new Stack(new App(), name);
}

function resourceIdsOf(template: Template, type: string): string[] {
  return Object.keys(template.findResources(type));
}

describe('ConsoleUser', () => {
  test('creates the user, an empty secret and a login profile custom resource', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new ConsoleUser(stack, 'Alice', { userName: 'alice' });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::User', {
      UserName: 'alice',
      ManagedPolicyArns: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/IAMUserChangePassword']] },
      ],
    });
    const userId = resourceIdsOf(template, 'AWS::IAM::User')[0];
    const secretId = resourceIdsOf(template, 'AWS::SecretsManager::Secret')[0];
    // The secret holds only what the handler writes: no generated or literal value in the template.
    const secret = template.findResources('AWS::SecretsManager::Secret')[secretId];
    expect(secret.Properties.GenerateSecretString).toBeUndefined();
    expect(secret.Properties.SecretString).toBeUndefined();
    const properties = {
      UserName: { Ref: userId },
      SecretArn: { Ref: secretId },
      PasswordLength: '24',
      PasswordResetRequired: 'true',
    };
    // The handler computes the sign-in URL itself: no property brings one.
    template.hasResourceProperties('Custom::ConsoleLoginProfile', {
      ...properties,
      ResetToken: Match.absent(),
      SignInUrl: Match.absent(),
      // access on (the default) is the absent property: templates from before the prop stay the same
      ConsoleAccess: Match.absent(),
    });
    // CloudFormation's record carries the same properties (minus the service token and timeout),
    // references resolved: the handler takes them from there, not from the event.
    const [profile] = Object.values(template.findResources('Custom::ConsoleLoginProfile'));
    expect(profile.Metadata['cdk-console-users:properties']).toEqual(properties);
    const { ServiceToken, ServiceTimeout, ...sent } = profile.Properties;
    expect(ServiceToken).toBeDefined();
    expect(ServiceTimeout).toBeDefined();
    expect(profile.Metadata['cdk-console-users:properties']).toEqual(sent);
    // Nothing refers to a sign-in URL until the app reads one: no unused mapping (cfn-lint W7001).
    expect(template.toJSON().Mappings).toBeUndefined();
    // The construct's sign-in URL, read (as an app reads it) before synthesis: the account's, on
    // the partition's sign-in domain.
    const other = newStack();
    const carol = new ConsoleUser(other, 'Carol', { userName: 'carol' });
    expect(other.resolve(carol.signInUrl)).toEqual({
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: 'AWS::AccountId' },
          '.',
          { 'Fn::FindInMap': ['CdkConsoleUsersSignInDomains', { Ref: 'AWS::Partition' }, 'domain'] },
          '/console',
        ],
      ],
    });
    Template.fromStack(other).hasMapping('CdkConsoleUsersSignInDomains', {
      'aws': { domain: 'signin.aws.amazon.com' },
      'aws-cn': { domain: 'signin.amazonaws.cn' },
      'aws-us-gov': { domain: 'signin.amazonaws-us-gov.com' },
    });
  });

  test('options reach the resource properties; no reset means no change-password grant', () => {
    const stack = newStack();
    new ConsoleUser(stack, 'Bob', { passwordResetRequired: false, passwordLength: 40, resetToken: 'v2' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::ConsoleLoginProfile', {
      PasswordLength: '40',
      PasswordResetRequired: 'false',
      ResetToken: 'v2',
    });
    template.hasResource('Custom::ConsoleLoginProfile', {
      Metadata: {
        'cdk-console-users:properties': Match.objectLike({
          PasswordLength: '40',
          PasswordResetRequired: 'false',
          ResetToken: 'v2',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::User', { ManagedPolicyArns: Match.absent() });
  });

  test('keeps iam.UserProps working (groups, managed policies, path)', () => {
    const stack = newStack();
    const group = new iam.Group(stack, 'Auditors');
    const user = new ConsoleUser(stack, 'Carol', {
      userName: 'carol',
      path: '/people/',
      groups: [group],
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
    });
    user.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::User', {
      Path: '/people/',
      Groups: [{ Ref: Match.stringLikeRegexp('Auditors') }],
      ManagedPolicyArns: Match.arrayWith([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] },
      ]),
    });
    expect(user.secret).toBe(user.loginProfile.secret);
    expect(user).toBeInstanceOf(iam.User);
  });

  test('secret options: name, customer key and removal policy', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    new ConsoleUser(stack, 'Dan', {
      secretName: 'console/dan',
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Name: 'console/dan', KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('Key'), 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
  });

  test('grantReadPassword lets a principal read the secret', () => {
    const stack = newStack();
    const user = new ConsoleUser(stack, 'Erin');
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    user.grantReadPassword(reader);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Reader') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('ErinLoginProfileSecret') },
          }),
        ]),
      },
    });
  });

  test.each([
    [
      'userName with a space',
      { userName: 'bad name' },
      `TestStack/User: 'userName' must be 1-64 characters of letters, digits and +=,.@_- (IAM user name rules), got "bad name"`,
    ],
    [
      'userName of 65 characters',
      { userName: 'a'.repeat(65) },
      `TestStack/User: 'userName' must be 1-64 characters of letters, digits and +=,.@_- (IAM user name rules), got "${'a'.repeat(65)}"`,
    ],
    [
      'passwordLength 5',
      { passwordLength: 5 },
      `TestStack/User: 'passwordLength' must be a whole number from 6 to 128, got 5`,
    ],
    [
      'passwordLength 129',
      { passwordLength: 129 },
      `TestStack/User: 'passwordLength' must be a whole number from 6 to 128, got 129`,
    ],
    [
      'passwordLength 12.5',
      { passwordLength: 12.5 },
      `TestStack/User: 'passwordLength' must be a whole number from 6 to 128, got 12.5`,
    ],
    [
      'secretName with a space',
      { secretName: 'a b' },
      `TestStack/User: 'secretName' must be 1-512 characters of letters, digits and /_+=.@- (Secrets Manager name rules), got "a b"`,
    ],
    ['empty resetToken', { resetToken: '' }, `TestStack/User: 'resetToken' must be 1-256 characters, got 0 characters`],
    [
      'a password',
      { password: SecretValue.unsafePlainText('x') } as never,
      "TestStack/User: 'password' cannot be set on a ConsoleUser: its password is generated at deploy time and kept in Secrets Manager",
    ],
  ])('fails when given %s, naming the ConsoleUser and the prop', (_name, props, message) => {
    const stack = newStack();
    const error = thrownBy(() => new ConsoleUser(stack, 'User', props));
    expect(error.message).toBe(message);
    expect(error.name).toBe('ValidationError');
    expect(error).toMatchObject({ constructPath: 'TestStack/User' });
  });

  test('among many users, the error names the one whose prop is wrong', () => {
    const stack = newStack();
    for (let i = 0; i < 20; i++) new ConsoleUser(stack, `User${i}`, { userName: `user-${i}` });
    expect(() => new ConsoleUser(stack, 'Alice', { userName: 'alice', passwordLength: 5 })).toThrow(
      /^TestStack\/Alice: 'passwordLength' must be a whole number from 6 to 128, got 5$/,
    );
  });

  test('unresolved tokens are left to the handler', () => {
    const stack = newStack();
    const length = new CfnParameter(stack, 'Length', { type: 'Number' }).valueAsNumber;
    expect(() => new ConsoleUser(stack, 'User', { passwordLength: length })).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('Custom::ConsoleLoginProfile', {
      PasswordLength: { Ref: 'Length' },
    });
  });
});

describe('LoginProfile', () => {
  test('an imported user gets the profile and an inline change-password policy', () => {
    const stack = newStack();
    const user = iam.User.fromUserName(stack, 'Vendor', 'vendor');
    const profile = new LoginProfile(stack, 'VendorProfile', { user });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::ConsoleLoginProfile', { UserName: 'vendor' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Users: ['vendor'],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'iam:ChangePassword', Resource: Match.anyValue() }),
          Match.objectLike({ Action: 'iam:GetAccountPasswordPolicy', Resource: '*' }),
        ]),
      },
    });
    expect(profile.user).toBe(user);
  });

  test('fails when a user gets a second login profile', () => {
    const stack = newStack();
    const user = new iam.User(stack, 'User');
    new LoginProfile(stack, 'First', { user });
    expect(() => new LoginProfile(stack, 'Second', { user })).toThrow(
      "TestStack/Second: 'user' TestStack/User already has a login profile (TestStack/First); an IAM user has at most one",
    );
  });

  test('fails when the imported user name is invalid', () => {
    const stack = newStack();
    const user = iam.User.fromUserName(stack, 'Bad', 'no spaces');
    expect(() => new LoginProfile(stack, 'P', { user })).toThrow(
      `TestStack/P: the user name of 'user' must be 1-64 characters of letters, digits and +=,.@_- (IAM user name rules), got "no spaces"`,
    );
  });

  test('uses the partition-specific sign-in URL when the region is known', () => {
    const stack = new Stack(new App(), 'China', { env: { account: '111122223333', region: 'cn-north-1' } });
    const user = new ConsoleUser(stack, 'User');
    expect(stack.resolve(user.signInUrl)).toBe('https://111122223333.signin.amazonaws.cn/console');
    const gov = new Stack(new App(), 'Gov', { env: { account: '111122223333', region: 'us-gov-west-1' } });
    expect(gov.resolve(new ConsoleUser(gov, 'User').signInUrl)).toBe(
      'https://111122223333.signin.amazonaws-us-gov.com/console',
    );
  });
});

describe('one login profile per IAM user per account', () => {
  const inAccount = (scope: Construct, id: string, account: string) =>
    new Stack(scope, id, { env: { account, region: 'eu-west-1' } });

  test('fails when two imports of the same user name each get a login profile', () => {
    // GIVEN a stack in a known account with a login profile for an imported "vendor"
    const stack = inAccount(new App(), 'Users', '111111111111');
    new LoginProfile(stack, 'VendorProfile', { user: iam.User.fromUserName(stack, 'Vendor', 'vendor') });
    // WHEN a second import of "vendor" gets one too; THEN synth fails naming both
    expect(
      () => new LoginProfile(stack, 'VendorAgain', { user: iam.User.fromUserName(stack, 'Vendor2', 'vendor') }),
    ).toThrow(
      `Users/VendorAgain: IAM user "vendor" already has a login profile in account 111111111111 (Users/VendorProfile); an IAM user has at most one, and two would overwrite each other's password at deploy`,
    );
  });

  test('fails when a ConsoleUser and a LoginProfile on an imported user share a name, naming the ConsoleUser', () => {
    const stack = inAccount(new App(), 'Users', '111111111111');
    new ConsoleUser(stack, 'Alice', { userName: 'alice' });
    expect(
      () => new LoginProfile(stack, 'AliceProfile', { user: iam.User.fromUserName(stack, 'Imported', 'alice') }),
    ).toThrow(
      /^Users\/AliceProfile: IAM user "alice" already has a login profile in account 111111111111 \(Users\/Alice\);/,
    );
  });

  test('fails when the names differ only in case (IAM user names are unique regardless of case)', () => {
    const stack = inAccount(new App(), 'Users', '111111111111');
    new LoginProfile(stack, 'Lower', { user: iam.User.fromUserName(stack, 'L', 'alice') });
    expect(() => new ConsoleUser(stack, 'Upper', { userName: 'Alice' })).toThrow(
      /^Users\/Upper: IAM user "Alice" already has a login profile in account 111111111111 \(Users\/Lower as "alice"\);/,
    );
  });

  test('fails across two stacks of one app in the same account', () => {
    const app = new App();
    const one = inAccount(app, 'One', '111111111111');
    const two = new Stack(app, 'Two', { env: { account: '111111111111', region: 'us-east-1' } });
    new ConsoleUser(one, 'Vendor', { userName: 'vendor' });
    expect(
      () => new LoginProfile(two, 'VendorProfile', { user: iam.User.fromUserName(two, 'Vendor', 'vendor') }),
    ).toThrow(
      /^Two\/VendorProfile: IAM user "vendor" already has a login profile in account 111111111111 \(One\/Vendor\);/,
    );
  });

  test('fails across two stages of one app in the same account', () => {
    const app = new App();
    const beta = inAccount(new Stage(app, 'Beta'), 'Users', '111111111111');
    const gamma = inAccount(new Stage(app, 'Gamma'), 'Users', '111111111111');
    new ConsoleUser(beta, 'Alice', { userName: 'alice' });
    expect(() => new ConsoleUser(gamma, 'Alice', { userName: 'alice' })).toThrow(
      /^Gamma\/Users\/Alice: IAM user "alice" already has a login profile in account 111111111111 \(Beta\/Users\/Alice\);/,
    );
  });

  test('fails for the same name twice in one env-agnostic stack (one stack deploys to one account)', () => {
    const stack = newStack();
    new ConsoleUser(stack, 'Alice', { userName: 'alice' });
    expect(
      () => new LoginProfile(stack, 'AliceProfile', { user: iam.User.fromUserName(stack, 'Imported', 'alice') }),
    ).toThrow(
      /^TestStack\/AliceProfile: IAM user "alice" already has a login profile in stack TestStack \(TestStack\/Alice\);/,
    );
  });

  test('passes for the same name in two stacks of different accounts', () => {
    const app = new App();
    const prod = inAccount(app, 'Prod', '111111111111');
    const dev = inAccount(app, 'Dev', '222222222222');
    new ConsoleUser(prod, 'Alice', { userName: 'alice' });
    new ConsoleUser(dev, 'Alice', { userName: 'alice' });
    for (const stack of [prod, dev]) {
      Template.fromStack(stack).hasResourceProperties('Custom::ConsoleLoginProfile', {
        UserName: { Ref: Match.anyValue() },
      });
    }
  });

  test('passes for the same name in two env-agnostic stacks (their accounts are unknown)', () => {
    const app = new App();
    const one = new Stack(app, 'One');
    const two = new Stack(app, 'Two');
    new ConsoleUser(one, 'Alice', { userName: 'alice' });
    new LoginProfile(two, 'AliceProfile', { user: iam.User.fromUserName(two, 'Alice', 'alice') });
    Template.fromStack(two).hasResourceProperties('Custom::ConsoleLoginProfile', { UserName: 'alice' });
  });

  test('passes for an env-agnostic stack and a stack with an account', () => {
    const app = new App();
    const agnostic = new Stack(app, 'Agnostic');
    new ConsoleUser(agnostic, 'Alice', { userName: 'alice' });
    const known = inAccount(app, 'Known', '111111111111');
    expect(() => new ConsoleUser(known, 'Alice', { userName: 'alice' })).not.toThrow();
    for (const stack of [agnostic, known]) {
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::User', { UserName: 'alice' });
      Template.fromStack(stack).resourceCountIs('Custom::ConsoleLoginProfile', 1);
    }
  });

  test('passes for the same name and account in two separate apps in one process', () => {
    for (const app of [new App(), new App()]) {
      const stack = inAccount(app, 'Users', '111111111111');
      expect(() => new ConsoleUser(stack, 'Alice', { userName: 'alice' })).not.toThrow();
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::User', { UserName: 'alice' });
      Template.fromStack(stack).resourceCountIs('Custom::ConsoleLoginProfile', 1);
    }
  });

  test('does not compare users whose names are generated or tokens', () => {
    const stack = inAccount(new App(), 'Users', '111111111111');
    const name = new CfnParameter(stack, 'Name').valueAsString;
    new ConsoleUser(stack, 'A');
    new ConsoleUser(stack, 'B');
    new LoginProfile(stack, 'P1', { user: iam.User.fromUserName(stack, 'I1', name) });
    new LoginProfile(stack, 'P2', { user: iam.User.fromUserName(stack, 'I2', name) });
    Template.fromStack(stack).resourceCountIs('Custom::ConsoleLoginProfile', 4);
  });
});

describe('the login-profile handler', () => {
  test("a nested stack's provider knows the nested stack's own ID and may read only that stack's record", () => {
    // GIVEN a login profile in a nested stack (CloudFormation gives it a stack ID of its own)
    const parent = newStack();
    const nested = new NestedStack(parent, 'Users');
    new ConsoleUser(nested, 'Alice', { userName: 'alice' });
    // THEN the provider is the nested stack's, its stack ID is the nested template's AWS::StackId,
    // and its CloudFormation reads name that stack only
    const template = Template.fromStack(nested);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [STACK_ID_ENV]: { Ref: 'AWS::StackId' } }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
            Resource: { Ref: 'AWS::StackId' },
          }),
        ]),
      },
    });
    expect(Object.keys(Template.fromStack(parent).findResources('AWS::Lambda::Function'))).toEqual([]);
  });

  test('one provider per stack, however many login profiles', () => {
    const stack = newStack();
    for (const name of ['a', 'b', 'c']) new ConsoleUser(stack, name, { userName: name });
    new LoginProfile(stack, 'Imported', { user: iam.User.fromUserName(stack, 'D', 'd') });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::ConsoleLoginProfile', 4);
    // The handler, invoked by CloudFormation directly: one function, not one per user.
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('CloudFormation invokes the handler directly: the service token is its ARN, no retries, a short event age, a ServiceTimeout that outlasts them', () => {
    // GIVEN a stack with a login profile, and one with a 15-minute handler (set after the user)
    const stack = newStack();
    new ConsoleUser(stack, 'A');
    const slow = newStack('Slow');
    new ConsoleUser(slow, 'A');
    HandlerSettings.configure(slow, { timeout: Duration.minutes(15) });
    for (const [s, timeout] of [
      [stack, 120],
      [slow, 900],
    ] as const) {
      const template = Template.fromStack(s);
      const [handlerId] = Object.keys(template.findResources('AWS::Lambda::Function'));
      // THEN the login profile's service token is the handler's ARN, and its ServiceTimeout is the
      // event's longest wait in Lambda's queue, plus the handler's timeout, plus a minute
      const serviceTimeout = 60 + timeout + 60;
      template.hasResourceProperties('Custom::ConsoleLoginProfile', {
        ServiceToken: { 'Fn::GetAtt': [handlerId, 'Arn'] },
        ServiceTimeout: String(serviceTimeout),
      });
      // THEN Lambda neither retries an event nor keeps one queued past a minute
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: handlerId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
      // THEN the handler knows the ServiceTimeout (it stops its work before CloudFormation gives up)
      template.hasResourceProperties('AWS::Lambda::Function', {
        Timeout: timeout,
        Environment: { Variables: { [SERVICE_TIMEOUT_ENV]: String(serviceTimeout) } },
      });
    }
  });

  test('permissions are scoped to the declared users, secrets and keys', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    new ConsoleUser(stack, 'A', { userName: 'a' });
    new ConsoleUser(stack, 'B', { userName: 'b', encryptionKey: key });
    new LoginProfile(stack, 'C', { user: iam.User.fromUserName(stack, 'CUser', 'c') });
    const template = Template.fromStack(stack);
    const users = resourceIdsOf(template, 'AWS::IAM::User');
    const secrets = resourceIdsOf(template, 'AWS::SecretsManager::Secret');
    const statements = handlerStatements(template);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));

    expect(bySid.ReadAccountPasswordPolicy).toMatchObject({ Action: 'iam:GetAccountPasswordPolicy', Resource: '*' });
    expect(bySid.ManageLoginProfilesOfDeclaredUsers.Resource).toEqual([
      ...users.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':user/c']] },
    ]);
    expect(bySid.WriteDeclaredPasswordSecrets.Resource).toEqual(secrets.map((id) => ({ Ref: id })));
    expect(bySid.UseKeysOfDeclaredSecretsThroughSecretsManager).toMatchObject({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: { 'Fn::GetAtt': [resourceIdsOf(template, 'AWS::KMS::Key')[0], 'Arn'] },
    });
    // Only GetAccountPasswordPolicy may use "*".
    for (const s of statements) {
      if (s.Resource === '*') expect(s.Action).toBe('iam:GetAccountPasswordPolicy');
    }
  });

  test('every login profile depends on the policies that hold its permissions, so they outlive it', () => {
    const stack = newStack();
    new ConsoleUser(stack, 'A');
    new ConsoleUser(stack, 'B');
    const template = Template.fromStack(stack);
    const basePolicy = Object.keys(
      template.findResources('AWS::IAM::Policy', {
        Properties: { PolicyName: Match.stringLikeRegexp('HandlerPolicy') },
      }),
    );
    const managed = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(basePolicy).toHaveLength(1);
    expect(managed.length).toBeGreaterThanOrEqual(1);
    const profiles = template.findResources('Custom::ConsoleLoginProfile');
    expect(Object.keys(profiles)).toHaveLength(2);
    for (const profile of Object.values(profiles)) expect(profile.DependsOn).toContain(managed[0]);
    // The shared permissions (GetAccountPasswordPolicy) come with the handler, which every profile
    // reaches through its service token.
    const handler = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('login profiles') },
    });
    expect(Object.values(handler)[0].DependsOn).toContain(basePolicy[0]);
  });

  test('the handler runs on the newest Node.js runtime by default, and can be overridden', () => {
    const stack = newStack();
    new ConsoleUser(stack, 'A');
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: Match.stringLikeRegexp('^nodejs\\d+\\.x$'),
      Timeout: 120,
    });

    const custom = newStack();
    new ConsoleUser(custom, 'A');
    HandlerSettings.configure(custom, { runtime: lambda.Runtime.NODEJS_20_X, timeout: Duration.minutes(5) });
    Template.fromStack(custom).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs20.x',
      Timeout: 300,
    });
  });

  test.each([
    [
      Duration.seconds(10),
      "TestStack: HandlerSettings.configure: 'timeout' must be from 30 seconds to 15 minutes, got 10 seconds",
    ],
    [
      Duration.minutes(16),
      "TestStack: HandlerSettings.configure: 'timeout' must be from 30 seconds to 15 minutes, got 16 minutes",
    ],
  ])('fails when the handler timeout is %s', (timeout, message) => {
    const stack = newStack();
    expect(() => HandlerSettings.configure(stack, { timeout })).toThrow(message);
  });

  test('the handler logs to a log group of its own, kept a year and deleted with the stack', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new ConsoleUser(stack, 'A');
    // THEN
    const logGroups = logGroupsOfFunctions(Template.fromStack(stack));
    expect(logGroups).toHaveLength(1);
    Template.fromStack(stack).resourceCountIs('AWS::Logs::LogGroup', 1);
    for (const { logGroup } of logGroups) {
      expect(logGroup).toEqual({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 365 },
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
        // CloudWatch Logs' own encryption, acknowledged for checkov (lib/compliance/checkov.ts)
        Metadata: { checkov: { skip: [expect.objectContaining({ id: 'CKV_AWS_158' })] } },
      });
    }
  });

  test("logRetention sets the retention of the handler's log group", () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    HandlerSettings.configure(stack, { logRetention: logs.RetentionDays.ONE_MONTH });
    new ConsoleUser(stack, 'A');
    // THEN
    const logGroups = logGroupsOfFunctions(Template.fromStack(stack));
    expect(logGroups).toHaveLength(1);
    for (const { logGroup } of logGroups) {
      expect(logGroup).toMatchObject({ Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Delete' });
    }
  });

  test('fails when logRetention is not one of logs.RetentionDays', () => {
    const stack = newStack();
    expect(() => HandlerSettings.configure(stack, { logRetention: 42 as unknown as logs.RetentionDays })).toThrow(
      /^TestStack: HandlerSettings.configure: 'logRetention' must be one of the logs.RetentionDays values \(1, 3, 5, .*, 3653 days, or 9999 for INFINITE\), got 42$/,
    );
  });

  test("fails when another construct holds the provider's id", () => {
    const stack = newStack();
    new iam.Role(stack, 'CdkConsoleUsersLoginProfileProvider', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => new ConsoleUser(stack, 'A')).toThrow(
      "TestStack/CdkConsoleUsersLoginProfileProvider: the id 'CdkConsoleUsersLoginProfileProvider' is taken by another construct; cdk-console-users needs it for its own construct in stack TestStack",
    );
  });
});

/** The error `build` throws (fails the test if it throws none). */
function thrownBy(build: () => unknown): Error {
  try {
    build();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** The statements of every policy attached to the login-profile handler's role (inline and managed). */
function handlerStatements(template: Template): Array<Record<string, unknown>> {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Handler: 'index.handler', Description: Match.stringLikeRegexp('login profiles') },
  });
  expect(Object.keys(functions)).toHaveLength(1);
  const roleId = Object.values(functions)[0].Properties.Role['Fn::GetAtt'][0];
  const attached = (roles: unknown) => JSON.stringify(roles ?? []).includes(`"Ref":"${roleId}"`);
  const documents = [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ]
    .filter((r) => attached(r.Properties.Roles))
    .map((r) => r.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
  return documents.flat();
}

/** For each Lambda function of `template`: the log group its `LoggingConfig` names, as a template resource. */
function logGroupsOfFunctions(
  template: Template,
): Array<{ functionId: string; logGroupId: string; logGroup: unknown }> {
  const logGroups = template.findResources('AWS::Logs::LogGroup');
  return Object.entries(template.findResources('AWS::Lambda::Function')).map(([functionId, fn]) => {
    const logGroupId = fn.Properties.LoggingConfig?.LogGroup?.Ref as string;
    return { functionId, logGroupId, logGroup: logGroups[logGroupId] };
  });
}
