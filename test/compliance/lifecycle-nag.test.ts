/** cdk-nag (AwsSolutions) on the lifecycle constructs: no unacknowledged findings, each acknowledgement scoped. */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccountPasswordPolicy, ConsoleUser } from '../../lib';

function findings(app: App): string[] {
  app.synth();
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

test('rotating users and an AccountPasswordPolicy have no unacknowledged AwsSolutions findings', () => {
  // GIVEN rotation (with and without a customer managed key) and a strict account password policy
  const app = new App();
  const stack = new Stack(app, 'Lifecycle', { env: { account: '123456789012', region: 'us-east-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  new ConsoleUser(stack, 'A', {
    userName: 'a',
    passwordResetRequired: false,
    rotation: { automaticallyAfter: Duration.days(30) },
  });
  new ConsoleUser(stack, 'B', {
    userName: 'b',
    passwordResetRequired: false,
    encryptionKey: key,
    rotation: { automaticallyAfter: Duration.days(7) },
  });
  new AccountPasswordPolicy(stack, 'PasswordPolicy', {
    minimumPasswordLength: 14,
    requireSymbols: true,
    requireNumbers: true,
    requireUppercaseCharacters: true,
    requireLowercaseCharacters: true,
    maxPasswordAge: Duration.days(90),
    passwordReusePrevention: 24,
  });
  // WHEN AwsSolutions runs THEN nothing is left
  expect(findings(app)).toEqual([]);
});
