/**
 * Custom-resource handler (provider framework `onEvent`) for `Custom::AccountPasswordPolicy`.
 * Create records the policy in force in the physical ID, then applies the new one; Update
 * applies; Delete puts back what Create recorded (or removes the policy if there was none).
 */
import * as aws from '../shared/aws';
import { CustomResourceEventBase, CustomResourceResponse } from '../runtime/cfn';
import { HandlerError, errorMessage, errorName } from '../runtime/errors';
import { log } from '../runtime/log';
import { decodePhysicalId, encodePhysicalId, normalise, parseProperties } from './policy';

export async function handler(event: CustomResourceEventBase): Promise<CustomResourceResponse> {
  const requestType = typeof event?.RequestType === 'string' ? event.RequestType : String(event?.RequestType);
  log('received event', { requestType });
  try {
    const response = await dispatch(event);
    log('done', { requestType });
    return response;
  } catch (error) {
    const message = `${errorName(error)}: ${errorMessage(error)}`;
    log('failed', { requestType, error: message });
    throw new HandlerError(`${requestType} of the account password policy failed: ${message}`);
  }
}

async function dispatch(event: CustomResourceEventBase): Promise<CustomResourceResponse> {
  if (typeof event !== 'object' || event === null) throw new HandlerError('the event is not an object');
  switch (event.RequestType) {
    case 'Create': {
      const wanted = parseProperties(event.ResourceProperties);
      const found = await aws.readAccountPasswordPolicy();
      const physicalId = encodePhysicalId(found === undefined ? undefined : normalise(found));
      // Recorded before applying: the physical ID is computed first, the update is the last step,
      // so a Create that fails has changed nothing.
      await aws.updateAccountPasswordPolicy(wanted);
      log(found === undefined ? 'applied; there was no policy before' : 'applied; recorded the previous policy', {
        action: 'UpdateAccountPasswordPolicy',
      });
      return { PhysicalResourceId: physicalId };
    }
    case 'Update': {
      const wanted = parseProperties(event.ResourceProperties);
      decodePhysicalId(event.PhysicalResourceId);
      await aws.updateAccountPasswordPolicy(wanted);
      log('applied', { action: 'UpdateAccountPasswordPolicy' });
      return { PhysicalResourceId: event.PhysicalResourceId! };
    }
    case 'Delete': {
      const previous = decodePhysicalId(event.PhysicalResourceId);
      if (previous === undefined) {
        const deleted = await aws.deleteAccountPasswordPolicy();
        log(deleted ? 'removed the policy (there was none before)' : 'no policy to remove', {
          action: 'DeleteAccountPasswordPolicy',
        });
      } else {
        await aws.updateAccountPasswordPolicy(previous);
        log('restored the previous policy', { action: 'UpdateAccountPasswordPolicy' });
      }
      return { PhysicalResourceId: event.PhysicalResourceId! };
    }
    default:
      throw new HandlerError(
        `unknown RequestType ${JSON.stringify(event.RequestType)}; expected Create, Update or Delete`,
      );
  }
}
