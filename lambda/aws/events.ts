/**
 * EventBridge: the client, and `PutEvents` of one entry, whose answer needs translating: EventBridge
 * answers HTTP 200 with `FailedEntryCount` > 0 when it refused an entry, which is a failure here.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { HandlerError } from '../runtime/errors';
import type { Deadline } from '../runtime/invocation';
import { call, clientOf } from './call';

/** The EventBridge client (created once per Lambda container). */
export function eventBridge(): EventBridgeClient {
  return clientOf(EventBridgeClient);
}

/** One event to put on a bus. */
export interface BusEvent {
  readonly eventBusArn: string;
  readonly source: string;
  readonly detailType: string;
  /** The detail, serialized as JSON. */
  readonly detail: string;
  /** ARNs the event is about (the event's `resources`). */
  readonly resources: readonly string[];
}

/** Puts `event` on its bus; fails when EventBridge refuses it (the error code, never the detail). */
export async function putEvent(deadline: Deadline, event: BusEvent): Promise<string | undefined> {
  const response = await call(
    deadline,
    eventBridge(),
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: event.eventBusArn,
          Source: event.source,
          DetailType: event.detailType,
          Detail: event.detail,
          Resources: [...event.resources],
        },
      ],
    }),
  );
  const entry = response.Entries?.[0];
  if ((response.FailedEntryCount ?? 0) > 0 || entry === undefined || entry.EventId === undefined) {
    throw new HandlerError(
      `EventBridge refused the event on ${event.eventBusArn}: ${entry?.ErrorCode ?? 'no entry in the answer'}`,
    );
  }
  return entry.EventId;
}
