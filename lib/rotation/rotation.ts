/** Scheduled rotation of console passwords through Secrets Manager: one rotation function per stack. */
import { CustomResource, Duration, Stack, Tags, Token, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { LoginProfileProvider } from '../login-profile/provider';
import { addWarning } from '../core/deployment';
import { HandlerCode } from '../handler/handler-code';
import { DEFAULT_LOG_RETENTION, handlerFunction } from '../handler/handler-function';
import { keyArnBound, secretArnBound, userArnBound } from '../permissions/limits';
import { NAG_REASONS, acknowledgeAccountWideActions, acknowledgeFunctionRole } from '../compliance/nag';
import { PermissionPacker, SECRET_KEY_STATEMENT, secretKeyStatement } from '../permissions/permission-packer';
import { stackSingleton } from '../core/stack-singleton';
import { PropValidationError } from '../core/validation';
import { PENDING_VERSION_TAG_KEY, ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from './contract';

/** Secrets Manager's limits for a rotation interval (`rate(...)` schedule expression). */
const MIN_ROTATION_INTERVAL = Duration.hours(4);
const MAX_ROTATION_INTERVAL = Duration.days(1000);

/** When Secrets Manager rotates a login profile's password. */
export interface RotationOptions {
  /**
   * Time between rotations: whole hours, from 4 hours to 1000 days (Secrets Manager's limits).
   * Each rotation gives the user a new password; the old one stops working.
   */
  readonly automaticallyAfter: Duration;
}

/** What rotation needs of a login profile (`LoginProfile` is one). */
export interface IRotatableLoginProfile extends IConstruct {
  /** The user whose password rotates. */
  readonly user: iam.IUser;
  /** The secret holding the password; it must be a `secretsmanager.Secret` the login profile created. */
  readonly secret: secretsmanager.ISecret;
  /** Length of each new password. */
  readonly passwordLength: number;
  /** Whether the user must choose a new password after each rotation. */
  readonly passwordResetRequired: boolean;
  /** The resource that issues the first password: the schedule is created after it. */
  readonly resource: CustomResource;
}

/**
 * The rotation function of a stack and its permissions. One per stack, created on first use by
 * a login profile with `rotation`. Its permissions grow with each rotating login profile: the
 * login-profile actions only on those users, the secret actions only on those secrets. They are
 * packed into customer managed policies of at most 6,144 characters each (IAM's limit; about 24
 * rotating users each), because a role's inline policies together may hold only 10,240 characters
 * (about 45 rotating users). CloudFormation's 500 resources per stack bind first: about 95 rotating
 * `ConsoleUser`s per stack (5 resources each).
 *
 * The function logs to a log group of its own, deleted with the stack, that keeps its events for
 * the `logRetention` of the stack's `LoginProfileProvider` (one year unless set there), encrypted
 * with the provider's `logEncryptionKey` if it has one. Its code is a file asset or inline in the
 * template as the provider's `handlerCode` says (a file asset when the stack has no provider yet;
 * synth fails if the provider, created later, is `HandlerCode.INLINE`).
 */
export class LoginProfileRotation extends Construct {
  /** Construct id of the rotation function's construct under its stack. */
  public static readonly ID = 'CdkConsoleUsersRotation';

  /**
   * Warning id: rotation combined with `passwordResetRequired: true`. Acknowledge with
   * `Annotations.of(loginProfile).acknowledgeWarning(id, reason)`.
   */
  public static readonly WARNING_RESET_REQUIRED = 'cdk-console-users:rotation-with-password-reset-required';

  /** Warning id: a rotation interval longer than the `maxPasswordAge` of an `AccountPasswordPolicy` in the same app. */
  public static readonly WARNING_EXCEEDS_MAX_PASSWORD_AGE = 'cdk-console-users:rotation-exceeds-max-password-age';

  /** The rotation construct of `scope`'s stack, created if it does not exist yet. */
  public static of(scope: IConstruct): LoginProfileRotation {
    return stackSingleton(
      scope,
      LoginProfileRotation.ID,
      (c): c is LoginProfileRotation => c instanceof LoginProfileRotation,
      (stack, id) => new LoginProfileRotation(stack, id),
    );
  }

  /** The Lambda function Secrets Manager calls for each rotation step. */
  public readonly handler: lambda.Function;
  /** The inline policy with the permission every rotation needs (reading the account password policy). */
  public readonly policy: iam.Policy;
  /** Where the function's code comes from: the `handlerCode` of the stack's `LoginProfileProvider`. */
  public readonly handlerCode: HandlerCode;

  /** The per-profile permissions, packed into customer managed policies (`RotationPermissionsN`). */
  private readonly permissions: PermissionPacker;
  /** Paths of the login profiles this function rotates. */
  private readonly rotating = new Set<string>();
  /** The function as a reference, so that `RotationSchedule` adds no per-secret statements of its own. */
  private readonly rotationLambda: lambda.IFunction;

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    // One setting for the stack's functions: the provider's, which every login profile creates first.
    const provider = providerOf(scope);
    this.handlerCode = provider?.handlerCode ?? HandlerCode.ASSET;
    this.handler = handlerFunction(this, 'Handler', {
      asset: 'rotation-handler',
      code: this.handlerCode,
      description: 'rotates console passwords kept in Secrets Manager',
      timeout: Duration.minutes(2),
      memorySize: 256,
      logRetention: provider?.logRetention ?? DEFAULT_LOG_RETENTION,
      logEncryptionKey: provider?.logEncryptionKey,
    });
    if (this.handlerCode === HandlerCode.ASSET) {
      // Only when no provider existed yet: one created after this with HandlerCode.INLINE would
      // leave the stack needing a file asset after all.
      this.node.addValidation({
        validate: () => {
          const later = providerOf(scope);
          if (later?.handlerCode !== HandlerCode.INLINE) return [];
          return [
            `${this.node.path}: the rotation function's code is a file asset (HandlerCode.ASSET): this LoginProfileRotation was created before the stack's LoginProfileProvider (${later.node.path}), whose 'handlerCode' HandlerCode.INLINE it follows, so the stack would still need a file asset. Create the LoginProfileProvider with handlerCode: HandlerCode.INLINE before any login profile and before LoginProfileRotation.of(...) in this stack.`,
          ];
        },
      });
    }
    // Secrets Manager invokes the function; only on behalf of this account (confused deputy).
    this.handler.addPermission('SecretsManagerInvoke', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: Stack.of(this).account,
    });

    this.policy = new iam.Policy(this, 'HandlerPolicy', {
      roles: [this.handler.role!],
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadAccountPasswordPolicy',
          // GetAccountPasswordPolicy has no resource type: IAM only accepts "*" for it.
          actions: ['iam:GetAccountPasswordPolicy'],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeFunctionRole(this.handler);
    acknowledgeAccountWideActions(this.policy, NAG_REASONS.rotationPasswordPolicyRead);
    this.permissions = new PermissionPacker(
      this,
      'RotationPermissions',
      'cdk-console-users: login profiles the rotation function may rotate',
      this.handler.role!,
      [
        { sid: USER_STATEMENT, actions: ['iam:UpdateLoginProfile', 'iam:GetLoginProfile', 'iam:GetUser'] },
        {
          sid: TAG_STATEMENT,
          actions: ['iam:TagUser'],
          // Only the rotation's own tags (the pending version it wrote, the version IAM holds): the
          // ownership tag stays the login-profile handler's.
          conditions: {
            'ForAllValues:StringEquals': { 'aws:TagKeys': [PENDING_VERSION_TAG_KEY, ROTATED_VERSION_TAG_KEY] },
          },
        },
        {
          sid: SECRET_STATEMENT,
          actions: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
        },
        secretKeyStatement(Stack.of(this)),
      ],
    );
    this.rotationLambda = lambda.Function.fromFunctionAttributes(this, 'RotationLambda', {
      functionArn: this.handler.functionArn,
      sameEnvironment: true,
    });
  }

  /**
   * Rotates the password of `profile` every `options.automaticallyAfter`. The secret must be the
   * one `profile` created, and `profile` must be in this construct's stack; otherwise, or when
   * `profile` already rotates, this fails naming `profile`'s path. A `LoginProfile` or
   * `ConsoleUser` with the `rotation` option calls it itself.
   */
  public addLoginProfile(profile: IRotatableLoginProfile, options: RotationOptions): secretsmanager.RotationSchedule {
    validateRotation(profile, "'automaticallyAfter' of the rotation options", options);
    const secret = profile.secret;
    if (!(secret instanceof secretsmanager.Secret) || secret.node.scope !== profile) {
      throw new PropValidationError(
        profile,
        `cannot rotate: secret ${secret.node.path} is not the one this LoginProfile created; the rotation function only rotates secrets the library owns`,
      );
    }
    if (Stack.of(profile) !== Stack.of(this)) {
      throw new PropValidationError(
        profile,
        `cannot rotate: the rotation function ${this.node.path} must be in the login profile's stack`,
      );
    }
    if (this.rotating.has(profile.node.path)) throw new PropValidationError(profile, 'already rotates');
    const cfnUser = profile.user.node.defaultChild;
    const userName = cfnUser instanceof iam.CfnUser ? cfnUser.userName : profile.user.userName;
    if (userName !== undefined && !Token.isUnresolved(userName) && userName.includes(',')) {
      // The user name travels as a secret tag, and Secrets Manager tag values cannot hold commas.
      throw new PropValidationError(
        profile,
        `cannot rotate: user name ${JSON.stringify(userName)} contains ',' which a Secrets Manager tag value cannot hold; rotation needs a user name without commas`,
      );
    }

    // The function reads these at every step: which user, how long a password, which reset flag.
    Tags.of(secret).add(ROTATION_TAGS.userName, profile.user.userName);
    Tags.of(secret).add(ROTATION_TAGS.passwordLength, Tokenization.stringifyNumber(profile.passwordLength));
    Tags.of(secret).add(ROTATION_TAGS.passwordResetRequired, String(profile.passwordResetRequired));

    const key = secret.encryptionKey;
    const user = { arn: profile.user.userArn, bound: userArnBound(profile.user) };
    this.permissions.grant([
      [USER_STATEMENT, [user]],
      [TAG_STATEMENT, [user]],
      [SECRET_STATEMENT, [{ arn: secret.secretArn, bound: secretArnBound(secret) }]],
      ...(key ? ([[SECRET_KEY_STATEMENT, [{ arn: key.keyArn, bound: keyArnBound(key) }]]] as const) : []),
    ]);

    const schedule = secret.addRotationSchedule('RotationSchedule', {
      rotationLambda: this.rotationLambda,
      automaticallyAfter: options.automaticallyAfter,
      // The first password was just issued; rotating it again at deploy would only churn.
      rotateImmediatelyOnUpdate: false,
    });
    // Secrets Manager tests the function when the schedule is created: by then the function must
    // be allowed to run, and the secret must hold the login profile's first password.
    schedule.node.addDependency(this);
    schedule.node.addDependency(profile.resource);
    this.rotating.add(profile.node.path);

    if (profile.passwordResetRequired) {
      addWarning(
        profile,
        LoginProfileRotation.WARNING_RESET_REQUIRED,
        'rotation with passwordResetRequired: true asks the user to choose a new password after every rotation, and the password they choose is not in the secret until the next rotation. Set passwordResetRequired: false for rotated passwords, or acknowledge this warning.',
      );
    }
    return schedule;
  }
}

/** The login-profile provider of `stack`, if it has one. */
function providerOf(stack: Stack): LoginProfileProvider | undefined {
  const child = stack.node.tryFindChild(LoginProfileProvider.ID);
  return child instanceof LoginProfileProvider ? child : undefined;
}

const USER_STATEMENT = 'RotateLoginProfilesOfDeclaredUsers';
const TAG_STATEMENT = 'RecordRotatedVersionOnDeclaredUsers';
const SECRET_STATEMENT = 'RotateDeclaredPasswordSecrets';

/**
 * Synth-time check of a rotation interval against Secrets Manager's limits. `prop` is how the
 * message names it on `construct`, quotes included.
 */
export function validateRotation(construct: IConstruct, prop: string, options: RotationOptions | undefined): void {
  if (options === undefined) return;
  const interval = options.automaticallyAfter;
  if (interval === undefined || interval === null) {
    throw new PropValidationError(construct, `${prop} is required when rotation is set`);
  }
  if (interval.isUnresolved()) return;
  const hours = interval.toHours({ integral: false });
  if (
    !Number.isInteger(hours) ||
    interval.toMilliseconds() < MIN_ROTATION_INTERVAL.toMilliseconds() ||
    interval.toMilliseconds() > MAX_ROTATION_INTERVAL.toMilliseconds()
  ) {
    throw new PropValidationError(
      construct,
      `${prop} must be whole hours from 4 hours to 1000 days (Secrets Manager's limits), got ${interval.toHumanString()}`,
    );
  }
}
