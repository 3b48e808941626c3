/**
 * What the real-account sequences record, and what they expect: the handlers' `attestation` log
 * lines (one per event, what CloudFormation's record showed when the handler asked), parsed into
 * observations, each labelled with the step and the moment of the sequence it belongs to, and
 * compared with the moments the moto driver models (`MOMENTS` of test/tooling/cloudformation-record.ts).
 *
 * Pure: no AWS call. `run.ts` reads the log lines and writes the recording; the tests feed
 * fixtures.
 */
import { MOMENTS as DRIVER_MOMENTS } from '../../tooling/cloudformation-record';
import type { SequenceLogicalIds } from './app';

/** How the record's attested properties compare with the event (see the handler's attestation). */
export type MetadataIs = 'new' | 'old' | 'other' | 'none';

export type RequestType = 'Create' | 'Update' | 'Delete';

/**
 * What CloudFormation answered about one event when the handler asked, as the handler logged it.
 * `stackStatus` is there only when the handler asked `DescribeStacks` (some Deletes); `reason` is
 * the handler's code when it refused the event.
 */
export interface RecordedObservation {
  readonly requestType: RequestType;
  readonly logicalId: string;
  readonly stackStatus?: string;
  readonly resourceStatus: string;
  readonly physicalIdMatches: boolean;
  readonly metadataIs: MetadataIs;
  readonly reason?: string;
}

/** One observation with the time CloudWatch Logs recorded it (milliseconds since the epoch). */
export interface TimedObservation extends RecordedObservation {
  readonly timestamp: number;
}

/** An expected value: one value, or the list of those allowed. */
type Allowed<T> = T | readonly T[];

/** What CloudFormation's record shows at one moment of a genuine sequence. */
export interface Moment {
  readonly stackStatus: Allowed<string>;
  readonly resourceStatus: Allowed<string>;
  readonly physicalIdMatches: Allowed<boolean>;
  readonly metadataIs: Allowed<MetadataIs>;
}

/**
 * The moments of the moto driver's model: the real-account recording is compared with these, so
 * that a difference between CloudFormation and the driver shows up in the maintainer's run.
 */
export const MOMENTS: Record<keyof typeof DRIVER_MOMENTS, Moment> = DRIVER_MOMENTS;

export type MomentName = keyof typeof MOMENTS;

/** The steps of the sequences, in the order the runner takes them. */
export const STEP_NAMES = [
  'create',
  'update',
  'rename',
  'move',
  'failedUpdate',
  'stackDelete',
  'failedFirstDeploy',
] as const;

export type StepName = (typeof STEP_NAMES)[number];

/** One event a step must send, and the moment it is sent at. */
export interface ExpectedEvent {
  readonly requestType: RequestType;
  readonly logicalId: string;
  readonly moment: MomentName;
}

/**
 * The events each step sends to the library's handlers, in the order CloudFormation sends the
 * events of one logical ID (events of different logical IDs may interleave: CloudFormation
 * works on independent resources in parallel).
 */
export function expectedEvents(ids: SequenceLogicalIds): Record<StepName, readonly ExpectedEvent[]> {
  const e = (requestType: RequestType, logicalId: string, moment: MomentName): ExpectedEvent => ({
    requestType,
    logicalId,
    moment,
  });
  return {
    create: [
      e('Create', ids.policy, 'createFirstDeploy'),
      e('Create', ids.resetProfile, 'createFirstDeploy'),
      e('Create', ids.plainProfile, 'createFirstDeploy'),
      e('Create', ids.vendorProfile, 'createFirstDeploy'),
    ],
    update: [
      e('Update', ids.policy, 'update'),
      e('Update', ids.resetProfile, 'update'),
      e('Update', ids.plainProfile, 'update'),
      e('Update', ids.vendorProfile, 'update'),
    ],
    rename: [e('Update', ids.plainProfile, 'update'), e('Delete', ids.plainProfile, 'deleteReplaced')],
    move: [e('Create', ids.movedVendorProfile, 'createInUpdate'), e('Delete', ids.vendorProfile, 'deleteRemoved')],
    failedUpdate: [
      e('Create', ids.extraProfile, 'createInUpdate'),
      e('Update', ids.plainProfile, 'update'),
      e('Update', ids.plainProfile, 'rollbackUpdate'),
      e('Delete', ids.extraProfile, 'rollbackDeleteCreated'),
      e('Delete', ids.plainProfile, 'rollbackDeleteReplacement'),
    ],
    stackDelete: [
      e('Delete', ids.policy, 'stackDelete'),
      e('Delete', ids.resetProfile, 'stackDelete'),
      e('Delete', ids.plainProfile, 'stackDelete'),
      e('Delete', ids.movedVendorProfile, 'stackDelete'),
    ],
    failedFirstDeploy: [
      e('Create', ids.heldProfile, 'createFirstDeploy'),
      e('Create', ids.missingProfile, 'createFirstDeploy'),
      e('Delete', ids.missingProfile, 'rollbackDeleteFailedCreate'),
      e('Delete', ids.heldProfile, 'rollbackDeleteFailedCreate'),
    ],
  };
}

/** A log event as FilterLogEvents returns it (the fields used). */
export interface LogEvent {
  readonly timestamp?: number;
  readonly message?: string;
}

const REQUEST_TYPES: readonly string[] = ['Create', 'Update', 'Delete'];
const METADATA_IS: readonly string[] = ['new', 'old', 'other', 'none'];

/**
 * The attestation entry in one log message, or undefined when the message is not one. Lambda's
 * Node.js runtime prefixes `console.log` lines with the time, request ID and level (text log
 * format), or wraps them in a JSON object whose `message` is the line (JSON log format).
 */
function attestationEntry(message: string): Record<string, unknown> | undefined {
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.slice(start));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const entry = parsed as Record<string, unknown>;
  if (entry.message === 'attestation') return entry;
  if (typeof entry.message === 'string') return attestationEntry(entry.message);
  return undefined;
}

/**
 * The observation logged in `event`, or undefined when it is not an attestation line. Only the
 * listed fields are read. Throws, naming the field, when an attestation line lacks one or holds a
 * value outside its set.
 */
export function parseAttestation(event: LogEvent): TimedObservation | undefined {
  const entry = attestationEntry(event.message ?? '');
  if (entry === undefined) return undefined;
  const field = (name: string, allowed?: readonly string[]): string => {
    const value = entry[name];
    if (typeof value !== 'string' || (allowed && !allowed.includes(value))) {
      throw new Error(
        `attestation line at ${event.timestamp}: '${name}' must be ${allowed ? `one of ${allowed.join(', ')}` : 'a string'}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const optional = (name: string): string | undefined => (entry[name] === undefined ? undefined : field(name));
  if (typeof event.timestamp !== 'number') throw new Error('attestation line without a timestamp');
  const stackStatus = optional('stackStatus');
  const reason = optional('reason');
  return {
    timestamp: event.timestamp,
    requestType: field('requestType', REQUEST_TYPES) as RequestType,
    logicalId: field('logicalResourceId'),
    ...(stackStatus === undefined ? {} : { stackStatus }),
    resourceStatus: field('resourceStatus'),
    physicalIdMatches: field('physicalIdMatches', ['true', 'false']) === 'true',
    metadataIs: field('metadataIs', METADATA_IS) as MetadataIs,
    ...(reason === undefined ? {} : { reason }),
  };
}

/** The time a step ran (milliseconds since the epoch, both ends included). */
export interface StepWindow {
  readonly step: StepName;
  readonly started: number;
  readonly ended: number;
}

/** An observation labelled with its step and moment (`unexpected` when no expected event matches it). */
export interface LabelledObservation extends RecordedObservation {
  readonly step: StepName | 'outsideSteps';
  readonly moment: MomentName | 'unexpected';
}

/** The outcome of a comparison: every observation labelled, and one line per difference. */
export interface Comparison {
  readonly observations: readonly LabelledObservation[];
  readonly mismatches: readonly string[];
}

const FIELDS = ['stackStatus', 'resourceStatus', 'physicalIdMatches', 'metadataIs'] as const;

const allows = <T>(allowed: Allowed<T>, value: T): boolean =>
  Array.isArray(allowed) ? (allowed as readonly T[]).includes(value) : allowed === value;

/** The observation's fields without its timestamp, in a fixed order. */
function fieldsOf(o: RecordedObservation): RecordedObservation {
  return {
    requestType: o.requestType,
    logicalId: o.logicalId,
    ...(o.stackStatus === undefined ? {} : { stackStatus: o.stackStatus }),
    resourceStatus: o.resourceStatus,
    physicalIdMatches: o.physicalIdMatches,
    metadataIs: o.metadataIs,
    ...(o.reason === undefined ? {} : { reason: o.reason }),
  };
}

/**
 * Labels each observation with the step whose window holds its time, and, within that step, the
 * k-th observation of a logical ID with the k-th expected event of that logical ID; then compares
 * it with that event's moment. Differences name the step, the moment, the event and the field: an
 * expected event not recorded, an observation not expected (or outside every step), a request
 * type out of order, or a field whose value the moment does not allow. `stackStatus` is compared
 * when the handler logged it (it asks `DescribeStacks` only for some Deletes).
 */
export function compareRecording(
  expected: Record<StepName, readonly ExpectedEvent[]>,
  windows: readonly StepWindow[],
  recorded: readonly TimedObservation[],
): Comparison {
  const mismatches: string[] = [];
  const labelled: { readonly timestamp: number; readonly observation: LabelledObservation }[] = [];
  const label = (o: TimedObservation, step: LabelledObservation['step'], moment: LabelledObservation['moment']) =>
    labelled.push({ timestamp: o.timestamp, observation: { ...fieldsOf(o), step, moment } });
  const sorted = [...recorded].sort((a, b) => a.timestamp - b.timestamp);
  const describe = (o: { requestType: string; logicalId: string }) => `${o.requestType} ${o.logicalId}`;

  const byStep = new Map<StepName, TimedObservation[]>();
  for (const o of sorted) {
    const window = windows.find((w) => o.timestamp >= w.started && o.timestamp <= w.ended);
    if (!window) {
      label(o, 'outsideSteps', 'unexpected');
      mismatches.push(`outside every step: ${describe(o)} not expected (${JSON.stringify(fieldsOf(o))})`);
      continue;
    }
    byStep.set(window.step, [...(byStep.get(window.step) ?? []), o]);
  }

  for (const { step } of windows) {
    const actual = byStep.get(step) ?? [];
    const wanted = expected[step];
    const seen = new Map<string, number>();
    for (const o of actual) {
      const k = seen.get(o.logicalId) ?? 0;
      seen.set(o.logicalId, k + 1);
      const want = wanted.filter((w) => w.logicalId === o.logicalId)[k];
      if (!want) {
        label(o, step, 'unexpected');
        mismatches.push(`step ${step}: ${describe(o)} not expected (${JSON.stringify(fieldsOf(o))})`);
        continue;
      }
      label(o, step, want.moment);
      const at = `step ${step}, moment ${want.moment}, ${describe(want)}`;
      if (o.requestType !== want.requestType) {
        mismatches.push(`${at}: requestType is ${JSON.stringify(o.requestType)}, expected "${want.requestType}"`);
        continue;
      }
      const moment: Moment = MOMENTS[want.moment];
      for (const field of FIELDS) {
        const value = o[field];
        if (field === 'stackStatus' && value === undefined) continue;
        if (!allows(moment[field] as Allowed<typeof value>, value)) {
          mismatches.push(
            `${at}: ${field} is ${JSON.stringify(value)}, expected ${JSON.stringify(moment[field])}` +
              (o.reason === undefined ? '' : ` (the handler refused: ${o.reason})`),
          );
        }
      }
    }
    for (const logicalId of new Set(wanted.map((w) => w.logicalId))) {
      const missing = wanted.filter((w) => w.logicalId === logicalId).slice(seen.get(logicalId) ?? 0);
      for (const w of missing)
        mismatches.push(`step ${step}, moment ${w.moment}, ${describe(w)}: expected, not recorded`);
    }
  }
  // A stable sort: observations of one millisecond keep the order they were read in.
  const observations = labelled.sort((a, b) => a.timestamp - b.timestamp).map((l) => l.observation);
  return { observations, mismatches };
}

/** The recording file (test/integ-tests/recordings/<region>-<date>.json). */
export interface RecordingFile {
  readonly format: 'cdk-console-users/cloudformation-recording/1';
  readonly region: string;
  readonly recordedAt: string;
  /** The steps as they ran: their windows and the stack status each ended in. */
  readonly steps: readonly (StepWindow & { readonly stack: string; readonly stackStatus: string })[];
  /** Every observation in the order the handlers logged them, labelled with step and moment. */
  readonly observations: readonly LabelledObservation[];
  readonly mismatches: readonly string[];
}
