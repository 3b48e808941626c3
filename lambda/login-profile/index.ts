/**
 * Custom-resource handler (provider framework `onEvent`) for `Custom::ConsoleLoginProfile`.
 * It only dispatches: the decisions are in `plan.ts`, the calls in order in `lifecycle.ts`, the
 * AWS calls in `../shared/aws.ts`, and what every handler does around its work in `../runtime/`.
 */
import type { LoginProfileResourceProperties } from '../../lib/login-profile/contract';
import {
  CustomResourceEvent,
  CustomResourceResponse,
  handleCustomResource,
  respond,
  unknownRequestType,
} from '../runtime/custom-resource';
import { HandlerError } from '../runtime/errors';
import { Invocation, InvocationContext } from '../runtime/invocation';
import { log } from '../runtime/log';
import { isUserName } from '../shared/parse';
import { createProfile, deleteProfile, updateProfile } from './lifecycle';
import { EventIdentity } from './plan';
import { parseProperties } from './properties';

/** The event this handler receives (its properties are still checked: see `properties.ts`). */
export type LoginProfileEvent = CustomResourceEvent<LoginProfileResourceProperties>;

export function handler(event: LoginProfileEvent, context?: InvocationContext): Promise<CustomResourceResponse> {
  return handleCustomResource(event, context, (id) => `login profile ${id ?? '(unknown)'}`, dispatch);
}

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
      // name and the secret ARN matter. The physical ID is the user this resource gave a
      // profile to; after a rename it differs from the properties, and its profile must go.
      const props: Partial<Record<string, unknown>> = event.ResourceProperties ?? {};
      const userName = event.PhysicalResourceId || (typeof props.UserName === 'string' ? props.UserName : '');
      if (!isUserName(userName)) {
        log('no valid user name in the event; nothing to delete', {
          requestType: event.RequestType,
          logicalResourceId: event.LogicalResourceId,
        });
        return respond(userName || event.LogicalResourceId);
      }
      const secretArn = typeof props.SecretArn === 'string' ? props.SecretArn : undefined;
      await deleteProfile(userName, secretArn, inv);
      return respond(userName);
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
