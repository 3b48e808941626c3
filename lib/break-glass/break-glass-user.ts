/** `BreakGlassUser`: a `ConsoleUser` preset for emergency access. */
import { DefaultStackSynthesizer, Duration, Fn, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConsoleUser } from '../login-profile/console-user';
import { LoginProfileProvider } from '../login-profile/provider';
import { LoginProfileRotation, RotationOptions } from '../rotation/rotation';
import { SignInAlerts } from '../sign-in-alerts/sign-in-alerts';
import { PropValidationError } from '../core/validation';

/** Props of `BreakGlassUser`. */
export interface BreakGlassUserProps {
  /**
   * A name for the IAM user: 1-64 characters of letters, digits and `+=,.@_-`. Forwarders of sign-in
   * alerts in other regions need it.
   * @default - a name CloudFormation generates
   */
  readonly userName?: string;

  /**
   * The path of the user.
   * @default /
   */
  readonly path?: string;

  /**
   * Groups to add the user to (what the user may do once signed in with MFA).
   * @default - no groups
   */
  readonly groups?: iam.IGroup[];

  /**
   * Managed policies attached to the user (what the user may do once signed in with MFA).
   * @default - no managed policies
   */
  readonly managedPolicies?: iam.IManagedPolicy[];

  /**
   * A managed policy that bounds the user's permissions.
   * @default - no permissions boundary
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;

  /**
   * The roles that may read the password. No other principal can, whatever its identity policies:
   * the secret's resource policy denies `secretsmanager:GetSecretValue` to every principal but
   * these roles and the library's own handler and rotation function. More can be added with
   * `addReader`. A role of another account (a security account's, imported with
   * `iam.Role.fromRoleArn`) is named by its ARN in the secret's resource policy and the key policy
   * (`kms:Decrypt` through Secrets Manager only); its own account must allow it
   * `secretsmanager:GetSecretValue` and `kms:Decrypt` too.
   * @default - none: no one can read the password until a reader is added
   */
  readonly readers?: iam.IRole[];

  /**
   * Length of the generated password, 6 to 128, raised to the account policy's minimum.
   * @default 32
   */
  readonly passwordLength?: number;

  /**
   * How often the password rotates. Each rotation issues a new password (the MFA device stays).
   * @default - every 90 days
   */
  readonly rotation?: RotationOptions;

  /**
   * KMS key that encrypts the secret.
   * @default - a new customer managed key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Name of the secret that holds the password.
   * @default - a name CloudFormation generates
   */
  readonly secretName?: string;

  /**
   * What happens to the secret when it leaves the stack.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The `SignInAlerts` that alerts on this user's console sign-ins.
   * @default - a new `SignInAlerts` for this user, with its own topic under a customer managed key
   */
  readonly signInAlerts?: SignInAlerts;
}

/**
 * A `ConsoleUser` for break-glass access: a generated password of 32 characters that nobody
 * chooses (no reset at first sign-in) and that rotates every 90 days, MFA required
 * (`requireMfa`), an alert on every console sign-in, takeover attempt on the user and read or change
 * of the password's secret that reaches EventBridge (`SignInAlerts`), the secret under a customer
 * managed key, and readers of the password named explicitly: the secret's
 * resource policy denies reading it to every principal but the named readers and the library's own
 * handler and rotation function, including administrators of the account, whose identity policies
 * alone would let them read any secret whose key they may use.
 */
export class BreakGlassUser extends ConsoleUser {
  /** The key that encrypts the password's secret. */
  public readonly encryptionKey: kms.IKey;
  /** The alerts on this user's console sign-ins. */
  public readonly signInAlerts: SignInAlerts;

  private readonly readerArns: string[] = [];

  constructor(scope: Construct, id: string, props: BreakGlassUserProps = {}) {
    const encryptionKey = props.encryptionKey ?? BreakGlassUser.newKey(scope, id);
    super(scope, id, {
      userName: props.userName,
      path: props.path,
      groups: props.groups,
      managedPolicies: props.managedPolicies,
      permissionsBoundary: props.permissionsBoundary,
      passwordLength: props.passwordLength ?? 32,
      secretName: props.secretName,
      removalPolicy: props.removalPolicy,
      encryptionKey,
      passwordResetRequired: false,
      grantChangePassword: false,
      requireMfa: true,
      rotation: props.rotation ?? { automaticallyAfter: Duration.days(90) },
    });
    this.encryptionKey = encryptionKey;

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
    for (const reader of props.readers ?? []) this.addReader(reader);

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

    if (props.signInAlerts) {
      props.signInAlerts.addUser(this);
      this.signInAlerts = props.signInAlerts;
    } else {
      this.signInAlerts = new SignInAlerts(this, 'SignInAlerts', { users: [this] });
    }
    // Reads, writes and policy changes of the password's secret by anyone but the library's functions.
    this.signInAlerts.addSecret(this.secret);
  }

  /**
   * Lets `reader` read the password: an exception in the secret's resource policy, and the read
   * grant (`grantReadPassword`), for a role of this account or of another one.
   */
  public addReader(reader: iam.IRole): void {
    this.grantReadPassword(reader);
  }

  /**
   * Lets `grantee` read the password: only a role can be named in the secret's resource policy, so
   * `grantee` must be one (`addReader`); anything else fails. A role that may be in another account
   * is allowed by the secret's resource policy and the key policy (see `LoginProfile.grantReadPassword`).
   */
  public grantReadPassword(grantee: iam.IGrantable): iam.Grant {
    const role = grantee as Partial<iam.IRole>;
    if (typeof role.roleArn !== 'string' || typeof role.roleName !== 'string') {
      throw new PropValidationError(
        this,
        `grantReadPassword: ${(grantee as Partial<Construct>).node?.path ?? 'the grantee'} is not an IAM role; the secret's resource policy lets only named roles read the password (addReader)`,
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
