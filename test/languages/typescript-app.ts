/**
 * The TypeScript twin of test/languages/python/app.py, line for line: python-app.test.ts compares
 * the two templates, and the synth times of the two are measured side by side (CONTRIBUTING.md).
 * `cdk-console-users` is this repo's lib/ (or the compiled build/ when run as JavaScript).
 */
import { App, CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AccountPasswordPolicy, ConsoleUser, LoginProfile } from '../../lib';

export class ConsoleUsersStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    new AccountPasswordPolicy(this, 'PasswordPolicy', {
      minimumPasswordLength: 32,
      requireSymbols: true,
      requireNumbers: true,
      requireUppercaseCharacters: true,
      requireLowercaseCharacters: true,
      maxPasswordAge: Duration.days(90),
    });

    const auditors = new iam.Group(this, 'Auditors', {
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
    });
    const key = new kms.Key(this, 'PasswordKey', { enableKeyRotation: true });

    // A break-glass user: in a group, its secret under a customer managed key, rotated monthly.
    const alice = new ConsoleUser(this, 'Alice', {
      userName: 'alice',
      groups: [auditors],
      encryptionKey: key,
      passwordLength: 40,
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(30) },
    });

    // A user that exists outside the stack gets a login profile of its own.
    const vendor = iam.User.fromUserName(this, 'Vendor', 'vendor');
    const vendorLogin = new LoginProfile(this, 'VendorLogin', { user: vendor, passwordResetRequired: true });

    const helpdesk = new iam.Role(this, 'Helpdesk', { assumedBy: new iam.AccountRootPrincipal() });
    alice.grantReadPassword(helpdesk);
    vendorLogin.grantReadPassword(helpdesk);

    new CfnOutput(this, 'AlicePasswordSecretArn', { value: alice.secret.secretArn });
    new CfnOutput(this, 'VendorPasswordSecretArn', { value: vendorLogin.secret.secretArn });
    new CfnOutput(this, 'SignInUrl', { value: alice.signInUrl });
  }
}

/** The app, synthesized into `outdir` (CDK_OUTDIR when not given, as under `cdk synth`). */
export function synthesize(outdir?: string): void {
  const app = new App(outdir ? { outdir } : {});
  new ConsoleUsersStack(app, 'ConsoleUsers', { env: { account: '123456789012', region: 'eu-west-1' } });
  app.synth();
}

if (require.main === module) synthesize();
