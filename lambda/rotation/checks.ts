/**
 * What the rotation function checks before it acts. `lambda:InvokeFunction` is common
 * (PowerUserAccess has it), and so are `secretsmanager:TagResource` and `PutSecretValue`: the
 * function acts only on what nobody but CloudFormation, Secrets Manager and the function itself
 * can have written.
 *
 * - The secret is its own stack's: CloudFormation tags what it creates with
 *   `aws:cloudformation:stack-id`, and the `aws:` prefix is reserved (nobody can set, change or
 *   remove such a tag). Sources: CloudFormation Template Reference, "CloudFormation resource
 *   tagging" (the stack-level tags `aws:cloudformation:logical-id`, `stack-id`, `stack-name`;
 *   "you can't update or delete the tag"); Secrets Manager API Reference, `TagResource` ("Do not
 *   use the aws: prefix ... You can't edit or delete tag names or values with this prefix").
 * - Secrets Manager runs the rotation: rotation is on and names this function
 *   (`RotationEnabled`, `RotationLambdaARN`), and the token is the version it staged
 *   `AWSPENDING` (`RotateSecret` stages it before the first step; a finished rotation's token is
 *   `AWSCURRENT`, and every step is then a no-op).
 * - The user: the secret's user-name tag is anyone's to change, so the user's own owner tag
 *   (written only by the login-profile handler) must name this secret before any step touches it.
 * - The pending value is the function's own: before writing it, `createSecret` records on the user
 *   the token and a commitment to the value (an HMAC keyed with the `AWSCURRENT` password), and a
 *   value under the token that does not match is never used.
 *
 * Each check is an export of its own, called through this module, so a test can take one away and
 * show the attack it stops.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { CFN_STACK_ID_TAG_KEY, PENDING_VERSION_TAG_KEY, ROTATED_VERSION_TAG_KEY } from '../../lib/rotation/contract';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { HandlerError } from '../runtime/errors';
import type { SecretDescription } from '../aws/secrets';

/** Who is running: the function's stack (its `STACK_ID_ENV`) and the ARN it was invoked by. */
export interface Caller {
  readonly stackId: string | undefined;
  readonly invokedFunctionArn: string | undefined;
}

/** Refuses a secret that CloudFormation did not create in this function's stack. */
export function requireOwnStack(secret: SecretDescription, stackId: string | undefined): void {
  if (stackId === undefined || stackId === '') {
    throw new HandlerError(`the function has no ${STACK_ID_ENV}; it cannot tell its own stack's secrets`);
  }
  const tagged = secret.tags[CFN_STACK_ID_TAG_KEY];
  if (tagged !== stackId) {
    throw new HandlerError(
      `secret ${secret.arn} was not created by this function's stack (tag ${CFN_STACK_ID_TAG_KEY} is ${tagged === undefined ? 'absent' : JSON.stringify(tagged)}, the stack is ${stackId}); refusing to rotate it`,
    );
  }
}

/** Refuses a secret whose rotation is off or runs another function. */
export function requireRotationBySecretsManager(
  secret: SecretDescription,
  invokedFunctionArn: string | undefined,
): void {
  if (!secret.rotationEnabled) {
    throw new HandlerError(`rotation of secret ${secret.arn} is not enabled; Secrets Manager does not rotate it`);
  }
  if (invokedFunctionArn === undefined) {
    throw new HandlerError('the invocation names no function ARN; cannot check that this function rotates the secret');
  }
  const self = unqualifiedFunctionArn(invokedFunctionArn);
  const configured =
    secret.rotationLambdaArn === undefined ? undefined : unqualifiedFunctionArn(secret.rotationLambdaArn);
  if (configured !== self) {
    throw new HandlerError(
      `secret ${secret.arn} is rotated by ${secret.rotationLambdaArn === undefined ? 'no function' : secret.rotationLambdaArn}, not by this function (${self})`,
    );
  }
}

/** A Lambda function ARN without its version or alias: `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME`. */
export function unqualifiedFunctionArn(arn: string): string {
  return arn.split(':').slice(0, 7).join(':');
}

/**
 * Where version `token` stands: `pending` when Secrets Manager staged it `AWSPENDING` (a rotation
 * to it runs), `current` when it is already `AWSCURRENT` and not pending (a finished rotation
 * replayed: nothing to do). Anything else is refused.
 */
export function requireRotationToken(versions: Record<string, string[]>, token: string): 'pending' | 'current' {
  const stages = versions[token];
  if (stages?.includes('AWSPENDING')) return 'pending';
  if (stages?.includes('AWSCURRENT')) return 'current';
  throw new HandlerError(
    `version ${token} is not staged AWSPENDING (${stages === undefined ? 'no such version' : `stages ${JSON.stringify(stages)}`}); only a rotation Secrets Manager started is run`,
  );
}

/** The user's tags, after checking the user exists and its login profile belongs to `secretArn`. */
export function requireUserOwnedBy(
  tags: Record<string, string> | undefined,
  userName: string,
  secretArn: string,
): Record<string, string> {
  if (tags === undefined) throw new HandlerError(`IAM user ${userName} does not exist`);
  const owner = tags[OWNER_TAG_KEY];
  if (owner !== secretArn) {
    throw new HandlerError(
      `the login profile of ${userName} is not owned by secret ${secretArn} (tag ${OWNER_TAG_KEY} is ${owner === undefined ? 'absent' : JSON.stringify(owner)}); refusing to rotate it`,
    );
  }
  return tags;
}

/**
 * The value of the user's `PENDING_VERSION_TAG_KEY` for a pending version: its token and an
 * HMAC-SHA256 of the secret, the token and the value, keyed with the `AWSCURRENT` password (which
 * only readers of the secret know), so that the tag, readable by anyone with `iam:GetUser`, says
 * nothing about the new password.
 */
export function pendingVersionTag(secretArn: string, token: string, currentPassword: string, value: string): string {
  const mac = createHmac('sha256', currentPassword).update(`${secretArn}\n${token}\n${value}`).digest('hex');
  return `${token}/${mac}`;
}

/**
 * Refuses a pending value the function did not write: the user's pending tag must name `token`
 * with a commitment that matches `value` (the secret string stored under the token).
 */
export function requireOwnPendingVersion(
  tags: Record<string, string>,
  userName: string,
  secretArn: string,
  token: string,
  currentPassword: string,
  value: string,
): void {
  const recorded = tags[PENDING_VERSION_TAG_KEY];
  const expected = pendingVersionTag(secretArn, token, currentPassword, value);
  const recordedToken = recorded?.slice(0, recorded.lastIndexOf('/'));
  if (recorded === undefined || recordedToken !== token) {
    throw new HandlerError(
      `version ${token} was not written by this function (tag ${PENDING_VERSION_TAG_KEY} of ${userName} ${recorded === undefined ? 'is absent' : `names version ${recordedToken}`}); refusing to use its value`,
    );
  }
  const a = Buffer.from(recorded);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new HandlerError(
      `the value of version ${token} does not match tag ${PENDING_VERSION_TAG_KEY} of ${userName} (another writer put it there, or AWSCURRENT moved since createSecret); refusing to use it`,
    );
  }
}

/** Refuses to make version `token` current unless IAM holds it (setSecret recorded it on the user). */
export function requireIamHolds(tags: Record<string, string>, userName: string, token: string): void {
  const rotated = tags[ROTATED_VERSION_TAG_KEY];
  if (rotated !== token) {
    throw new HandlerError(
      `user ${userName} does not hold version ${token} (tag ${ROTATED_VERSION_TAG_KEY} ${rotated === undefined ? 'is absent' : `names ${rotated}`}); run setSecret first, AWSCURRENT stays`,
    );
  }
}
