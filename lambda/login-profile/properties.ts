/** Parses and checks the custom resource's properties (they arrive as strings from CloudFormation). */
import type { LoginProfileResourceProperties } from '../../lib/login-profile/contract';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USER_NAME_PATTERN } from '../../lib/shared/rules';
import { HandlerError } from '../runtime/errors';

/** The properties, parsed into their real types. */
export interface LoginProfileSettings {
  readonly userName: string;
  readonly secretArn: string;
  readonly signInUrl: string;
  readonly passwordLength: number;
  readonly passwordResetRequired: boolean;
  readonly resetToken: string;
}

const SECRET_ARN = /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:[\w/+=.@-]+$/;

/**
 * Parses `raw` (an event's `ResourceProperties`). `account`, when known, is the handler's own
 * account: a secret elsewhere is refused. Every message names the property and the rule.
 */
export function parseProperties(raw: Record<string, unknown> | undefined, account?: string): LoginProfileSettings {
  if (raw === undefined || raw === null || typeof raw !== 'object') {
    throw new HandlerError('ResourceProperties are missing');
  }
  const props = raw as Partial<Record<keyof LoginProfileResourceProperties, unknown>>;

  const userName = requireString(props.UserName, 'UserName');
  if (!isUserName(userName)) {
    throw new HandlerError(
      `UserName must be 1-64 characters of letters, digits and +=,.@_- ; got ${JSON.stringify(userName)}`,
    );
  }

  const secretArn = requireString(props.SecretArn, 'SecretArn');
  const arn = SECRET_ARN.exec(secretArn);
  if (!arn) {
    throw new HandlerError(`SecretArn must be a Secrets Manager secret ARN; got ${JSON.stringify(secretArn)}`);
  }
  if (account !== undefined && arn[3] !== account) {
    throw new HandlerError(`SecretArn must be in this account (${account}); got a secret in account ${arn[3]}`);
  }

  const signInUrl = requireString(props.SignInUrl, 'SignInUrl');
  if (!/^https:\/\/[^\s]+$/.test(signInUrl)) {
    throw new HandlerError(`SignInUrl must be an https URL; got ${JSON.stringify(signInUrl)}`);
  }

  const lengthText = requireString(props.PasswordLength, 'PasswordLength');
  const passwordLength = Number(lengthText);
  if (!/^\d+$/.test(lengthText) || passwordLength < MIN_PASSWORD_LENGTH || passwordLength > MAX_PASSWORD_LENGTH) {
    throw new HandlerError(
      `PasswordLength must be a whole number from ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}; got ${JSON.stringify(lengthText)}`,
    );
  }

  const resetText = requireString(props.PasswordResetRequired, 'PasswordResetRequired');
  if (resetText !== 'true' && resetText !== 'false') {
    throw new HandlerError(`PasswordResetRequired must be "true" or "false"; got ${JSON.stringify(resetText)}`);
  }

  const resetToken = props.ResetToken === undefined ? '' : requireString(props.ResetToken, 'ResetToken', true);

  return {
    userName,
    secretArn,
    signInUrl,
    passwordLength,
    passwordResetRequired: resetText === 'true',
    resetToken,
  };
}

/** True when `value` is a valid IAM user name. */
export function isUserName(value: string): boolean {
  return USER_NAME_PATTERN.test(value);
}

function requireString(value: unknown, name: string, allowEmpty = false): string {
  // CloudFormation sends scalars as strings; a number or boolean arriving directly (a direct
  // invocation) is accepted in its string form.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) throw new HandlerError(`${name} is required but missing`);
  if (typeof value !== 'string') throw new HandlerError(`${name} must be a string; got ${typeof value}`);
  if (!allowEmpty && value.length === 0) throw new HandlerError(`${name} must not be empty`);
  return value;
}
