/**
 * The custom-resource side of the handlers: the events (typed by `@types/aws-lambda`), their
 * checks, and the one place that knows how an answer reaches CloudFormation. Today the handlers
 * run under the aws-cdk-lib provider framework, whose `onEvent` returns the answer; the framework
 * sends it on. Only this file changes when a handler answers CloudFormation itself.
 */
import type {
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceResourcePropertiesCommon,
} from 'aws-lambda';
import { HandlerError } from './errors';
import {
  Invocation,
  InvocationContext,
  InvocationLabels,
  requireEventFields,
  runInvocation,
  stringOrUndefined,
} from './invocation';

/** A custom-resource event whose properties follow `Props` (as declared: each value is still checked). */
export type CustomResourceEvent<Props extends object> = CloudFormationCustomResourceEvent<
  Props & CloudFormationCustomResourceResourcePropertiesCommon
>;

/**
 * What an `onEvent` handler returns to the provider framework (`@types/aws-lambda` describes only
 * the response CloudFormation itself receives).
 */
export interface CustomResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** The answer for a resource whose physical ID is `physicalResourceId`, with its attributes `data`. */
export function respond(physicalResourceId: string, data?: Record<string, string>): CustomResourceResponse {
  return data === undefined
    ? { PhysicalResourceId: physicalResourceId }
    : { PhysicalResourceId: physicalResourceId, Data: data };
}

/** The fields every custom-resource event must carry before a handler may act on it. */
const REQUIRED_FIELDS = ['RequestId', 'StackId', 'LogicalResourceId'] as const;

/**
 * Runs a custom-resource handler: checks the event's fields, logs, and turns any failure into a
 * `HandlerError` that opens with `<RequestType> of <what>` (`what` names the resource for people).
 * `dispatch` gets the checked event; an unknown `RequestType` is its to refuse (see `unknownRequestType`).
 */
export function handleCustomResource<Props extends object>(
  event: CustomResourceEvent<Props>,
  context: InvocationContext | undefined,
  what: (logicalResourceId: string | undefined) => string,
  dispatch: (event: CustomResourceEvent<Props>, invocation: Invocation) => Promise<CustomResourceResponse>,
): Promise<CustomResourceResponse> {
  // The event is checked inside the wrapper, so even a malformed one fails with a safe message.
  const unchecked = event as unknown as Record<string, unknown> | null | undefined;
  const requestType = String(unchecked?.RequestType);
  const logicalResourceId = stringOrUndefined(unchecked?.LogicalResourceId);
  const labels: InvocationLabels = {
    fields: { requestType, logicalResourceId },
    received: 'received event',
    done: 'done',
    failed: 'failed',
    operation: `${requestType} of ${what(logicalResourceId)}`,
  };
  return runInvocation(labels, context, (invocation) => {
    requireEventFields(event, REQUIRED_FIELDS);
    return dispatch(event, invocation);
  });
}

/** The error for a `RequestType` other than Create, Update or Delete. */
export function unknownRequestType(requestType: unknown): HandlerError {
  return new HandlerError(`unknown RequestType ${JSON.stringify(requestType)}; expected Create, Update or Delete`);
}
