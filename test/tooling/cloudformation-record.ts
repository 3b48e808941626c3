/**
 * What CloudFormation's record shows at the moment each custom-resource event is sent: one
 * observation per event, read with `DescribeStackResource` (the event's logical ID) and
 * `DescribeStacks` (its stack), in the terms the handlers decide on (lambda/runtime/attestation.ts):
 * `MOMENTS` lists what each moment of a genuine sequence shows.
 *
 * The moto driver records these at every event it sends (`DriverOptions.recordCloudFormation`);
 * a run against a real account records the same observations from inside its handler. Comparing
 * both with `compareRecording` shows whether the driver reports the states CloudFormation does.
 */
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { NON_DECIDING_PROPERTIES, PROPERTIES_METADATA_KEY } from '../../lib/handler/contract';

/** The key of a library resource's Metadata that holds its deciding properties. */
export const ATTESTED_PROPERTIES_KEY = PROPERTIES_METADATA_KEY;

/** Properties CloudFormation adds for the function, not the resource's own. */
const NOT_DECIDING = new Set(NON_DECIDING_PROPERTIES);

/**
 * How the record's attested properties (Metadata[ATTESTED_PROPERTIES_KEY]) compare with the event:
 * 'new' = its ResourceProperties, 'old' = its OldResourceProperties (checked second), 'other' =
 * neither, 'none' = no record, or no attested properties in it.
 */
export type MetadataIs = 'new' | 'old' | 'other' | 'none';

/** What CloudFormation answered about one event, at the moment it was sent. */
export interface CloudFormationObservation {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly logicalId: string;
  /** DescribeStacks' StackStatus, or the error code it answered (e.g. 'ValidationError'). */
  readonly stackStatus: string;
  /** DescribeStackResource's ResourceStatus, or the error code it answered. */
  readonly resourceStatus: string;
  /** Whether the record's PhysicalResourceId is the event's (both absent counts as equal). */
  readonly physicalIdMatches: boolean;
  readonly metadataIs: MetadataIs;
}

/** An expected observation: each field a value, or a list of the values allowed. */
export type ExpectedObservation = {
  readonly [K in keyof CloudFormationObservation]:
    CloudFormationObservation[K] | readonly CloudFormationObservation[K][];
};

type Moment = Omit<ExpectedObservation, 'requestType' | 'logicalId'>;

/**
 * What CloudFormation's record shows at each moment of a genuine sequence (docs/security.md, "Attested events").
 * During an Update AWS does not document which properties the record shows, so both are allowed.
 */
export const MOMENTS = {
  createFirstDeploy: {
    stackStatus: 'CREATE_IN_PROGRESS',
    resourceStatus: 'CREATE_IN_PROGRESS',
    physicalIdMatches: true,
    metadataIs: 'new',
  },
  createInUpdate: {
    stackStatus: 'UPDATE_IN_PROGRESS',
    resourceStatus: 'CREATE_IN_PROGRESS',
    physicalIdMatches: true,
    metadataIs: 'new',
  },
  update: {
    stackStatus: 'UPDATE_IN_PROGRESS',
    resourceStatus: 'UPDATE_IN_PROGRESS',
    physicalIdMatches: true,
    metadataIs: ['new', 'old'],
  },
  // Which rollback status a resource shows while CloudFormation updates it back is not documented
  // (the handlers accept both; the driver shows UPDATE_IN_PROGRESS).
  rollbackUpdate: {
    stackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS',
    resourceStatus: ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS'],
    physicalIdMatches: true,
    metadataIs: ['new', 'old'],
  },
  deleteRemoved: {
    stackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    resourceStatus: 'DELETE_IN_PROGRESS',
    physicalIdMatches: true,
    metadataIs: 'new',
  },
  deleteReplaced: {
    stackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    resourceStatus: 'UPDATE_COMPLETE',
    physicalIdMatches: false,
    metadataIs: 'other',
  },
  rollbackDeleteCreated: {
    stackStatus: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
    resourceStatus: 'DELETE_IN_PROGRESS',
    physicalIdMatches: true,
    metadataIs: 'new',
  },
  rollbackDeleteReplacement: {
    stackStatus: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
    resourceStatus: 'UPDATE_COMPLETE',
    physicalIdMatches: false,
    metadataIs: 'other',
  },
  rollbackDeleteFailedCreate: {
    stackStatus: 'ROLLBACK_IN_PROGRESS',
    resourceStatus: ['DELETE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'],
    physicalIdMatches: true,
    metadataIs: 'new',
  },
  stackDelete: {
    stackStatus: 'DELETE_IN_PROGRESS',
    resourceStatus: 'DELETE_IN_PROGRESS',
    physicalIdMatches: true,
    metadataIs: 'new',
  },
} as const satisfies Record<string, Moment>;

/** One expected observation: `moment` of MOMENTS for an event of `requestType` to `logicalId`. */
export function expectAt(
  requestType: CloudFormationObservation['requestType'],
  logicalId: string,
  moment: Moment,
): ExpectedObservation {
  return { requestType, logicalId, ...moment };
}

/** The event fields an observation reads. */
export interface ObservedEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/** What DescribeStackResource answered (the detail's fields used), or its error code. */
export type ResourceAnswer =
  | { readonly ResourceStatus?: string; readonly PhysicalResourceId?: string; readonly Metadata?: string }
  | { readonly error: string };

/** What DescribeStacks answered (the stack's status), or its error code. */
export type StackAnswer = { readonly StackStatus?: string } | { readonly error: string };

/** The observation of `event` from CloudFormation's two answers. */
export function observe(event: ObservedEvent, resource: ResourceAnswer, stack: StackAnswer): CloudFormationObservation {
  const base = {
    requestType: event.RequestType,
    logicalId: event.LogicalResourceId,
    stackStatus: 'error' in stack ? stack.error : String(stack.StackStatus),
  };
  if ('error' in resource) {
    return { ...base, resourceStatus: resource.error, physicalIdMatches: false, metadataIs: 'none' };
  }
  return {
    ...base,
    resourceStatus: String(resource.ResourceStatus),
    physicalIdMatches: (resource.PhysicalResourceId ?? null) === (event.PhysicalResourceId ?? null),
    metadataIs: metadataIs(resource.Metadata, event),
  };
}

function metadataIs(metadata: string | undefined, event: ObservedEvent): MetadataIs {
  if (metadata === undefined) return 'none';
  let attested: unknown;
  try {
    attested = (JSON.parse(metadata) as Record<string, unknown>)[ATTESTED_PROPERTIES_KEY];
  } catch {
    return 'none';
  }
  if (attested === undefined) return 'none';
  const key = canonical(attested);
  if (key === canonical(deciding(event.ResourceProperties))) return 'new';
  if (event.OldResourceProperties && key === canonical(deciding(event.OldResourceProperties))) return 'old';
  return 'other';
}

/** A resource's properties without the ones CloudFormation adds for the function. */
export function deciding(properties: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(properties).filter(([key]) => !NOT_DECIDING.has(key)));
}

/** JSON with object keys sorted, so that equal values give equal text. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.keys(v as Record<string, unknown>)
        .sort()
        .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
    );
  };
  return JSON.stringify(sort(value));
}

/**
 * Asks CloudFormation (through `client`) what it records for `event` of stack `stackId` now:
 * DescribeStackResource and DescribeStacks, as the handlers ask.
 */
export async function describeForEvent(
  client: CloudFormationClient,
  stackId: string,
  event: ObservedEvent,
): Promise<CloudFormationObservation> {
  const code = (error: unknown): string => {
    if (error instanceof Error && error.name) return error.name;
    throw error;
  };
  const resource: ResourceAnswer = await client
    .send(new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: event.LogicalResourceId }))
    .then(
      (answer) => answer.StackResourceDetail ?? { error: 'NoDetail' },
      (error: unknown) => ({ error: code(error) }),
    );
  const stack: StackAnswer = await client.send(new DescribeStacksCommand({ StackName: stackId })).then(
    (answer) => answer.Stacks?.[0] ?? { error: 'NoStack' },
    (error: unknown) => ({ error: code(error) }),
  );
  return observe(event, resource, stack);
}

/**
 * The differences between an expected and an actual recording, one line each (empty when they
 * agree): a missing or extra observation, or a field whose value is not one of those allowed.
 */
export function compareRecording(
  expected: readonly ExpectedObservation[],
  actual: readonly CloudFormationObservation[],
): string[] {
  const differences: string[] = [];
  const label = (o: { requestType: unknown; logicalId: unknown }, i: number) =>
    `#${i + 1} ${String(o.requestType)} ${String(o.logicalId)}`;
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const want = expected[i];
    const got = actual[i];
    if (!want) {
      differences.push(`${label(got, i)}: not expected (${JSON.stringify(got)})`);
      continue;
    }
    if (!got) {
      differences.push(`${label(want, i)}: expected, not recorded`);
      continue;
    }
    for (const field of Object.keys(want) as (keyof CloudFormationObservation)[]) {
      const allowed = want[field];
      const ok = Array.isArray(allowed) ? allowed.includes(got[field]) : allowed === got[field];
      if (!ok) {
        differences.push(
          `${label(want, i)}: ${field} is ${JSON.stringify(got[field])}, expected ${JSON.stringify(allowed)}`,
        );
      }
    }
  }
  return differences;
}
