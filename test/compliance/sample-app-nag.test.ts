/**
 * cdk-nag (AwsSolutions) on the sample app: zero unacknowledged findings. The library acknowledges
 * what its design justifies (lib/compliance/nag.ts); the sample app acknowledges its own
 * choices here; everything else must be fixed.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConsoleUsersSampleStack } from '../../bin/sample-stack';
import { ConsoleUser, LoginProfile } from '../../lib';
import { NAG_REASONS } from '../../lib/compliance/nag';

/** "rule at path" for every unacknowledged AwsSolutions finding in `app`. */
function findings(app: App): string[] {
  app.synth();
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

function sampleApp(): { app: App; stack: Stack } {
  const app = new App();
  const stack = new ConsoleUsersSampleStack(app, 'ConsoleUsersSample');
  return { app, stack };
}

test('the sample app has no unacknowledged AwsSolutions findings', () => {
  // GIVEN the sample app, with the one finding that is the app's own choice acknowledged by the app
  const { app, stack } = sampleApp();
  Validations.of(stack.node.findChild('Auditors')).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]',
    reason: 'Auditors are meant to read everything: the AWS managed ReadOnlyAccess policy is the point.',
  });

  // WHEN AwsSolutions runs THEN nothing is left
  expect(findings(app)).toEqual([]);
});

test('the sample app passes AwsSolutions as a validation plugin at synth (how users run cdk-nag 3)', () => {
  // GIVEN the pack registered the way cdk-nag 3 documents it
  const { app, stack } = sampleApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  Validations.of(stack.node.findChild('Auditors')).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]',
    reason: 'Auditors are meant to read everything.',
  });

  // WHEN the app synthesizes THEN the plugin reports success
  expect(() => app.synth()).not.toThrow();

  // ...while the same app without the acknowledgement fails its synth on the app's own finding
  const unacknowledged = sampleApp().app;
  Validations.of(unacknowledged).addPlugins(new AwsSolutionsChecks(unacknowledged));
  expect(() => unacknowledged.synth()).toThrow(/ReadOnlyAccess/);
});

test("fails when the app's own finding is not acknowledged: the library acknowledges only its own", () => {
  // GIVEN the sample app without the app's acknowledgement
  const { app } = sampleApp();

  // WHEN AwsSolutions runs THEN exactly the app's managed-policy choice is reported
  expect(findings(app)).toEqual([
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess] at ConsoleUsersSample/Auditors/Resource',
  ]);
});

test("the library's acknowledgements do not hide the same findings on the app's own resources", () => {
  // GIVEN a stack where the app adds a wildcard and a managed policy of its own to a console user
  const app = new App();
  const stack = new Stack(app, 'Scoped');
  const user = new ConsoleUser(stack, 'User', { userName: 'scoped' });
  user.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] }));
  user.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess'));
  const imported = iam.User.fromUserName(stack, 'Imported', 'imported');
  imported.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
  new LoginProfile(stack, 'ImportedProfile', { user: imported });

  // WHEN AwsSolutions runs THEN the app's own wildcards and managed policy are reported
  expect(findings(app).sort()).toEqual([
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess] at Scoped/User/Resource',
    'AwsSolutions-IAM5[Resource::*] at Scoped/Imported/Policy/Resource',
    'AwsSolutions-IAM5[Resource::*] at Scoped/User/DefaultPolicy/Resource',
  ]);
});

test('every acknowledgement carries its reason in the construct metadata cdk-nag reads', () => {
  // GIVEN the synthesized sample app
  const { app } = sampleApp();
  app.synth();

  // WHEN collecting the acknowledged rules the library recorded
  const recorded = new Map<string, string>();
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        recorded.set(`${id.replace(/^annotation::/i, '')} at ${construct.node.path}`, reason);
      }
    }
  }

  // THEN each is one of the documented reasons, on the construct the library created
  const provider = 'ConsoleUsersSample/CdkConsoleUsersLoginProfileProvider';
  expect(Object.fromEntries([...recorded].sort())).toEqual(
    Object.fromEntries(
      [
        [
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/IAMUserChangePassword] at ConsoleUsersSample/Auditor',
          NAG_REASONS.changePasswordManagedPolicy,
        ],
        [
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/IAMUserChangePassword] at ConsoleUsersSample/BreakGlass',
          NAG_REASONS.changePasswordManagedPolicy,
        ],
        [
          `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole] at ${provider}/Handler/ServiceRole`,
          NAG_REASONS.lambdaBasicExecution,
        ],
        [`AwsSolutions-IAM5[Resource::*] at ${provider}/HandlerPolicy`, NAG_REASONS.accountPasswordPolicyRead],
        [
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*] at ${provider}/HandlerPolicy`,
          NAG_REASONS.deleteClaimedProfiles,
        ],
        [
          'AwsSolutions-IAM5[Resource::*] at ConsoleUsersSample/VendorLoginProfile/ChangePasswordPolicy',
          NAG_REASONS.changePasswordInline,
        ],
        ['AwsSolutions-SMG4 at ConsoleUsersSample/Auditor/LoginProfile/Secret', NAG_REASONS.secretWithoutRotation],
        ['AwsSolutions-SMG4 at ConsoleUsersSample/BreakGlass/LoginProfile/Secret', NAG_REASONS.secretWithoutRotation],
        ['AwsSolutions-SMG4 at ConsoleUsersSample/VendorLoginProfile/Secret', NAG_REASONS.secretWithoutRotation],
      ].sort(),
    ),
  );
});
