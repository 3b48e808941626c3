/**
 * Custom-resource handler (provider framework `onEvent`) for `Custom::AccountPasswordPolicy`.
 * Create records the policy in force in the physical ID, then applies the new one; Update
 * applies; Delete puts back what Create recorded (or removes the policy if there was none).
 */
import type { AccountPasswordPolicyResourceProperties } from '../../lib/password-policy/contract';
import {
  CustomResourceEvent,
  CustomResourceResponse,
  handleCustomResource,
  respond,
  unknownRequestType,
} from '../runtime/custom-resource';
import { Invocation, InvocationContext } from '../runtime/invocation';
import { log } from '../runtime/log';
import * as aws from '../shared/aws';
import { decodePhysicalId, encodePhysicalId, normalise, parseProperties } from './policy';

/** The event this handler receives (its properties are still checked: see `policy.ts`). */
export type AccountPasswordPolicyEvent = CustomResourceEvent<AccountPasswordPolicyResourceProperties>;

export function handler(
  event: AccountPasswordPolicyEvent,
  context?: InvocationContext,
): Promise<CustomResourceResponse> {
  return handleCustomResource(event, context, () => 'the account password policy', dispatch);
}

async function dispatch(event: AccountPasswordPolicyEvent, inv: Invocation): Promise<CustomResourceResponse> {
  switch (event.RequestType) {
    case 'Create': {
      const wanted = parseProperties(event.ResourceProperties);
      const found = await aws.readAccountPasswordPolicy(inv.deadline);
      const physicalId = encodePhysicalId(found === undefined ? undefined : normalise(found));
      // Recorded before applying: the physical ID is computed first, the update is the last step,
      // so a Create that fails has changed nothing.
      await aws.updateAccountPasswordPolicy(inv.deadline, wanted);
      log(found === undefined ? 'applied; there was no policy before' : 'applied; recorded the previous policy', {
        action: 'UpdateAccountPasswordPolicy',
      });
      return respond(physicalId);
    }
    case 'Update': {
      const wanted = parseProperties(event.ResourceProperties);
      decodePhysicalId(event.PhysicalResourceId);
      await aws.updateAccountPasswordPolicy(inv.deadline, wanted);
      log('applied', { action: 'UpdateAccountPasswordPolicy' });
      return respond(event.PhysicalResourceId);
    }
    case 'Delete': {
      const previous = decodePhysicalId(event.PhysicalResourceId);
      if (previous === undefined) {
        const deleted = await aws.deleteAccountPasswordPolicy(inv.deadline);
        log(deleted ? 'removed the policy (there was none before)' : 'no policy to remove', {
          action: 'DeleteAccountPasswordPolicy',
        });
      } else {
        await aws.updateAccountPasswordPolicy(inv.deadline, previous);
        log('restored the previous policy', { action: 'UpdateAccountPasswordPolicy' });
      }
      return respond(event.PhysicalResourceId);
    }
    default:
      throw unknownRequestType((event as { RequestType?: unknown }).RequestType);
  }
}
