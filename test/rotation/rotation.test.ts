/** Synth-time behaviour of rotation: schedule, tags, permissions, warnings, errors. */
import { App, Annotations as CoreAnnotations, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConsoleUser, HandlerSettings, LoginProfile } from '../../lib';
import { LoginProfileRotation } from '../../lib/rotation/rotation';
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import { PENDING_VERSION_TAG_KEY, ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { FakeAws } from '../tooling/fake-aws';
import { PrincipalPolicies, handlerRolePolicies, isAllowed } from '../tooling/policy-simulator';
import { TemplateJson, TemplateWorld } from '../tooling/template-world';

const ENV = { account: '123456789012', region: 'us-east-1' };
const MONTHLY = { automaticallyAfter: Duration.days(30) };

function stack(scope: Construct = new App(), id = 'Users'): Stack {
  return new Stack(scope, id, { env: ENV });
}

function logicalId(s: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return s.getLogicalId(construct.node.defaultChild as never);
}

describe('rotation', () => {
  test('adds a rotation schedule calling the stack rotation function, after the first password exists', () => {
    // GIVEN / WHEN
    const s = stack();
    const user = new ConsoleUser(s, 'Alice', { userName: 'alice', passwordResetRequired: false, rotation: MONTHLY });
    // THEN
    const t = Template.fromStack(s);
    const fn = s.getLogicalId(LoginProfileRotation.of(s).handler.function.node.defaultChild as never);
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: logicalId(s, user.secret) },
      RotationLambdaARN: { 'Fn::GetAtt': [fn, 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    // Secrets Manager calls the rotation function itself (no provider framework in front of it):
    // the stack's two functions are the login-profile handler and the rotation function
    t.resourceCountIs('AWS::Lambda::Function', 2);
    // the schedule waits for the login profile (its first password) and the function's permissions
    const schedule = Object.values(t.findResources('AWS::SecretsManager::RotationSchedule'))[0];
    const dependsOn = schedule.DependsOn as string[];
    expect(dependsOn).toContain(s.getLogicalId(user.loginProfile._resource));
    expect(dependsOn).toContain(s.getLogicalId(LoginProfileRotation.of(s).policy.node.defaultChild as never));
    expect(dependsOn.some((d) => /^CdkConsoleUsersRotationRotationPermissions1/.test(d))).toBe(true);
    expect(dependsOn.some((d) => /^CdkConsoleUsersRotationHandlerSecretsManagerInvoke/.test(d))).toBe(true);
  });

  test('tags the secret with what the rotation function reads', () => {
    const s = stack();
    new ConsoleUser(s, 'Alice', {
      userName: 'alice',
      passwordLength: 32,
      passwordResetRequired: false,
      rotation: MONTHLY,
    });
    Template.fromStack(s).hasResourceProperties('AWS::SecretsManager::Secret', {
      Tags: Match.arrayWith([
        // CDK sorts tags by key
        { Key: ROTATION_TAGS.passwordLength, Value: '32' },
        { Key: ROTATION_TAGS.passwordResetRequired, Value: 'false' },
        { Key: ROTATION_TAGS.userName, Value: { Ref: Match.stringLikeRegexp('^Alice') } },
      ]),
    });
  });

  test('one rotation function per stack, whose permissions name exactly the rotating users and secrets', () => {
    // GIVEN two rotating users and one that does not rotate
    const s = stack();
    const alice = new ConsoleUser(s, 'Alice', { userName: 'alice', passwordResetRequired: false, rotation: MONTHLY });
    const bob = new LoginProfile(s, 'BobProfile', {
      user: iam.User.fromUserName(s, 'Bob', 'bob'),
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(90) },
    });
    new ConsoleUser(s, 'Carol', { userName: 'carol' });
    const t = Template.fromStack(s);

    // THEN one rotation function
    t.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Description: Match.stringLikeRegexp('rotates console passwords') },
      1,
    );
    // its user and secret statements list alice and bob only (never user/* or secret:*)
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'RotateLoginProfilesOfDeclaredUsers',
            Action: ['iam:UpdateLoginProfile', 'iam:GetLoginProfile', 'iam:GetUser'],
            Resource: [
              { 'Fn::GetAtt': [logicalId(s, alice), 'Arn'] },
              Match.objectLike({ 'Fn::Join': Match.anyValue() }),
            ],
          }),
          Match.objectLike({
            Sid: 'RecordRotatedVersionOnDeclaredUsers',
            Action: 'iam:TagUser',
            Condition: {
              'ForAllValues:StringEquals': {
                'aws:TagKeys': ['cdk-console-users:pending-version', 'cdk-console-users:rotated-version'],
              },
            },
          }),
          Match.objectLike({
            Sid: 'RotateDeclaredPasswordSecrets',
            Resource: [{ Ref: logicalId(s, alice.secret) }, { Ref: logicalId(s, bob.secret) }],
          }),
        ]),
      },
    });
    // (The login-profile handler's tag-scoped user/* statement is covered by test/login-profile/least-privilege.test.ts.)
    const rotationResources = Object.entries(t.toJSON().Resources).filter(([id]) =>
      id.startsWith('CdkConsoleUsersRotation'),
    );
    expect(rotationResources.length).toBeGreaterThan(0);
    expect(JSON.stringify(rotationResources)).not.toMatch(/:user\/\*|secret:\*/);
    const text = JSON.stringify(t.toJSON());
    // RotationSchedule adds no statements of its own to the function's role (no GetRandomPassword on *)
    expect(text).not.toMatch(/GetRandomPassword/);
    // Secrets Manager may invoke the function, on behalf of this account only
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'secretsmanager.amazonaws.com',
      Action: 'lambda:InvokeFunction',
      SourceAccount: '123456789012',
    });
    t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
  });

  test('the rotation function logs to a log group of its own, kept a year and deleted with the stack', () => {
    // GIVEN
    const s = stack();
    // WHEN
    new ConsoleUser(s, 'Alice', { passwordResetRequired: false, rotation: MONTHLY });
    // THEN
    expect(rotationLogGroup(Template.fromStack(s))).toEqual({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      // CloudWatch Logs' own encryption, acknowledged for checkov (lib/compliance/checkov.ts)
      Metadata: { checkov: { skip: [expect.objectContaining({ id: 'CKV_AWS_158' })] } },
    });
  });

  test("the rotation function's log retention is the stack's HandlerSettings logRetention, set before or after the user", () => {
    // GIVEN a user with rotation
    const s = stack();
    new ConsoleUser(s, 'Alice', { passwordResetRequired: false, rotation: MONTHLY });
    // WHEN the settings come after it
    HandlerSettings.configure(s, { logRetention: logs.RetentionDays.ONE_WEEK });
    // THEN
    expect(rotationLogGroup(Template.fromStack(s))).toMatchObject({
      Properties: { RetentionInDays: 7 },
      DeletionPolicy: 'Delete',
    });
  });

  test('grants the secret key through Secrets Manager only', () => {
    const s = stack();
    const key = new kms.Key(s, 'Key');
    new ConsoleUser(s, 'Alice', {
      userName: 'alice',
      passwordResetRequired: false,
      encryptionKey: key,
      rotation: MONTHLY,
    });
    Template.fromStack(s).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('rotation function'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
            Resource: { 'Fn::GetAtt': [logicalId(s, key), 'Arn'] },
          }),
        ]),
      },
    });
  });

  test('warns when rotation is combined with passwordResetRequired: true, and the warning can be acknowledged', () => {
    // GIVEN two users with rotation and the default passwordResetRequired (true); one acknowledges
    const s = stack();
    new ConsoleUser(s, 'Warned', { userName: 'warned', rotation: MONTHLY });
    const acked = new ConsoleUser(s, 'Acked', { userName: 'acked', rotation: MONTHLY });
    CoreAnnotations.of(acked.loginProfile).acknowledgeWarning(
      LoginProfile.WARNING_ROTATION_WITH_RESET_REQUIRED,
      'they want it',
    );
    // THEN only the other one is warned
    const annotations = Annotations.fromStack(s);
    annotations.hasWarning(
      '/Users/Warned/LoginProfile',
      Match.stringLikeRegexp('asks the user to choose a new password after every rotation'),
    );
    annotations.hasNoWarning('/Users/Acked/LoginProfile', Match.anyValue());
  });

  test('does not warn about passwordResetRequired without rotation', () => {
    const s = stack();
    new ConsoleUser(s, 'Plain', { userName: 'plain' });
    Annotations.fromStack(s).hasNoWarning('*', Match.stringLikeRegexp('rotation'));
  });

  test.each([
    ['3 hours', Duration.hours(3)],
    ['1001 days', Duration.days(1001)],
    ['4 hours 30 minutes', Duration.minutes(270)],
    ['0 days', Duration.days(0)],
  ])('fails when the rotation interval is %s (outside 4 hours to 1000 days, or not whole hours)', (shown, interval) => {
    const s = stack();
    expect(
      () =>
        new ConsoleUser(s, 'Alice', {
          userName: 'alice',
          passwordResetRequired: false,
          rotation: { automaticallyAfter: interval },
        }),
    ).toThrow(
      `Users/Alice: 'rotation.automaticallyAfter' must be whole hours from 4 hours to 1000 days (Secrets Manager's limits), got ${shown}`,
    );
  });

  test('accepts the limits themselves: 4 hours and 1000 days', () => {
    const s = stack();
    new ConsoleUser(s, 'A', {
      userName: 'a',
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.hours(4) },
    });
    new ConsoleUser(s, 'B', {
      userName: 'b',
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(1000) },
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(4 hours)' },
    });
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(1000 days)' },
    });
  });

  test('fails when asked to rotate a secret the library does not own', () => {
    const s = stack();
    const profile = new LoginProfile(s, 'Profile', {
      user: iam.User.fromUserName(s, 'U', 'u'),
      passwordResetRequired: false,
    });
    const foreign = secretsmanager.Secret.fromSecretNameV2(s, 'Foreign', 'someone-elses-secret');
    const impostor = Object.create(profile, { secret: { value: foreign } }) as LoginProfile;
    expect(() => LoginProfileRotation.of(s).addLoginProfile(impostor, MONTHLY)).toThrow(
      /^Users\/Profile: cannot rotate: secret Users\/Foreign is not the one this LoginProfile created; the rotation function only rotates secrets the library owns$/,
    );
  });

  test('fails when the user name has a comma (a Secrets Manager tag value cannot hold one)', () => {
    const s = stack();
    expect(
      () => new ConsoleUser(s, 'Comma', { userName: 'last,first', passwordResetRequired: false, rotation: MONTHLY }),
    ).toThrow(
      /^Users\/Comma: 'userName' "last,first" contains ',' which a Secrets Manager tag value cannot hold; 'rotation' needs a user name without commas$/,
    );
  });

  test('fails when the same login profile is given a second rotation', () => {
    const s = stack();
    const user = new ConsoleUser(s, 'Alice', { userName: 'alice', passwordResetRequired: false, rotation: MONTHLY });
    expect(() => LoginProfileRotation.of(s).addLoginProfile(user.loginProfile, MONTHLY)).toThrow(
      /^Users\/Alice\/LoginProfile: already rotates$/,
    );
  });

  test('packs the permissions of many rotating users into managed policies within IAM limits', () => {
    const s = stack();
    for (let i = 0; i < 60; i++) {
      new ConsoleUser(s, `User${i}`, {
        userName: `rotating-user-${i}`,
        passwordResetRequired: false,
        rotation: MONTHLY,
      });
    }
    const policies = Template.fromStack(s).findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Description: Match.stringLikeRegexp('rotation function') },
    });
    expect(Object.keys(policies).length).toBeGreaterThan(1);
    expect(Object.keys(policies).length).toBeLessThanOrEqual(9);
    // every rotating secret is named in exactly one of them
    const secrets = Object.values(policies).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Array<{ Sid: string; Resource: unknown[] }>)
        .filter((st) => st.Sid === 'RotateDeclaredPasswordSecrets')
        .flatMap((st) => st.Resource),
    );
    expect(secrets).toHaveLength(60);
    expect(new Set(secrets.map((r) => JSON.stringify(r))).size).toBe(60);
  });
});

describe("the rotation function's role, evaluated as AWS evaluates it (iam-simulate)", () => {
  let policies: PrincipalPolicies;
  let alice: string;
  let bob: string;
  beforeAll(() => {
    // GIVEN a rotating user and a user of the same stack that does not rotate
    const s = stack();
    const rotating = new ConsoleUser(s, 'Alice', {
      userName: 'alice',
      passwordResetRequired: false,
      rotation: MONTHLY,
    });
    const plain = new ConsoleUser(s, 'Bob', { userName: 'bob' });
    const template = Template.fromStack(s).toJSON() as TemplateJson;
    const world = new TemplateWorld(template, new FakeAws());
    const fn = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && /rotates console passwords/.test(String(r.Properties?.Description)),
    )!;
    const role = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    policies = handlerRolePolicies(world, role);
    alice = String(world.resolve({ 'Fn::GetAtt': [logicalId(s, rotating), 'Arn'] }));
    bob = String(world.resolve({ 'Fn::GetAtt': [logicalId(s, plain), 'Arn'] }));
  });
  const tagging = (...keys: string[]) => ({ 'aws:TagKeys': keys });

  test('may tag a rotating user with the pending-version and rotated-version tags, alone or together', async () => {
    expect(await isAllowed(policies, 'iam:TagUser', alice, tagging(PENDING_VERSION_TAG_KEY))).toBe(true);
    expect(await isAllowed(policies, 'iam:TagUser', alice, tagging(ROTATED_VERSION_TAG_KEY))).toBe(true);
    expect(
      await isAllowed(policies, 'iam:TagUser', alice, tagging(PENDING_VERSION_TAG_KEY, ROTATED_VERSION_TAG_KEY)),
    ).toBe(true);
  });

  test.each([
    ['the owner tag', [OWNER_TAG_KEY]],
    ['the stack tag', [STACK_TAG_KEY]],
    ['the owner tag together with the pending-version tag', [PENDING_VERSION_TAG_KEY, OWNER_TAG_KEY]],
    ['a tag of its own choosing', ['team']],
  ])('may not tag a rotating user with %s', async (_, keys) => {
    expect(await isAllowed(policies, 'iam:TagUser', alice, tagging(...keys))).toBe(false);
  });

  test('may not tag, or change the login profile of, a user that does not rotate', async () => {
    expect(await isAllowed(policies, 'iam:TagUser', bob, tagging(PENDING_VERSION_TAG_KEY))).toBe(false);
    expect(await isAllowed(policies, 'iam:UpdateLoginProfile', bob)).toBe(false);
    // while the rotating user's is allowed (the same question, answered yes: the test can fail)
    expect(await isAllowed(policies, 'iam:UpdateLoginProfile', alice)).toBe(true);
  });
});

/** The log group the rotation function's `LoggingConfig` names, as a template resource. */
function rotationLogGroup(t: Template): unknown {
  const functions = Object.values(
    t.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('rotates console passwords') },
    }),
  );
  expect(functions).toHaveLength(1);
  const logGroupId = functions[0].Properties.LoggingConfig?.LogGroup?.Ref as string;
  return t.findResources('AWS::Logs::LogGroup')[logGroupId];
}
