/**
 * Custom-resource handler for `Custom::ConsoleLoginProfile`, invoked by CloudFormation directly.
 * It only dispatches: the decisions are in `plan.ts`, the calls in order in `lifecycle.ts`, the
 * AWS calls in `../shared/aws.ts`, and what every handler does around its work (the deadline,
 * redaction, the answer to CloudFormation) in `../runtime/`.
 */
import type { LoginProfileResourceProperties } from '../../lib/login-profile/contract';
import {
  CustomResourceEntry,
  CustomResourceEvent,
  CustomResourceResponse,
  customResourceEntry,
  respond,
  unknownRequestType,
} from '../runtime/custom-resource';
import { HandlerError } from '../runtime/errors';
import { Invocation } from '../runtime/invocation';
import { log } from '../runtime/log';
import type { SendResponse } from '../runtime/responder';
import { isUserName } from '../shared/parse';
import { createProfile, deleteProfile, updateProfile } from './lifecycle';
import { EventIdentity, deleteTargets } from './plan';
import { parseProperties } from './properties';

/** The event this handler receives (its properties are still checked: see `properties.ts`). */
export type LoginProfileEvent = CustomResourceEvent<LoginProfileResourceProperties>;

/** The entry point, answering through `send` (tests record the answer; Lambda PUTs it to the ResponseURL). */
export function handlerWith(send?: SendResponse): CustomResourceEntry<LoginProfileResourceProperties> {
  return customResourceEntry<LoginProfileResourceProperties>(
    {
      what: (id) => `login profile ${id ?? '(unknown)'}`,
      dispatch,
      // The Delete that follows a failed Create looks for the user by the physical ID first; with
      // no valid user name there is none to look for (':' is in no user name).
      createFailedPhysicalId: (event) => {
        const userName = (event.ResourceProperties as Partial<Record<string, unknown>> | undefined)?.UserName;
        return typeof userName === 'string' && isUserName(userName) ? userName : `${event.LogicalResourceId}:no-user`;
      },
    },
    send,
  );
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
      const settings = parseProperties(event.ResourceProperties, inv.account);
      const versionId = await createProfile(settings, identity, inv);
      return profileResponse(settings.userName, versionId);
    }
    case 'Update': {
      const settings = parseProperties(event.ResourceProperties, inv.account);
      if (event.OldResourceProperties === undefined) {
        throw new HandlerError('the Update event has no OldResourceProperties');
      }
      const old = parseProperties(event.OldResourceProperties);
      const versionId = await updateProfile(settings, old, identity, inv);
      return profileResponse(settings.userName, versionId);
    }
    case 'Delete': {
      // Deletes must not get stuck on properties a later version would reject: only the user
      // name and the secret ARN matter. The physical ID is the user this resource gave a profile
      // to, unless its Create never answered: then CloudFormation made one up, and the user is
      // the one in the properties. Each candidate loses its profile only if this resource's
      // secret owns it (see `deleteProfile`).
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

/** The answer for a login profile: its user is the physical ID; `SecretVersionId` when a password was set. */
function profileResponse(userName: string, secretVersionId: string | undefined): CustomResourceResponse {
  const data: Record<string, string> = { UserName: userName };
  if (secretVersionId !== undefined) data.SecretVersionId = secretVersionId;
  return respond(userName, data);
}
