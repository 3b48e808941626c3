/**
 * Secrets Manager rotation function for console passwords. It only dispatches; the steps are in
 * `steps.ts`, the AWS calls in `../shared/aws.ts`.
 */
import { HandlerError, errorMessage, errorName, redact } from '../runtime/errors';
import { log } from '../runtime/log';
import { createSecret, finishSecret, passwordsSeen, readSettings, setSecret, testSecret } from './steps';

/** The event Secrets Manager sends for each rotation step. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: string;
}

const STEPS = { createSecret, setSecret, testSecret, finishSecret } as const;

export async function handler(event: RotationEvent): Promise<void> {
  passwordsSeen.clear();
  const step = typeof event?.Step === 'string' ? event.Step : String(event?.Step);
  log('received rotation step', { step, secretVersionId: stringOrUndefined(event?.ClientRequestToken) });
  try {
    if (typeof event !== 'object' || event === null) throw new HandlerError('the event is not an object');
    for (const field of ['SecretId', 'ClientRequestToken'] as const) {
      if (typeof event[field] !== 'string' || event[field].length === 0) {
        throw new HandlerError(`the event has no ${field}`);
      }
    }
    if (!Object.prototype.hasOwnProperty.call(STEPS, step)) {
      throw new HandlerError(
        `unknown Step ${JSON.stringify(event.Step)}; expected createSecret, setSecret, testSecret or finishSecret`,
      );
    }
    const settings = await readSettings(event.SecretId);
    await STEPS[step as keyof typeof STEPS](settings, event.ClientRequestToken);
    log('step done', { step, userName: settings.userName });
  } catch (error) {
    // Whatever failed, the message Secrets Manager records must not carry a password.
    const message = redact(`${errorName(error)}: ${errorMessage(error)}`, passwordsSeen);
    log('step failed', { step, error: message });
    throw new HandlerError(`rotation step ${step} failed: ${message}`);
  } finally {
    passwordsSeen.clear();
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
