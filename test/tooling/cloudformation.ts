/**
 * CloudFormation's record of the driver's stacks, answered on the wire as CloudFormation answers
 * it: `DescribeStackResource` and `DescribeStacks` in the query protocol (XML), for the handlers
 * that check an event with CloudFormation before they act (see test/tooling/driver.ts for when
 * each record changes, and cloudformation-record.ts for what a test reads from it).
 *
 * moto knows nothing of the driver's stacks (the driver plays CloudFormation), so the moto proxy
 * routes CloudFormation's requests to a `CloudFormationService` instead of moto. Each driver
 * registers its `StackModel` there and moves it through the states CloudFormation goes through.
 *
 * Scope, as CloudFormation has it: stacks are regional and belong to one account. A request sees
 * the stacks of the region in its SigV4 credential scope and of the account of its access key
 * (drivers tell the service which account each assumed access key is in; any other key is moto's
 * default account, as moto treats it).
 *
 * Throttling: CloudFormation throttles its API per account and region; it does not publish the
 * rates (AWS re:Post knowledge center, "How do I prevent 'Rate exceeded' errors in
 * CloudFormation?", says to back off and ask for a quota increase; AWS support replies quoted on
 * GitHub call the limits internal). The service models it as a token bucket per account and
 * region over the Describe* calls: see DEFAULT_CLOUDFORMATION_RATE for the numbers assumed.
 */
import { randomUUID } from 'node:crypto';

/** A stack status, e.g. 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'. */
export type StackStatus = string;
/** A resource status, e.g. 'UPDATE_IN_PROGRESS'. */
export type ResourceStatus = string;

/** What CloudFormation records of one resource of a stack. */
export interface ResourceRecord {
  readonly logicalId: string;
  readonly type: string;
  readonly status: ResourceStatus;
  /** Absent while CloudFormation has none yet (a resource being created). */
  readonly physicalId?: string;
  /** The resource's `Metadata` attribute, references resolved, JSON types kept; absent when it has none. */
  readonly metadata?: unknown;
  readonly lastUpdated: Date;
}

/** What a stack's owner sets on a record (the time is set by the model). */
export type ResourceRecordInput = Omit<ResourceRecord, 'logicalId' | 'lastUpdated'>;

/** One stack as CloudFormation records it: its status and a record per logical ID. */
export class StackModel {
  /** Undefined until the stack is created (CloudFormation does not know it yet). */
  public status?: StackStatus;
  public readonly creationTime = new Date();
  private readonly records = new Map<string, ResourceRecord>();

  constructor(
    public readonly stackId: string,
    public readonly stackName: string,
    public readonly account: string,
    public readonly region: string,
  ) {}

  /** The record of `logicalId`, if the stack has one. */
  public record(logicalId: string): ResourceRecord | undefined {
    return this.records.get(logicalId);
  }

  /** Every record, in the order they were first made. */
  public all(): ResourceRecord[] {
    return [...this.records.values()];
  }

  /** Sets the record of `logicalId`. */
  public put(logicalId: string, record: ResourceRecordInput): void {
    const { physicalId, metadata, ...rest } = record;
    this.records.set(logicalId, {
      logicalId,
      ...rest,
      ...(physicalId === undefined ? {} : { physicalId }),
      ...(metadata === undefined ? {} : { metadata }),
      lastUpdated: new Date(),
    });
  }

  /** Changes some fields of the record of `logicalId` (which must exist). */
  public patch(logicalId: string, fields: Partial<ResourceRecordInput>): void {
    const current = this.records.get(logicalId);
    if (!current) throw new Error(`stack ${this.stackName} has no record of ${logicalId}`);
    const { type, status, physicalId, metadata } = current;
    this.put(logicalId, { type, status, physicalId, metadata, ...fields });
  }

  /**
   * For a test that sends `event` straight to a handler: the stack and the event's record as they
   * are while CloudFormation sends it (the moments of `MOMENTS` in cloudformation-record.ts: a Create during the stack's creation,
   * an Update during an update, a Delete during the stack's deletion), with the event's deciding
   * properties in the record's Metadata under `propertiesKey`.
   */
  public sending(
    event: {
      readonly RequestType: string;
      readonly LogicalResourceId: string;
      readonly ResourceType: string;
      readonly PhysicalResourceId?: string;
      readonly ResourceProperties: Record<string, unknown>;
    },
    propertiesKey: string,
  ): void {
    const properties = Object.fromEntries(
      Object.entries(event.ResourceProperties).filter(
        ([key, value]) => key !== 'ServiceToken' && key !== 'ServiceTimeout' && value !== undefined,
      ),
    );
    const base = { type: event.ResourceType, metadata: { [propertiesKey]: properties } };
    switch (event.RequestType) {
      case 'Create':
        this.status = 'CREATE_IN_PROGRESS';
        this.put(event.LogicalResourceId, { ...base, status: 'CREATE_IN_PROGRESS' });
        return;
      case 'Update':
        this.status = 'UPDATE_IN_PROGRESS';
        this.put(event.LogicalResourceId, {
          ...base,
          status: 'UPDATE_IN_PROGRESS',
          physicalId: event.PhysicalResourceId,
        });
        return;
      default:
        this.status = 'DELETE_IN_PROGRESS';
        this.put(event.LogicalResourceId, {
          ...base,
          status: 'DELETE_IN_PROGRESS',
          physicalId: event.PhysicalResourceId,
        });
    }
  }

  /** Removes the record of `logicalId` (CloudFormation no longer knows the resource). */
  public remove(logicalId: string): void {
    this.records.delete(logicalId);
  }
}

/** A token bucket's rate: `perSecond` tokens added per second, at most `burst` kept. */
export interface CloudFormationRate {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * The rate assumed for CloudFormation's Describe* calls per account and region: 10 per second,
 * bursts of 20. AWS publishes no figure. The assumption is on the low side of what people report
 * meeting (a handful of pollers of DescribeStacks in one account are throttled; see the issues of
 * aws-cli #2948 and aws-parallelcluster #329), so that 150 handlers that each call
 * DescribeStackResource at once meet throttling as they could on AWS, and must retry it.
 */
export const DEFAULT_CLOUDFORMATION_RATE: CloudFormationRate = { perSecond: 10, burst: 20 };

/** One CloudFormation request, as the proxy read it. */
export interface CloudFormationRequest {
  readonly action: string;
  readonly params: URLSearchParams;
  /** The access key ID it was signed with. */
  readonly accessKeyId?: string;
  /** The region of its credential scope. */
  readonly region?: string;
}

/** The answer to a CloudFormation request. */
export interface CloudFormationAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** Whether the answer is CloudFormation's throttling error. */
  readonly throttled: boolean;
}

/** What answers CloudFormation's requests (the moto proxy calls it). */
export type CloudFormationResponder = (request: CloudFormationRequest) => CloudFormationAnswer;

/** The account moto treats an unknown access key as. */
const DEFAULT_ACCOUNT = '123456789012';
const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/** The stacks of the driver(s) of one test file, answering CloudFormation's Describe* calls. */
export class CloudFormationService {
  private readonly stacks: StackModel[] = [];
  private readonly accounts = new Map<string, string>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private rate: CloudFormationRate | undefined;

  constructor(options: { readonly rate?: CloudFormationRate | false } = {}) {
    this.rate = options.rate === false ? undefined : (options.rate ?? DEFAULT_CLOUDFORMATION_RATE);
  }

  /** The responder to register with the moto proxy. */
  public readonly responder: CloudFormationResponder = (request) => this.answer(request);

  /** Makes `stack` known (it answers once its status is set); the latest registered wins. */
  public register(stack: StackModel): void {
    const at = this.stacks.indexOf(stack);
    if (at >= 0) this.stacks.splice(at, 1);
    this.stacks.push(stack);
  }

  /** Says which account an access key is in (an assumed role's temporary credentials). */
  public noteCredentials(accessKeyId: string, account: string): void {
    this.accounts.set(accessKeyId, account);
  }

  /** Sets the throttling rate (false: no throttling); buckets start full. */
  public setRate(rate: CloudFormationRate | false): void {
    this.rate = rate === false ? undefined : rate;
    this.buckets.clear();
  }

  /** Forgets every stack and fills every bucket again (moto was reset between tests). */
  public reset(): void {
    this.stacks.splice(0);
    this.buckets.clear();
  }

  /** Answers one request as CloudFormation would. */
  public answer(request: CloudFormationRequest): CloudFormationAnswer {
    const account = (request.accessKeyId && this.accounts.get(request.accessKeyId)) || DEFAULT_ACCOUNT;
    const region = request.region ?? 'us-east-1';
    if (!request.action.startsWith('Describe')) {
      return queryError(
        400,
        'InvalidAction',
        `The test double of CloudFormation answers Describe* calls only, not ${request.action}`,
      );
    }
    if (!this.take(`${account}/${region}`))
      return { ...queryError(400, 'Throttling', 'Rate exceeded'), throttled: true };
    const visible = this.stacks.filter((s) => s.status !== undefined && s.account === account && s.region === region);
    const stackName = request.params.get('StackName');
    const find = (name: string): StackModel | undefined =>
      name.startsWith('arn:')
        ? visible.filter((s) => s.stackId === name).pop()
        : visible.filter((s) => s.stackName === name && s.status !== 'DELETE_COMPLETE').pop();
    switch (request.action) {
      case 'DescribeStackResource': {
        const logicalId = request.params.get('LogicalResourceId');
        if (!stackName || !logicalId) {
          const missing = !stackName ? 'stackName' : 'logicalResourceId';
          return queryError(
            400,
            'ValidationError',
            `1 validation error detected: Value null at '${missing}' failed to satisfy constraint: Member must not be null`,
          );
        }
        const stack = find(stackName);
        if (!stack) return queryError(400, 'ValidationError', `Stack with id ${stackName} does not exist`);
        const record = stack.record(logicalId);
        if (!record)
          return queryError(400, 'ValidationError', `Resource ${logicalId} does not exist for stack ${stackName}`);
        return ok('DescribeStackResource', `<StackResourceDetail>${resourceXml(stack, record)}</StackResourceDetail>`);
      }
      case 'DescribeStacks': {
        let stacks: StackModel[];
        if (stackName) {
          const stack = find(stackName);
          if (!stack) return queryError(400, 'ValidationError', `Stack with id ${stackName} does not exist`);
          stacks = [stack];
        } else {
          stacks = visible.filter((s) => s.status !== 'DELETE_COMPLETE');
        }
        return ok(
          'DescribeStacks',
          `<Stacks>${stacks.map((s) => `<member>${stackXml(s)}</member>`).join('')}</Stacks>`,
        );
      }
      default:
        return queryError(400, 'InvalidAction', `The test double of CloudFormation does not answer ${request.action}`);
    }
  }

  /** Takes a token from the bucket of `key`; false when it is empty (throttled). */
  private take(key: string): boolean {
    if (!this.rate) return true;
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.rate.burst, at: now };
    bucket.tokens = Math.min(this.rate.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

function resourceXml(stack: StackModel, record: ResourceRecord): string {
  return [
    element('StackName', stack.stackName),
    element('StackId', stack.stackId),
    element('LogicalResourceId', record.logicalId),
    record.physicalId === undefined ? '' : element('PhysicalResourceId', record.physicalId),
    element('ResourceType', record.type),
    element('LastUpdatedTimestamp', record.lastUpdated.toISOString()),
    element('ResourceStatus', record.status),
    record.metadata === undefined ? '' : element('Metadata', JSON.stringify(record.metadata)),
  ].join('');
}

function stackXml(stack: StackModel): string {
  return [
    element('StackName', stack.stackName),
    element('StackId', stack.stackId),
    element('CreationTime', stack.creationTime.toISOString()),
    element('StackStatus', stack.status ?? ''),
  ].join('');
}

function ok(action: string, result: string): CloudFormationAnswer {
  return {
    status: 200,
    contentType: 'text/xml',
    body:
      `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
    throttled: false,
  };
}

/** An error in the query protocol's format (HTTP 400, `<ErrorResponse>`). */
export function queryError(status: number, code: string, message: string): CloudFormationAnswer {
  return {
    status,
    contentType: 'text/xml',
    body:
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    throttled: false,
  };
}

function element(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
