/**
 * Structured logging with an allow-list: only the fields named here can reach the logs,
 * so an event, a secret string or a password can never be logged by accident.
 */
export interface LogFields {
  readonly requestType?: string;
  readonly logicalResourceId?: string;
  readonly userName?: string;
  readonly action?: string;
  readonly secretVersionId?: string;
  readonly error?: string;
  readonly step?: string;
  /** Why an event was refused (a reason code of `attestation.ts`). */
  readonly reason?: string;
  /** What CloudFormation's record showed for the event (`attestation.ts`): the resource's status, */
  readonly resourceStatus?: string;
  /** the stack's status (when it was read), */
  readonly stackStatus?: string;
  /** whether the record's physical ID was the event's ("true"/"false"), */
  readonly physicalIdMatches?: string;
  /** and whose properties the record carried: "new", "old", "other" or "none". */
  readonly metadataIs?: string;
}

/** The allow-list: the only fields a log line carries besides its `message`. */
export const LOG_FIELDS: ReadonlyArray<keyof LogFields> = [
  'requestType',
  'logicalResourceId',
  'userName',
  'action',
  'secretVersionId',
  'error',
  'step',
  'reason',
  'resourceStatus',
  'stackStatus',
  'physicalIdMatches',
  'metadataIs',
];

export function log(message: string, fields: LogFields = {}): void {
  const entry: Record<string, string> = { message };
  for (const key of LOG_FIELDS) {
    const value = fields[key];
    if (value !== undefined) entry[key] = value;
  }
  console.log(JSON.stringify(entry));
}
