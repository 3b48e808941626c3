/**
 * The contract between the `LoginProfile` construct and its custom-resource handler.
 *
 * Both sides import these types, so a renamed or retyped field breaks the build
 * instead of a deployment. CloudFormation delivers every property as a string,
 * which is why booleans and numbers are declared as strings here.
 *
 * Nothing in here may ever carry a password.
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
}

/** Attributes the handler returns in `Data` (readable with `Fn::GetAtt`). Never a password. */
export interface LoginProfileResourceAttributes {
  /** Name of the user whose login profile this is. */
  readonly UserName: string;
  /** Version ID of the secret version holding the password this event set (absent when it set none). */
  readonly SecretVersionId?: string;
}

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
