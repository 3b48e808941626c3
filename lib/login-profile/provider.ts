/** The login-profile handler of a stack: one function for every login profile of the stack. */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct, IDependable } from 'constructs';
import { NAG_REASONS, acknowledgeClaimedProfileDeletes } from '../compliance/nag';
import { stackSingleton } from '../core/stack-singleton';
import { readOwnStackStatement } from '../handler/handler-function';
import { StackFunction } from '../handler/stack-function';
import { keyArnBound, secretArnBound, userArnBound } from '../permissions/limits';
import { SECRET_KEY_STATEMENT, secretKeyStatement } from '../permissions/permission-packer';
import { STACK_TAG_KEY } from './contract';
import { HandoverBus } from '../handover/handover-bus';

const USER_STATEMENT = 'ManageLoginProfilesOfDeclaredUsers';
const SECRET_STATEMENT = 'WriteDeclaredPasswordSecrets';

/**
 * The function that creates login profiles, and its permissions: one per stack, created on first
 * use by `LoginProfile`. CloudFormation invokes the function directly (its ARN is the service
 * token of every login profile) and the handler answers CloudFormation itself, so every event
 * reaches it, the Delete after a failed Create included. Its settings are the stack's
 * `HandlerSettings`. Its permissions grow with each login profile: the login-profile actions only
 * on those users, the secret writes only on those secrets (docs/design.md, "Permissions").
 */
export class LoginProfileProvider extends StackFunction {
  /** Construct id of the provider under its stack. */
  public static readonly ID = 'CdkConsoleUsersLoginProfileProvider';

  /** The provider of `scope`'s stack, created if it does not exist yet. */
  public static of(scope: IConstruct): LoginProfileProvider {
    return stackSingleton(scope, LoginProfileProvider.ID, LoginProfileProvider, (stack, id) => {
      return new LoginProfileProvider(stack, id);
    });
  }

  private constructor(scope: Stack, id: string) {
    super(scope, id, {
      asset: 'login-profile-handler',
      description: 'creates console login profiles with generated passwords kept in Secrets Manager',
      defaultTimeout: Duration.minutes(2),
      memorySize: 256,
      customResources: true,
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadAccountPasswordPolicy',
          // GetAccountPasswordPolicy has no resource type: IAM only accepts "*" for it.
          actions: ['iam:GetAccountPasswordPolicy'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'DeleteLoginProfilesOfUsersThisStackClaimed',
          // CloudFormation updates this stack's policies before it deletes a login profile that left
          // the stack (or the old user of a rename), so the per-user statements no longer name that
          // user when its Delete runs. The handler tags every user it claims with the stack ID;
          // reading and deleting the profile of a user carrying that tag stays allowed.
          actions: ['iam:GetUser', 'iam:DeleteLoginProfile'],
          resources: [scope.formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' })],
          conditions: { StringEquals: { [`aws:ResourceTag/${STACK_TAG_KEY}`]: scope.stackId } },
        }),
        readOwnStackStatement(scope),
      ],
      accountWideReason: NAG_REASONS.accountPasswordPolicyRead,
      permissions: {
        id: 'LoginProfilePermissions',
        description: 'cdk-console-users: login profiles the handler may manage',
        statements: [
          {
            sid: USER_STATEMENT,
            actions: [
              'iam:CreateLoginProfile',
              'iam:UpdateLoginProfile',
              'iam:DeleteLoginProfile',
              'iam:GetUser',
              'iam:TagUser',
            ],
          },
          {
            sid: SECRET_STATEMENT,
            actions: [
              'secretsmanager:PutSecretValue',
              'secretsmanager:GetSecretValue',
              'secretsmanager:DescribeSecret',
              'secretsmanager:UpdateSecretVersionStage',
            ],
          },
          secretKeyStatement(scope),
        ],
      },
    });
    // Every password it issues is announced on the stack's handover bus.
    HandoverBus.of(this).addPublisher(this.handler, this.policy);
    acknowledgeClaimedProfileDeletes(this.policy);
    // Every login profile references the function (its service token), so this makes the policy
    // exist before, and outlive, all of them. The function resource only: its role is referenced
    // by the policy.
    this.handler.whenBuilt((fn) => fn.node.defaultChild!.node.addDependency(this.policy));
  }

  /** The customer managed policies that hold the per-profile permissions (one per ~35 profiles). */
  public get permissionPolicies(): iam.ManagedPolicy[] {
    return this.permissions.policies;
  }

  /**
   * Lets the handler manage the login profile of `user` and write its password to `secret` (and
   * use the secret's KMS key through Secrets Manager). Returns the policy that holds these
   * permissions: the login profile's custom resource must depend on it, so that the permissions
   * exist before it is created and outlive it when it is deleted.
   */
  public grantLoginProfile(user: iam.IUser, secret: secretsmanager.ISecret): IDependable {
    const key = secret.encryptionKey;
    return this.permissions.grant([
      [USER_STATEMENT, [{ arn: user.userArn, bound: userArnBound(user) }]],
      [SECRET_STATEMENT, [{ arn: secret.secretArn, bound: secretArnBound(secret) }]],
      ...(key ? ([[SECRET_KEY_STATEMENT, [{ arn: key.keyArn, bound: keyArnBound(key) }]]] as const) : []),
    ]);
  }
}
