/**
 * The contract between the lifecycle constructs (rotation, account password policy) and their
 * Lambda handlers. No aws-cdk-lib imports here: the handlers' bundles include this file.
 *
 * Nothing in here may ever carry a password.
 */

/**
 * Tags on a login profile's secret that the rotation function reads. Their presence marks a
 * secret as one this library owns and rotates; the function refuses any other secret.
 */
export const ROTATION_TAGS = {
  /** Name of the IAM user whose password the secret holds. */
  userName: 'cdk-console-users:user-name',
  /** Requested password length, as a decimal string. */
  passwordLength: 'cdk-console-users:password-length',
  /** "true" or "false": the login profile's `PasswordResetRequired` after a rotation. */
  passwordResetRequired: 'cdk-console-users:password-reset-required',
} as const;

/**
 * IAM user tag whose value is the secret version (rotation token) that the rotation function
 * last set as the user's password; `testSecret` compares it with the pending version.
 */
export const ROTATED_VERSION_TAG_KEY = 'cdk-console-users:rotated-version';

/** The CloudFormation resource type of `AccountPasswordPolicy`. */
export const ACCOUNT_PASSWORD_POLICY_RESOURCE_TYPE = 'Custom::AccountPasswordPolicy';

/**
 * Properties of the `Custom::AccountPasswordPolicy` resource, as the handler receives them:
 * the `UpdateAccountPasswordPolicy` fields, each a string (CloudFormation sends strings).
 * An absent field takes the API's default.
 */
export interface AccountPasswordPolicyResourceProperties {
  /** "6" to "128". */
  readonly MinimumPasswordLength?: string;
  /** "true" or "false". */
  readonly RequireSymbols?: string;
  /** "true" or "false". */
  readonly RequireNumbers?: string;
  /** "true" or "false". */
  readonly RequireUppercaseCharacters?: string;
  /** "true" or "false". */
  readonly RequireLowercaseCharacters?: string;
  /** "true" or "false". */
  readonly AllowUsersToChangePassword?: string;
  /** Days, "1" to "1095". */
  readonly MaxPasswordAge?: string;
  /** "1" to "24". */
  readonly PasswordReusePrevention?: string;
  /** "true" or "false". */
  readonly HardExpiry?: string;
}
