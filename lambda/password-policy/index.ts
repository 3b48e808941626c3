/**
 * Custom-resource handler for `Custom::AccountPasswordPolicy`, invoked by CloudFormation directly.
 * Create records the policy in force in the physical ID, then applies the new one; Update
 * applies; Delete puts back what Create recorded (or removes the policy if there was none). Each
 * acts only on an event CloudFormation is sending, with the policy CloudFormation records for the
 * resource and the physical ID it records (see `../runtime/attestation.ts`).
 */
import { UpdateAccountPasswordPolicyCommand } from '@aws-sdk/client-iam';
import {
  ACCOUNT_PASSWORD_POLICY_RESOURCE_TYPE,
  AccountPasswordPolicyResourceProperties,
} from '../../lib/password-policy/contract';
import { call } from '../aws/call';
import { deleteAccountPasswordPolicy, iam, readPasswordPolicy } from '../aws/iam';
import type { AttestationRules } from '../runtime/attestation';
import {
  CustomResourceEntry,
  CustomResourceEvent,
  CustomResourceKind,
  CustomResourceResponse,
  FailureAnswer,
  attestedByCloudFormation,
  customResourceEntry,
  respond,
  unknownRequestType,
} from '../runtime/custom-resource';
import { Invocation } from '../runtime/invocation';
import { log } from '../runtime/log';
import type { SendResponse } from '../runtime/responder';
import { PHYSICAL_ID_PREFIX, decodePhysicalId, encodePhysicalId, normalise, parseProperties } from './policy';

/** The event this handler receives (its properties are still checked: see `policy.ts`). */
export type AccountPasswordPolicyEvent = CustomResourceEvent<AccountPasswordPolicyResourceProperties>;

/** The physical ID of a Create that failed before it read the policy in force: it changed nothing. */
export const NOTHING_RECORDED = 'cdk-console-users:account-password-policy:nothing-recorded';

/**
 * What CloudFormation's record decides for the account password policy: every field of it. An
 * Update acts only once the record shows the new policy, and its physical ID (which records the
 * policy to restore) never changes, so no Delete of a replaced one exists.
 */
export const PASSWORD_POLICY_ATTESTATION: AttestationRules = {
  resourceType: ACCOUNT_PASSWORD_POLICY_RESOURCE_TYPE,
  unattestedUpdate: () => undefined,
};

/** The account-password-policy custom resource, as the runtime runs it (tests replace its parts). */
export const passwordPolicyKind: CustomResourceKind<AccountPasswordPolicyResourceProperties> = {
  what: () => 'the account password policy',
  attest: attestedByCloudFormation(PASSWORD_POLICY_ATTESTATION),
  dispatch,
  createFailedPhysicalId: () => NOTHING_RECORDED,
};

/** The entry point, answering through `send` (tests record the answer; Lambda PUTs it to the ResponseURL). */
export function handlerWith(
  send?: SendResponse,
  kind: CustomResourceKind<AccountPasswordPolicyResourceProperties> = passwordPolicyKind,
): CustomResourceEntry<AccountPasswordPolicyResourceProperties> {
  return customResourceEntry<AccountPasswordPolicyResourceProperties>(kind, send);
}

/** The Lambda function's handler. */
export const handler = handlerWith();

async function dispatch(
  event: AccountPasswordPolicyEvent,
  inv: Invocation,
  failure: FailureAnswer,
): Promise<CustomResourceResponse> {
  switch (event.RequestType) {
    case 'Create': {
      const wanted = parseProperties(event.ResourceProperties);
      const found = await readPasswordPolicy(inv.deadline);
      const physicalId = encodePhysicalId(found === undefined ? undefined : normalise(found));
      // Recorded before applying: an update that failed may still have applied (it did not
      // answer), and the Delete that follows the failed Create puts back what this records.
      failure.physicalResourceId = physicalId;
      await call(inv.deadline, iam(), new UpdateAccountPasswordPolicyCommand(wanted));
      log(found === undefined ? 'applied; there was no policy before' : 'applied; recorded the previous policy', {
        action: 'UpdateAccountPasswordPolicy',
      });
      return respond(physicalId);
    }
    case 'Update': {
      const wanted = parseProperties(event.ResourceProperties);
      decodePhysicalId(event.PhysicalResourceId);
      await call(inv.deadline, iam(), new UpdateAccountPasswordPolicyCommand(wanted));
      log('applied', { action: 'UpdateAccountPasswordPolicy' });
      return respond(event.PhysicalResourceId);
    }
    case 'Delete': {
      if (!event.PhysicalResourceId.startsWith(PHYSICAL_ID_PREFIX)) {
        // A Create that failed before it read the policy (it changed nothing), or one that never
        // answered (CloudFormation made the ID up): there is no record to put back.
        log('no previous policy recorded; leaving the account password policy as it is', {
          action: 'DeleteAccountPasswordPolicy',
        });
        return respond(event.PhysicalResourceId);
      }
      const previous = decodePhysicalId(event.PhysicalResourceId);
      if (previous === undefined) {
        const deleted = await deleteAccountPasswordPolicy(inv.deadline);
        log(deleted ? 'removed the policy (there was none before)' : 'no policy to remove', {
          action: 'DeleteAccountPasswordPolicy',
        });
      } else {
        await call(inv.deadline, iam(), new UpdateAccountPasswordPolicyCommand(previous));
        log('restored the previous policy', { action: 'UpdateAccountPasswordPolicy' });
      }
      return respond(event.PhysicalResourceId);
    }
    default:
      throw unknownRequestType((event as { RequestType?: unknown }).RequestType);
  }
}
