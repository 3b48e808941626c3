/** Parses and checks the custom resource's properties (they arrive as strings from CloudFormation). */
import type { LoginProfileResourceProperties } from '../../lib/login-profile/contract';
import { HandlerError } from '../runtime/errors';
import { parsePasswordLength, parseUserName } from '../password/rules';
import { parseBooleanText, requireString } from '../runtime/parse';

/** The properties, parsed into their real types, and the sign-in URL of the handler's own account. */
export interface LoginProfileSettings {
  readonly userName: string;
  readonly secretArn: string;
  /** The console sign-in URL written beside the password: the handler's own (see `consoleSignInUrl`), never a property. */
  readonly signInUrl: string;
  readonly passwordLength: number;
  readonly passwordResetRequired: boolean;
  readonly resetToken: string;
  /** Whether the user has console access (`ConsoleAccess`, absent: true). */
  readonly consoleAccess: boolean;
}

const SECRET_ARN = /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:[\w/+=.@-]+$/;

/**
 * Parses `raw` (an event's `ResourceProperties`, or CloudFormation's record of them) into settings
 * with `signInUrl`. `account`, when known, is the handler's own account: a secret elsewhere is
 * refused. Every message names the property and the rule.
 */
export function parseProperties(
  raw: Record<string, unknown> | undefined,
  signInUrl: string,
  account?: string,
): LoginProfileSettings {
  if (raw === undefined || raw === null || typeof raw !== 'object') {
    throw new HandlerError('ResourceProperties are missing');
  }
  const props = raw as Partial<Record<keyof LoginProfileResourceProperties, unknown>>;

  const userName = parseUserName('UserName', requireString(props.UserName, 'UserName'));

  const secretArn = requireString(props.SecretArn, 'SecretArn');
  const arn = SECRET_ARN.exec(secretArn);
  if (!arn) {
    throw new HandlerError(`SecretArn must be a Secrets Manager secret ARN; got ${JSON.stringify(secretArn)}`);
  }
  if (account !== undefined && arn[3] !== account) {
    throw new HandlerError(`SecretArn must be in this account (${account}); got a secret in account ${arn[3]}`);
  }

  const passwordLength = parsePasswordLength('PasswordLength', requireString(props.PasswordLength, 'PasswordLength'));
  const passwordResetRequired = parseBooleanText(
    'PasswordResetRequired',
    requireString(props.PasswordResetRequired, 'PasswordResetRequired'),
  );

  const resetToken = props.ResetToken === undefined ? '' : requireString(props.ResetToken, 'ResetToken', true);

  const consoleAccess =
    props.ConsoleAccess === undefined
      ? true
      : parseBooleanText('ConsoleAccess', requireString(props.ConsoleAccess, 'ConsoleAccess'));

  return {
    userName,
    secretArn,
    signInUrl,
    passwordLength,
    passwordResetRequired,
    resetToken,
    consoleAccess,
  };
}
