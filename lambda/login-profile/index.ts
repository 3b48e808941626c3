/**
 * Custom-resource handler for `Custom::ConsoleLoginProfile`, invoked by CloudFormation directly.
 * It only dispatches: the decisions are in `plan.ts`; the calls in order in `issue.ts` (a first
 * password), `reset.ts` (a new password or reset flag in place) and `delete.ts`, the first two over
 * one step that stores a password before setting it (`store-then-set.ts`); the AWS calls in
 * `../aws/`; and what every handler does around its work (attesting the event with CloudFormation,
 * the deadline, redaction, the answer to CloudFormation) in `../runtime/`.
 */
import { LOGIN_PROFILE_RESOURCE_TYPE, LoginProfileResourceProperties } from '../../lib/login-profile/contract';
import { consoleSignInUrl } from '../../lib/login-profile/contract';
import type { AttestationRules, RecordedProperties } from '../runtime/attestation';
import {
  CustomResourceEntry,
  CustomResourceEvent,
  CustomResourceKind,
  CustomResourceResponse,
  attestedByCloudFormation,
  customResourceEntry,
  respond,
  unknownRequestType,
} from '../runtime/custom-resource';
import { HandlerError } from '../runtime/errors';
import { Invocation } from '../runtime/invocation';
import { log } from '../runtime/log';
import type { SendResponse } from '../runtime/responder';
import { isUserName } from '../password/rules';
import { REASON_CONSOLE_ACCESS_ON, REASON_CREATE, REASON_RESET } from '../../lib/handover/contract';
import type { HandoverReason } from '../../lib/handover/contract';
import { announce, handoverBus } from '../handover/publish';
import { OffFrom, switchAccessOff } from './access';
import { deleteProfile } from './delete';
import { issuePassword } from './issue';
import { CreatePlan, EventIdentity, UpdatePlan, deleteTargets, planCreate, planUpdate, versionTokens } from './plan';
import { LoginProfileSettings, parseProperties } from './properties';
import { resetPassword, setResetFlag } from './reset';

/** The event this handler receives (its properties are still checked: see `properties.ts`). */
export type LoginProfileEvent = CustomResourceEvent<LoginProfileResourceProperties>;

/**
 * What CloudFormation's record decides for a login profile (see `../runtime/attestation.ts`): the
 * user and the secret always come from the record; an Update may change the reset flag, the
 * password length or the reset token with the record still showing the old properties, but not
 * the user, the secret or console access (an event that switches access must be the one the
 * record shows, so that neither a forged event nor a late delivery during a rollback can switch it).
 */
export const LOGIN_PROFILE_ATTESTATION: AttestationRules = {
  resourceType: LOGIN_PROFILE_RESOURCE_TYPE,
  oldSide: (old, next, physicalResourceId) => {
    // The old user is the one this resource gave a profile to: the recorded physical ID.
    if (old.UserName === physicalResourceId) return old;
    // The way back after a failed rename: CloudFormation kept the physical ID (the user the failed
    // Update started from) and sends the failed Update's user as the old one. That user is in no
    // record: its profile goes only if the recorded secret owns it (see `deleteProfile`).
    if (next.UserName === physicalResourceId) return { ...old, SecretArn: next.SecretArn };
    return 'old-user-not-recorded';
  },
  unattestedUpdate: (old, next, physicalResourceId) =>
    old.UserName === physicalResourceId &&
    next.UserName === old.UserName &&
    next.SecretArn === old.SecretArn &&
    consoleAccessText(next.ConsoleAccess) === consoleAccessText(old.ConsoleAccess)
      ? next
      : undefined,
  // The old user is the event's physical ID; only a profile the current secret owns goes (a
  // rename keeps the secret), so such a Delete cannot remove a profile another secret owns.
  replacedDelete: (current): RecordedProperties =>
    current?.SecretArn === undefined ? {} : { SecretArn: current.SecretArn },
};

/** The login-profile custom resource, as the runtime runs it (tests replace its parts). */
export const loginProfileKind: CustomResourceKind<LoginProfileResourceProperties> = {
  what: (id) => `login profile ${id ?? '(unknown)'}`,
  attest: attestedByCloudFormation(LOGIN_PROFILE_ATTESTATION),
  dispatch,
  // The Delete that follows a failed Create looks for the user by the physical ID first; with
  // no valid user name there is none to look for (':' is in no user name).
  createFailedPhysicalId: (event) => {
    const userName = (event.ResourceProperties as Partial<Record<string, unknown>> | undefined)?.UserName;
    return typeof userName === 'string' && isUserName(userName) ? userName : `${event.LogicalResourceId}:no-user`;
  },
};

/** The entry point, answering through `send` (tests record the answer; Lambda PUTs it to the ResponseURL). */
export function handlerWith(
  send?: SendResponse,
  kind: CustomResourceKind<LoginProfileResourceProperties> = loginProfileKind,
): CustomResourceEntry<LoginProfileResourceProperties> {
  return customResourceEntry<LoginProfileResourceProperties>(kind, send);
}

/** The Lambda function's handler. */
export const handler = handlerWith();

async function dispatch(event: LoginProfileEvent, inv: Invocation): Promise<CustomResourceResponse> {
  const identity: EventIdentity = {
    stackId: event.StackId,
    logicalResourceId: event.LogicalResourceId,
    requestId: event.RequestId,
    requestType: event.RequestType,
  };

  switch (event.RequestType) {
    case 'Create': {
      const settings = parseProperties(event.ResourceProperties, signInUrlOf(inv), inv.account);
      if (planCreate(settings) === CreatePlan.ACCESS_OFF) {
        await switchAccessOff(settings, identity, inv, OffFrom.CLAIM);
        return profileResponse(settings.userName, undefined);
      }
      handoverBus();
      const versionId = await issuePassword(settings, identity, inv);
      await announceIssued(REASON_CREATE, settings, identity, versionId, inv);
      return profileResponse(settings.userName, versionId);
    }
    case 'Update': {
      const signInUrl = signInUrlOf(inv);
      const settings = parseProperties(event.ResourceProperties, signInUrl, inv.account);
      if (event.OldResourceProperties === undefined) {
        throw new HandlerError('the Update event has no OldResourceProperties');
      }
      const old = parseProperties(event.OldResourceProperties, signInUrl);
      const plan = planUpdate(old, settings);
      const reason = ISSUING_PLANS[plan];
      if (reason !== undefined) handoverBus();
      const versionId = await update(plan, settings, old, identity, inv);
      if (reason !== undefined && versionId !== undefined) {
        await announceIssued(reason, settings, identity, versionId, inv);
      }
      return profileResponse(settings.userName, versionId);
    }
    case 'Delete': {
      // Deletes must not get stuck on properties a later version would reject: only the user
      // name and the secret ARN matter, both as CloudFormation records them. The physical ID is
      // the user this resource gave a profile to, unless its Create never answered: then
      // CloudFormation made one up, and the user is the one in the properties. Each candidate
      // loses its profile only if this resource's secret owns it (see `deleteProfile`).
      const props: Partial<Record<string, unknown>> = event.ResourceProperties ?? {};
      const users = deleteTargets(event.PhysicalResourceId, props.UserName).filter(isUserName);
      if (users.length === 0) {
        log('no valid user name in the event; nothing to delete', {
          requestType: event.RequestType,
          logicalResourceId: event.LogicalResourceId,
        });
        return respond(event.PhysicalResourceId || event.LogicalResourceId);
      }
      const secretArn = typeof props.SecretArn === 'string' ? props.SecretArn : undefined;
      for (const userName of users) await deleteProfile(userName, secretArn, inv);
      return respond(event.PhysicalResourceId || users[0]);
    }
    default:
      throw unknownRequestType((event as { RequestType?: unknown }).RequestType);
  }
}

/** The plans that issue a password, and why (the handover event's reason). */
const ISSUING_PLANS: Partial<Record<UpdatePlan, HandoverReason>> = {
  [UpdatePlan.NEW_USER]: REASON_CREATE,
  [UpdatePlan.NEW_SECRET]: REASON_CREATE,
  [UpdatePlan.NEW_PASSWORD]: REASON_RESET,
  [UpdatePlan.ACCESS_ON]: REASON_CONSOLE_ACCESS_ON,
};

/**
 * Announces the password of `versionId` when this event issued it: a late delivery that a later
 * change overtook answers with a version another event issued (and announced), and announces nothing.
 */
async function announceIssued(
  reason: HandoverReason,
  settings: LoginProfileSettings,
  identity: EventIdentity,
  versionId: string,
  inv: Invocation,
): Promise<void> {
  if (!versionTokens(identity).has(versionId)) return;
  await announce(
    {
      reason,
      userName: settings.userName,
      secretArn: settings.secretArn,
      secretVersionId: versionId,
      passwordResetRequired: settings.passwordResetRequired,
    },
    inv,
  );
}

/** An Update, by the plan `planUpdate` made from the old and new settings; the new version, if any. */
async function update(
  plan: UpdatePlan,
  settings: LoginProfileSettings,
  old: LoginProfileSettings,
  identity: EventIdentity,
  inv: Invocation,
): Promise<string | undefined> {
  switch (plan) {
    case UpdatePlan.NEW_USER:
      // The old user's profile goes first, while its password is still AWSCURRENT: the new user's
      // password is about to take that stage, and CloudFormation ignores a failed cleanup Delete,
      // which would leave it with a lost password.
      await deleteProfile(old.userName, old.secretArn, inv);
      return issuePassword(settings, identity, inv);
    case UpdatePlan.NEW_SECRET:
      // The old secret keeps the current password until the new one holds one.
      return issuePassword(settings, identity, inv);
    case UpdatePlan.NEW_PASSWORD:
      return resetPassword(settings, identity, inv);
    case UpdatePlan.RESET_FLAG:
      await setResetFlag(settings, inv);
      return undefined;
    case UpdatePlan.NOTHING:
      log('nothing to change', { userName: settings.userName });
      return undefined;
    case UpdatePlan.ACCESS_OFF:
      await switchAccessOff(settings, identity, inv, OffFrom.SAME_PROFILE);
      return undefined;
    case UpdatePlan.MOVE_OFF:
      await switchAccessOff(settings, identity, inv, OffFrom.CLAIM, old);
      return undefined;
    case UpdatePlan.ACCESS_ON:
      // Nothing of this secret is in use while access is off: a first password, as on Create.
      return issuePassword(settings, identity, inv);
    case UpdatePlan.STAY_OFF:
      log('console access is off; nothing to issue', { userName: settings.userName });
      return undefined;
  }
}

/** A `ConsoleAccess` property as compared: absent is "true" (the default). */
function consoleAccessText(value: unknown): unknown {
  return value === undefined ? 'true' : value;
}

/**
 * The console sign-in URL of the function's own account and partition (from its ARN): the URL
 * written beside each password is the handler's, never one an event could bring.
 */
function signInUrlOf(inv: Invocation): string {
  const url = inv.account && inv.partition ? consoleSignInUrl(inv.account, inv.partition) : undefined;
  if (url === undefined) {
    throw new HandlerError(
      "cannot tell the console sign-in URL: the function's ARN names no account of a known partition",
    );
  }
  return url;
}

/** The answer for a login profile: its user is the physical ID; `SecretVersionId` when a password was set. */
function profileResponse(userName: string, secretVersionId: string | undefined): CustomResourceResponse {
  const data: Record<string, string> = { UserName: userName };
  if (secretVersionId !== undefined) data.SecretVersionId = secretVersionId;
  return respond(userName, data);
}
