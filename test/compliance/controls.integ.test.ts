/**
 * cfn-lint on what docs/security.md ("Controls auditors run") offers: the Security Hub automation
 * rule that suppresses an idle break-glass user's IAM.8 and IAM.22 findings (the same rule as the
 * documentation's example), and users given their policies through groups under a preset policy.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import { AccountPasswordPolicy, BreakGlassUser, ConsoleUser, LoginProfile, PasswordPolicyPreset } from '../../lib';
import { cfnLint, saveTemplate } from '../tooling/templates';

/** The documentation's suppression rule, with `comparison` as given. */
function suppressionRule(comparison: string): unknown {
  const stack = new Stack(new App(), 'SecurityHubRules', { env: { account: '111122223333', region: 'eu-west-1' } });
  new securityhub.CfnAutomationRule(stack, 'BreakGlassIdleByDesign', {
    ruleName: 'break-glass user idle by design',
    description: 'The break-glass user of 123456789012 is unused by design; drilled quarterly (owner: secops).',
    ruleOrder: 1,
    ruleStatus: 'ENABLED',
    criteria: {
      complianceSecurityControlId: [
        { comparison, value: 'IAM.8' },
        { comparison, value: 'IAM.22' },
      ],
      resourceId: [{ comparison, value: 'arn:aws:iam::123456789012:user/break-glass' }],
      awsAccountId: [{ comparison, value: '123456789012' }],
    },
    actions: [
      {
        type: 'FINDING_FIELDS_UPDATE',
        findingFieldsUpdate: {
          workflow: { status: 'SUPPRESSED' },
          note: {
            text: 'Emergency access user: unused by design, drilled quarterly. Review 2027-06.',
            updatedBy: 'secops',
          },
        },
      },
    ],
  });
  return Template.fromStack(stack).toJSON();
}

test('the suppression rule of docs/security.md passes cfn-lint', () => {
  expect(cfnLint([saveTemplate('controls-suppression', suppressionRule('EQUALS'))])).toEqual([]);
});

test('fails cfn-lint when the rule is wrong (a comparison outside the schema): the schema is checked', () => {
  const findings = cfnLint([saveTemplate('controls-suppression-bad', suppressionRule('EQUAL'))]);
  expect(findings.length).toBeGreaterThan(0);
  expect(findings.map((f) => f.path).join(' ')).toMatch(/Comparison/);
});

test('users with policiesThroughGroups under the CIS v1.2.0 preset pass cfn-lint', () => {
  const app = new App();
  const stack = new Stack(app, 'ControlsUsers', { env: { account: '123456789012', region: 'eu-west-1' } });
  new AccountPasswordPolicy(stack, 'PasswordPolicy', { preset: PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_2_0 });
  const admins = new iam.Group(stack, 'EmergencyAdmins', {
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
  });
  new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', groups: [admins], policiesThroughGroups: true });
  new ConsoleUser(stack, 'Ops', { userName: 'ops', path: '/ops/', requireMfa: true, policiesThroughGroups: true });
  new LoginProfile(stack, 'VendorLogin', {
    user: iam.User.fromUserName(stack, 'Vendor', 'vendor'),
    policiesThroughGroups: true,
  });
  expect(cfnLint([saveTemplate('controls-users', Template.fromStack(stack).toJSON())])).toEqual([]);
});
