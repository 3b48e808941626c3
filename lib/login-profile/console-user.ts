/** `ConsoleUser`: an IAM user with a generated console password. */
import { SecretValue } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PropValidationError } from '../shared/validation';
import { LoginProfile, LoginProfileOptions, userNameOf, validateLoginProfileOptions } from './login-profile';

/** Props of `ConsoleUser`: everything of `iam.UserProps` except `password`, and the login profile options. */
export interface ConsoleUserProps extends iam.UserProps, LoginProfileOptions {
  /**
   * Not allowed on a `ConsoleUser`: its password is generated at deploy time and kept in `secret`;
   * setting it fails at synth. (Redeclared with `iam.UserProps`' type so that this text replaces
   * aws-iam's: jsii offers no way to remove an inherited prop.)
   * @default - a password generated at deploy time
   */
  readonly password?: SecretValue;

  /**
   * Whether the user must choose a new password at first sign-in (the login profile option, not
   * `iam.UserProps`' flag, whose default is false).
   *
   * Changing it later updates the login profile in place; the password stays the same.
   * @default true
   */
  readonly passwordResetRequired?: boolean;
}

const LOGIN_PROFILE_OPTIONS: ReadonlyArray<keyof LoginProfileOptions> = [
  'passwordResetRequired',
  'passwordLength',
  'resetToken',
  'secretName',
  'encryptionKey',
  'removalPolicy',
  'grantChangePassword',
  'rotation',
  'requireMfa',
];

/**
 * An `iam.User` with a console password generated at deploy time and kept in Secrets Manager.
 * Usable wherever a user is: groups, `addToPolicy`, grants.
 */
export class ConsoleUser extends iam.User {
  /** The login profile (password, secret and sign-in URL). */
  public readonly loginProfile: LoginProfile;
  /** The secret holding the password: JSON with `username`, `password` and `signInUrl`. */
  public readonly secret: secretsmanager.ISecret;
  /** The account's console sign-in URL. */
  public readonly signInUrl: string;

  constructor(scope: Construct, id: string, props: ConsoleUserProps = {}) {
    super(scope, id, userPropsOf(props));
    if (props.password !== undefined) {
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
    this.signInUrl = this.loginProfile.signInUrl;
  }

  /** Lets `grantee` read this user's password from the secret. */
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
