/**
 * AWS Security Hub IAM.2 ("IAM users should not have IAM policies attached": users must inherit
 * permissions from groups or roles). By default the library attaches IAMUserChangePassword and the
 * stack's RequireMfaPolicy to the user; with `policiesThroughGroups` the user joins the stack's
 * groups instead. The decisions are evaluated with iam-simulate over the synthesized policies.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BreakGlassUser, ConsoleUser, LoginProfile } from '../../lib';
import { ACCOUNT } from '../tooling/lambda-fixtures';
import { decide } from '../tooling/policy-simulator';
import { TemplateJson } from '../tooling/template-world';
import { deployedWorld, userPolicies } from '../mfa/effective-policies';

const arn = (resource: string) => `arn:aws:iam::${ACCOUNT}:${resource}`;
type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** What IAM.2's rule (iam-user-no-policies-check) looks at: policies attached to each user of the template. */
function policiesOnUsers(template: TemplateJson): Record<string, string[]> {
  const resources = template.Resources as Resources;
  const users = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::User');
  const result: Record<string, string[]> = {};
  for (const [id, user] of users) {
    const attached: string[] = [
      ...((user.Properties?.ManagedPolicyArns as unknown[] | undefined) ?? []).map((a) => JSON.stringify(a)),
      ...((user.Properties?.Policies as { PolicyName: string }[] | undefined) ?? []).map((p) => p.PolicyName),
    ];
    for (const [policyId, policy] of Object.entries(resources)) {
      if (policy.Type !== 'AWS::IAM::Policy' && policy.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const names = (policy.Properties?.Users as unknown[] | undefined) ?? [];
      if (names.some((n) => JSON.stringify(n) === JSON.stringify({ Ref: id }))) attached.push(policyId);
    }
    result[String(user.Properties?.UserName ?? id)] = attached;
  }
  return result;
}

function usersStack(policiesThroughGroups: boolean): { stack: Stack; template: TemplateJson } {
  const stack = new Stack(new App(), 'Users', { env: { account: ACCOUNT, region: 'us-east-1' } });
  new ConsoleUser(stack, 'Alice', { userName: 'alice', requireMfa: true, policiesThroughGroups });
  new ConsoleUser(stack, 'Bob', { userName: 'bob', path: '/ops/', policiesThroughGroups });
  new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', policiesThroughGroups });
  return { stack, template: Template.fromStack(stack).toJSON() as TemplateJson };
}

test('by default the library attaches its policies to the users (IAM.2 fails), as before', () => {
  const { template } = usersStack(false);
  const attached = policiesOnUsers(template);
  expect(attached.alice).toHaveLength(2); // IAMUserChangePassword and the RequireMfaPolicy
  expect(attached.bob).toHaveLength(2); // IAMUserChangePassword and the statement for a user with a path
  expect(attached['break-glass']).toHaveLength(1); // the RequireMfaPolicy
  expect(Template.fromJSON(template).findResources('AWS::IAM::Group')).toEqual({});
});

describe('policiesThroughGroups', () => {
  let template: TemplateJson;
  let stack: Stack;
  beforeAll(() => {
    ({ stack, template } = usersStack(true));
  });

  test('no user has a policy attached: what IAM.2 checks', () => {
    expect(policiesOnUsers(template)).toEqual({ 'alice': [], 'bob': [], 'break-glass': [] });
  });

  test('the users join one change-password group and one require-MFA group of the stack, as their options ask', () => {
    const t = Template.fromJSON(template);
    expect(Object.keys(t.findResources('AWS::IAM::Group')).sort()).toEqual([
      expect.stringMatching(/^CdkConsoleUsersChangePasswordGroup/),
      expect.stringMatching(/^CdkConsoleUsersRequireMfaGroup/),
    ]);
    const groupsOf = (name: string) => {
      const user = Object.values(template.Resources as Resources).find((r) => r.Properties?.UserName === name)!;
      return ((user.Properties?.Groups as { Ref: string }[] | undefined) ?? [])
        .map((g) => g.Ref.replace(/[0-9A-F]{8}$/, ''))
        .sort();
    };
    expect(groupsOf('alice')).toEqual(['CdkConsoleUsersChangePasswordGroup', 'CdkConsoleUsersRequireMfaGroup']);
    expect(groupsOf('bob')).toEqual(['CdkConsoleUsersChangePasswordGroup']);
    expect(groupsOf('break-glass')).toEqual(['CdkConsoleUsersRequireMfaGroup']);
  });

  test.each([
    ['alice', '/'],
    ['bob', '/ops/'],
  ])(
    "%s may change their own password through the group, and nobody else's",
    async (name, path) => {
      const policies = userPolicies(deployedWorld(template), name, path);
      const context = { 'aws:username': name, 'aws:MultiFactorAuthPresent': 'true' };
      expect(await decide(policies, 'iam:ChangePassword', arn(`user${path}${name}`), context)).toBe('Allowed');
      expect(await decide(policies, 'iam:GetAccountPasswordPolicy', '*', context)).toBe('Allowed');
      expect(await decide(policies, 'iam:ChangePassword', arn('user/carol'), context)).toBe('ImplicitlyDenied');
      expect(await decide(policies, 'iam:ChangePassword', arn('user/ops/carol'), context)).toBe('ImplicitlyDenied');
    },
    60_000,
  );

  test('the break-glass user is held to MFA through the group, and cannot change its password', async () => {
    const policies = userPolicies(deployedWorld(template), 'break-glass');
    const self = arn('user/break-glass');
    const noMfa = { 'aws:username': 'break-glass', 'aws:MultiFactorAuthPresent': 'false' };
    expect(await decide(policies, 'iam:EnableMFADevice', self, noMfa)).toBe('Allowed');
    expect(await decide(policies, 's3:ListAllMyBuckets', '*', noMfa)).toBe('ExplicitlyDenied');
    expect(await decide(policies, 'iam:ChangePassword', self, noMfa)).toBe('ImplicitlyDenied');
  }, 60_000);

  test('an imported user joins the groups by a UserToGroupAddition; no inline policy is made for it', () => {
    const s = new Stack(new App(), 'Imported', { env: { account: ACCOUNT, region: 'us-east-1' } });
    new LoginProfile(s, 'VendorLogin', {
      user: iam.User.fromUserName(s, 'Vendor', 'vendor'),
      requireMfa: true,
      policiesThroughGroups: true,
    });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::IAM::UserToGroupAddition', 2);
    t.hasResourceProperties('AWS::IAM::UserToGroupAddition', {
      GroupName: { Ref: Match.stringLikeRegexp('^CdkConsoleUsersChangePasswordGroup') },
      Users: ['vendor'],
    });
    t.hasResourceProperties('AWS::IAM::UserToGroupAddition', {
      GroupName: { Ref: Match.stringLikeRegexp('^CdkConsoleUsersRequireMfaGroup') },
      Users: ['vendor'],
    });
    expect(Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => p.Properties.Users)).toEqual([]);
    expect(Object.values(t.findResources('AWS::IAM::ManagedPolicy')).filter((p) => p.Properties.Users)).toEqual([]);
  });

  test('cdk-nag: no unacknowledged AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks().validateScope(stack.node.root);
    expect(
      report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
    ).toEqual([]);
  });
});
