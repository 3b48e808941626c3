/**
 * The contract between `LoginProfileRotation` and the rotation function: the secret tags it reads
 * and the user tag it writes. No aws-cdk-lib imports here: the handler's bundle includes this file.
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

/**
 * IAM user tag that `createSecret` writes before it writes a pending version: the version's token
 * and a commitment to the value it is about to write (`<token>/<hex HMAC-SHA256>`, keyed with the
 * `AWSCURRENT` password: see `lambda/rotation/checks.ts`). `setSecret` sets only a version this
 * tag names and whose value matches the commitment, so a value someone else wrote under the token
 * (`PutSecretValue` with that `ClientRequestToken`) is never set.
 */
export const PENDING_VERSION_TAG_KEY = 'cdk-console-users:pending-version';

/**
 * The tag CloudFormation puts on the resources it creates, naming the stack's ID. The `aws:`
 * prefix is reserved: nobody can add, change or remove it with `TagResource`/`UntagResource`.
 * The rotation function rotates only secrets whose tag names its own stack.
 */
export const CFN_STACK_ID_TAG_KEY = 'aws:cloudformation:stack-id';
