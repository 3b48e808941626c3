/**
 * The contract between the `LoginProfile` construct and its custom-resource handler.
 *
 * Both sides import these types, so a renamed or retyped field breaks the build
 * instead of a deployment. CloudFormation delivers every property as a string,
 * which is why booleans and numbers are declared as strings here.
 *
 * Nothing in here may ever carry a password. No aws-cdk-lib imports here: the handlers' bundles
 * include this file.
 */

/** Properties of the `Custom::ConsoleLoginProfile` resource, as the handler receives them. */
export interface LoginProfileResourceProperties {
  /** Name of the IAM user that gets the login profile. */
  readonly UserName: string;
  /** Full ARN of the Secrets Manager secret that holds the password. */
  readonly SecretArn: string;
  /** Requested password length, as a decimal string ("6" to "128"). */
  readonly PasswordLength: string;
  /** "true" or "false": whether the user must choose a new password at first sign-in. */
  readonly PasswordResetRequired: string;
  /** Opaque value; when it changes, the handler issues a new password in place. */
  readonly ResetToken?: string;
  /**
   * "true" or "false": whether the user has console access (a login profile). Absent means "true".
   * "false" deletes the login profile and leaves the secret holding `CONSOLE_ACCESS_OFF_KEY` and no
   * password; "true" after "false" issues a new password.
   */
  readonly ConsoleAccess?: string;
}

/** Attributes the handler returns in `Data` (readable with `Fn::GetAtt`). Never a password. */
export interface LoginProfileResourceAttributes {
  /** Name of the user whose login profile this is. */
  readonly UserName: string;
  /** Version ID of the secret version holding the password this event set (absent when it set none). */
  readonly SecretVersionId?: string;
}

/**
 * The key of the secret's JSON value that says console access is off, and its value: while access
 * is off the secret's `AWSCURRENT` value is `{"username": ..., "signInUrl": ..., "consoleAccess": "off"}`
 * (no `password` key). A value with a password carries no such key.
 */
export const CONSOLE_ACCESS_OFF_KEY = 'consoleAccess';
/** The value of `CONSOLE_ACCESS_OFF_KEY` while console access is off. */
export const CONSOLE_ACCESS_OFF = 'off';

/** The CloudFormation resource type of login profiles. */
export const LOGIN_PROFILE_RESOURCE_TYPE = 'Custom::ConsoleLoginProfile';

/**
 * IAM user tag whose value names the secret that owns the user's login profile.
 * A Delete removes the profile only when its own secret still owns it, so that a
 * replaced custom resource (new logical ID, same user) cannot delete its successor's profile.
 */
export const OWNER_TAG_KEY = 'cdk-console-users:login-profile-secret';

/**
 * IAM user tag whose value is the ID of the stack whose handler claimed the user. The handler may
 * delete the login profile of a user carrying its own stack's ID even after the user left the
 * stack's policy: CloudFormation updates the policy before it deletes a removed login profile.
 */
export const STACK_TAG_KEY = 'cdk-console-users:stack';

// The naming and length rules of IAM and Secrets Manager that both the constructs (at synth) and
// the handlers (at deploy) check.

/** IAM user names: 1-64 characters of letters, digits and `+=,.@_-`. */
export const USER_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
/** Secrets Manager secret names: 1-512 characters of letters, digits and `/_+=.@-`. */
export const SECRET_NAME_PATTERN = /^[\w/+=.@-]{1,512}$/;
/** The shortest password an IAM password policy can require. */
export const MIN_PASSWORD_LENGTH = 6;
/** The longest password IAM accepts. */
export const MAX_PASSWORD_LENGTH = 128;
/** The length of a generated password when none is asked for. */
export const DEFAULT_PASSWORD_LENGTH = 24;

// The console sign-in host of each AWS partition: the URL the construct exposes (`signInUrl`) and
// the URL the handler writes to the secret come from one table.

/** Sign-in host of each partition (the URL is `https://ACCOUNT.HOST/console`). */
export const SIGN_IN_DOMAINS: Readonly<Record<string, string>> = {
  'aws': 'signin.aws.amazon.com',
  'aws-cn': 'signin.amazonaws.cn',
  'aws-us-gov': 'signin.amazonaws-us-gov.com',
};

/** The console sign-in URL of `account` in `partition`, or `undefined` for a partition without one here. */
export function consoleSignInUrl(account: string, partition: string): string | undefined {
  const domain = Object.prototype.hasOwnProperty.call(SIGN_IN_DOMAINS, partition)
    ? SIGN_IN_DOMAINS[partition]
    : undefined;
  return domain === undefined ? undefined : `https://${account}.${domain}/console`;
}
