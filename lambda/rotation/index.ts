/**
 * Secrets Manager rotation function for console passwords. It only dispatches; the steps are in
 * `steps.ts`, what they check of the caller in `checks.ts`, the AWS calls in `../aws/`,
 * and what every handler does around its work in `../runtime/`.
 */
import type { SecretsManagerRotationEvent, SecretsManagerRotationEventStep } from 'aws-lambda';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { HandlerError } from '../runtime/errors';
import {
  Invocation,
  InvocationContext,
  InvocationLabels,
  requireEventFields,
  runInvocation,
  stringOrUndefined,
} from '../runtime/invocation';
import { handoverBus } from '../handover/publish';
import { RotationSettings, createSecret, finishSecret, readSettings, setSecret, testSecret } from './steps';

type Step = (settings: RotationSettings, token: string, inv: Invocation) => Promise<void>;
const STEPS: Record<SecretsManagerRotationEventStep, Step> = { createSecret, setSecret, testSecret, finishSecret };

export function handler(event: SecretsManagerRotationEvent, context?: InvocationContext): Promise<void> {
  // The event is checked inside the wrapper, so even a malformed one fails with a safe message.
  const unchecked = event as unknown as Record<string, unknown> | null | undefined;
  const step = String(unchecked?.Step);
  const labels: InvocationLabels = {
    fields: { step, secretVersionId: stringOrUndefined(unchecked?.ClientRequestToken) },
    received: 'received rotation step',
    done: 'step done',
    failed: 'step failed',
    operation: `rotation step ${step}`,
  };
  return runInvocation(labels, context, async (inv) => {
    requireEventFields(event, ['SecretId', 'ClientRequestToken']);
    if (!Object.prototype.hasOwnProperty.call(STEPS, step)) {
      throw new HandlerError(
        `unknown Step ${JSON.stringify(event.Step)}; expected createSecret, setSecret, testSecret or finishSecret`,
      );
    }
    // A function that could not announce the password it would issue issues none.
    handoverBus();
    const settings = await readSettings(event.SecretId, inv, {
      stackId: process.env[STACK_ID_ENV],
      invokedFunctionArn: context?.invokedFunctionArn,
    });
    inv.annotate({ userName: settings.userName });
    await STEPS[step as SecretsManagerRotationEventStep](settings, event.ClientRequestToken, inv);
  });
}
