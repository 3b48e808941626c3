/** `LoginProfile`: a generated console password for an IAM user, kept in Secrets Manager. */
import { CfnResource, RemovalPolicy, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { addWarning } from '../core/deployment';
import { RequireMfaPolicy } from '../mfa/require-mfa';
import {
  LOGIN_PROFILE_WARNING_ROTATION_EXCEEDS_MAX_PASSWORD_AGE,
  LoginProfileRotation,
  RotationOptions,
  validateRotation,
} from '../rotation/rotation';
import { acknowledgeChangePasswordOnUser, acknowledgeSecretWithoutKey } from '../compliance/checkov';
import {
  acknowledgeChangePasswordInline,
  acknowledgeChangePasswordManagedPolicy,
  acknowledgeSecretWithoutRotation,
} from '../compliance/nag';
import { attestedCustomResource } from '../handler/handler-function';
import { checkUserNameInTag, userNameOf } from '../core/user-name';
import { DEFAULT_PASSWORD_LENGTH } from './contract';
import { signInUrl } from './sign-in-url';
import {
  PropValidationError,
  validatePasswordLength,
  validateResetToken,
  validateSecretName,
  validateUserName,
} from '../core/validation';
import { LOGIN_PROFILE_RESOURCE_TYPE, LoginProfileResourceProperties } from './contract';
import { changePasswordGroup, requireMfaGroup } from './policy-groups';
import { LoginProfileProvider } from './provider';
import { claimUser } from './user-claims';
import { passwordIssuedRule } from '../handover/on-password-issued';

/** Options of a login profile, shared by `LoginProfile` and `ConsoleUser`. */
export interface LoginProfileOptions {
  /**
   * Whether the user must choose a new password at first sign-in.
   *
   * Changing it later updates the login profile in place; the password stays the same.
   * @default true
   */
  readonly passwordResetRequired?: boolean;

  /**
   * Length of the generated password, 6 to 128. Raised to the account password policy's
   * minimum length when that is longer. Takes effect for the next password issued.
   * @default 24 (32 for a `BreakGlassUser`)
   */
  readonly passwordLength?: number;

  /**
   * Any string; change it to issue a new password in place (same user, same profile, same secret,
   * a new secret version).
   * @default - no token; the password is issued once
   */
  readonly resetToken?: string;

  /**
   * Name of the secret that holds the password.
   * @default - a name CloudFormation generates
   */
  readonly secretName?: string;

  /**
   * KMS key that encrypts the secret. The handler may use it only through Secrets Manager.
   * @default - the account's AWS managed key for Secrets Manager (`aws/secretsmanager`); for a
   * `BreakGlassUser`, a new customer managed key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the secret when it leaves the stack. The login profile itself is always
   * deleted with the resource.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Whether to let the user change their own password (`iam:ChangePassword` on the user itself,
   * through the AWS managed policy `IAMUserChangePassword`, or an equivalent inline policy for an
   * imported user). Without it a user told to reset at first sign-in cannot, unless the account
   * password policy allows users to change their password.
   * @default - the value of `passwordResetRequired`
   */
  readonly grantChangePassword?: boolean;

  /**
   * Rotate the password on a schedule through Secrets Manager (a rotation function per stack sets
   * each new password on the login profile). Rotation with `passwordResetRequired: true` is
   * allowed but warned about: the user would be asked to reset after every rotation.
   * @default - no rotation (every 60 days for a `BreakGlassUser`)
   */
  readonly rotation?: RotationOptions;

  /**
   * Hold the user to multi-factor authentication: until they sign in with MFA, deny everything
   * except what the first sign-in needs (reading the account password policy, changing their own
   * password where that is allowed, creating and enabling a virtual MFA device for themselves,
   * `sts:GetSessionToken`). After an MFA sign-in the user's own permissions apply unchanged.
   * One customer managed policy per stack (`RequireMfaPolicy`), attached to each such user.
   * @default false
   */
  readonly requireMfa?: boolean;

  /**
   * Give the user the library's own policies through groups of the stack that the user joins,
   * instead of attaching them to the user: `IAMUserChangePassword` (for `grantChangePassword`) through
   * the group `CdkConsoleUsersChangePasswordGroup`, and the stack's `RequireMfaPolicy` (for
   * `requireMfa`) through `CdkConsoleUsersRequireMfaGroup`. Every policy in them acts only on the
   * member itself (`${aws:username}`), so sharing a group grants nothing across users. With it, and
   * the app's own permissions given through groups too, the user has no policy attached (AWS Security
   * Hub IAM.2). Each group counts toward IAM's 10 groups per user.
   * @default false
   */
  readonly policiesThroughGroups?: boolean;

  /**
   * Whether the user has console access. `false` deletes the login profile and keeps the user and
   * everything else it has (groups, policies, access keys, MFA devices, the secret); the secret's
   * current value then holds no password and says so:
   * `{"username": ..., "signInUrl": ..., "consoleAccess": "off"}`. A rotation of the secret
   * succeeds without issuing anything while access is off. Setting it back to `true` issues a new
   * password, as on the first deployment. See docs/console-access.md.
   * @default true
   */
  readonly consoleAccess?: boolean;
}

/** Props of `LoginProfile`. */
export interface LoginProfileProps extends LoginProfileOptions {
  /**
   * The user that gets the login profile: one declared in this stack, or one imported with
   * `iam.User.fromUserName` / `iam.User.fromUserArn` (use `fromUserArn` for a user with a path,
   * so that the handler's permission names the right ARN).
   */
  readonly user: iam.IUser;
}

/**
 * Gives an IAM user a console password that satisfies the account's live password policy.
 *
 * A custom resource generates the password at deploy time, writes it to a Secrets Manager secret
 * owned by this construct (JSON with `username`, `password` and `signInUrl`) and sets it as the
 * user's login profile. The password is never in the template, the events or the logs. The
 * stack's handler, shared by its login profiles, follows the stack's `HandlerSettings`
 * (docs/design.md).
 */
export class LoginProfile extends Construct {
  /**
   * ID of the warning that `grantReadPassword` adds for a grantee that may be in another account
   * when the secret's key is imported: its key policy must allow the grantee `kms:Decrypt` through
   * Secrets Manager, and CDK cannot add that to it.
   */
  public static readonly WARNING_KEY_POLICY_NOT_MANAGED = 'cdk-console-users:cross-account-reader-key-policy';

  /**
   * ID of the warning for `rotation` with `passwordResetRequired: true`: the user would be asked
   * to choose a new password after every rotation. Acknowledge it with
   * `Annotations.of(loginProfile).acknowledgeWarning(id, reason)`.
   */
  public static readonly WARNING_ROTATION_WITH_RESET_REQUIRED =
    'cdk-console-users:rotation-with-password-reset-required';

  /**
   * ID of the warning for a `rotation` interval longer than the `maxPasswordAge` of an
   * `AccountPasswordPolicy` deployed with the login profile, for a user who can change their
   * password: it expires before it rotates. For a user who cannot (a `BreakGlassUser`, or
   * `grantChangePassword` false without the policy's `allowUsersToChangePassword`), rotation must be
   * strictly shorter than `maxPasswordAge`, or the synth fails (docs/lifecycle.md, "The expiry rule").
   */
  public static readonly WARNING_ROTATION_EXCEEDS_MAX_PASSWORD_AGE =
    LOGIN_PROFILE_WARNING_ROTATION_EXCEEDS_MAX_PASSWORD_AGE;

  /** The user that has the login profile. */
  public readonly user: iam.IUser;
  /** The secret holding the password: JSON with `username`, `password` and `signInUrl`. */
  public readonly secret: secretsmanager.ISecret;
  /** Whether the user must choose a new password at first sign-in. */
  public readonly passwordResetRequired: boolean;
  /** The requested password length (raised to the account policy's minimum when that is longer). */
  public readonly passwordLength: number;
  /**
   * The custom resource; its physical ID is the user name.
   * @internal
   */
  public readonly _resource: CfnResource;
  /** When the password rotates, if it does. */
  public readonly rotation?: RotationOptions;
  /**
   * Whether the library lets the user change their own password (`grantChangePassword` in effect).
   * @internal
   */
  public readonly _grantsChangePassword: boolean;
  /**
   * Whether the password must stay the one in the secret whatever the account policy allows (set
   * by `BreakGlassUser`): an expiring policy then needs rotation strictly within its maximum age.
   * @internal
   */
  public _passwordStaysInSecret = false;
  /** Whether the user has console access (a login profile). Without it the secret holds no password. */
  public readonly consoleAccess: boolean;

  constructor(scope: Construct, id: string, props: LoginProfileProps) {
    super(scope, id);
    if (!props || !props.user) {
      throw new PropValidationError(this, "'user' is required: the IAM user that gets the login profile");
    }
    validateLoginProfileOptions(this, props, "the user name of 'user'", userNameOf(props.user));
    // Errors name the construct the user wrote: the ConsoleUser when this is its login profile.
    claimUser(this.node.scope === props.user ? props.user : this, props.user, userNameOf(props.user));

    this.user = props.user;
    this.passwordResetRequired = props.passwordResetRequired ?? true;
    this.passwordLength = props.passwordLength ?? DEFAULT_PASSWORD_LENGTH;
    this.rotation = props.rotation;
    this.consoleAccess = props.consoleAccess ?? true;

    const secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.secretName,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      description: `Console password of an IAM user, managed by cdk-console-users (${this.node.path})`,
    });
    // An empty secret: the only versions are the ones the handler writes. A generated or literal
    // SecretString here would put a non-password value in AWSCURRENT on every template change.
    (secret.node.defaultChild as secretsmanager.CfnSecret).generateSecretString = undefined;
    this.secret = secret;
    if (!props.encryptionKey) acknowledgeSecretWithoutKey(secret);

    const provider = LoginProfileProvider.of(this);
    const permissions = provider.grantLoginProfile(props.user, secret);

    const properties: LoginProfileResourceProperties = {
      UserName: props.user.userName,
      SecretArn: secret.secretArn,
      PasswordLength: Tokenization.stringifyNumber(props.passwordLength ?? DEFAULT_PASSWORD_LENGTH),
      PasswordResetRequired: String(this.passwordResetRequired),
      ResetToken: props.resetToken,
      // Absent means on: templates of profiles with access on stay as they were.
      ConsoleAccess: this.consoleAccess ? undefined : 'false',
    };
    this._resource = attestedCustomResource(
      this,
      'Resource',
      provider.handler,
      LOGIN_PROFILE_RESOURCE_TYPE,
      properties,
    );
    // The handler's permissions must exist before, and outlive, every login profile: the policy
    // naming this user and secret explicitly, the rest through the service token's references.
    this._resource.node.addDependency(permissions);

    this._grantsChangePassword = props.grantChangePassword ?? this.passwordResetRequired;
    if (props.policiesThroughGroups) {
      if (this._grantsChangePassword) props.user.addToGroup(changePasswordGroup(this));
      if (props.requireMfa) props.user.addToGroup(requireMfaGroup(this));
    } else {
      if (this._grantsChangePassword) grantChangePassword(this, props.user);
      if (props.requireMfa) RequireMfaPolicy.of(this).addUser(props.user);
    }
    if (props.rotation) {
      LoginProfileRotation.of(this).addLoginProfile(this, props.rotation);
      if (this.passwordResetRequired) {
        addWarning(
          this,
          LoginProfile.WARNING_ROTATION_WITH_RESET_REQUIRED,
          'rotation with passwordResetRequired: true asks the user to choose a new password after every rotation, and the password they choose is not in the secret until the next rotation. Set passwordResetRequired: false for rotated passwords, or acknowledge this warning.',
        );
      }
    } else {
      acknowledgeSecretWithoutRotation(secret);
    }
  }

  /**
   * The account's console sign-in URL (the handler writes the same URL into the secret). In a
   * stack whose partition is known only at deploy time it looks the sign-in domain up in a mapping
   * of the stack, added when the URL is first read.
   */
  public get signInUrl(): string {
    return signInUrl(this);
  }

  /**
   * A rule that sends the handover event of every password issued to this login profile (first
   * password, reset, rotation, console access back on) to `options.target`, such as an SNS topic of the helpdesk. The event
   * names the user, the secret and its version, the sign-in URL and why the password was issued,
   * never the password (docs/handover.md). The rule is on the stack's handover bus, where only the
   * library's functions may put events. An SNS topic encrypted with a `kms.Key` of the app gets a
   * key-policy statement letting EventBridge use the key.
   *
   * `options.eventPattern` may narrow the events by `detail` (for example `{ reason: ['rotation'] }`);
   * it cannot change the source, detail type, user or secret.
   */
  public onPasswordIssued(id: string, options?: events.OnEventOptions): events.Rule {
    const construct = this.node.scope === this.user ? (this.user as unknown as Construct) : this;
    return passwordIssuedRule(construct, 'onPasswordIssued', this, id, options);
  }

  /**
   * Lets `grantee` read the password: `secretsmanager:GetSecretValue` and `DescribeSecret` on the
   * secret, and `kms:Decrypt` through Secrets Manager only when the secret has an `encryptionKey`.
   *
   * A grantee of this stack's account gets an identity policy, as with any CDK grant. A grantee
   * that may be in another account (a role imported with `iam.Role.fromRoleArn`, or a role of a
   * literal account when the stack's account is known only at deploy time, as in a StackSet) is
   * named in the secret's resource policy and the key policy only, and its own account must allow
   * it the read too. Such a grantee needs `encryptionKey` (the AWS managed key cannot be used
   * across accounts): without one this throws. See docs/organization.md ("Central custody").
   */
  public grantReadPassword(grantee: iam.IGrantable): iam.Grant {
    if (isOwnAccount(this, grantee.grantPrincipal)) return this.secret.grantRead(grantee);
    if (!this.secret.encryptionKey) {
      // Errors name the construct the user wrote: the ConsoleUser when this is its login profile.
      throw new PropValidationError(
        this.node.scope === this.user ? this.user : this,
        `grantReadPassword: ${describeGrantee(this, grantee)} may be in another account than this stack's (${describeAccount(this, Stack.of(this).account)}), ` +
          "and the secret is encrypted with the AWS managed key 'aws/secretsmanager', which cannot be used across accounts; " +
          "set 'encryptionKey' to a customer managed key (kms.Key) so that its key policy lets the grantee decrypt through Secrets Manager",
      );
    }
    if (!(this.secret.encryptionKey instanceof kms.Key)) {
      // An imported key: its key policy is not in this app, and CDK adds nothing to it.
      const region = Stack.of(this).region;
      addWarning(
        this.node.scope === this.user ? this.user : this,
        LoginProfile.WARNING_KEY_POLICY_NOT_MANAGED,
        `grantReadPassword: the secret's key ${this.secret.encryptionKey.keyArn} is not a kms.Key of this app, so its key policy is not changed here; ` +
          `for ${describeGrantee(this, grantee)} to read the password, the key policy must allow it kms:Decrypt with the condition kms:ViaService = secretsmanager.${Token.isUnresolved(region) ? '<region>' : region}.amazonaws.com`,
      );
    }
    // Resource policies only: an identity policy here would attach to a role of the same name in
    // the account the stack is deployed to (CDK treats a role of an unknown account as mutable),
    // granting that role, or failing the deployment when there is none.
    return this.secret.grantRead(new ResourcePolicyGrantee(grantee.grantPrincipal));
  }
}

/**
 * Whether `principal` is known to be of the account `scope`'s stack is deployed to: its account
 * resolves to the stack's account, or to `AWS::AccountId` (the account of whatever stack holds it).
 */
function isOwnAccount(scope: IConstruct, principal: iam.IPrincipal): boolean {
  const account = principal.principalAccount;
  if (account === undefined) return false;
  const stack = Stack.of(scope);
  const resolved = JSON.stringify(stack.resolve(account));
  return (
    resolved === JSON.stringify(stack.resolve(stack.account)) || resolved === JSON.stringify({ Ref: 'AWS::AccountId' })
  );
}

function describeAccount(scope: IConstruct, account: string | undefined): string {
  if (account === undefined) return 'account unknown';
  return Token.isUnresolved(account)
    ? `account ${JSON.stringify(Stack.of(scope).resolve(account))}, known only at deploy time`
    : `account ${account}`;
}

function describeGrantee(scope: IConstruct, grantee: iam.IGrantable): string {
  const principal = grantee.grantPrincipal;
  const path = Construct.isConstruct(grantee) ? `${grantee.node.path} ` : '';
  const json = JSON.stringify(Stack.of(scope).resolve(principal.policyFragment.principalJson));
  return `the grantee ${path}${json} (${describeAccount(scope, principal.principalAccount)})`;
}

/**
 * A grantee named in resource policies only: the policy fragment and account of `principal`, but
 * no identity policy in this stack.
 */
class ResourcePolicyGrantee extends iam.PrincipalBase {
  public readonly assumeRoleAction: string;
  public readonly principalAccount: string | undefined;

  constructor(private readonly principal: iam.IPrincipal) {
    super();
    this.assumeRoleAction = principal.assumeRoleAction;
    this.principalAccount = principal.principalAccount;
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return this.principal.policyFragment;
  }

  public toString(): string {
    return `ResourcePolicyGrantee(${this.principal})`;
  }

  public dedupeString(): string | undefined {
    return iam.ComparablePrincipal.dedupeStringFor(this.principal);
  }
}

/**
 * Checks the options of a login profile written on `construct` (a `LoginProfile`, or the
 * `ConsoleUser` that holds one), and the user name, named in messages as `userNameProp`.
 */
export function validateLoginProfileOptions(
  construct: IConstruct,
  options: LoginProfileOptions,
  userNameProp: string,
  userName: string | undefined,
): void {
  validateUserName(construct, userNameProp, userName);
  validatePasswordLength(construct, 'passwordLength', options.passwordLength);
  validateSecretName(construct, 'secretName', options.secretName);
  validateResetToken(construct, 'resetToken', options.resetToken);
  validateRotation(construct, "'rotation.automaticallyAfter'", options.rotation);
  if (options.rotation) checkUserNameInTag(construct, userNameProp, userName);
}

function grantChangePassword(profile: LoginProfile, user: iam.IUser): void {
  if (user instanceof iam.User) {
    user.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('IAMUserChangePassword'));
    acknowledgeChangePasswordManagedPolicy(user);
    // IAMUserChangePassword names user/${aws:username}, which is not the ARN of a user with a path.
    const path = (user.node.defaultChild as iam.CfnUser).path;
    if (path !== undefined && path !== '/') {
      user.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['iam:ChangePassword'], resources: [user.userArn] }),
      );
    }
    return;
  }
  // Imported users cannot take managed policies through CDK; the same two permissions, inline, in
  // a policy of their own (not the user's default policy) so that its acknowledged "*" covers
  // nothing the app adds to the user.
  const policy = new iam.Policy(profile, 'ChangePasswordPolicy', {
    users: [user],
    statements: [
      new iam.PolicyStatement({ actions: ['iam:ChangePassword'], resources: [user.userArn] }),
      new iam.PolicyStatement({ actions: ['iam:GetAccountPasswordPolicy'], resources: ['*'] }),
    ],
  });
  acknowledgeChangePasswordInline(policy);
  acknowledgeChangePasswordOnUser(policy);
}
