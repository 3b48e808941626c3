/** `RequireMfaPolicy`: the stack's one customer managed policy that holds console users to MFA. */
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeRequireMfaPolicyFindings } from '../compliance/checkov';
import { acknowledgeRequireMfaPolicy } from '../compliance/nag';
import { stackSingleton } from '../core/stack-singleton';

/**
 * The customer managed policy that holds the users of a stack with `requireMfa` to multi-factor
 * authentication: one per stack, attached to each such user, created on first use.
 *
 * Until the user signs in with MFA it denies everything but what the first sign-in needs (reading
 * the password policy, changing their own password where that is allowed, enrolling their own MFA
 * device, `sts:GetSessionToken`); with MFA it denies nothing. The full table and the reasons are in
 * docs/break-glass.md ("requireMfa").
 */
export class RequireMfaPolicy extends Construct {
  /** The `RequireMfaPolicy` of `scope`'s stack, created if it does not exist yet. */
  public static of(scope: IConstruct): RequireMfaPolicy {
    return stackSingleton(scope, 'CdkConsoleUsersRequireMfa', RequireMfaPolicy, (stack, id) => {
      return new RequireMfaPolicy(stack, id);
    });
  }

  /** The customer managed policy, attached to every user of the stack that requires MFA. */
  public readonly policy: iam.ManagedPolicy;

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const iamArn = (resource: string) => `arn:${Aws.PARTITION}:iam::${stack.account}:${resource}`;
    const self = [iamArn('user/${aws:username}'), iamArn('user/*/${aws:username}')];
    const withoutMfa = { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } };

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description:
        'cdk-console-users: denies everything but password change and MFA enrollment until the user signs in with MFA',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadAccountPasswordPolicyListVirtualMfaDevicesGetSessionToken',
          // None of these actions has a resource type: IAM accepts only "*".
          actions: ['iam:GetAccountPasswordPolicy', 'iam:ListVirtualMFADevices', 'sts:GetSessionToken'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'CreateVirtualMfaDevice',
          // Users name their devices; the device is theirs only once EnableMFADevice (on self) ties it.
          actions: ['iam:CreateVirtualMFADevice'],
          resources: [iamArn('mfa/*')],
        }),
        new iam.PolicyStatement({
          sid: 'ManageOwnMfa',
          actions: [...OWN_USER_ACTIONS].filter((a) => a !== 'iam:ChangePassword'),
          resources: self,
        }),
        new iam.PolicyStatement({
          sid: 'DenyAllButFirstSignInWithoutMfa',
          effect: iam.Effect.DENY,
          notActions: [...FIRST_SIGN_IN_ACTIONS],
          resources: ['*'],
          conditions: withoutMfa,
        }),
        new iam.PolicyStatement({
          sid: 'DenyOtherUsersWithoutMfa',
          // The actions above that act on a user: on the user itself only.
          effect: iam.Effect.DENY,
          actions: [...OWN_USER_ACTIONS],
          notResources: self,
          conditions: withoutMfa,
        }),
      ],
    });
    acknowledgeRequireMfaPolicy(this.policy, stack.account);
    acknowledgeRequireMfaPolicyFindings(this.policy);
  }

  /** Attaches the policy to `user` (declared in this app, or imported). */
  public addUser(user: iam.IUser): void {
    this.policy.attachToUser(user);
  }
}

/** Actions on the user itself that a first sign-in needs without MFA. */
const OWN_USER_ACTIONS = [
  'iam:ChangePassword',
  'iam:EnableMFADevice',
  'iam:GetMFADevice',
  'iam:GetUser',
  'iam:ListMFADevices',
  'iam:ResyncMFADevice',
] as const;

/** Every action a user may take before signing in with MFA (on the user itself where it acts on a user). */
const FIRST_SIGN_IN_ACTIONS = [
  ...OWN_USER_ACTIONS,
  'iam:CreateVirtualMFADevice',
  'iam:GetAccountPasswordPolicy',
  'iam:ListVirtualMFADevices',
  'sts:GetSessionToken',
] as const;
