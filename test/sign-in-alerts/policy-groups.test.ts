/**
 * `SignInAlerts` on users whose library policies come through the stack's groups
 * (`policiesThroughGroups`): the takeover rule also matches the calls naming those groups, and only
 * when a watched user is a member; forwarders send group calls on; the alert names the group.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as clientIam from '@aws-sdk/client-iam';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Rule } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BreakGlassUser, ConsoleUser, HomeRegion, LoginProfile, SignInAlerts, SignInAlertsForwarder } from '../../lib';
import { CHANGE_PASSWORD_GROUP_ID, REQUIRE_MFA_GROUP_ID } from '../../lib/login-profile/policy-groups';
import {
  GROUP_NAMED_IAM_CALLS,
  SELF_IAM_CALLS,
  USER_NAMED_IAM_CALLS,
  anyGroupCallDetail,
  takeoverDetail,
  withCallerExclusion,
} from '../../lib/sign-in-alerts/patterns';

const ACCOUNT = '123456789012';
const env = (region: string) => ({ account: ACCOUNT, region });

/** The resolved event pattern of `rule`. */
function patternOf(rule: Rule) {
  const stack = Stack.of(rule);
  return Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(rule.node.defaultChild as never)].Properties
    .EventPattern;
}

/** The resolved `Targets` of `rule`. */
function targetsOf(rule: Rule) {
  const stack = Stack.of(rule);
  return Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(rule.node.defaultChild as never)].Properties
    .Targets;
}

/** `{ Ref }` of the library group `id` of `stack`. */
function groupRef(stack: Stack, id: string): { Ref: string } {
  const group = stack.node.findChild(id) as iam.Group;
  return { Ref: stack.getLogicalId(group.node.defaultChild as never) };
}

const roleArn = (prefix: string) =>
  ({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${prefix}`)), 'Arn'] }) as unknown as string;

describe('takeover rule: the policy groups of the users', () => {
  test('a user with policiesThroughGroups: calls naming its groups alert, by anyone but the library', () => {
    // GIVEN a user that must change its password and use MFA, its policies through both groups
    const stack = new Stack(new App(), 'Groups', { env: env('us-east-1') });
    const alice = new ConsoleUser(stack, 'Alice', { userName: 'alice', requireMfa: true, policiesThroughGroups: true });
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [alice] });

    // THEN the rule matches the group calls on both groups, with the same exclusion of callers
    const groups = [groupRef(stack, CHANGE_PASSWORD_GROUP_ID), groupRef(stack, REQUIRE_MFA_GROUP_ID)];
    const pattern = patternOf(alerts.takeoverRule);
    expect(pattern.detail).toEqual(
      withCallerExclusion(takeoverDetail(['alice'], groups as unknown as string[]), [
        roleArn('CdkConsoleUsersLoginProfileProviderHandlerServiceRole'),
      ]),
    );
    expect(pattern.detail.$or).toHaveLength(3);
    expect(pattern.detail.$or[2]).toEqual({
      eventName: [...GROUP_NAMED_IAM_CALLS],
      requestParameters: { groupName: groups },
    });
    // ...the exclusion applies to the whole detail (the group calls included), as for user calls
    expect(Object.keys(pattern.detail).sort()).toEqual(['$or', 'eventSource', 'userIdentity']);

    // ...and the alert names the group as well as the user
    const [target] = targetsOf(alerts.takeoverRule);
    expect(target.InputTransformer.InputPathsMap).toEqual(
      expect.objectContaining({
        'detail-eventName': '$.detail.eventName',
        'detail-requestParameters-userName': '$.detail.requestParameters.userName',
        'detail-requestParameters-groupName': '$.detail.requestParameters.groupName',
      }),
    );
    expect(target.InputTransformer.InputTemplate).toContain('group \\"<detail-requestParameters-groupName>\\"');
    expect(target.Arn).toEqual({ Ref: expect.stringMatching(/^SignInAlertsTopic/) });
  });

  test('only the groups a watched user is a member of; none when no watched user uses them', () => {
    // GIVEN a watched user in the require-MFA group only, and an unwatched one in the change-password group
    const stack = new Stack(new App(), 'Some');
    const watched = new ConsoleUser(stack, 'Watched', {
      userName: 'watched',
      requireMfa: true,
      passwordResetRequired: false,
      policiesThroughGroups: true,
    });
    new ConsoleUser(stack, 'Other', { userName: 'other', policiesThroughGroups: true });
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [watched] });
    expect(patternOf(alerts.takeoverRule).detail.$or[2].requestParameters).toEqual({
      groupName: [groupRef(stack, REQUIRE_MFA_GROUP_ID)],
    });

    // GIVEN only unwatched users in the groups
    const other = new Stack(new App(), 'None');
    new ConsoleUser(other, 'InGroups', { userName: 'in-groups', requireMfa: true, policiesThroughGroups: true });
    const plain = new ConsoleUser(other, 'Plain', { userName: 'plain', requireMfa: true });
    const plainAlerts = new SignInAlerts(other, 'SignInAlerts', { users: [plain] });
    // THEN the rule and its alert are those of a stack without groups
    expect(patternOf(plainAlerts.takeoverRule).detail).toEqual(
      withCallerExclusion(takeoverDetail(['plain']), [
        roleArn('CdkConsoleUsersLoginProfileProviderHandlerServiceRole'),
      ]),
    );
    expect(Object.keys(targetsOf(plainAlerts.takeoverRule)[0].InputTransformer.InputPathsMap)).not.toContain(
      'detail-requestParameters-groupName',
    );
  });

  test('a watched user without groups: its stack is the same whether or not another stack of the environment has them', () => {
    // GIVEN the same watched user, alone and next to an unwatched user with groups in another stack
    const synth = (withGroupsElsewhere: boolean) => {
      const app = new App();
      const stack = new Stack(app, 'Home', { env: env('us-east-1') });
      const alerts = new SignInAlerts(stack, 'SignInAlerts', {
        users: [new ConsoleUser(stack, 'Bob', { userName: 'bob', requireMfa: true })],
      });
      if (withGroupsElsewhere) {
        const elsewhere = new Stack(app, 'Elsewhere', { env: env('us-east-1') });
        new ConsoleUser(elsewhere, 'Carol', { userName: 'carol', requireMfa: true, policiesThroughGroups: true });
      }
      return { template: Template.fromStack(stack).toJSON(), calls: patternOf(alerts.takeoverRule).detail.$or };
    };
    const alone = synth(false);
    expect(synth(true)).toEqual(alone);
    expect(alone.calls).toHaveLength(2);
    expect(JSON.stringify(alone.template)).not.toMatch(/groupName/i);
  });

  test('an imported user given a LoginProfile with policiesThroughGroups: its group by the UserToGroupAddition', () => {
    const stack = new Stack(new App(), 'Imported');
    const dave = iam.User.fromUserName(stack, 'Dave', 'dave');
    new LoginProfile(stack, 'DaveProfile', {
      user: dave,
      requireMfa: true,
      passwordResetRequired: false,
      policiesThroughGroups: true,
    });
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [dave] });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::UserToGroupAddition', {
      GroupName: groupRef(stack, REQUIRE_MFA_GROUP_ID),
      Users: ['dave'],
    });
    expect(patternOf(alerts.takeoverRule).detail.$or[2].requestParameters).toEqual({
      groupName: [groupRef(stack, REQUIRE_MFA_GROUP_ID)],
    });
  });

  test('a group joined after the SignInAlerts was made counts (read at synth)', () => {
    const stack = new Stack(new App(), 'Later');
    const erin = iam.User.fromUserName(stack, 'Erin', 'erin');
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [erin] });
    new LoginProfile(stack, 'ErinProfile', { user: erin, policiesThroughGroups: true });
    expect(patternOf(alerts.takeoverRule).detail.$or[2].requestParameters).toEqual({
      groupName: [groupRef(stack, CHANGE_PASSWORD_GROUP_ID)],
    });
  });

  test('a BreakGlassUser with policiesThroughGroups in another stack of the environment: its group by an import', () => {
    const app = new App();
    const users = new Stack(app, 'Users', { env: env('us-east-1') });
    const alertsStack = new Stack(app, 'Alerts', { env: env('us-east-1') });
    const alerts = new SignInAlerts(alertsStack, 'SignInAlerts');
    new BreakGlassUser(users, 'BreakGlass', {
      userName: 'break-glass',
      policiesThroughGroups: true,
      signInAlerts: alerts,
    });
    const groupName = patternOf(alerts.takeoverRule).detail.$or[2].requestParameters.groupName;
    expect(groupName).toEqual([{ 'Fn::ImportValue': expect.stringMatching(/CdkConsoleUsersRequireMfaGroup/) }]);
  });
});

describe('forwarders: the group calls', () => {
  test('with groups, a forwarder sends every group call on (the home rule names the groups); without, it does not', () => {
    const forwarderDetail = (policiesThroughGroups: boolean) => {
      const app = new App();
      const home = new Stack(app, 'Home', { env: env('eu-west-1') });
      const alerts = new SignInAlerts(home, 'SignInAlerts', {
        users: [new ConsoleUser(home, 'Alice', { userName: 'alice', requireMfa: true, policiesThroughGroups })],
      });
      const forwarder = new SignInAlertsForwarder(new Stack(app, 'Fwd', { env: env('us-east-1') }), 'Forwarder', {
        alerts,
      });
      return patternOf(forwarder.rule).detail;
    };
    const withGroups = forwarderDetail(true);
    const without = forwarderDetail(false);
    expect(withGroups.$or).toEqual([...without.$or, anyGroupCallDetail()]);
    expect(without.$or).toHaveLength(2);
    expect(anyGroupCallDetail()).toEqual({ eventSource: ['iam.amazonaws.com'], eventName: [...GROUP_NAMED_IAM_CALLS] });
  });

  test("a HomeRegion's own forwarder sends group calls on too", () => {
    const stack = new Stack(new App(), 'StackSet');
    new HomeRegion(stack, 'HomeRegion', { region: 'eu-west-1' });
    const user = new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', policiesThroughGroups: true });
    expect(patternOf(user.signInAlerts.forwardingRule!).detail.$or).toContainEqual(anyGroupCallDetail());
  });
});

test('the listed IAM calls are IAM API operations, and each group call takes a required GroupName', () => {
  // GIVEN the IAM client's operations and its request shapes
  const client = clientIam as unknown as Record<string, unknown>;
  const models = path.join(path.dirname(require.resolve('@aws-sdk/client-iam/package.json')), 'dist-types', 'models');
  const shapes = fs
    .readdirSync(models)
    .map((f) => fs.readFileSync(path.join(models, f), 'utf8'))
    .join('\n');
  const requiredField = (operation: string, field: string) => {
    const body = new RegExp(`export interface ${operation}Request \\{([\\s\\S]*?)\\n\\}`).exec(shapes)?.[1] ?? '';
    return new RegExp(`\\n\\s*${field}: string \\| undefined;`).test(body);
  };
  for (const name of [...USER_NAMED_IAM_CALLS, ...SELF_IAM_CALLS, ...GROUP_NAMED_IAM_CALLS, 'TagUser', 'UntagUser']) {
    expect({ name, command: typeof client[`${name}Command`] }).toEqual({ name, command: 'function' });
  }
  for (const name of GROUP_NAMED_IAM_CALLS)
    expect({ name, groupName: requiredField(name, 'GroupName') }).toEqual({ name, groupName: true });
  // the check can fail: a call without a GroupName, and one that is no operation
  expect(requiredField('DetachUserPolicy', 'GroupName')).toBe(false);
  expect(typeof client.DetachGroupPoliciesCommand).toBe('undefined');
});

test('cdk-nag: no unacknowledged AwsSolutions finding with the group calls in the rules', () => {
  const app = new App();
  const home = new Stack(app, 'Home', { env: env('eu-west-1') });
  const admins = new iam.Group(home, 'Admins');
  const user = new BreakGlassUser(home, 'BreakGlass', {
    userName: 'break-glass',
    groups: [admins],
    policiesThroughGroups: true,
  });
  new SignInAlertsForwarder(new Stack(app, 'Fwd', { env: env('us-east-1') }), 'Forwarder', {
    alerts: user.signInAlerts,
  });
  app.synth();
  expect(patternOf(user.signInAlerts.takeoverRule).detail.$or).toHaveLength(3);
  Template.fromStack(home).hasResourceProperties('AWS::Events::Rule', {
    EventPattern: Match.objectLike({ source: ['aws.iam'] }),
  });
  const report = new AwsSolutionsChecks().validateScope(app);
  expect(
    report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
  ).toEqual([]);
});
