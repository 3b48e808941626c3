/** Scheduled rotation of console passwords through Secrets Manager: one rotation function per stack. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Duration, Stack, Tags, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from './lifecycle-contract';
import type { LoginProfile } from './login-profile';

/** Where `npm run bundle` writes the rotation function. */
export const ROTATION_HANDLER_ASSET_DIR = path.join(__dirname, '..', 'assets', 'rotation-handler');

/** Secrets Manager's limits for a rotation interval (`rate(...)` schedule expression). */
export const MIN_ROTATION_INTERVAL = Duration.hours(4);
export const MAX_ROTATION_INTERVAL = Duration.days(1000);

/** When Secrets Manager rotates a login profile's password. */
export interface RotationOptions {
  /**
   * Time between rotations: whole hours, from 4 hours to 1000 days (Secrets Manager's limits).
   * Each rotation gives the user a new password; the old one stops working.
   */
  readonly automaticallyAfter: Duration;
}

/** Warning ids (acknowledge with `Annotations.of(construct).acknowledgeWarning(id)`). */
export const ROTATION_WARNINGS = {
  /** Rotation combined with `passwordResetRequired: true`. */
  resetRequired: 'cdk-console-users:rotation-with-password-reset-required',
  /** Rotation interval longer than the `maxPasswordAge` of an `AccountPasswordPolicy` in the same app. */
  exceedsMaxPasswordAge: 'cdk-console-users:rotation-exceeds-max-password-age',
} as const;

/** Rotation intervals of the login profiles of an app, for the checks of `AccountPasswordPolicy`. */
const intervals = new WeakMap<IConstruct, Duration>();

/** The rotation interval of `profile`, if it rotates. */
export function rotationIntervalOf(profile: IConstruct): Duration | undefined {
  return intervals.get(profile);
}

/**
 * The rotation function of a stack and its permissions. One per stack, created on first use by
 * a login profile with `rotation`. Its permissions grow with each rotating login profile: the
 * login-profile actions only on those users, the secret actions only on those secrets.
 */
export class LoginProfileRotation extends Construct {
  /** Construct id of the rotation function's construct under its stack. */
  public static readonly ID = 'CdkConsoleUsersRotation';

  /** The rotation construct of `scope`'s stack, created if it does not exist yet. */
  public static of(scope: IConstruct): LoginProfileRotation {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(LoginProfileRotation.ID);
    if (existing instanceof LoginProfileRotation) return existing;
    if (existing !== undefined) {
      throw new Error(`'${LoginProfileRotation.ID}' is used by another construct in stack ${stack.node.path}`);
    }
    return new LoginProfileRotation(stack, LoginProfileRotation.ID);
  }

  /** The Lambda function Secrets Manager calls for each rotation step. */
  public readonly handler: lambda.Function;
  /** The policy holding the function's permissions; rotation schedules depend on it. */
  public readonly policy: iam.Policy;

  private readonly userStatement: iam.PolicyStatement;
  private readonly tagStatement: iam.PolicyStatement;
  private readonly secretStatement: iam.PolicyStatement;
  private keyStatement?: iam.PolicyStatement;
  private readonly keys = new Set<string>();
  /** The function as a reference, so that `RotationSchedule` adds no per-secret statements of its own. */
  private readonly rotationLambda: lambda.IFunction;

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    if (!fs.existsSync(path.join(ROTATION_HANDLER_ASSET_DIR, 'index.js'))) {
      throw new Error(`The rotation handler is not bundled at ${ROTATION_HANDLER_ASSET_DIR}; run 'npm run bundle'`);
    }
    this.handler = new lambda.Function(this, 'Handler', {
      description: 'cdk-console-users: rotates console passwords kept in Secrets Manager',
      runtime: lambda.determineLatestNodeRuntime(this),
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(ROTATION_HANDLER_ASSET_DIR),
      timeout: Duration.minutes(2),
      memorySize: 256,
    });
    // Secrets Manager invokes the function; only on behalf of this account (confused deputy).
    this.handler.addPermission('SecretsManagerInvoke', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: Stack.of(this).account,
    });

    this.userStatement = new iam.PolicyStatement({
      sid: 'RotateLoginProfilesOfDeclaredUsers',
      actions: ['iam:UpdateLoginProfile', 'iam:GetLoginProfile', 'iam:GetUser'],
    });
    this.tagStatement = new iam.PolicyStatement({
      sid: 'RecordRotatedVersionOnDeclaredUsers',
      actions: ['iam:TagUser'],
      // Only the rotation's own tag: the ownership tag stays the login-profile handler's.
      conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [ROTATED_VERSION_TAG_KEY] } },
    });
    this.secretStatement = new iam.PolicyStatement({
      sid: 'RotateDeclaredPasswordSecrets',
      actions: [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ],
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
        this.userStatement,
        this.tagStatement,
        this.secretStatement,
      ],
    });
    this.rotationLambda = lambda.Function.fromFunctionAttributes(this, 'RotationLambda', {
      functionArn: this.handler.functionArn,
      sameEnvironment: true,
    });
  }

  /**
   * Rotates the password of `profile` every `options.automaticallyAfter`. The secret must be the
   * one `profile` created; a secret this library does not own is refused.
   */
  public addLoginProfile(profile: LoginProfile, options: RotationOptions): secretsmanager.RotationSchedule {
    validateRotation('rotation.automaticallyAfter', options);
    const secret = profile.secret;
    if (!(secret instanceof secretsmanager.Secret) || secret.node.scope !== profile) {
      throw new Error(
        `rotation of ${profile.node.path}: secret ${secret.node.path} is not the one this LoginProfile created; the rotation function only rotates secrets the library owns`,
      );
    }
    if (Stack.of(profile) !== Stack.of(this)) {
      throw new Error(`rotation of ${profile.node.path}: the rotation function must be in the login profile's stack`);
    }
    if (intervals.has(profile)) throw new Error(`${profile.node.path} already rotates`);

    // The function reads these at every step: which user, how long a password, which reset flag.
    Tags.of(secret).add(ROTATION_TAGS.userName, profile.user.userName);
    Tags.of(secret).add(ROTATION_TAGS.passwordLength, Tokenization.stringifyNumber(profile.passwordLength));
    Tags.of(secret).add(ROTATION_TAGS.passwordResetRequired, String(profile.passwordResetRequired));

    this.userStatement.addResources(profile.user.userArn);
    this.tagStatement.addResources(profile.user.userArn);
    this.secretStatement.addResources(secret.secretArn);
    if (secret.encryptionKey) this.grantKey(secret.encryptionKey);

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
    intervals.set(profile, options.automaticallyAfter);

    if (profile.passwordResetRequired) {
      Annotations.of(profile).addWarningV2(
        ROTATION_WARNINGS.resetRequired,
        'rotation with passwordResetRequired: true asks the user to choose a new password after every rotation, and the password they choose is not in the secret until the next rotation. Set passwordResetRequired: false for rotated passwords, or acknowledge this warning.',
      );
    }
    return schedule;
  }

  private grantKey(key: kms.IKey): void {
    if (this.keys.has(key.node.path)) return;
    this.keys.add(key.node.path);
    if (!this.keyStatement) {
      this.keyStatement = new iam.PolicyStatement({
        sid: 'UseKeysOfDeclaredSecretsThroughSecretsManager',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        },
      });
      this.policy.addStatements(this.keyStatement);
    }
    this.keyStatement.addResources(key.keyArn);
  }
}

/** Synth-time check of a rotation interval against Secrets Manager's limits. */
export function validateRotation(prop: string, options: RotationOptions | undefined): void {
  if (options === undefined) return;
  const interval = options.automaticallyAfter;
  if (interval === undefined || interval === null) throw new Error(`'${prop}' is required when rotation is set`);
  if (interval.isUnresolved()) return;
  const hours = interval.toHours({ integral: false });
  if (
    !Number.isInteger(hours) ||
    interval.toMilliseconds() < MIN_ROTATION_INTERVAL.toMilliseconds() ||
    interval.toMilliseconds() > MAX_ROTATION_INTERVAL.toMilliseconds()
  ) {
    throw new Error(
      `'${prop}' must be whole hours from 4 hours to 1000 days (Secrets Manager's limits), got ${interval.toHumanString()}`,
    );
  }
}
