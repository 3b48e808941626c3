/**
 * The one way the handlers call AWS: `call(deadline, client, command)`, with clients created once
 * per Lambda container.
 *
 * Transient failures (throttling, 5xx, timeouts) are retried by the SDK's standard retry
 * strategy. Every call takes the invocation's `Deadline` and is aborted (an abort signal, which
 * every SDK v3 version honours, whatever its HTTP handler does with `requestTimeout`) when its
 * budget runs out: a call AWS applied but never answered ends with a `DeadlineError` that counts
 * as "may have applied", in time for the handler to undo and answer.
 */
import type { CommandIO, MetadataBearer } from '@smithy/types';
import { DeadlineError } from '../runtime/errors';
import type { Deadline } from '../runtime/invocation';

/**
 * SDK attempts per call (1 + retries) and per-attempt timeouts. The SDK's Node.js HTTP handler
 * only logs a warning when `requestTimeout` passes (unless `throwOnRequestTimeout` is set, which
 * older SDK versions in the Lambda runtime ignore): the deadline's abort signal is what bounds a
 * call; `connectionTimeout` does end an attempt that cannot connect.
 */
export const MAX_ATTEMPTS = 4;
export const CLIENT_CONFIG = {
  maxAttempts: MAX_ATTEMPTS,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000 },
} as const;

/** An SDK v3 client: `send` with an abort signal. */
export interface Client {
  send<I extends object, O extends MetadataBearer>(
    command: CommandIO<I, O>,
    options: { abortSignal: AbortSignal },
  ): Promise<O>;
}

const clients = new Map<new (config: typeof CLIENT_CONFIG) => Client, Client>();

/** The one client of class `Type` (created with `CLIENT_CONFIG` on first use). */
export function clientOf<C extends Client>(Type: new (config: typeof CLIENT_CONFIG) => C): C {
  let client = clients.get(Type);
  if (client === undefined) {
    client = new Type(CLIENT_CONFIG);
    clients.set(Type, client);
  }
  return client as C;
}

/** Forgets the cached clients (tests change endpoints and middleware between cases). */
export function resetClients(): void {
  clients.clear();
}

/**
 * Sends `command` with `client`, with an abort signal that fires when `deadline`'s budget for it
 * runs out. A call aborted that way throws a `DeadlineError` (sent: it may have applied); a call
 * there is no time left for is not sent. Errors of the service are thrown as the SDK throws them.
 */
export async function call<Input extends object, Output extends MetadataBearer>(
  deadline: Deadline,
  client: Client,
  command: CommandIO<Input, Output>,
): Promise<Output> {
  const action = actionOf(command);
  const budgetMs = Math.floor(deadline.callBudgetMs());
  if (budgetMs <= 0) throw new DeadlineError(`no time left to call ${action} before the handler must answer`, false);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), budgetMs);
  try {
    return await client.send(command, { abortSignal: controller.signal });
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    throw new DeadlineError(`${action} did not answer within ${budgetMs} ms (it may have applied)`, true, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The API action of an SDK command, for messages: `GetUserCommand` is `GetUser`. */
function actionOf(command: object): string {
  return command.constructor.name.replace(/Command$/, '') || 'an AWS call';
}
