/**
 * The naming and length rules of IAM and Secrets Manager that both the constructs (at synth) and
 * the handlers (at deploy) check. No aws-cdk-lib imports here: the handlers' bundles include this file.
 */

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
