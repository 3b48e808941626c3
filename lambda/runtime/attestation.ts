/**
 * Attested events: a custom-resource handler acts only on an event CloudFormation itself is
 * sending, for a resource of the function's own stack, and takes whom and where from
 * CloudFormation's record of that resource rather than from the event.
 *
 * Why: anyone allowed `lambda:InvokeFunction` on the handler (PowerUserAccess is) can send it an
 * event of their own making, and the handler is a deputy with IAM and Secrets Manager permissions
 * on every user and secret of its stack. So before any IAM or Secrets Manager call, the handler
 * asks CloudFormation (`DescribeStackResource` on its own stack, the event's logical ID) and
 * accepts only the combinations a deployment produces (see `decide`): the state that matches the
 * request type, the physical ID, and the properties the resource carries in its `Metadata`
 * (`PROPERTIES_METADATA_KEY`; CloudFormation resolves references there). Anything else is refused
 * with a reason code in the log and one fixed `Reason` in the answer.
 *
 * `decide` and `decideCleanup` are pure (tested on their own); `attestEvent` makes the calls.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { NON_DECIDING_PROPERTIES, PROPERTIES_METADATA_KEY } from '../../lib/handler/contract';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import * as cfn from '../aws/cloudformation';
import { errorName } from './errors';
import type { Invocation } from './invocation';
import { log } from './log';
import { RETRY, retryDelay, retryOn } from './retry';

/** Why an event was refused: one code per check, logged (field `reason`), never sent to the caller. */
export type RefusalReason =
  /** The event's `StackId` is not the function's own stack (or the function does not know its stack). */
  | 'foreign-stack'
  /** The event's `ResourceType`, or the type CloudFormation records for its logical ID, is not the handler's. */
  | 'wrong-resource-type'
  /** The stack has no resource of the event's logical ID. */
  | 'no-such-resource'
  /** The resource is not in the state CloudFormation gives it while it sends this request type. */
  | 'not-in-progress'
  /** The event's physical ID is not the one CloudFormation records (and no Delete of a replaced one can explain it). */
  | 'physical-id-mismatch'
  /** A Create whose record carries no properties to check it against (a resource without the library's metadata). */
  | 'no-recorded-properties'
  /** The record's properties are neither the event's new nor (for an Update) its old ones. */
  | 'record-contradicts-event'
  /** An Update's old user is neither the recorded physical ID nor its new user. */
  | 'old-user-not-recorded'
  /** A Delete of a replaced physical ID outside the stack's cleanup phase. */
  | 'not-cleanup-phase'
  /** An Update that changes what the record must attest, whose record kept showing the old properties (or none). */
  | 'record-not-current'
  /** CloudFormation could not be asked in time (throttled, failing, denied, or the deadline came). */
  | 'cannot-verify';

/**
 * The `Reason` of every refused event. Fixed: it names no resource and carries no error text, so
 * a forged event learns nothing from its answer. The function's log has the reason code.
 */
export const REFUSED_REASON =
  "Refused: CloudFormation does not show this event for a resource of the function's own stack, so the function changed nothing (its log names the check that failed)";

/**
 * The resource statuses in which CloudFormation sends each request type. `ResourceStatus` (API
 * reference, `StackResourceDetail`) has rollback values besides the three obvious ones, and which
 * of them a resource shows while CloudFormation rolls it back is not documented:
 * - Update: `UPDATE_IN_PROGRESS`, or `UPDATE_ROLLBACK_IN_PROGRESS` (an update rollback updates
 *   the resource back to its previous properties: it is an Update too).
 * - Delete: `DELETE_IN_PROGRESS`, or `ROLLBACK_IN_PROGRESS` (the rollback of a failed stack
 *   creation only deletes what it created). Not `UPDATE_ROLLBACK_IN_PROGRESS`: during an update
 *   rollback CloudFormation may be updating the resource back rather than deleting it, and a
 *   Delete accepted then would remove a profile the rollback restores.
 */
export const REQUEST_STATUSES: Readonly<Record<'Create' | 'Update' | 'Delete', ReadonlySet<string>>> = {
  Create: new Set(['CREATE_IN_PROGRESS']),
  Update: new Set(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS']),
  Delete: new Set(['DELETE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS']),
};

/** The stack statuses during which CloudFormation deletes replaced physical resources. */
export const CLEANUP_STATUSES: ReadonlySet<string> = new Set([
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
]);

/**
 * A resource's deciding properties (strings, as CloudFormation sends Properties; whatever JSON a
 * malformed record holds is passed on for the work's parser to refuse, as it refuses an event's).
 */
export type RecordedProperties = Readonly<Record<string, unknown>>;

/** CloudFormation's record of the event's logical ID, as the decisions read it. */
export interface ResourceRecord {
  readonly resourceType?: string;
  readonly status?: string;
  readonly physicalResourceId?: string;
  /** The properties under `PROPERTIES_METADATA_KEY` of the resource's metadata; undefined when absent or unreadable. */
  readonly properties?: RecordedProperties;
}

/** How one kind of custom resource is attested: its type, and what each side of an Update may decide. */
export interface AttestationRules {
  /** The CloudFormation resource type of the kind (`Custom::...`). */
  readonly resourceType: string;
  /**
   * An Update whose record shows the new properties: the old properties the work may act on
   * (they are not attested), or a refusal. @default the event's old properties, unchecked
   */
  readonly oldSide?: (
    old: RecordedProperties,
    next: RecordedProperties,
    physicalResourceId: string,
  ) => RecordedProperties | RefusalReason;
  /**
   * An Update whose record shows the old properties: the new properties the work may act on
   * without their being attested, or `undefined` when the work needs the record to show them.
   */
  readonly unattestedUpdate: (
    old: RecordedProperties,
    next: RecordedProperties,
    physicalResourceId: string,
  ) => RecordedProperties | undefined;
  /**
   * A Delete of a replaced physical resource (in the stack's cleanup phase, the record already
   * shows its successor): the properties the work acts on, from the successor's recorded ones.
   * @default - the kind never replaces its physical resource: such a Delete is refused
   */
  readonly replacedDelete?: (current: RecordedProperties | undefined) => RecordedProperties;
}

/** A custom-resource event, with properties as CloudFormation sends them. */
export type AnyCustomResourceEvent = CloudFormationCustomResourceEvent<
  Record<string, unknown> & { ServiceToken: string }
>;

/** The outcome of attestation: the event the work may act on, or the reason it was refused. */
export type Attested<E> = { readonly event: E; readonly refused?: undefined } | { readonly refused: RefusalReason };

/** What `decide` concludes from one reading of the record. */
export type Decision<E> =
  | { readonly kind: 'accept'; readonly event: E }
  | { readonly kind: 'refuse'; readonly reason: RefusalReason }
  /** An Update whose record shows the old properties while the work needs the new ones: read again. */
  | { readonly kind: 'read-again' }
  /** A Delete of a replaced physical resource: accepted only during the stack's cleanup phase. */
  | { readonly kind: 'check-cleanup'; readonly event: E };

/**
 * The checks that need no call: the event is of the function's own stack (`ownStackId`, the
 * function's `CDK_CONSOLE_USERS_STACK_ID`) and of the handler's resource type.
 */
export function precheck(
  rules: AttestationRules,
  event: { readonly StackId?: unknown; readonly ResourceType?: unknown },
  ownStackId: string | undefined,
): RefusalReason | undefined {
  if (!ownStackId || event.StackId !== ownStackId) return 'foreign-stack';
  if (event.ResourceType !== rules.resourceType) return 'wrong-resource-type';
  return undefined;
}

/**
 * Decides `event` from CloudFormation's `record` of its logical ID (undefined: no such resource).
 * The accepted event carries the recorded properties in place of the event's.
 */
export function decide<E extends AnyCustomResourceEvent>(
  rules: AttestationRules,
  event: E,
  record: ResourceRecord | undefined,
): Decision<E> {
  const refuse = (reason: RefusalReason): Decision<E> => ({ kind: 'refuse', reason });
  if (record === undefined) return refuse('no-such-resource');
  if (record.resourceType !== rules.resourceType) return refuse('wrong-resource-type');
  const recorded = record.properties;
  switch (event.RequestType) {
    case 'Create': {
      if (!REQUEST_STATUSES.Create.has(record.status ?? '')) return refuse('not-in-progress');
      if (recorded === undefined) return refuse('no-recorded-properties');
      if (!sameProperties(recorded, event.ResourceProperties)) return refuse('record-contradicts-event');
      return {
        kind: 'accept',
        event: { ...event, ResourceProperties: withDeciding(event.ResourceProperties, recorded) },
      };
    }
    case 'Update': {
      if (!REQUEST_STATUSES.Update.has(record.status ?? '')) return refuse('not-in-progress');
      const physicalResourceId = event.PhysicalResourceId;
      if (record.physicalResourceId !== physicalResourceId) return refuse('physical-id-mismatch');
      // No properties recorded: the record may still show the metadata from before this Update (a
      // resource of a library version that wrote none). Only the new metadata can attest it.
      if (recorded === undefined) return { kind: 'read-again' };
      if (sameProperties(recorded, event.ResourceProperties)) {
        const sentOld = decidingOf(event.OldResourceProperties);
        const old = rules.oldSide ? rules.oldSide(sentOld, recorded, physicalResourceId) : sentOld;
        if (typeof old === 'string') return refuse(old);
        return {
          kind: 'accept',
          event: {
            ...event,
            ResourceProperties: withDeciding(event.ResourceProperties, recorded),
            OldResourceProperties: withDeciding(event.OldResourceProperties, old),
          },
        };
      }
      if (sameProperties(recorded, event.OldResourceProperties)) {
        const next = rules.unattestedUpdate(recorded, decidingOf(event.ResourceProperties), physicalResourceId);
        if (next === undefined) return { kind: 'read-again' };
        return {
          kind: 'accept',
          event: {
            ...event,
            ResourceProperties: withDeciding(event.ResourceProperties, next),
            OldResourceProperties: withDeciding(event.OldResourceProperties, recorded),
          },
        };
      }
      return refuse('record-contradicts-event');
    }
    case 'Delete': {
      // A record without a physical ID (a Create that never gave one) has no other to be replaced by.
      if (record.physicalResourceId === undefined || record.physicalResourceId === event.PhysicalResourceId) {
        if (!REQUEST_STATUSES.Delete.has(record.status ?? '')) return refuse('not-in-progress');
        // The properties of the record (none when it has none: the work then acts on the physical ID alone).
        return {
          kind: 'accept',
          event: { ...event, ResourceProperties: withDeciding(event.ResourceProperties, recorded ?? {}) },
        };
      }
      if (rules.replacedDelete === undefined) return refuse('physical-id-mismatch');
      return {
        kind: 'check-cleanup',
        event: { ...event, ResourceProperties: withDeciding(event.ResourceProperties, rules.replacedDelete(recorded)) },
      };
    }
    default:
      // Not a request CloudFormation sends: the work refuses it without any call (`unknownRequestType`).
      return { kind: 'accept', event };
  }
}

/** Whether a Delete of a replaced physical resource may go ahead, given the stack's status. */
export function decideCleanup(stackStatus: string | undefined): RefusalReason | undefined {
  return stackStatus !== undefined && CLEANUP_STATUSES.has(stackStatus) ? undefined : 'not-cleanup-phase';
}

/**
 * The properties recorded in `metadata` (the resource's whole `Metadata` attribute as JSON text)
 * under `PROPERTIES_METADATA_KEY`; undefined when there are none, or they are not an object.
 */
export function recordedProperties(metadata: string | undefined): RecordedProperties | undefined {
  if (metadata === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  const value = isObject(parsed) ? parsed[PROPERTIES_METADATA_KEY] : undefined;
  return isObject(value) ? value : undefined;
}

/**
 * Whether the event's `sent` properties (none: an empty set) are the `recorded` ones: the same
 * deciding fields (all but `NON_DECIDING_PROPERTIES`) with the same values, scalars compared as
 * the strings CloudFormation sends, anything else as JSON.
 */
export function sameProperties(recorded: RecordedProperties, sent: unknown): boolean {
  if (sent !== undefined && !isObject(sent)) return false;
  const given = sent ?? {};
  const keys = new Set([...Object.keys(recorded), ...Object.keys(given)]);
  for (const key of keys) {
    if (NON_DECIDING_PROPERTIES.includes(key)) continue;
    if (comparable(recorded[key]) !== comparable(given[key])) return false;
  }
  return true;
}

/** A property value as compared: absent, a scalar's string, or JSON (marked, so "1" and [1] differ). */
function comparable(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return `s:${String(value)}`;
  return `j:${JSON.stringify(value)}`;
}

/**
 * Asks CloudFormation whether it is sending `event` (see `decide`), within the invocation's
 * deadline: throttling and server errors are retried (`RETRY.cloudFormation`), and an Update whose
 * record shows the old properties is read again (`RETRY.recordCurrent`) when the work needs the new.
 * Makes no call for an event `precheck` refuses.
 */
export async function attestEvent<E extends AnyCustomResourceEvent>(
  rules: AttestationRules,
  event: E,
  inv: Invocation,
): Promise<Attested<E>> {
  const early = precheck(rules, event, process.env[STACK_ID_ENV]);
  if (early !== undefined) return { refused: early };
  // Not a request CloudFormation sends: the work refuses it without any call (`unknownRequestType`).
  if (!['Create', 'Update', 'Delete'].includes(event.RequestType)) return { event };
  const stackId = event.StackId;
  // What the record showed at the last reading: logged once per event (see `observe`).
  let seen: { record: ResourceRecord | undefined; stackStatus?: string } | undefined;
  const done = (result: Attested<E>): Attested<E> => {
    if (seen) observe(event, seen.record, seen.stackStatus);
    return result;
  };
  try {
    for (let reading = 1; ; reading++) {
      const found = await retryOn(
        () => cfn.describeStackResource(inv.deadline, stackId, event.LogicalResourceId),
        RETRY.cloudFormation,
        inv.clock,
      );
      const record = found && { ...found, properties: recordedProperties(found.metadata) };
      seen = { record };
      const decision = decide(rules, event, record);
      switch (decision.kind) {
        case 'accept':
          return done({ event: decision.event });
        case 'refuse':
          return done({ refused: decision.reason });
        case 'check-cleanup': {
          const status = await retryOn(() => cfn.stackStatus(inv.deadline, stackId), RETRY.cloudFormation, inv.clock);
          seen = { record, stackStatus: status ?? 'none' };
          const refused = decideCleanup(status);
          return done(refused === undefined ? { event: decision.event } : { refused });
        }
        case 'read-again': {
          const delay = retryDelay(RETRY.recordCurrent, reading, () => inv.clock.random());
          if (reading >= RETRY.recordCurrent.attempts || inv.clock.remainingMs() < delay) {
            return done({ refused: 'record-not-current' });
          }
          await inv.clock.sleep(delay);
        }
      }
    }
  } catch (error) {
    log("could not read CloudFormation's record of the resource", {
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      error: errorName(error),
    });
    return { refused: 'cannot-verify' };
  }
}

/**
 * Logs what CloudFormation's record showed for `event` (one line per event, message
 * `attestation`): the resource's status, the stack's when it was read, whether the physical ID was
 * the event's, and whose properties the record carried. Names, ARNs and properties stay out of the
 * line (a refusal's reason code has a line of its own); a maintainer's run in a real account collects these lines to compare CloudFormation's
 * answers with the test driver's (`npm run integ:deploy`).
 */
function observe(
  event: AnyCustomResourceEvent,
  record: ResourceRecord | undefined,
  stackStatus: string | undefined,
): void {
  const physicalResourceId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;
  log('attestation', {
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    resourceStatus: record === undefined ? 'none' : (record.status ?? 'none'),
    stackStatus,
    physicalIdMatches: String(record !== undefined && record.physicalResourceId === physicalResourceId),
    metadataIs: metadataIs(record?.properties, event),
  });
}

/** Whose properties `recorded` are: the event's new ones, its old ones (an Update), neither, or none. */
export function metadataIs(
  recorded: RecordedProperties | undefined,
  event: AnyCustomResourceEvent,
): 'new' | 'old' | 'other' | 'none' {
  if (recorded === undefined) return 'none';
  if (sameProperties(recorded, event.ResourceProperties)) return 'new';
  if (event.RequestType === 'Update' && sameProperties(recorded, event.OldResourceProperties)) return 'old';
  return 'other';
}

/** The deciding properties of `properties` (an event's). */
function decidingOf(properties: unknown): RecordedProperties {
  const result: Record<string, unknown> = {};
  if (!isObject(properties)) return result;
  for (const [key, value] of Object.entries(properties)) {
    if (!NON_DECIDING_PROPERTIES.includes(key) && value !== undefined) result[key] = value;
  }
  return result;
}

/**
 * The event's non-deciding properties (its service token, ...) with `deciding` in place of the
 * rest. An event without properties keeps none (the work refuses such an event as it is).
 */
function withDeciding<P>(sent: P, deciding: RecordedProperties): P {
  if (!isObject(sent)) return sent;
  const kept: Record<string, unknown> = {};
  for (const key of NON_DECIDING_PROPERTIES) if (key in sent) kept[key] = sent[key];
  return { ...kept, ...deciding } as P;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
