/** `ConsoleUser`: an IAM user with a generated console password. */
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PropValidationError } from '../core/validation';
import { userNameOf } from '../core/user-name';
import { LoginProfile, LoginProfileOptions, validateLoginProfileOptions } from './login-profile';

/**
 * Props of `ConsoleUser`: the user's name, groups, managed policies, path and permissions
 * boundary (as in `iam.UserProps`; no `password`: it is generated), and the login profile
 * options. Why they are not inherited from `iam.UserProps`: docs/design.md ("The constructs").
 */
export interface ConsoleUserProps extends LoginProfileOptions {
  /**
   * A name for the IAM user: 1-64 characters of letters, digits and `+=,.@_-`.
   * @default - a name CloudFormation generates
   */
  readonly userName?: string;

  /**
   * Groups to add the user to. More can be added with `addToGroup`.
   * @default - no groups
   */
  readonly groups?: iam.IGroup[];

  /**
   * Managed policies attached to the user. More can be attached with `addManagedPolicy`.
   * @default - no managed policies (besides `IAMUserChangePassword` when `grantChangePassword` is in
   * effect, unless `policiesThroughGroups`)
   */
  readonly managedPolicies?: iam.IManagedPolicy[];

  /**
   * The path of the user.
   * @default /
   */
  readonly path?: string;

  /**
   * A managed policy that bounds the user's permissions.
   * @default - no permissions boundary
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;
}

/**
 * The keys of `LoginProfileOptions`: what `ConsoleUser` passes to its `LoginProfile` and keeps out of
 * the `iam.User`'s props. The compiler checks the list: a key of `LoginProfileOptions` left out, or
 * a listed key that is not one, fails the build.
 */
const LOGIN_PROFILE_OPTIONS = everyKeyOf<LoginProfileOptions>()([
  'passwordResetRequired',
  'passwordLength',
  'resetToken',
  'secretName',
  'encryptionKey',
  'removalPolicy',
  'grantChangePassword',
  'rotation',
  'requireMfa',
  'policiesThroughGroups',
  'consoleAccess',
]);

/**
 * An `iam.User` with a console password generated at deploy time and kept in Secrets Manager.
 * Usable wherever a user is: groups, `addToPolicy`, grants.
 */
export class ConsoleUser extends iam.User {
  /** The login profile (password, secret and sign-in URL). */
  public readonly loginProfile: LoginProfile;
  /** The secret holding the password: JSON with `username`, `password` and `signInUrl`. */
  public readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ConsoleUserProps = {}) {
    super(scope, id, userPropsOf(props));
    // Not in ConsoleUserProps, but an untyped caller (JavaScript) can still pass it.
    if ((props as { password?: unknown }).password !== undefined) {
      throw new PropValidationError(
        this,
        "'password' cannot be set on a ConsoleUser: its password is generated at deploy time and kept in Secrets Manager",
      );
    }
    // Checked here, so that errors name this construct and its props (the LoginProfile inside checks again).
    validateLoginProfileOptions(this, props, "'userName'", userNameOf(this));
    const options: Record<string, unknown> = {};
    for (const key of LOGIN_PROFILE_OPTIONS) options[key] = props[key];
    this.loginProfile = new LoginProfile(this, 'LoginProfile', { ...(options as LoginProfileOptions), user: this });
    this.secret = this.loginProfile.secret;
  }

  /** The account's console sign-in URL (see `LoginProfile.signInUrl`). */
  public get signInUrl(): string {
    return this.loginProfile.signInUrl;
  }

  /**
   * A rule that sends the handover event of every password issued to this user (first password,
   * reset, rotation, console access back on) to `options.target`, such as an SNS topic of the helpdesk: the user, the
   * secret and its version, the sign-in URL and the reason, never the password. See
   * `LoginProfile.onPasswordIssued` and docs/handover.md.
   */
  public onPasswordIssued(id: string, options?: events.OnEventOptions): events.Rule {
    return this.loginProfile.onPasswordIssued(id, options);
  }

  /**
   * Lets `grantee` read this user's password from the secret: `secretsmanager:GetSecretValue` and
   * `DescribeSecret`, and `kms:Decrypt` through Secrets Manager only when the secret has an
   * `encryptionKey`. A grantee that may be in another account (a security account's role imported
   * with `iam.Role.fromRoleArn`) is named by its ARN in the secret's resource policy and the key
   * policy and needs `encryptionKey`; see `LoginProfile.grantReadPassword`.
   */
  public grantReadPassword(grantee: iam.IGrantable): iam.Grant {
    return this.loginProfile.grantReadPassword(grantee);
  }
}

/** The props of the `iam.User`: the login profile options and `password` left out. */
function userPropsOf(props: ConsoleUserProps): iam.UserProps {
  const userProps: Record<string, unknown> = { ...props, password: undefined };
  for (const key of LOGIN_PROFILE_OPTIONS) delete userProps[key];
  return userProps as iam.UserProps;
}

/** The keys of `T` that `Listed` leaves out: `unknown` when there are none, a type naming them otherwise. */
type UnlistedKeys<T, Listed> = [Exclude<keyof T, Listed>] extends [never]
  ? unknown
  : { readonly unlistedKeys: Exclude<keyof T, Listed> };

/**
 * `keys` as given, checked by the compiler to be every key of `T`: a key of `T` left out (named in
 * the error as `unlistedKeys`) or a key that is not one fails to compile.
 */
export function everyKeyOf<T>() {
  return <const K extends readonly (keyof T)[]>(keys: K & UnlistedKeys<T, K[number]>): K => keys;
}
