/** Synth-time behaviour of AccountPasswordPolicy: resource properties, permissions, ordering, warnings, errors. */
import { App, Annotations as CoreAnnotations, Duration, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SERVICE_TIMEOUT_ENV } from '../../lambda/runtime/custom-resource';
import { AccountPasswordPolicy, ConsoleUser, HandlerSettings, LoginProfile } from '../../lib';

const ENV = { account: '123456789012', region: 'us-east-1' };

function stack(scope: Construct = new App(), id = 'Users'): Stack {
  return new Stack(scope, id, { env: ENV });
}

describe('AccountPasswordPolicy', () => {
  test('sets the UpdateAccountPasswordPolicy fields as strings, and needs only the password-policy actions and reads of its own stack', () => {
    const s = stack(new App(), 'Policy');
    new AccountPasswordPolicy(s, 'PasswordPolicy', {
      minimumPasswordLength: 40,
      requireSymbols: true,
      requireNumbers: true,
      requireUppercaseCharacters: true,
      requireLowercaseCharacters: false,
      allowUsersToChangePassword: true,
      maxPasswordAge: Duration.days(90),
      passwordReusePrevention: 24,
      hardExpiry: false,
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('Custom::AccountPasswordPolicy', {
      MinimumPasswordLength: '40',
      RequireSymbols: 'true',
      RequireNumbers: 'true',
      RequireUppercaseCharacters: 'true',
      RequireLowercaseCharacters: 'false',
      AllowUsersToChangePassword: 'true',
      MaxPasswordAge: '90',
      PasswordReusePrevention: '24',
      HardExpiry: 'false',
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Sid: 'ManageAccountPasswordPolicy',
            Effect: 'Allow',
            Action: [
              'iam:GetAccountPasswordPolicy',
              'iam:UpdateAccountPasswordPolicy',
              'iam:DeleteAccountPasswordPolicy',
            ],
            Resource: '*',
          },
          {
            Sid: 'ReadOwnStackRecord',
            Effect: 'Allow',
            Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
            Resource: { Ref: 'AWS::StackId' },
          },
        ],
      },
    });
    // CloudFormation's record carries the same fields: the handler applies the record's, not an event's
    const [policyResource] = Object.values(t.findResources('Custom::AccountPasswordPolicy'));
    const { ServiceToken, ServiceTimeout, ...sent } = policyResource.Properties;
    expect([ServiceToken, ServiceTimeout].every((v) => v !== undefined)).toBe(true);
    expect(policyResource.Metadata['cdk-console-users:properties']).toEqual(sent);
    expect(sent.MinimumPasswordLength).toBe('40');
    // the resource depends on its permissions, so that they outlive it (Delete restores the old policy)
    const resource = Object.values(t.findResources('Custom::AccountPasswordPolicy'))[0];
    expect(resource.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^PasswordPolicyHandlerPolicy/)]));
  });

  test('leaves out the fields that are not set (the API defaults apply)', () => {
    const s = stack(new App(), 'Policy');
    new AccountPasswordPolicy(s, 'PasswordPolicy', { minimumPasswordLength: 14 });
    const resource = Object.values(Template.fromStack(s).findResources('Custom::AccountPasswordPolicy'))[0];
    expect(Object.keys(resource.Properties).sort()).toEqual([
      'MinimumPasswordLength',
      'ServiceTimeout',
      'ServiceToken',
    ]);
  });

  test('login profiles in the same stack are created after the policy, whatever the declaration order', () => {
    const s = stack();
    const before = new ConsoleUser(s, 'Before', { userName: 'before' });
    const policy = new AccountPasswordPolicy(s, 'PasswordPolicy', { minimumPasswordLength: 40 });
    const after = new LoginProfile(s, 'After', { user: iam.User.fromUserName(s, 'Imported', 'imported') });
    const t = Template.fromStack(s);
    const policyId = s.getLogicalId(policy._resource);
    for (const profile of [before.loginProfile, after]) {
      const id = s.getLogicalId(profile._resource);
      expect(t.toJSON().Resources[id].DependsOn).toContain(policyId);
    }
  });

  test('login profiles in other stacks of the app deploy after the policy stack', () => {
    const app = new App();
    const users = stack(app, 'Users');
    const policyStack = stack(app, 'Policy');
    new ConsoleUser(users, 'Alice', { userName: 'alice' });
    new AccountPasswordPolicy(policyStack, 'PasswordPolicy', { minimumPasswordLength: 40 });
    const assembly = app.synth();
    expect(assembly.getStackByName('Users').dependencies.map((d) => d.id)).toContain('Policy');
    expect(assembly.getStackByName('Policy').dependencies.map((d) => d.id)).not.toContain('Users');
  });

  test('a stage of its own (another account) keeps its own policy and ordering', () => {
    const app = new App();
    new AccountPasswordPolicy(stack(app, 'Policy'), 'PasswordPolicy', { minimumPasswordLength: 40 });
    const prod = new Stage(app, 'Prod');
    const prodUsers = stack(prod, 'Users');
    new ConsoleUser(prodUsers, 'Alice', { userName: 'alice' });
    const prodPolicy = stack(prod, 'ProdPolicy');
    expect(() => new AccountPasswordPolicy(prodPolicy, 'PasswordPolicy', {})).not.toThrow();
    const assembly = prod.synth();
    expect(assembly.getStackArtifact(prodUsers.artifactId).dependencies.map((d) => d.id)).toContain(
      prodPolicy.artifactId,
    );
  });

  test('CloudFormation invokes the handler directly: the service token is its ARN, no retries, a ServiceTimeout that outlasts the queue and the timeout', () => {
    // GIVEN
    const s = stack();
    // WHEN
    new AccountPasswordPolicy(s, 'PasswordPolicy');
    // THEN
    const t = Template.fromStack(s);
    const [handlerId] = Object.keys(t.findResources('AWS::Lambda::Function'));
    t.hasResourceProperties('Custom::AccountPasswordPolicy', {
      ServiceToken: { 'Fn::GetAtt': [handlerId, 'Arn'] },
      ServiceTimeout: String(60 + 60 + 60),
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: handlerId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 60,
      Environment: { Variables: { [SERVICE_TIMEOUT_ENV]: '180' } },
    });
  });

  test('the handler logs to a log group of its own, kept a year and deleted with the stack', () => {
    // GIVEN
    const s = stack();
    // WHEN
    new AccountPasswordPolicy(s, 'PasswordPolicy');
    // THEN
    const t = Template.fromStack(s);
    const logGroups = t.findResources('AWS::Logs::LogGroup');
    const functions = Object.values(t.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(1);
    expect(Object.keys(logGroups)).toHaveLength(1);
    const named = new Set(functions.map((fn) => fn.Properties.LoggingConfig?.LogGroup?.Ref as string));
    expect(named.size).toBe(1);
    for (const id of named) {
      expect(logGroups[id]).toEqual({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 365 },
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
        // CloudWatch Logs' own encryption, acknowledged for checkov (lib/compliance/checkov.ts)
        Metadata: { checkov: { skip: [expect.objectContaining({ id: 'CKV_AWS_158' })] } },
      });
    }
  });

  test("the stack's HandlerSettings logRetention sets the retention of the handler's log group, set after the policy", () => {
    const s = stack();
    new AccountPasswordPolicy(s, 'PasswordPolicy', {});
    HandlerSettings.configure(s, { logRetention: logs.RetentionDays.THREE_MONTHS });
    const t = Template.fromStack(s);
    const logGroups = t.findResources('AWS::Logs::LogGroup');
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) {
      expect(logGroups[fn.Properties.LoggingConfig.LogGroup.Ref]).toMatchObject({
        Properties: { RetentionInDays: 90 },
        DeletionPolicy: 'Delete',
      });
    }
  });

  test('fails when logRetention is not one of logs.RetentionDays', () => {
    const s = stack();
    new AccountPasswordPolicy(s, 'PasswordPolicy', {});
    expect(() => HandlerSettings.configure(s, { logRetention: 366 as unknown as logs.RetentionDays })).toThrow(
      /^Users: HandlerSettings.configure: 'logRetention' must be one of the logs.RetentionDays values \(1, 3, 5, .*, 3653 days, or 9999 for INFINITE\), got 366$/,
    );
  });

  test('fails when a second AccountPasswordPolicy is declared in the same app', () => {
    const app = new App();
    new AccountPasswordPolicy(stack(app, 'One'), 'PasswordPolicy', {});
    expect(() => new AccountPasswordPolicy(stack(app, 'Two'), 'PasswordPolicy', {})).toThrow(
      /^Two\/PasswordPolicy: an AccountPasswordPolicy already exists in this app \(One\/PasswordPolicy\)/,
    );
  });

  test.each([
    [
      'minimumPasswordLength 5',
      { minimumPasswordLength: 5 },
      "Users/PasswordPolicy: 'minimumPasswordLength' must be a whole number from 6 to 128, got 5",
    ],
    [
      'minimumPasswordLength 129',
      { minimumPasswordLength: 129 },
      "Users/PasswordPolicy: 'minimumPasswordLength' must be a whole number from 6 to 128, got 129",
    ],
    [
      'minimumPasswordLength 12.5',
      { minimumPasswordLength: 12.5 },
      "Users/PasswordPolicy: 'minimumPasswordLength' must be a whole number from 6 to 128, got 12.5",
    ],
    [
      'passwordReusePrevention 0',
      { passwordReusePrevention: 0 },
      "Users/PasswordPolicy: 'passwordReusePrevention' must be a whole number from 1 to 24, got 0",
    ],
    [
      'passwordReusePrevention 25',
      { passwordReusePrevention: 25 },
      "Users/PasswordPolicy: 'passwordReusePrevention' must be a whole number from 1 to 24, got 25",
    ],
    [
      'maxPasswordAge 0 days',
      { maxPasswordAge: Duration.days(0) },
      "Users/PasswordPolicy: 'maxPasswordAge' must be whole days from 1 to 1095, got 0 days",
    ],
    [
      'maxPasswordAge 1096 days',
      { maxPasswordAge: Duration.days(1096) },
      "Users/PasswordPolicy: 'maxPasswordAge' must be whole days from 1 to 1095, got 1096 days",
    ],
    [
      'maxPasswordAge 36 hours',
      { maxPasswordAge: Duration.hours(36) },
      "Users/PasswordPolicy: 'maxPasswordAge' must be whole days from 1 to 1095, got 1 day 12 hours",
    ],
  ])('fails when %s is outside the AWS range', (_label, props, message) => {
    expect(() => new AccountPasswordPolicy(stack(), 'PasswordPolicy', props)).toThrow(message);
  });

  test('warns when a rotation interval is longer than the policy maxPasswordAge, in any stack of the app, for users who can change their password', () => {
    const app = new App();
    const users = stack(app, 'Users');
    new ConsoleUser(users, 'Slow', {
      userName: 'slow',
      passwordResetRequired: false,
      grantChangePassword: true,
      rotation: { automaticallyAfter: Duration.days(120) },
    });
    new ConsoleUser(users, 'Fast', {
      userName: 'fast',
      passwordResetRequired: false,
      grantChangePassword: true,
      rotation: { automaticallyAfter: Duration.days(90) },
    });
    new AccountPasswordPolicy(stack(app, 'Policy'), 'PasswordPolicy', { maxPasswordAge: Duration.days(90) });
    const annotations = Annotations.fromStack(users);
    annotations.hasWarning(
      '/Users/Slow/LoginProfile',
      Match.stringLikeRegexp(
        "rotation every 120 days is longer than the account password policy's maxPasswordAge of 90 days",
      ),
    );
    annotations.hasNoWarning('/Users/Fast/LoginProfile', Match.anyValue());
  });

  test('the maxPasswordAge warning can be acknowledged', () => {
    const app = new App();
    const users = stack(app, 'Users');
    const slow = new ConsoleUser(users, 'Slow', {
      userName: 'slow',
      passwordResetRequired: false,
      grantChangePassword: true,
      rotation: { automaticallyAfter: Duration.days(120) },
    });
    CoreAnnotations.of(slow.loginProfile).acknowledgeWarning(
      LoginProfile.WARNING_ROTATION_EXCEEDS_MAX_PASSWORD_AGE,
      'hard expiry is off',
    );
    new AccountPasswordPolicy(stack(app, 'Policy'), 'PasswordPolicy', { maxPasswordAge: Duration.days(90) });
    Annotations.fromStack(users).hasNoWarning('/Users/Slow/LoginProfile', Match.anyValue());
  });
});
