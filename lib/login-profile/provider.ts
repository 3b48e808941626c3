/** The custom-resource provider shared by every login profile of a stack. */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct, IDependable } from 'constructs';
import { HandlerCode } from '../handler/handler-code';
import {
  customResourceServiceTimeout,
  handlerFunction,
  validatedHandlerCode,
  validatedLogEncryptionKey,
  validatedLogRetention,
} from '../handler/handler-function';
import { keyArnBound, secretArnBound, userArnBound } from '../permissions/limits';
import {
  NAG_REASONS,
  acknowledgeAccountWideActions,
  acknowledgeClaimedProfileDeletes,
  acknowledgeFunctionRole,
} from '../compliance/nag';
import { PermissionPacker, SECRET_KEY_STATEMENT, secretKeyStatement } from '../permissions/permission-packer';
import { stackSingleton } from '../core/stack-singleton';
import { PropValidationError } from '../core/validation';
import { STACK_TAG_KEY } from './contract';

/** Props of `LoginProfileProvider`. */
export interface LoginProfileProviderProps {
  /**
   * Lambda runtime of the handler.
   * @default - the newest Node.js runtime that aws-cdk-lib knows for the stack's region
   */
  readonly runtime?: lambda.Runtime;

  /**
   * How long the handler may run for one event: 30 seconds to 15 minutes. The handler keeps
   * 10 seconds to answer and, during a Create, 8 more to undo what a failed call may have done,
   * and bounds each AWS call at 8 seconds, so less than 30 seconds is refused.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;

  /**
   * How long the handler's log group keeps its events; the stack's rotation function
   * (`LoginProfileRotation`) uses the same retention. Each function logs to a log group of its
   * own, deleted with the stack.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Customer managed KMS key that encrypts the log groups of the handler and of the stack's
   * rotation function. A key defined in the app gets a statement letting CloudWatch Logs in the
   * stack's region use it for this account's log groups; an imported key's policy must allow
   * that already. The functions never log a password: this is your choice, for key control.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Where the stack's library functions take their code from: `HandlerCode.ASSET`, a CDK file
   * asset that `cdk deploy` uploads to the bootstrap bucket, or `HandlerCode.INLINE`, the bundled
   * code written into the template (about 20 KB for this handler), for stacks that cannot use
   * file assets, such as CloudFormation StackSets. The stack's rotation function
   * (`LoginProfileRotation`) follows this choice, and so does an `AccountPasswordPolicy` of the
   * stack unless its own `handlerCode` says otherwise. With `HandlerCode.INLINE`, synth fails
   * when a library function of the stack would still be a file asset (naming it and the fix).
   * The code in the template is the published handler: it holds no secret, but anyone who can
   * read the template can read it.
   * @default HandlerCode.ASSET
   */
  readonly handlerCode?: HandlerCode;
}

/**
 * The Lambda function and permissions that create login profiles.
 *
 * One per stack, created on first use by `LoginProfile`. CloudFormation invokes the function
 * directly (its ARN is the service token of every login profile) and the handler answers
 * CloudFormation itself, so every event reaches it, the Delete after a failed Create included.
 * Create it yourself (with the id `LoginProfileProvider.ID`, directly under the stack) before any
 * login profile to choose the runtime, timeout, log retention or handler code
 * (`HandlerCode.INLINE` for a stack without file assets). Its permissions grow with each login
 * profile: the login-profile actions only on those users, the secret writes only on those secrets, packed into
 * customer managed policies of at most 6,144 characters each (every ARN counted at its longest).
 * At synth it checks its role against IAM's limits (10,240 characters of inline policy, 6,144 per
 * managed policy, 10 managed policies) and fails with the limit and the count; aws-cdk-lib checks
 * the stack's 500 resources and warns about a template over 1 MB.
 */
export class LoginProfileProvider extends Construct {
  /** Construct id of the provider under its stack. */
  public static readonly ID = 'CdkConsoleUsersLoginProfileProvider';

  /** The provider of `scope`'s stack, created if it does not exist yet. */
  public static of(scope: IConstruct): LoginProfileProvider {
    return stackSingleton(
      scope,
      LoginProfileProvider.ID,
      (c): c is LoginProfileProvider => c instanceof LoginProfileProvider,
      (stack, id) => new LoginProfileProvider(stack, id),
    );
  }

  /** The Lambda function that handles the login-profile events. */
  public readonly handler: lambda.Function;
  /**
   * The handler's permissions that do not name a login profile (`iam:GetAccountPasswordPolicy`).
   * The handler function depends on it, and so does every login profile through the service token.
   */
  public readonly policy: iam.Policy;
  /** Service token for `Custom::ConsoleLoginProfile` resources: the handler function's ARN. */
  public readonly serviceToken: string;
  /**
   * The `ServiceTimeout` of every `Custom::ConsoleLoginProfile` resource: how long CloudFormation
   * waits for the handler's answer. It covers the longest an event may wait in Lambda's queue (1
   * minute: the function drops older events and takes no retries), the handler's timeout, and a
   * minute more, so CloudFormation gives up on an event only when no invocation of it can still
   * run or start.
   */
  public readonly serviceTimeout: Duration;
  /** How long the log groups of the stack's functions (handler, rotation) keep their events. */
  public readonly logRetention: logs.RetentionDays;
  /**
   * Where the stack's library functions take their code from (the handler's, the rotation
   * function's, and by default an `AccountPasswordPolicy`'s of the same stack).
   */
  public readonly handlerCode: HandlerCode;
  /** The customer managed key of the log groups of the stack's functions (handler, rotation), if any. */
  public readonly logEncryptionKey?: kms.IKey;

  /**
   * Customer managed policies holding the per-profile permissions, each filled up to IAM's 6,144
   * characters (ARNs at their longest) before the next is started. Managed rather than inline: a
   * role's inline policies share 10,240 characters, which about 60 profiles fill.
   */
  private readonly permissions: PermissionPacker;

  constructor(scope: Construct, id: string, props: LoginProfileProviderProps = {}) {
    super(scope, id);
    if (!(scope instanceof Stack) || id !== LoginProfileProvider.ID) {
      throw new PropValidationError(
        this,
        `LoginProfileProvider must be created directly under a stack with id LoginProfileProvider.ID ('${LoginProfileProvider.ID}'), got '${id}' under ${scope.node.path || 'the app'}`,
      );
    }
    this.logRetention = validatedLogRetention(this, 'logRetention', props.logRetention);
    this.logEncryptionKey = validatedLogEncryptionKey(this, 'logEncryptionKey', props.logEncryptionKey);
    this.handlerCode = validatedHandlerCode(this, 'handlerCode', props.handlerCode, HandlerCode.ASSET);
    const timeout = validatedTimeout(this, props.timeout);
    this.handler = handlerFunction(this, 'Handler', {
      asset: 'login-profile-handler',
      code: this.handlerCode,
      description: 'creates console login profiles with generated passwords kept in Secrets Manager',
      runtime: props.runtime,
      timeout,
      memorySize: 256,
      logRetention: this.logRetention,
      logEncryptionKey: this.logEncryptionKey,
      customResources: true,
    });
    this.serviceToken = this.handler.functionArn;
    this.serviceTimeout = customResourceServiceTimeout(timeout);

    this.policy = new iam.Policy(this, 'HandlerPolicy', {
      roles: [this.handler.role!],
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
          resources: [Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' })],
          conditions: { StringEquals: { [`aws:ResourceTag/${STACK_TAG_KEY}`]: Stack.of(this).stackId } },
        }),
        readOwnStackStatement(Stack.of(this)),
      ],
    });
    // Every login profile references the function (its service token), so this makes the policy
    // exist before, and outlive, all of them. The function resource only: its role is referenced
    // by the policy.
    this.handler.node.defaultChild!.node.addDependency(this.policy);

    acknowledgeFunctionRole(this.handler);
    acknowledgeAccountWideActions(this.policy, NAG_REASONS.accountPasswordPolicyRead);
    acknowledgeClaimedProfileDeletes(this.policy);

    this.permissions = new PermissionPacker(
      this,
      'LoginProfilePermissions',
      'cdk-console-users: login profiles the handler may manage',
      this.handler.role!,
      [
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
        secretKeyStatement(Stack.of(this)),
      ],
    );
  }

  /** The customer managed policies that hold the per-profile permissions (one per ~35 profiles). */
  public get permissionPolicies(): iam.ManagedPolicy[] {
    return this.permissions.policies;
  }

  /**
   * Lets the handler manage the login profile of `user` and write its password to `secret`
   * (and use the secret's KMS key through Secrets Manager). Returns the policy that holds these
   * permissions: the login profile's custom resource must depend on it, so that the permissions
   * exist before it is created and outlive it when it is deleted. Only `LoginProfile` calls it.
   * @internal
   */
  public _grantLoginProfile(user: iam.IUser, secret: secretsmanager.ISecret): IDependable {
    const key = secret.encryptionKey;
    return this.permissions.grant([
      [USER_STATEMENT, [{ arn: user.userArn, bound: userArnBound(user) }]],
      [SECRET_STATEMENT, [{ arn: secret.secretArn, bound: secretArnBound(secret) }]],
      ...(key ? ([[SECRET_KEY_STATEMENT, [{ arn: key.keyArn, bound: keyArnBound(key) }]]] as const) : []),
    ]);
  }
}

/**
 * Lets a custom-resource handler ask CloudFormation about its own stack only: the handler acts on
 * an event only when CloudFormation's record of the resource shows it (`DescribeStackResource`),
 * and checks the stack's cleanup phase for the Delete of a replaced resource (`DescribeStacks`).
 */
export function readOwnStackStatement(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadOwnStackRecord',
    actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
    resources: [stack.stackId],
  });
}

const USER_STATEMENT = 'ManageLoginProfilesOfDeclaredUsers';
const SECRET_STATEMENT = 'WriteDeclaredPasswordSecrets';

/** The handler timeout, checked against the range the handler's retries fit in (skipping tokens). */
function validatedTimeout(provider: LoginProfileProvider, timeout: Duration | undefined): Duration {
  if (timeout === undefined) return Duration.minutes(2);
  if (!Token.isUnresolved(timeout.toSeconds())) {
    const seconds = timeout.toSeconds();
    if (seconds < 30 || seconds > 900) {
      throw new PropValidationError(
        provider,
        `'timeout' must be from 30 seconds to 15 minutes, got ${timeout.toHumanString()}`,
      );
    }
  }
  return timeout;
}
