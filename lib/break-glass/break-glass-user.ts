/** `BreakGlassUser`: a `ConsoleUser` preset for emergency access. */
import { DefaultStackSynthesizer, Duration, Fn, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConsoleUser, ConsoleUserProps } from '../login-profile/console-user';
import { LoginProfileProvider } from '../login-profile/provider';
import { LoginProfileRotation } from '../rotation/rotation';
import { SignInAlerts } from '../sign-in-alerts/sign-in-alerts';
import { PropValidationError } from '../core/validation';

/**
 * Props of `BreakGlassUser`: those of `ConsoleUser`, with other defaults (32 characters, rotation
 * every 60 days, a new customer managed key), and the readers and alerts. `passwordResetRequired`
 * and `grantChangePassword` can only be false and `requireMfa` only true: nobody chooses a
 * break-glass password, and the user is always held to MFA.
 */
export interface BreakGlassUserProps extends ConsoleUserProps {
  /**
   * The roles that may read the password. No other principal can, whatever its identity policies:
   * the secret's resource policy denies `secretsmanager:GetSecretValue` to every principal but
   * these roles and the library's own handler and rotation function. More can be added with
   * `grantReadPassword`. A role of another account (a security account's, imported with
   * `iam.Role.fromRoleArn`) is named by its ARN in the secret's resource policy and the key policy
   * (`kms:Decrypt` through Secrets Manager only); its own account must allow it
   * `secretsmanager:GetSecretValue` and `kms:Decrypt` too.
   * @default - none: no one can read the password until a reader is added
   */
  readonly readers?: iam.IRole[];

  /**
   * The `SignInAlerts` that alerts on this user's console sign-ins.
   * @default - a new `SignInAlerts` for this user, with its own topic under a customer managed key
   */
  readonly signInAlerts?: SignInAlerts;
}

/** What a `BreakGlassUser` fixes: the value each of these props must have, if given, and why. */
const FIXED_PROPS = [
  ['passwordResetRequired', false, 'nobody chooses a break-glass password: it stays the one in the secret'],
  ['grantChangePassword', false, 'nobody chooses a break-glass password: it stays the one in the secret'],
  ['requireMfa', true, 'a break-glass user is always held to MFA'],
] as const;

/**
 * A `ConsoleUser` for break-glass access: a 32-character password that nobody chooses (no reset
 * at first sign-in), rotated every 60 days, MFA required, `SignInAlerts` on its sign-ins, takeover
 * attempts and secret, the secret under a customer managed key, and readers named explicitly
 * (`readers`, `grantReadPassword`): the secret's resource policy denies reading the password to
 * every other principal, administrators included, but the library's own functions. Its
 * `signInAlerts` warns at synth of the regions it does not watch. See docs/break-glass.md.
 */
export class BreakGlassUser extends ConsoleUser {
  /**
   * The default `rotation` interval, 60 days: strictly within the 90-day `maxPasswordAge` of the
   * CIS AWS Foundations v1.2.0 and PCI DSS password-policy presets (an expiring policy needs a
   * break-glass password rotated before it expires), with 30 days to repair a failed rotation
   * before the password would expire, and within Security Hub SecretsManager.4's 90 days.
   */
  public static readonly DEFAULT_ROTATION = Duration.days(60);

  /** The key that encrypts the password's secret. */
  public readonly encryptionKey: kms.IKey;
  /** The alerts on this user's console sign-ins. */
  public readonly signInAlerts: SignInAlerts;

  private readonly readerArns: string[] = [];

  constructor(scope: Construct, id: string, props: BreakGlassUserProps = {}) {
    for (const [prop, fixed, why] of FIXED_PROPS) {
      const given = props[prop];
      if (given !== undefined && given !== fixed) {
        throw new PropValidationError(
          scope.node.path ? `${scope.node.path}/${id}` : id,
          `'${prop}' must be ${fixed} on a BreakGlassUser (or left out), got ${JSON.stringify(given)}: ${why}`,
        );
      }
    }
    const { readers, signInAlerts, ...consoleUserProps } = props;
    const encryptionKey = props.encryptionKey ?? BreakGlassUser.newKey(scope, id);
    super(scope, id, {
      ...consoleUserProps,
      passwordLength: props.passwordLength ?? 32,
      encryptionKey,
      passwordResetRequired: false,
      grantChangePassword: false,
      requireMfa: true,
      rotation: props.rotation ?? { automaticallyAfter: BreakGlassUser.DEFAULT_ROTATION },
    });
    this.encryptionKey = encryptionKey;
    // Nobody may change this password: an expiring account policy needs rotation within its maximum age.
    this.loginProfile._passwordStaysInSecret = true;

    // Only the named readers, and the functions that write and rotate the password, may read it.
    const handlerRoles = [LoginProfileProvider.of(this).handler.role!, LoginProfileRotation.of(this).handler.role!];
    (this.secret as secretsmanager.Secret).addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyNamedReadersReadThePassword',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
        conditions: {
          // Read at synth, so that readers added after the constructor count too.
          ArnNotEquals: {
            'aws:PrincipalArn': Lazy.list({
              produce: () => [...handlerRoles.map((r) => r.roleArn), ...this.readerArns],
            }),
          },
        },
      }),
    );
    for (const reader of readers ?? []) this.addReader(reader, "'readers'");

    // Only the functions that write and rotate the password write a value or move its stages
    // (PutSecretValue, UpdateSecretVersionStage; UpdateSecret can carry a value too, below), so that
    // nobody else, an administrator included, can plant a password they know.
    const writerArns = handlerRoles.map((r) => r.roleArn);
    (this.secret as secretsmanager.Secret).addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheLibraryWritesThePassword',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': writerArns } },
      }),
    );
    // UpdateSecret writes a value when it carries SecretString or SecretBinary, and no condition key
    // tells that call from one that changes only the description or the key. CloudFormation calls it
    // for the latter (a changed Description or KmsKeyId of the AWS::SecretsManager::Secret, e.g. a
    // new encryptionKey), as the deploying principal: with that principal's credentials, when the
    // request carries aws:CalledVia cloudformation.amazonaws.com (so `aws:CalledViaLast`), or as the
    // stack's role (for a DefaultStackSynthesizer stack, the bootstrap's CloudFormation execution
    // role, which only CloudFormation can assume). Both stay allowed; every other principal is
    // denied. What remains: whoever can update this stack through CloudFormation can update the
    // secret, as they can change this policy itself. A stack deployed with another role, through a
    // path that does not set aws:CalledVia, fails to change the description or key (the update
    // fails and rolls back; the password is untouched).
    const synthesizer = Stack.of(this).synthesizer;
    const stackRole =
      synthesizer instanceof DefaultStackSynthesizer ? [Fn.sub(synthesizer.cloudFormationExecutionRoleArn)] : [];
    (this.secret as secretsmanager.Secret).addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheLibraryOrCloudFormationUpdatesTheSecret',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:UpdateSecret'],
        resources: ['*'],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': [...writerArns, ...stackRole] },
          StringNotEquals: { 'aws:CalledViaLast': 'cloudformation.amazonaws.com' },
        },
      }),
    );

    if (signInAlerts) {
      signInAlerts.addUser(this);
      this.signInAlerts = signInAlerts;
    } else {
      this.signInAlerts = new SignInAlerts(this, 'SignInAlerts', { users: [this] });
    }
    // Reads, writes and policy changes of the password's secret by anyone but the library's functions.
    this.signInAlerts.addSecret(this.secret);
  }

  /**
   * Lets `grantee` read the password: an exception in the secret's resource policy, and the read
   * grant. Only a role can be named in the resource policy, so `grantee` must be one (of this
   * account or of another one: see `LoginProfile.grantReadPassword`); anything else fails.
   */
  public grantReadPassword(grantee: iam.IGrantable): iam.Grant {
    return this.addReader(grantee, 'grantReadPassword');
  }

  /** Names `grantee` in the resource policy's exceptions and grants it the read; `where` names the caller in errors. */
  private addReader(grantee: iam.IGrantable, where: string): iam.Grant {
    const role = grantee as Partial<iam.IRole>;
    if (typeof role.roleArn !== 'string' || typeof role.roleName !== 'string') {
      throw new PropValidationError(
        this,
        `${where}: ${(grantee as Partial<Construct>).node?.path ?? 'the grantee'} is not an IAM role; the secret's resource policy lets only named roles read the password (an iam.IRole in 'readers' or grantReadPassword)`,
      );
    }
    this.readerArns.push(role.roleArn);
    return super.grantReadPassword(grantee);
  }

  private static newKey(scope: Construct, id: string): kms.Key {
    return new kms.Key(scope, `${id}PasswordKey`, {
      description: `Encrypts the break-glass console password of ${id}`,
      enableKeyRotation: true,
    });
  }
}
