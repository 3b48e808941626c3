/** The sample stack: what `npx cdk synth` synthesizes. Demo code, not part of the package. */
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ConsoleUser, LoginProfile } from '../lib';

export class ConsoleUsersSampleStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // An auditor: read-only access through a group with an AWS managed policy.
    const auditors = new iam.Group(this, 'Auditors', {
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
    });
    const auditor = new ConsoleUser(this, 'Auditor', {
      userName: 'sample-auditor',
      groups: [auditors],
    });

    // A break-glass operator whose password secret is encrypted with a customer managed key.
    const key = new kms.Key(this, 'BreakGlassKey', {
      description: 'Encrypts the break-glass console password',
      enableKeyRotation: true,
    });
    const breakGlass = new ConsoleUser(this, 'BreakGlass', {
      userName: 'sample-break-glass',
      encryptionKey: key,
      passwordLength: 32,
    });

    // A user that exists already (created outside this stack), imported by name.
    const vendor = iam.User.fromUserName(this, 'Vendor', 'sample-vendor');
    const vendorProfile = new LoginProfile(this, 'VendorLoginProfile', { user: vendor });

    new CfnOutput(this, 'SignInUrl', { value: auditor.signInUrl, description: 'Console sign-in URL' });
    new CfnOutput(this, 'AuditorPasswordSecretArn', { value: auditor.secret.secretArn });
    new CfnOutput(this, 'BreakGlassPasswordSecretArn', { value: breakGlass.secret.secretArn });
    new CfnOutput(this, 'VendorPasswordSecretArn', { value: vendorProfile.secret.secretArn });
  }
}
