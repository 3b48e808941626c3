/**
 * The contract between `AccountPasswordPolicy` and its custom-resource handler. No aws-cdk-lib
 * imports here: the handler's bundle includes this file.
 */

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
