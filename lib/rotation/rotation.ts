/** Scheduled rotation of console passwords through Secrets Manager: one rotation function per stack. */
import { Duration, Stack, Tags, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import type { LoginProfile } from '../login-profile/login-profile';
import { addWarning } from '../core/deployment';
import { StackFunction } from '../handler/stack-function';
import { keyArnBound, secretArnBound, userArnBound } from '../permissions/limits';
import { NAG_REASONS } from '../compliance/nag';
import { SECRET_KEY_STATEMENT, secretKeyStatement } from '../permissions/permission-packer';
import { stackSingleton } from '../core/stack-singleton';
import { checkUserNameInTag, userNameOf } from '../core/user-name';
import { PropValidationError } from '../core/validation';
import { PENDING_VERSION_TAG_KEY, ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from './contract';
import { HandoverBus } from '../handover/handover-bus';

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

/**
 * The rotation function of a stack and its permissions: one per stack, created on first use by a
 * login profile with `rotation`. Its settings are the stack's `HandlerSettings`. Its permissions
 * grow with each rotating login profile: the login-profile actions only on those users, the secret
 * actions only on those secrets (docs/design.md, "Permissions").
 */
export class LoginProfileRotation extends StackFunction {
  /** Construct id of the rotation function's construct under its stack. */
  public static readonly ID = 'CdkConsoleUsersRotation';

  /** The rotation construct of `scope`'s stack, created if it does not exist yet. */
  public static of(scope: IConstruct): LoginProfileRotation {
    return stackSingleton(scope, LoginProfileRotation.ID, LoginProfileRotation, (stack, id) => {
      return new LoginProfileRotation(stack, id);
    });
  }

  /** Paths of the login profiles this function rotates. */
  private readonly rotating = new Set<string>();
  /** The function as a reference, so that `RotationSchedule` adds no per-secret statements of its own. */
  private readonly rotationLambda: lambda.IFunction;

  private constructor(scope: Stack, id: string) {
    super(scope, id, {
      asset: 'rotation-handler',
      description: 'rotates console passwords kept in Secrets Manager',
      defaultTimeout: Duration.minutes(2),
      memorySize: 256,
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadAccountPasswordPolicy',
          // GetAccountPasswordPolicy has no resource type: IAM only accepts "*" for it.
          actions: ['iam:GetAccountPasswordPolicy'],
          resources: ['*'],
        }),
      ],
      accountWideReason: NAG_REASONS.rotationPasswordPolicyRead,
      permissions: {
        id: 'RotationPermissions',
        description: 'cdk-console-users: login profiles the rotation function may rotate',
        statements: [
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
          secretKeyStatement(scope),
        ],
      },
    });
    // Every password it issues is announced on the stack's handover bus.
    HandoverBus.of(this).addPublisher(this.handler, this.policy);
    // Secrets Manager invokes the function; only on behalf of this account (confused deputy).
    this.handler.whenBuilt((fn) =>
      fn.addPermission('SecretsManagerInvoke', {
        principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceAccount: scope.account,
      }),
    );
    this.rotationLambda = lambda.Function.fromFunctionAttributes(this, 'RotationLambda', {
      functionArn: this.handler.functionArn,
      sameEnvironment: true,
    });
  }

  /**
   * Rotates the password of `profile` every `options.automaticallyAfter`. The secret must be the
   * one `profile` created, and `profile` must be in this construct's stack; otherwise, or when
   * `profile` already rotates, this fails naming `profile`'s path. `LoginProfile` calls it for its
   * `rotation` prop.
   */
  public addLoginProfile(profile: LoginProfile, options: RotationOptions): secretsmanager.RotationSchedule {
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
    checkUserNameInTag(profile, 'user name', userNameOf(profile.user));

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
    schedule.node.addDependency(profile._resource);
    this.rotating.add(profile.node.path);

    return schedule;
  }
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

/** What the expiry rule needs to know of the account password policy deployed with a login profile. */
export interface PasswordExpiry {
  /** Path of the `AccountPasswordPolicy`, for messages. */
  readonly policyPath: string;
  /** How long a password is valid, if passwords expire. */
  readonly maxPasswordAge?: Duration;
  /** Whether the policy lets every user change their own password. */
  readonly allowUsersToChangePassword: boolean;
}

/**
 * The expiry rule, checked at synth for each login profile deployed with an expiring account
 * password policy. A user who cannot change their own password (a `BreakGlassUser`, whose password
 * must stay the one in the secret; or `grantChangePassword` false while the policy does not allow
 * users to change their password) is locked out when the password expires: it must be rotated
 * strictly more often than `maxPasswordAge`, or this throws naming the construct, the props and the
 * fix. A user who can change their password is warned when rotation is slower than `maxPasswordAge`
 * (they choose a password at expiry, which is then in no secret until the next rotation).
 */
export function checkRotationAgainstExpiry(profile: LoginProfile, expiry: PasswordExpiry): void {
  const maxAge = expiry.maxPasswordAge;
  const interval = profile.rotation?.automaticallyAfter;
  // Without console access there is no password in use to expire; switching access back on
  // brings the rule back.
  if (!profile.consoleAccess) return;
  if (maxAge === undefined || maxAge.isUnresolved() || interval?.isUnresolved()) return;
  const age = `the account password policy's maxPasswordAge of ${maxAge.toHumanString()} (${expiry.policyPath})`;
  const fixed = profile._passwordStaysInSecret;
  if (fixed || (!profile._grantsChangePassword && !expiry.allowUsersToChangePassword)) {
    if (interval !== undefined && interval.toMilliseconds() < maxAge.toMilliseconds()) return;
    const owner = profile.node.scope === profile.user ? profile.user : profile;
    const who = fixed
      ? "a BreakGlassUser's password must stay the one in the secret (nobody changes it)"
      : "this user cannot change their own password ('grantChangePassword' is false and the policy does not set 'allowUsersToChangePassword')";
    const rotation =
      interval === undefined ? "'rotation' is not set" : `'rotation.automaticallyAfter' is ${interval.toHumanString()}`;
    const days = maxAge.toDays();
    const shorter = days > 1 ? `Duration.days(${days - 1})` : 'Duration.hours(23)';
    throw new PropValidationError(
      owner,
      `${who}, and ${rotation}: with ${age} the password expires before it is rotated and the user is locked out. ` +
        `Rotate strictly more often than maxPasswordAge, e.g. rotation: { automaticallyAfter: ${shorter} }` +
        (fixed ? '' : ", or set 'grantChangePassword: true'"),
    );
  }
  if (interval !== undefined && interval.toMilliseconds() > maxAge.toMilliseconds()) {
    addWarning(
      profile,
      LOGIN_PROFILE_WARNING_ROTATION_EXCEEDS_MAX_PASSWORD_AGE,
      `rotation every ${interval.toHumanString()} is longer than ${age}: the password expires before it rotates. Rotate at most every ${maxAge.toHumanString()}, or acknowledge this warning.`,
    );
  }
}

/** `LoginProfile.WARNING_ROTATION_EXCEEDS_MAX_PASSWORD_AGE` (not imported from there: rotation.ts is imported by it). */
export const LOGIN_PROFILE_WARNING_ROTATION_EXCEEDS_MAX_PASSWORD_AGE =
  'cdk-console-users:rotation-exceeds-max-password-age';
