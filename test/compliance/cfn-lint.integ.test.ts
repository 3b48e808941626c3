/** cfn-lint on templates with the lifecycle resources (needs the project venv, like the rest of the integ suite). */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AccountPasswordPolicy, ConsoleUser, LoginProfile } from '../../lib';
import { cfnLint, saveTemplate, savedTemplates } from '../tooling/templates';

test('templates with rotation and an AccountPasswordPolicy (two stacks) pass cfn-lint', () => {
  // GIVEN a policy stack and a users stack with rotating users (one with a customer managed key, one imported)
  const app = new App();
  const env = { account: '123456789012', region: 'eu-west-1' };
  const policyStack = new Stack(app, 'LifecyclePolicy', { env });
  const users = new Stack(app, 'LifecycleUsers', { env });
  new AccountPasswordPolicy(policyStack, 'PasswordPolicy', {
    minimumPasswordLength: 40,
    requireSymbols: true,
    requireNumbers: true,
    requireUppercaseCharacters: true,
    requireLowercaseCharacters: true,
    allowUsersToChangePassword: true,
    maxPasswordAge: Duration.days(90),
    passwordReusePrevention: 24,
    hardExpiry: false,
  });
  const key = new kms.Key(users, 'Key', { enableKeyRotation: true });
  new ConsoleUser(users, 'Operator', {
    userName: 'operator',
    passwordResetRequired: false,
    encryptionKey: key,
    rotation: { automaticallyAfter: Duration.days(30) },
  });
  new LoginProfile(users, 'Vendor', {
    user: iam.User.fromUserName(users, 'VendorUser', 'vendor'),
    passwordResetRequired: false,
    rotation: { automaticallyAfter: Duration.hours(12) },
  });
  new ConsoleUser(users, 'Auditor', { userName: 'auditor', resetToken: '2026-11-26' });
  // WHEN
  saveTemplate('lifecycle-policy', Template.fromStack(policyStack).toJSON());
  saveTemplate('lifecycle-users', Template.fromStack(users).toJSON());
  // THEN
  expect(cfnLint(savedTemplates())).toEqual([]);
});
