/**
 * The custom-resource side of the handlers: the events (typed by `@types/aws-lambda`), their
 * checks, and the answer. CloudFormation invokes each handler function directly (its ARN is the
 * service token) and asynchronously, and waits for the handler to PUT its answer to the event's
 * `ResponseURL` (`responder.ts`). So the entry point never throws: whatever happens, it answers
 * SUCCESS or FAILED itself, and every event, the Delete after a failed Create included, reaches
 * the handler's own code.
 */
import type {
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceResourcePropertiesCommon,
} from 'aws-lambda';
import { SERVICE_TIMEOUT_ENV } from '../../lib/handler/contract';
import {
  AnyCustomResourceEvent,
  Attested,
  AttestationRules,
  REFUSED_REASON,
  RefusalReason,
  attestEvent,
} from './attestation';
import { HandlerError, errorMessage } from './errors';
import {
  Invocation,
  InvocationContext,
  InvocationLabels,
  requireEventFields,
  runInvocation,
  stringOrUndefined,
} from './invocation';
import { log } from './log';
import { CloudFormationResponse, SendResponse, functionLocation, putResponse } from './responder';

/** A custom-resource event whose properties follow `Props` (as declared: each value is still checked). */
export type CustomResourceEvent<Props extends object> = CloudFormationCustomResourceEvent<
  Props & CloudFormationCustomResourceResourcePropertiesCommon
>;

/** What a handler's work decides: the physical ID, and the attributes (`Fn::GetAtt`), never a password. */
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

/** What the work of a failing event can still say about its answer. */
export interface FailureAnswer {
  /**
   * The physical ID a failed Create answers with (CloudFormation sends it back in the Delete that
   * follows): set it once the work knows where its Delete must look. @default see `createFailedPhysicalId`
   */
  physicalResourceId?: string;
}

/**
 * Decides whether CloudFormation is sending `event` for a resource of the function's own stack,
 * and gives the event the work may act on (properties taken from CloudFormation's record), or the
 * reason it is refused (see `attestation.ts`).
 */
export type Attest<Props extends object> = (
  event: CustomResourceEvent<Props>,
  invocation: Invocation,
) => Promise<Attested<CustomResourceEvent<Props>>>;

/** The attestation of a kind by CloudFormation's record, under `rules` (see `attestEvent`). */
export function attestedByCloudFormation<Props extends object>(rules: AttestationRules): Attest<Props> {
  return (event, invocation) =>
    attestEvent(rules, event as unknown as AnyCustomResourceEvent, invocation) as unknown as Promise<
      Attested<CustomResourceEvent<Props>>
    >;
}

/** One kind of custom resource: how to name it, attest its events, do its work, and answer a failed Create. */
export interface CustomResourceKind<Props extends object> {
  /** Names the resource for people, e.g. `login profile AliceLoginProfile`. */
  readonly what: (logicalResourceId: string | undefined) => string;
  /**
   * Runs before the work, on every event: the work gets the event it returns. A refused event
   * gets no work (so no IAM or Secrets Manager call) and a FAILED answer with `REFUSED_REASON`.
   */
  readonly attest: Attest<Props>;
  /** The work: gets the attested event; an unknown `RequestType` is its to refuse (see `unknownRequestType`). */
  readonly dispatch: (
    event: CustomResourceEvent<Props>,
    invocation: Invocation,
    failure: FailureAnswer,
  ) => Promise<CustomResourceResponse>;
  /** The physical ID a failed Create answers with, unless its work set `FailureAnswer.physicalResourceId`. */
  readonly createFailedPhysicalId: (event: CustomResourceEvent<Props>) => string;
}

/** The entry point of a custom-resource function: answers CloudFormation, never throws. */
export type CustomResourceEntry<Props extends object> = (
  event: CustomResourceEvent<Props>,
  context?: InvocationContext,
) => Promise<CloudFormationResponse | undefined>;

/** The fields every custom-resource event must carry before a handler may act on it or answer it. */
const REQUIRED_FIELDS = ['RequestId', 'StackId', 'LogicalResourceId', 'ResponseURL'] as const;

/** Longest `Reason` the handler sends (CloudFormation shows it in the stack events; the whole answer is capped at 4 KB). */
export const MAX_REASON_LENGTH = 1_000;

export { SERVICE_TIMEOUT_ENV } from '../../lib/handler/contract';

/**
 * How long before CloudFormation gives up on an event the handler stops its work: clocks differ
 * by a little, and a call sent just before the end may be applied just after it.
 */
export const GIVE_UP_MARGIN_MS = 30_000;

/** Time kept, once the work is over, for the answer to be sent and the function to return. */
const RETURN_MARGIN_MS = 1_000;

/**
 * The entry point of the custom-resource kind `kind`: checks the event, runs the work (each
 * failure becomes a `HandlerError` whose message opens with `<RequestType> of <what>`, every
 * password redacted), and answers CloudFormation through `send`. Resolves with the answer it sent
 * (undefined when the event cannot be answered: no `ResponseURL`, `RequestId`, ...).
 */
export function customResourceEntry<Props extends object>(
  kind: CustomResourceKind<Props>,
  send?: SendResponse,
): CustomResourceEntry<Props> {
  return async (event, context) => {
    const unchecked = event as unknown as Record<string, unknown> | null | undefined;
    const requestType = String(unchecked?.RequestType);
    const logicalResourceId = stringOrUndefined(unchecked?.LogicalResourceId);
    try {
      requireEventFields(event, REQUIRED_FIELDS);
    } catch (error) {
      // Nowhere to answer: CloudFormation (if it sent this) times out at the resource's ServiceTimeout.
      log('cannot answer: malformed event', { requestType, logicalResourceId, error: errorMessage(error) });
      return undefined;
    }
    const labels: InvocationLabels = {
      fields: { requestType, logicalResourceId },
      received: 'received event',
      done: 'done',
      failed: 'failed',
      operation: `${requestType} of ${kind.what(logicalResourceId)}`,
    };
    const failure: FailureAnswer = {};
    let refused: RefusalReason | undefined;
    const workEndsBy = cloudFormationGivesUpAt(event) - GIVE_UP_MARGIN_MS;
    let answer: CloudFormationResponse;
    try {
      const result = await runInvocation(
        labels,
        context,
        (invocation) => {
          if (Date.now() >= workEndsBy) {
            // A late delivery: CloudFormation has moved on (a rollback may have undone this event).
            throw new HandlerError('the event came after CloudFormation stopped waiting for it; changed nothing');
          }
          return attestThenDispatch(kind, event, invocation, failure, (reason) => {
            refused = reason;
            log('refused the event: CloudFormation does not show it', { ...labels.fields, reason });
          });
        },
        { workEndsBy },
      );
      answer = { ...base(event), Status: 'SUCCESS', PhysicalResourceId: result.PhysicalResourceId };
      if (result.Data !== undefined) answer = { ...answer, Data: result.Data };
    } catch (error) {
      answer = {
        ...base(event),
        Status: 'FAILED',
        // A refusal's fixed text; otherwise the wrapper's message: already redacted (see `runInvocation`).
        Reason:
          refused !== undefined
            ? REFUSED_REASON
            : truncate(error instanceof HandlerError ? error.message : `${labels.operation} failed`),
        PhysicalResourceId: failedPhysicalId(event, kind, failure),
      };
    }
    const sender =
      send ??
      ((url: string, response: CloudFormationResponse) =>
        putResponse(url, response, {
          // Only CloudFormation's response bucket of the function's own region gets the answer.
          location: functionLocation(context?.invokedFunctionArn, process.env.AWS_REGION),
          remainingMs: () => (context?.getRemainingTimeInMillis?.() ?? 60_000) - RETURN_MARGIN_MS,
        }));
    try {
      await sender(event.ResponseURL, answer);
      log(`answered ${answer.Status}`, labels.fields);
    } catch (error) {
      log('could not answer CloudFormation', { ...labels.fields, error: errorMessage(error) });
    }
    return answer;
  };
}

/** The work of `kind` on the event its attestation gives, or a refusal (`onRefused` hears why first). */
async function attestThenDispatch<Props extends object>(
  kind: CustomResourceKind<Props>,
  event: CustomResourceEvent<Props>,
  invocation: Invocation,
  failure: FailureAnswer,
  onRefused: (reason: RefusalReason) => void,
): Promise<CustomResourceResponse> {
  const attested = await kind.attest(event, invocation);
  if (attested.refused !== undefined) {
    onRefused(attested.refused);
    throw new HandlerError(`refused: ${attested.refused}`);
  }
  return kind.dispatch(attested.event, invocation, failure);
}

function base(event: { StackId: string; RequestId: string; LogicalResourceId: string }) {
  return {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
  };
}

/** The physical ID of a FAILED answer: a Create's as its kind decides, else the event's own. */
function failedPhysicalId<Props extends object>(
  event: CustomResourceEvent<Props>,
  kind: CustomResourceKind<Props>,
  failure: FailureAnswer,
): string {
  if (event.RequestType !== 'Create') {
    const id = stringOrUndefined((event as { PhysicalResourceId?: unknown }).PhysicalResourceId);
    if (id) return id;
  }
  return failure.physicalResourceId || kind.createFailedPhysicalId(event);
}

function truncate(reason: string): string {
  return reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 3)}...`;
}

/**
 * When CloudFormation gives up waiting for the answer to `event` (epoch ms), as far as its
 * `ResponseURL` tells; Infinity when it tells nothing. After it, CloudFormation has moved on (a
 * failed Create is being rolled back, its Delete may already have run): a late delivery of the
 * event must change nothing. The earliest of:
 *
 * - a SigV4 URL's signing time (`X-Amz-Date`) plus the resource's `ServiceTimeout` (in
 *   `CFN_SERVICE_TIMEOUT_SECONDS`): when CloudFormation stops waiting. A signing time in the future
 *   counts as now (a clock CloudFormation does not have cannot buy a forged event more time).
 * - a SigV4 URL's expiry (`X-Amz-Date` plus `X-Amz-Expires` seconds), and a SigV2 URL's `Expires`
 *   (epoch seconds): when S3 stops taking the answer. This bounds only how late an answer can still
 *   land, not when CloudFormation gave up: the URL's lifetime is not the `ServiceTimeout`
 *   (CloudFormation's SigV4 URLs live 7200 s, the `ServiceTimeout` is at most 3600 s), and a SigV2
 *   URL carries no signing time to add the `ServiceTimeout` to.
 */
export function cloudFormationGivesUpAt(event: { ResponseURL?: unknown }): number {
  if (typeof event.ResponseURL !== 'string') return Infinity;
  let query: URLSearchParams;
  try {
    query = new URL(event.ResponseURL).searchParams;
  } catch {
    return Infinity;
  }
  const bounds: number[] = [];
  // 20261201T124500Z, as ISO 8601 with separators (anything else parses to NaN).
  const parsed = Date.parse(
    (query.get('X-Amz-Date') ?? '').replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (!Number.isNaN(parsed)) {
    const signed = Math.min(parsed, Date.now());
    const seconds = Number(process.env[SERVICE_TIMEOUT_ENV]);
    if (Number.isFinite(seconds) && seconds > 0) bounds.push(signed + seconds * 1000);
    const lifetime = wholeSeconds(query.get('X-Amz-Expires'));
    if (lifetime !== undefined) bounds.push(signed + lifetime * 1000);
  }
  const expires = wholeSeconds(query.get('Expires'));
  if (expires !== undefined) bounds.push(expires * 1000);
  return Math.min(Infinity, ...bounds);
}

/** `value` as a whole number of seconds, if it is one (digits only, at most 12 of them). */
function wholeSeconds(value: string | null): number | undefined {
  return value !== null && /^\d{1,12}$/.test(value) ? Number(value) : undefined;
}

/** The error for a `RequestType` other than Create, Update or Delete. */
export function unknownRequestType(requestType: unknown): HandlerError {
  return new HandlerError(`unknown RequestType ${JSON.stringify(requestType)}; expected Create, Update or Delete`);
}
