/**
 * Network latency for the in-memory fake AWS (`FakeAws`), without changing the fake: every SDK
 * attempt it answers takes the latency of its service before its answer (or error) returns, as a
 * round trip to the regional endpoint would. `npm run bench` uses it to time the handler per event.
 */
import * as cloudFormationCommands from '@aws-sdk/client-cloudformation';
import * as iamCommands from '@aws-sdk/client-iam';
import type { FakeAws, Service } from './fake-aws';

/**
 * Milliseconds one call of each service takes, request to answer. CloudFormation's, when not
 * given, is IAM's (both regional query-protocol endpoints for the handler's reads).
 */
export type ServiceLatency = Readonly<Record<'iam' | 'secretsmanager', number>> & { readonly cloudformation?: number };

/**
 * The service `command` belongs to: CloudFormation or IAM if its client has it, else Secrets
 * Manager (the fake knows only those three).
 */
export function serviceOf(command: string): Service {
  if (`${command}Command` in cloudFormationCommands) return 'cloudformation';
  return `${command}Command` in iamCommands ? 'iam' : 'secretsmanager';
}

/** Milliseconds one call of `service` takes under `latency`. */
function latencyOf(latency: ServiceLatency, service: Service): number {
  return service === 'cloudformation' ? (latency.cloudformation ?? latency.iam) : latency[service];
}

/**
 * Makes every call `fake` answers from now on take `latency[service]` ms (applied first, then
 * answered: the call log and the fake's state are what they would be without it). Returns the
 * function that takes the latency away again.
 */
export function withLatency(fake: FakeAws, latency: ServiceLatency): () => void {
  const own = Object.getOwnPropertyDescriptor(fake, 'call');
  const answer = fake.call.bind(fake);
  fake.call = async (command, sent, abortSignal) => {
    try {
      return await answer(command, sent, abortSignal);
    } finally {
      await new Promise((resolve) => setTimeout(resolve, latencyOf(latency, serviceOf(command))));
    }
  };
  return () => {
    if (own) Object.defineProperty(fake, 'call', own);
    else delete (fake as { call?: unknown }).call;
  };
}
