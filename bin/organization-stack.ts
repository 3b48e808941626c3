/**
 * Console users in every account of an organization: a CloudFormation StackSet (cdklabs'
 * cdk-stacksets) that the organization deploys to each account of the given OUs, and to each new
 * one, with the library's handlers inline so that no asset bucket is needed.
 */
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Capability, DeploymentType, StackSet, StackSetStack, StackSetTarget, StackSetTemplate } from 'cdk-stacksets';
import { Construct } from 'constructs';
import {
  AccountPasswordPolicy,
  BreakGlassUser,
  ConsoleUser,
  HandlerCode,
  HandlerSettings,
  HomeRegion,
  SignInAlerts,
} from '../lib';

/** Props of `OrganizationConsoleUsersStack`. */
export interface OrganizationConsoleUsersStackProps extends StackProps {
  /** The OUs whose accounts (present and future) get the users. */
  readonly organizationalUnits: string[];
  /** The region of each account where the users, their secrets and the policies are created. */
  readonly homeRegion: string;
  /** The role of the security account that holds the passwords: the only reader outside each account. */
  readonly custodianRoleArn: string;
}

/**
 * The stack of the organization's management account (or of a delegated StackSet administrator):
 * a service-managed StackSet whose template (`members`) creates, in each member account, a
 * break-glass user and an auditor in the home region, and forwards their sign-in events to it from
 * the other regions where CloudTrail records console sign-ins.
 */
export class OrganizationConsoleUsersStack extends Stack {
  /** The template deployed to each account and region. */
  public readonly members: StackSetStack;
  /** The StackSet. */
  public readonly stackSet: StackSet;

  constructor(scope: Construct, id: string, props: OrganizationConsoleUsersStackProps) {
    super(scope, id, props);
    const members = new StackSetStack(this, 'Members');
    this.members = members;

    // Asset-free: the handlers are in the template, as StackSets cannot use CDK file assets.
    HandlerSettings.configure(members, { handlerCode: HandlerCode.INLINE });
    // IAM is global: the users, secrets and policies exist in the home region of each account only.
    new HomeRegion(members, 'HomeRegion', { region: props.homeRegion });
    new AccountPasswordPolicy(members, 'PasswordPolicy', {
      minimumPasswordLength: 16,
      requireSymbols: true,
      requireNumbers: true,
      maxPasswordAge: Duration.days(90),
    });

    // The security account's role reads the passwords through Secrets Manager; each secret is under
    // a customer managed key, which a reader in another account needs.
    const custodian = iam.Role.fromRoleArn(members, 'Custodian', props.custodianRoleArn, { mutable: false });
    const breakGlass = new BreakGlassUser(members, 'BreakGlass', { userName: 'break-glass', readers: [custodian] });
    const auditor = new ConsoleUser(members, 'Auditor', {
      userName: 'auditor',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
      encryptionKey: new kms.Key(members, 'AuditorKey', { enableKeyRotation: true }),
      requireMfa: true,
    });
    auditor.grantReadPassword(custodian);
    breakGlass.signInAlerts.addUser(auditor);

    this.stackSet = new StackSet(this, 'StackSet', {
      template: StackSetTemplate.fromStackSetStack(members),
      description: 'cdk-console-users: break-glass and auditor console users in each account',
      target: StackSetTarget.fromOrganizationalUnits({
        organizationalUnits: props.organizationalUnits,
        // The home region, and the regions whose console sign-ins are forwarded to it.
        regions: [props.homeRegion, ...SignInAlerts.forwardingRegions(props.homeRegion)],
      }),
      deploymentType: DeploymentType.serviceManaged({ autoDeployEnabled: true, autoDeployRetainStacks: false }),
      capabilities: [Capability.NAMED_IAM],
    });
  }
}
