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
}

const ALLOWED: ReadonlyArray<keyof LogFields> = [
  'requestType',
  'logicalResourceId',
  'userName',
  'action',
  'secretVersionId',
  'error',
  'step',
  'reason',
];

export function log(message: string, fields: LogFields = {}): void {
  const entry: Record<string, string> = { message };
  for (const key of ALLOWED) {
    const value = fields[key];
    if (value !== undefined) entry[key] = value;
  }
  console.log(JSON.stringify(entry));
}
