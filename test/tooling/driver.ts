/**
 * A small deployment driver for the moto suite. A test tool, NOT CloudFormation.
 *
 * What it does:
 * - `synthesize(name, build)`: builds a CDK app in-process and returns the stack's template (saved for
 *   cfn-lint through test/tooling/templates.ts).
 * - `deploy(template)`: creates or updates the template's resources in dependency order
 *   (Ref, Fn::GetAtt, DependsOn), then deletes what the update made obsolete (removed logical IDs,
 *   and the old physical ID of a replaced resource), in reverse dependency order of the OLD
 *   template, as CloudFormation's cleanup phase does.
 * - `destroy()`: deletes everything in reverse dependency order.
 * - `outputs()`: the template's `Outputs` (those whose condition holds), resolved.
 *
 * Where it deploys: one account and region per driver (`DriverOptions.account`/`region`, by default
 * moto's 123456789012 and us-east-1), so that one template can be deployed, as a StackSet does,
 * into several accounts and several regions of one account against one moto_server. The pseudo
 * parameters resolve to them (AWS::Partition and AWS::URLSuffix follow the region's partition),
 * and everything the driver and the handlers send moto is sent as that account and region: in an
 * account other than the default, the driver assumes `EXECUTION_ROLE` there through moto's STS,
 * and moto treats the temporary credentials it returns as that account (moto's `MOTO_ACCOUNT_ID`
 * would switch the whole server). A handler runs with AWS_REGION, AWS_DEFAULT_REGION and those
 * credentials in its environment and a function ARN of that account and region in its context,
 * in its own instance per driver (a Lambda container of that account and region); in the default
 * account and region it runs in the test file's one warm instance, as before.
 *
 * Conditions: the template's `Conditions` are evaluated (intrinsics.ts: Fn::Equals, Fn::Not,
 * Fn::And, Fn::Or, Condition) for the driver's account, region and `parameters` before anything
 * is created; a resource or output whose `Condition` is false is left out, `Fn::If` takes the
 * branch its condition picks, and `AWS::NoValue` removes a property. A resource or output that is
 * created and references a left-out one (Ref, Fn::GetAtt, Fn::Sub, DependsOn, outside an untaken
 * Fn::If branch) fails the deployment before anything is created, as CloudFormation rejects it.
 *
 * What is real: `AWS::IAM::User` (CreateUser/DeleteUser, with Path) and `AWS::SecretsManager::Secret`
 * (CreateSecret/DeleteSecret, with Name, Description, KmsKeyId) are created in moto. The events of
 * a custom resource go to the code of the template's Lambda function its ServiceToken names when
 * that function's code is inline (`Code.ZipFile`, written to a temporary directory as index.js and
 * loaded as Lambda would, with the function's environment variables); otherwise (S3 code, as CDK
 * assets are) to the BUNDLED handler of its type in HANDLER_ASSETS (assets/<dir>). Either is invoked
 * in-process with a Lambda-like context and reaches moto over HTTP (through the moto proxy).
 * Intrinsics are resolved by the tests' one resolver (intrinsics.ts: Ref, Fn::GetAtt, Fn::Join,
 * Fn::Sub, Fn::FindInMap, Fn::Select, Fn::Split, Fn::If, pseudo parameters).
 *
 * What is not: every other resource type (roles, policies, functions, keys, groups) is a
 * placeholder with a made-up physical ID and made-up attributes (a function's `Arn` is a Lambda
 * ARN of the driver's account and region); IAM policies are not evaluated;
 * the handler's answer is recorded rather than PUT to the ResponseURL (test/tooling/bundles.ts);
 * a failed event throws `DriverError`, and the test decides whether to `rollback()` (which sends
 * what CloudFormation's UPDATE_ROLLBACK would, see there).
 * Unsupported intrinsic functions throw `DriverError` naming them.
 *
 * CloudFormation behaviour it reproduces: properties arrive as strings; an Update carries
 * OldResourceProperties and the current PhysicalResourceId; a changed PhysicalResourceId makes
 * the driver send a Delete for the old one (with the old properties) after all creates and
 * updates; a stack delete deletes dependents first. With `deliveries: 2`, every event is
 * delivered twice with the same RequestId (Lambda retries asynchronous invocations).
 *
 * CloudFormation's record (cloudformation.ts): the driver keeps its stack's status and a record per
 * logical ID (type, status, physical ID, the resource's `Metadata` resolved with the same resolver
 * as its properties but with JSON types kept) and moves them as CloudFormation does, so that a
 * handler's DescribeStackResource/DescribeStacks at each event gets CloudFormation's answer:
 * - first deploy: stack CREATE_IN_PROGRESS; each resource CREATE_IN_PROGRESS (no physical ID yet),
 *   then CREATE_COMPLETE; the stack CREATE_COMPLETE;
 * - update: stack UPDATE_IN_PROGRESS; a new logical ID as above; a changed resource
 *   UPDATE_IN_PROGRESS with its current physical ID and the new Metadata (`metadataDuringUpdate:
 *   'old'` shows the previous one: AWS does not document which), then UPDATE_COMPLETE with the
 *   answer's physical ID; then UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, where a removed resource is
 *   DELETE_IN_PROGRESS during its Delete and then gone, and the Delete of a replaced physical
 *   resource finds the record showing the new one; then UPDATE_COMPLETE;
 * - a failed event: the resource CREATE_FAILED/UPDATE_FAILED, the stack ROLLBACK_IN_PROGRESS
 *   (first deploy) or UPDATE_ROLLBACK_IN_PROGRESS; `rollback()`'s Updates find the resource
 *   UPDATE_IN_PROGRESS with the rollback target's Metadata (option 'old': the abandoned one), its
 *   Deletes come during UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS (a created resource
 *   DELETE_IN_PROGRESS; a replacement's record shows the restored one) or, on a first deploy,
 *   ROLLBACK_IN_PROGRESS; then UPDATE_ROLLBACK_COMPLETE / ROLLBACK_COMPLETE, removed resources gone;
 * - `destroy()`: stack DELETE_IN_PROGRESS, each resource DELETE_IN_PROGRESS then DELETE_COMPLETE;
 *   the deleted stack answers DELETE_COMPLETE by its ID (a later `deploy` creates a new stack, with
 *   a new ID).
 * `redeliver` and `invokeForged` change no record: they find it as it is at that moment. With
 * `recordCloudFormation`, the driver asks CloudFormation (over the wire when
 * AWS_ENDPOINT_URL_CLOUDFORMATION is set, as a handler would) what it records at every event it
 * sends, into `cloudFormationRecording` (cloudformation-record.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  CreateUserCommand,
  DeleteUserCommand,
  GetLoginProfileCommand,
  IAMClient,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CreateEventBusCommand, DeleteEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BundledHandler, FailedAnswerError, bundledHandler, freshBundledHandler, inlineHandler } from './bundles';
import { CloudFormationService, StackModel } from './cloudformation';
import { CloudFormationObservation, describeForEvent, observe } from './cloudformation-record';
import { IntrinsicError, IntrinsicScope, PseudoParameters, evaluateConditions, resolveIntrinsics } from './intrinsics';
import { saveTemplate } from './templates';

/** moto's default account: the driver's account unless `DriverOptions.account` says otherwise. */
export const ACCOUNT = '123456789012';
/** The driver's region unless `DriverOptions.region` says otherwise. */
export const REGION = 'us-east-1';
/** The partition of REGION. */
export const PARTITION = 'aws';
/** The role a driver assumes in an account other than ACCOUNT (what a self-managed StackSet's administrator assumes). */
export const EXECUTION_ROLE = 'AWSCloudFormationStackSetExecutionRole';

/** The partition and URL suffix of `region`, as the pseudo parameters give them. */
export function partitionOf(region: string): { readonly partition: string; readonly urlSuffix: string } {
  if (region.startsWith('cn-')) return { partition: 'aws-cn', urlSuffix: 'amazonaws.com.cn' };
  if (region.startsWith('us-gov-')) return { partition: 'aws-us-gov', urlSuffix: 'amazonaws.com' };
  return { partition: 'aws', urlSuffix: 'amazonaws.com' };
}

/** Bundled handlers per custom resource type (directories under assets/). */
export const HANDLER_ASSETS: Readonly<Record<string, string>> = {
  'Custom::ConsoleLoginProfile': 'login-profile-handler',
  'Custom::AccountPasswordPolicy': 'account-password-policy-handler',
};

/** A CloudFormation template, as far as the driver reads it. */
export interface TemplateJson {
  readonly Resources: Record<string, TemplateResource>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, { Value: unknown; Condition?: string }>;
}

/** One resource of a template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly Condition?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** Something CloudFormation would report as a failed resource, or a template the driver cannot handle. */
export class DriverError extends Error {
  constructor(
    message: string,
    options?: { cause?: unknown },
    /** The physical ID a handler's FAILED answer gave (CloudFormation's Delete after a failed Create carries it). */
    public readonly failedPhysicalId?: string,
  ) {
    super(message, options);
    this.name = 'DriverError';
  }
}

/** A custom-resource event as the handler receives it from CloudFormation. */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly RequestId: string;
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly ResponseURL: string;
  readonly ServiceToken: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
  readonly PhysicalResourceId?: string;
}

/** What the handler answered. */
export interface HandlerResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** One delivery of an event and its outcome. */
export interface Delivery {
  readonly event: CustomResourceEvent;
  /** 1 for the first delivery, 2 for the replay. */
  readonly delivery: number;
  readonly response?: HandlerResponse;
  /** The handler's error message (already redacted by the handler). */
  readonly error?: string;
}

/** Options of a driver. */
export interface DriverOptions {
  /** moto's endpoint, for the resources the driver itself creates. */
  readonly endpoint: string;
  /** Stack name (part of generated names and of the StackId). @default 'IntegStack' */
  readonly stackName?: string;
  /** How many times each event is delivered (2 = every event replayed at once). @default 1 */
  readonly deliveries?: number;
  /** The handler's timeout, for `getRemainingTimeInMillis`. @default 120 */
  readonly handlerTimeoutSeconds?: number;
  /** The account the stack is deployed in (AWS::AccountId; moto's account the calls go to). @default ACCOUNT */
  readonly account?: string;
  /** The region the stack is deployed in (AWS::Region; the region the calls go to). @default REGION */
  readonly region?: string;
  /** Values of the template's parameters (others take their Default). @default {} */
  readonly parameters?: Record<string, string>;
  /** Where the stack's record is answered on the wire (the moto proxy's CloudFormation). @default - the record is kept, not served */
  readonly cloudFormation?: CloudFormationService;
  /**
   * What the record of a resource shows while it is UPDATE_IN_PROGRESS (an Update or a rollback's
   * Update): its new Metadata or its previous one. AWS does not document which. @default 'new'
   */
  readonly metadataDuringUpdate?: 'new' | 'old';
  /** Ask CloudFormation at every event sent what it records (`cloudFormationRecording`). @default false */
  readonly recordCloudFormation?: boolean;
}

/** A resource the driver created (or a placeholder for one). */
export interface LiveResource {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
  /** Resolved properties the resource was created/updated with. */
  readonly properties: Record<string, unknown>;
  readonly attributes: Record<string, string>;
  readonly deletionPolicy?: string;
  /** The resource's resolved Metadata, as CloudFormation's record holds it (JSON types kept). */
  readonly metadata?: unknown;
}

/** What a deployment did so far: what `rollback()` undoes. */
interface DeployProgress {
  /** Whether the deployment created the stack (its rollback is ROLLBACK_IN_PROGRESS). */
  readonly first: boolean;
  readonly previousTemplate: TemplateJson;
  readonly previousConditions: Record<string, boolean>;
  readonly created: string[];
  readonly updated: { readonly before: LiveResource; readonly after: LiveResource }[];
  /** Resources whose Metadata alone changed (CloudFormation sends no event for them), as they were. */
  readonly metadataOnly: LiveResource[];
  failed?: {
    readonly before: LiveResource;
    readonly attempted: Record<string, unknown>;
    readonly attemptedMetadata: unknown;
  };
  /** A custom resource whose Create failed: CloudFormation deletes it in the rollback. */
  failedCreate?: LiveResource;
}

/** Synthesizes the stack that `build` adds to a fresh app; saves the template for cfn-lint under `name`. */
export function synthesize(name: string, build: (app: App) => Stack): TemplateJson {
  const app = new App();
  const stack = build(app);
  const template = Template.fromStack(stack).toJSON() as TemplateJson;
  saveTemplate(name, template);
  return template;
}

/** Deploys templates into moto, one stack at a time. See the file comment for what is real. */
export class Driver {
  /** Every event delivered to a handler, in order. */
  public readonly deliveries: Delivery[] = [];
  /** Every line the handler logged (console.log/warn/error), in order. */
  public readonly logs: string[] = [];
  /** What CloudFormation recorded at each event sent or redelivered (with `recordCloudFormation`), in order. */
  public readonly cloudFormationRecording: CloudFormationObservation[] = [];
  /**
   * Called before each genuine event is sent (each delivery), while CloudFormation's record is as
   * the event finds it: a test acts there "during" a deployment (e.g. sends a forged event).
   */
  public beforeDelivery?: (event: CustomResourceEvent) => Promise<void>;

  private current: PseudoParameters;
  /** CloudFormation's record of the stack (a new one after the stack is deleted and deployed again). */
  private stack: StackModel;
  private readonly cloudFormation?: CloudFormationService;
  private readonly metadataDuringUpdate: 'new' | 'old';
  private readonly recordCloudFormation: boolean;
  private readonly endpoint: string;
  private readonly parameters: Record<string, string>;
  private readonly stackName: string;
  private readonly times: number;
  private readonly timeoutMs: number;
  private session?: Session;
  /** Whether the session was checked since the current public call began (moto may have been reset since). */
  private sessionChecked = false;
  /** Handler instances of this driver (Lambda containers of its account and region), by code. */
  private readonly containers = new Map<string, BundledHandler<CustomResourceEvent, HandlerResponse>>();
  private template: TemplateJson = { Resources: {} };
  private conditions: Record<string, boolean> = {};
  private live = new Map<string, LiveResource>();
  private pendingRollback?: DeployProgress;

  constructor(options: DriverOptions) {
    this.endpoint = options.endpoint;
    this.parameters = options.parameters ?? {};
    this.stackName = options.stackName ?? 'IntegStack';
    const accountId = options.account ?? ACCOUNT;
    const region = options.region ?? REGION;
    if (!/^\d{12}$/.test(accountId)) throw new DriverError(`account ${accountId}: an account ID has 12 digits`);
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new DriverError(`region ${region}: not a region name`);
    const { partition, urlSuffix } = partitionOf(region);
    this.cloudFormation = options.cloudFormation;
    this.metadataDuringUpdate = options.metadataDuringUpdate ?? 'new';
    this.recordCloudFormation = options.recordCloudFormation ?? false;
    this.current = { accountId, region, partition, urlSuffix, stackName: this.stackName, stackId: '' };
    this.stack = this.newStack();
    this.times = options.deliveries ?? 1;
    this.timeoutMs = (options.handlerTimeoutSeconds ?? 120) * 1000;
  }

  /** The account, region and partition the driver deploys in, and the stack's name and ID. */
  public get pseudo(): PseudoParameters {
    return this.current;
  }

  /** The stack's ID (AWS::StackId; a new one once the stack is deleted and deployed again). */
  public get stackId(): string {
    return this.stack.stackId;
  }

  /** CloudFormation's record of the stack now (read-only use: the driver moves it). */
  public get stackRecord(): StackModel {
    return this.stack;
  }

  /** A stack CloudFormation does not know yet, with a new ID, registered where the record is answered. */
  private newStack(): StackModel {
    const { partition, region, accountId } = this.current;
    const stackId = `arn:${partition}:cloudformation:${region}:${accountId}:stack/${this.stackName}/${randomUUID()}`;
    this.current = { ...this.current, stackId };
    const stack = new StackModel(stackId, this.stackName, accountId, region);
    this.cloudFormation?.register(stack);
    return stack;
  }

  /** Whether the driver deploys in moto's default account and REGION (where the handlers share one instance). */
  private get isDefault(): boolean {
    return this.pseudo.accountId === ACCOUNT && this.pseudo.region === REGION;
  }

  /**
   * The credentials and clients of the driver's account and region. In ACCOUNT: the process's
   * credentials (moto maps unknown access keys to its default account). In another account: the
   * credentials of `EXECUTION_ROLE` there, assumed through moto's STS; they are checked with
   * GetCallerIdentity once per public call, and assumed again when moto no longer knows them
   * (a reset between tests forgets them, and moto would then treat them as the default account).
   */
  private async ready(): Promise<Session> {
    if (this.session && this.sessionChecked) return this.session;
    const { accountId, region } = this.pseudo;
    const base = { endpoint: this.endpoint, region };
    if (accountId === ACCOUNT) {
      this.session ??= {
        iam: new IAMClient(base),
        secrets: new SecretsManagerClient(base),
        events: new EventBridgeClient(base),
      };
    } else {
      if (!this.session?.credentials || (await callerAccount(base, this.session.credentials)) !== accountId) {
        const roleArn = `arn:${this.pseudo.partition}:iam::${accountId}:role/${EXECUTION_ROLE}`;
        const assumed = await new STSClient(base).send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: this.stackName.slice(0, 64) }),
        );
        const c = assumed.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey)
          throw new DriverError(`AssumeRole ${roleArn} returned no credentials`);
        const credentials = {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
        };
        const actual = await callerAccount(base, credentials);
        if (actual !== accountId) {
          throw new DriverError(`moto treats the credentials of ${roleArn} as account ${actual}, not ${accountId}`);
        }
        this.cloudFormation?.noteCredentials(credentials.accessKeyId, accountId);
        // New credentials: new clients, and new handler instances (their SDK clients keep the credentials they read).
        this.containers.clear();
        this.session = {
          credentials,
          iam: new IAMClient({ ...base, credentials }),
          secrets: new SecretsManagerClient({ ...base, credentials }),
          events: new EventBridgeClient({ ...base, credentials }),
        };
      }
    }
    this.sessionChecked = true;
    return this.session;
  }

  /**
   * Starts a public call: the session is checked again before moto is next used, and the stack is
   * registered again where its record is answered (a reset between tests forgets it).
   */
  private begin(): void {
    this.sessionChecked = false;
    this.cloudFormation?.register(this.stack);
  }

  /**
   * Clients straight to moto as the driver's account and region (for arranging and asserting),
   * and the access key ID its handlers sign with (the moto proxy records it with each call).
   */
  public async clients(): Promise<{ iam: IAMClient; secrets: SecretsManagerClient; accessKeyId?: string }> {
    this.begin();
    const { iam, secrets, credentials } = await this.ready();
    return { iam, secrets, accessKeyId: credentials?.accessKeyId };
  }

  /** The template's outputs whose condition holds, resolved against the live resources. */
  public outputs(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, output] of Object.entries(this.template.Outputs ?? {})) {
      out[name] = this.resolve(output.Value);
    }
    return out;
  }

  /** The value of each of the deployed template's conditions. */
  public conditionValues(): Readonly<Record<string, boolean>> {
    return { ...this.conditions };
  }

  /** Physical ID of a live resource (user name, secret ARN, custom resource's ID). */
  public physicalId(logicalId: string): string {
    const resource = this.live.get(logicalId);
    if (!resource) throw new DriverError(`no live resource ${logicalId}`);
    return resource.physicalId;
  }

  /** Live resources of `type` (physical ID, resolved properties, attributes), in creation order. */
  public resources(type: string): LiveResource[] {
    return [...this.live.values()].filter((r) => r.type === type);
  }

  /** The live login profile custom resource of `userName` (its physical ID), with its secret ARN. */
  public loginProfile(userName: string): LiveResource & { readonly secretArn: string } {
    const found = this.resources('Custom::ConsoleLoginProfile').filter((r) => r.physicalId === userName);
    if (found.length !== 1) throw new DriverError(`expected one login profile for ${userName}, found ${found.length}`);
    return { ...found[0], secretArn: String(found[0].properties.SecretArn) };
  }

  /** Creates (first call, or after `destroy()`: a new stack) or updates the stack to `template`. */
  public async deploy(submitted: TemplateJson): Promise<void> {
    this.begin();
    if (this.stack.status === 'DELETE_COMPLETE') this.stack = this.newStack();
    const { template, conditions } = this.effective(submitted);
    const order = dependencyOrder(template);
    const first = this.stack.status === undefined;
    const stack = this.stack;
    const old = this.template;
    const oldConditions = this.conditions;
    const obsolete: LiveResource[] = [];
    const progress: DeployProgress = {
      first,
      previousTemplate: old,
      previousConditions: oldConditions,
      created: [],
      updated: [],
      metadataOnly: [],
    };
    this.pendingRollback = undefined;
    this.template = template;
    this.conditions = conditions;
    stack.status = first ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
    for (const logicalId of order) {
      const resource = template.Resources[logicalId];
      const current = this.live.get(logicalId);
      if (current && current.type !== resource.Type) {
        throw new DriverError(`${logicalId} changed type from ${current.type} to ${resource.Type}; not supported`);
      }
      const properties = this.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      const metadata = this.resolveMetadata(resource);
      try {
        if (!current) {
          stack.put(logicalId, { type: resource.Type, status: 'CREATE_IN_PROGRESS', metadata });
          const created = { ...(await this.create(logicalId, resource, properties)), metadata };
          this.live.set(logicalId, created);
          stack.patch(logicalId, { status: 'CREATE_COMPLETE', physicalId: created.physicalId });
          progress.created.push(logicalId);
          continue;
        }
        if (JSON.stringify(current.properties) === JSON.stringify(properties)) {
          if (JSON.stringify(current.metadata) !== JSON.stringify(metadata)) {
            // CloudFormation updates a resource's Metadata without an event to its provider.
            progress.metadataOnly.push(current);
            this.live.set(logicalId, { ...current, metadata });
            stack.patch(logicalId, { status: 'UPDATE_COMPLETE', metadata });
          }
          continue;
        }
        stack.patch(logicalId, {
          status: 'UPDATE_IN_PROGRESS',
          physicalId: current.physicalId,
          metadata: this.metadataDuringUpdate === 'old' ? current.metadata : metadata,
        });
        const updated = { ...(await this.update(current, resource, properties)), metadata };
        this.live.set(logicalId, updated);
        stack.patch(logicalId, { status: 'UPDATE_COMPLETE', physicalId: updated.physicalId, metadata });
        progress.updated.push({ before: current, after: updated });
        if (updated.physicalId !== current.physicalId) obsolete.push(current);
      } catch (error) {
        if (current && isCustomResource(current.type)) {
          progress.failed = { before: current, attempted: properties, attemptedMetadata: metadata };
        }
        if (!current && isCustomResource(resource.Type)) {
          // A Create that answered FAILED: the Delete carries the answer's physical ID.
          const physicalId = error instanceof DriverError ? error.failedPhysicalId : undefined;
          progress.failedCreate = {
            logicalId,
            type: resource.Type,
            properties,
            physicalId: physicalId ?? `${this.stackName}-${logicalId}-${randomSuffix()}`,
            attributes: {},
            metadata,
          };
        }
        if (current) stack.patch(logicalId, { status: 'UPDATE_FAILED', metadata });
        else {
          stack.patch(logicalId, {
            status: 'CREATE_FAILED',
            ...(progress.failedCreate ? { physicalId: progress.failedCreate.physicalId } : {}),
          });
        }
        stack.status = first ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS';
        this.pendingRollback = progress;
        throw error;
      }
    }
    if (first) {
      stack.status = 'CREATE_COMPLETE';
      return;
    }
    // Cleanup phase: removed resources and replaced physical resources, dependents first.
    stack.status = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
    try {
      const removed = Object.keys(old.Resources).filter((id) => !(id in template.Resources));
      const cleanupOrder = dependencyOrder(old).reverse();
      for (const logicalId of cleanupOrder) {
        for (const replaced of obsolete.filter((r) => r.logicalId === logicalId)) await this.delete(replaced);
        if (removed.includes(logicalId)) {
          const resource = this.live.get(logicalId);
          if (resource) await this.deleteRecorded(resource);
          this.live.delete(logicalId);
          stack.remove(logicalId);
        }
      }
    } finally {
      // A failed Delete in the cleanup phase does not fail the update.
      stack.status = 'UPDATE_COMPLETE';
    }
  }

  /**
   * After a failed `deploy`, what CloudFormation's UPDATE_ROLLBACK sends: every custom resource
   * the deployment updated, and the one whose Update failed, gets an Update back to its previous
   * properties (with the properties being abandoned as OldResourceProperties), in dependency
   * order; then the physical resources the deployment created (new logical IDs and replacements,
   * a custom resource's included when its rollback Update answered another physical ID) are
   * deleted, dependents first, the custom resource whose Create failed included (its Delete
   * carries the physical ID of its FAILED answer). After a failed first deploy (ROLLBACK), only
   * the deletes. Not modelled: rolling back in-place property changes of users and secrets (the
   * driver does not apply those to moto in the first place).
   */
  public async rollback(): Promise<void> {
    this.begin();
    const progress = this.pendingRollback;
    if (!progress) throw new DriverError('nothing to roll back: the last deploy did not fail');
    this.pendingRollback = undefined;
    const stack = this.stack;
    const { first } = progress;
    stack.status = first ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS';
    try {
      const back = [...progress.updated.map((u) => ({ before: u.before, abandoned: u.after }))];
      if (progress.failed) {
        back.push({
          before: progress.failed.before,
          abandoned: {
            ...progress.failed.before,
            properties: progress.failed.attempted,
            metadata: progress.failed.attemptedMetadata,
          },
        });
      }
      const replacements: LiveResource[] = [];
      for (const logicalId of dependencyOrder(progress.previousTemplate)) {
        for (const { before, abandoned } of back.filter((b) => b.before.logicalId === logicalId)) {
          if (isCustomResource(before.type)) {
            stack.patch(logicalId, {
              status: 'UPDATE_IN_PROGRESS',
              physicalId: abandoned.physicalId,
              metadata: this.metadataDuringUpdate === 'old' ? abandoned.metadata : before.metadata,
            });
            const response = await this.send({
              ...this.eventBase('Update', logicalId, before.type, before.properties),
              OldResourceProperties: abandoned.properties,
              PhysicalResourceId: abandoned.physicalId,
            });
            // Another physical ID than the abandoned one: CloudFormation deletes the abandoned one in the cleanup.
            if (response.PhysicalResourceId !== abandoned.physicalId) replacements.push(abandoned);
            this.live.set(logicalId, {
              ...before,
              physicalId: response.PhysicalResourceId,
              attributes: { ...(response.Data ?? {}) },
            });
          } else {
            if (abandoned.physicalId !== before.physicalId) replacements.push(abandoned);
            this.live.set(logicalId, before);
          }
          stack.patch(logicalId, {
            status: 'UPDATE_COMPLETE',
            physicalId: this.live.get(logicalId)!.physicalId,
            metadata: before.metadata,
          });
        }
      }
      for (const before of progress.metadataOnly) {
        this.live.set(before.logicalId, before);
        stack.patch(before.logicalId, { status: 'UPDATE_COMPLETE', metadata: before.metadata });
      }
      if (!first) stack.status = 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS';
      const failedTemplate = this.template;
      for (const logicalId of dependencyOrder(failedTemplate).reverse()) {
        if (progress.failedCreate?.logicalId === logicalId) {
          stack.patch(logicalId, { status: 'DELETE_IN_PROGRESS', physicalId: progress.failedCreate.physicalId });
          await this.delete(progress.failedCreate);
          stack.remove(logicalId);
        }
        for (const replaced of replacements.filter((r) => r.logicalId === logicalId)) await this.delete(replaced);
        if (progress.created.includes(logicalId)) {
          const resource = this.live.get(logicalId);
          if (resource) await this.deleteRecorded(resource);
          this.live.delete(logicalId);
          stack.remove(logicalId);
        }
      }
      this.template = progress.previousTemplate;
      this.conditions = progress.previousConditions;
      // What the rollback did not touch (a resource whose own create or update failed) is back as it was.
      for (const record of stack.all()) {
        const resource = this.live.get(record.logicalId);
        if (!resource) stack.remove(record.logicalId);
        else if (record.status.endsWith('_FAILED')) {
          stack.patch(record.logicalId, {
            status: 'UPDATE_COMPLETE',
            physicalId: resource.physicalId,
            metadata: resource.metadata,
          });
        }
      }
      stack.status = first ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
    } catch (error) {
      stack.status = first ? 'ROLLBACK_FAILED' : 'UPDATE_ROLLBACK_FAILED';
      throw error;
    }
  }

  /** Deletes every resource of the stack, dependents first; the stack is then DELETE_COMPLETE. */
  public async destroy(): Promise<void> {
    this.begin();
    const stack = this.stack;
    const known = stack.status !== undefined && stack.status !== 'DELETE_COMPLETE';
    if (known) stack.status = 'DELETE_IN_PROGRESS';
    try {
      for (const logicalId of dependencyOrder(this.template).reverse()) {
        const resource = this.live.get(logicalId);
        if (!resource) continue;
        await this.deleteRecorded(resource);
        if (stack.record(logicalId)) {
          stack.patch(logicalId, {
            status: resource.deletionPolicy === 'Retain' ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE',
          });
        }
        this.live.delete(logicalId);
      }
    } catch (error) {
      if (known) stack.status = 'DELETE_FAILED';
      throw error;
    }
    if (known) {
      for (const record of stack.all()) {
        if (!record.status.startsWith('DELETE_')) stack.patch(record.logicalId, { status: 'DELETE_COMPLETE' });
      }
      stack.status = 'DELETE_COMPLETE';
    }
    this.template = { Resources: {} };
    this.conditions = {};
  }

  /**
   * Delivers `event` to the handler of its resource type again, as a late Lambda retry would;
   * CloudFormation's record is as it is now.
   */
  public async redeliver(event: CustomResourceEvent): Promise<HandlerResponse> {
    this.begin();
    return this.invoke(event, this.deliveries.filter((d) => d.event.RequestId === event.RequestId).length + 1);
  }

  /**
   * Delivers an event CloudFormation did not send (a forged one, e.g. from someone allowed to
   * invoke the function) to the stack's handler its ServiceToken names (else the handler of its
   * resource type), with the function's environment; changes no record, records no observation.
   * Returns the delivery (its response, or its error) rather than throwing.
   */
  public async invokeForged(event: CustomResourceEvent): Promise<Delivery> {
    this.begin();
    const n = this.deliveries.filter((d) => d.event.RequestId === event.RequestId).length + 1;
    const before = this.deliveries.length;
    const failure = await this.invoke(event, n, false).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    // Delivered: the handler's answer or error. Not delivered (no code to run): the driver's error.
    return this.deliveries.length > before ? this.deliveries[before] : { event, delivery: n, error: failure };
  }

  /** Deletes `resource` while its record says DELETE_IN_PROGRESS (DELETE_FAILED when the Delete fails). */
  private async deleteRecorded(resource: LiveResource): Promise<void> {
    const recorded = this.stack.record(resource.logicalId) !== undefined;
    if (recorded)
      this.stack.patch(resource.logicalId, { status: 'DELETE_IN_PROGRESS', physicalId: resource.physicalId });
    try {
      await this.delete(resource);
    } catch (error) {
      if (recorded) this.stack.patch(resource.logicalId, { status: 'DELETE_FAILED' });
      throw error;
    }
  }

  /** The resource's Metadata as CloudFormation records it: references resolved, JSON types kept. */
  private resolveMetadata(resource: TemplateResource): unknown {
    return resource.Metadata === undefined ? undefined : this.resolve(resource.Metadata, false);
  }

  /**
   * The template as CloudFormation processes it for this driver: conditions evaluated, the resources
   * and outputs whose condition is false left out. Fails (before anything is deployed) on a
   * condition it cannot evaluate, a `Condition` naming no condition, and a resource or output that
   * stays and references one that is left out.
   */
  private effective(template: TemplateJson): { template: TemplateJson; conditions: Record<string, boolean> } {
    let conditions: Record<string, boolean>;
    try {
      conditions = evaluateConditions(template.Conditions, {
        pseudo: this.pseudo,
        mappings: template.Mappings,
        ref: (name) => this.parameter(template, name),
        getAtt: (logicalId, attribute) => {
          throw new IntrinsicError(`Fn::GetAtt ${logicalId}.${attribute}: conditions cannot reference resources`);
        },
      });
    } catch (error) {
      if (error instanceof IntrinsicError || error instanceof DriverError) throw new DriverError(error.message);
      throw error;
    }
    const holds = (what: string, condition: string | undefined): boolean => {
      if (condition === undefined) return true;
      if (!(condition in conditions))
        throw new DriverError(`${what}: Condition ${condition} is not in the template's Conditions`);
      return conditions[condition];
    };
    const resources: Record<string, TemplateResource> = {};
    const skipped = new Map<string, string>();
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (holds(`resource ${id}`, resource.Condition)) resources[id] = resource;
      else skipped.set(id, resource.Condition!);
    }
    const outputs: NonNullable<TemplateJson['Outputs']> = {};
    for (const [name, output] of Object.entries(template.Outputs ?? {})) {
      if (holds(`output ${name}`, output.Condition)) outputs[name] = output;
    }
    const check = (what: string, references: string[]) => {
      for (const id of references.filter((r) => skipped.has(r))) {
        throw new DriverError(
          `${what} references ${id}, which is not created (its condition ${skipped.get(id)} is false); CloudFormation rejects such a template`,
        );
      }
    };
    for (const [id, resource] of Object.entries(template.Resources)) {
      for (const dep of dependsOnOf(resource).filter((d) => !(d in template.Resources))) {
        throw new DriverError(`resource ${id} DependsOn ${dep}, which is not in the template`);
      }
    }
    for (const [id, resource] of Object.entries(resources)) {
      check(`resource ${id}`, [
        ...dependsOnOf(resource),
        ...referencesIn(resource.Properties ?? {}, conditions),
        ...referencesIn(resource.Metadata ?? {}, conditions),
      ]);
    }
    for (const [name, output] of Object.entries(outputs))
      check(`output ${name}`, referencesIn(output.Value, conditions));
    return { template: { ...template, Resources: resources, Outputs: outputs }, conditions };
  }

  /** The value of parameter `name`: the driver's, else its Default. */
  private parameter(template: TemplateJson, name: string): unknown {
    const parameter = template.Parameters?.[name];
    if (!parameter) throw new DriverError(`Ref ${name}: the template has no such parameter`);
    if (name in this.parameters) return this.parameters[name];
    if (parameter.Default === undefined)
      throw new DriverError(`parameter ${name} has no Default and the driver was given no value`);
    return parameter.Default;
  }

  private async create(
    logicalId: string,
    resource: TemplateResource,
    properties: Record<string, unknown>,
  ): Promise<LiveResource> {
    const base = { logicalId, type: resource.Type, properties, deletionPolicy: resource.DeletionPolicy };
    switch (resource.Type) {
      case 'AWS::IAM::User': {
        const userName = (properties.UserName as string | undefined) ?? this.generatedName(logicalId, 64);
        const userPath = (properties.Path as string | undefined) ?? '/';
        const { iam } = await this.ready();
        const created = await iam.send(new CreateUserCommand({ UserName: userName, Path: userPath }));
        return { ...base, physicalId: userName, attributes: { Arn: created.User!.Arn! } };
      }
      case 'AWS::SecretsManager::Secret': {
        const name = (properties.Name as string | undefined) ?? `${logicalId}-${randomSuffix()}`;
        const { secrets } = await this.ready();
        const created = await secrets.send(
          new CreateSecretCommand({
            Name: name,
            Description: properties.Description as string | undefined,
            KmsKeyId: properties.KmsKeyId as string | undefined,
            SecretString: properties.SecretString as string | undefined,
            // The template's tags, and the ones CloudFormation adds to what it creates (aws: prefix,
            // which only AWS may set; moto takes them from anyone).
            Tags: [
              ...((properties.Tags as { Key: string; Value: string }[] | undefined) ?? []),
              { Key: 'aws:cloudformation:stack-id', Value: this.stackId },
              { Key: 'aws:cloudformation:stack-name', Value: this.stackName },
              { Key: 'aws:cloudformation:logical-id', Value: logicalId },
            ],
          }),
        );
        return { ...base, physicalId: created.ARN!, attributes: { Id: created.ARN! } };
      }
      case 'AWS::Events::EventBus': {
        // The bus the library's functions publish on (moto keeps no resource policy: not modelled).
        const name = String(properties.Name);
        const { events } = await this.ready();
        const created = await events.send(new CreateEventBusCommand({ Name: name }));
        return { ...base, physicalId: name, attributes: { Arn: created.EventBusArn!, Name: name } };
      }
      default:
        if (isCustomResource(resource.Type)) {
          const response = await this.send({
            ...this.eventBase('Create', logicalId, resource.Type, properties),
          });
          return { ...base, physicalId: response.PhysicalResourceId, attributes: { ...(response.Data ?? {}) } };
        }
        if (resource.Type === 'AWS::Lambda::Function') {
          const name = (properties.FunctionName as string | undefined) ?? this.generatedName(logicalId, 64);
          const { partition, region, accountId } = this.pseudo;
          return {
            ...base,
            physicalId: name,
            attributes: { Arn: `arn:${partition}:lambda:${region}:${accountId}:function:${name}` },
          };
        }
        return { ...base, physicalId: `${logicalId}-${randomSuffix()}`, attributes: {} };
    }
  }

  private async update(
    current: LiveResource,
    resource: TemplateResource,
    properties: Record<string, unknown>,
  ): Promise<LiveResource> {
    switch (resource.Type) {
      case 'AWS::IAM::User':
      case 'AWS::SecretsManager::Secret': {
        const nameKey = resource.Type === 'AWS::IAM::User' ? 'UserName' : 'Name';
        if (current.properties[nameKey] === properties[nameKey]) {
          // Other properties (groups, policies, description, key) are not modelled in moto.
          return { ...current, properties };
        }
        // A new name means a new physical resource; the old one is deleted in the cleanup phase.
        return this.create(current.logicalId, resource, properties);
      }
      default:
        if (isCustomResource(resource.Type)) {
          const response = await this.send({
            ...this.eventBase('Update', current.logicalId, resource.Type, properties),
            OldResourceProperties: current.properties,
            PhysicalResourceId: current.physicalId,
          });
          return {
            ...current,
            properties,
            physicalId: response.PhysicalResourceId,
            attributes: { ...(response.Data ?? {}) },
          };
        }
        return { ...current, properties };
    }
  }

  private async delete(resource: LiveResource): Promise<void> {
    if (resource.deletionPolicy === 'Retain') return;
    switch (resource.type) {
      case 'AWS::IAM::User': {
        const { iam } = await this.ready();
        // AWS refuses to delete a user that still has a login profile (DeleteConflict); moto does not check.
        const hasProfile = await iam.send(new GetLoginProfileCommand({ UserName: resource.physicalId })).then(
          () => true,
          (error: unknown) => {
            if (error instanceof NoSuchEntityException) return false;
            throw error;
          },
        );
        if (hasProfile) {
          throw new DriverError(
            `DeleteConflict: user ${resource.physicalId} (${resource.logicalId}) still has a login profile; AWS would refuse to delete it`,
          );
        }
        await iam.send(new DeleteUserCommand({ UserName: resource.physicalId }));
        return;
      }
      case 'AWS::Events::EventBus': {
        const { events } = await this.ready();
        await events.send(new DeleteEventBusCommand({ Name: resource.physicalId }));
        return;
      }
      case 'AWS::SecretsManager::Secret': {
        const { secrets } = await this.ready();
        await secrets.send(
          new DeleteSecretCommand({ SecretId: resource.physicalId, ForceDeleteWithoutRecovery: true }),
        );
        return;
      }
      default:
        if (isCustomResource(resource.type)) {
          await this.send({
            ...this.eventBase('Delete', resource.logicalId, resource.type, resource.properties),
            PhysicalResourceId: resource.physicalId,
          });
        }
    }
  }

  private eventBase(
    requestType: CustomResourceEvent['RequestType'],
    logicalId: string,
    resourceType: string,
    properties: Record<string, unknown>,
  ): CustomResourceEvent {
    return {
      RequestType: requestType,
      RequestId: randomUUID(),
      StackId: this.stackId,
      LogicalResourceId: logicalId,
      ResourceType: resourceType,
      // The handler's answer is recorded (test/tooling/bundles.ts), never sent here.
      ResponseURL: 'https://cloudformation-custom-resource-response.invalid/',
      ServiceToken: String(properties.ServiceToken ?? ''),
      ResourceProperties: properties,
    };
  }

  /** Delivers the event (once, or twice with `deliveries: 2`); throws DriverError when the handler fails. */
  private async send(event: CustomResourceEvent): Promise<HandlerResponse> {
    let response: HandlerResponse | undefined;
    for (let n = 1; n <= this.times; n++) {
      await this.beforeDelivery?.(event);
      response = await this.invoke(event, n);
    }
    return response!;
  }

  /** With `recordCloudFormation`: what CloudFormation records for `event` now, asked as a handler asks. */
  private async observe(event: CustomResourceEvent): Promise<void> {
    if (!this.recordCloudFormation) return;
    const endpoint = process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
    if (endpoint && this.cloudFormation) {
      const { credentials } = await this.ready();
      const client = new CloudFormationClient({ endpoint, region: this.pseudo.region, credentials });
      this.cloudFormationRecording.push(await describeForEvent(client, this.stack.stackId, event));
      return;
    }
    const record = this.stack.record(event.LogicalResourceId);
    this.cloudFormationRecording.push(
      observe(
        event,
        record
          ? {
              ResourceStatus: record.status,
              PhysicalResourceId: record.physicalId,
              Metadata: record.metadata === undefined ? undefined : JSON.stringify(record.metadata),
            }
          : { error: 'ValidationError' },
        this.stack.status ? { StackStatus: this.stack.status } : { error: 'ValidationError' },
      ),
    );
  }

  /**
   * The code an event goes to: the inline code (`Code.ZipFile`) of the template's function that
   * its ServiceToken names, else the bundled handler of its resource type; with the function's
   * name and environment variables.
   */
  private target(event: CustomResourceEvent): {
    readonly key: string;
    readonly load: () => BundledHandler<CustomResourceEvent, HandlerResponse>;
    readonly functionName: string;
    readonly environment: Record<string, string>;
  } {
    const fn = this.resources('AWS::Lambda::Function').find((f) => f.attributes.Arn === event.ServiceToken);
    const code = fn?.properties.Code as { ZipFile?: unknown } | undefined;
    const variables = (fn?.properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
    if (fn && typeof code?.ZipFile === 'string') {
      const zipFile = code.ZipFile;
      const handlerName = String(fn.properties.Handler ?? '');
      return {
        key: `inline:${fn.logicalId}:${createHash('sha256').update(zipFile).update(handlerName).digest('hex')}`,
        load: () => {
          try {
            return inlineHandler<CustomResourceEvent, HandlerResponse>(zipFile, handlerName);
          } catch (error) {
            throw new DriverError(
              `the inline code of ${fn.logicalId}: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        },
        functionName: fn.physicalId,
        environment: { ...(variables ?? {}) },
      };
    }
    const asset = HANDLER_ASSETS[event.ResourceType];
    if (!asset) {
      throw new DriverError(
        `no inline code and no bundled handler registered for ${event.ResourceType} (HANDLER_ASSETS) at ${event.ServiceToken}`,
      );
    }
    return {
      key: `asset:${asset}`,
      // The default account and region share the test file's one warm instance; elsewhere each driver has its own.
      load: () =>
        this.isDefault
          ? bundledHandler<CustomResourceEvent, HandlerResponse>(asset)
          : freshBundledHandler<CustomResourceEvent, HandlerResponse>(asset),
      functionName: `${this.stackName}-${asset}`,
      // The function's environment (the stack's ID among it), as Lambda sets it.
      environment: { ...(variables ?? {}) },
    };
  }

  private async invoke(event: CustomResourceEvent, delivery: number, observed = true): Promise<HandlerResponse> {
    const target = this.target(event);
    const session = await this.ready();
    if (observed) await this.observe(event);
    let handler = this.containers.get(target.key);
    if (!handler) {
      handler = target.load();
      this.containers.set(target.key, handler);
    }
    const { partition, region, accountId } = this.pseudo;
    const deadline = Date.now() + this.timeoutMs;
    const context = {
      functionName: target.functionName,
      invokedFunctionArn: `arn:${partition}:lambda:${region}:${accountId}:function:${target.functionName}`,
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const environment: Record<string, string | undefined> = {
      ...target.environment,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_LAMBDA_FUNCTION_NAME: target.functionName,
    };
    if (session.credentials) {
      environment.AWS_ACCESS_KEY_ID = session.credentials.accessKeyId;
      environment.AWS_SECRET_ACCESS_KEY = session.credentials.secretAccessKey;
      environment.AWS_SESSION_TOKEN = session.credentials.sessionToken;
    }
    const release = await invocationLock();
    const restoreEnvironment = setEnvironment(environment);
    const restore = this.captureConsole();
    try {
      const response = await handler(structuredClone(event), context);
      this.deliveries.push({ event, delivery, response });
      return response;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.deliveries.push({ event, delivery, error: message });
      // No `cause`: jest would print a code frame of the minified bundle.
      throw new DriverError(
        `${event.RequestType} of ${event.LogicalResourceId} failed: ${message}`,
        undefined,
        error instanceof FailedAnswerError ? error.answer.PhysicalResourceId : undefined,
      );
    } finally {
      restore();
      restoreEnvironment();
      release();
    }
  }

  /** Collects what the handler logs instead of letting it reach the test output. */
  private captureConsole(): () => void {
    const saved = { log: console.log, warn: console.warn, error: console.error, info: console.info };
    const capture = (...args: unknown[]) => {
      this.logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    };
    console.log = console.warn = console.error = console.info = capture;
    return () => Object.assign(console, saved);
  }

  private generatedName(logicalId: string, max: number): string {
    return `${this.stackName}-${logicalId}-${randomSuffix()}`.slice(-max);
  }

  /**
   * Resolves intrinsic functions and pseudo parameters against the live resources (see
   * intrinsics.ts); scalars as strings, as CloudFormation hands a custom resource its properties.
   */
  private resolve(value: unknown, scalarsAsStrings = true): unknown {
    const scope: IntrinsicScope = {
      pseudo: this.pseudo,
      mappings: this.template.Mappings,
      condition: (name) => {
        if (!(name in this.conditions))
          throw new DriverError(`Fn::If: no condition ${name} in the template's Conditions`);
        return this.conditions[name];
      },
      ref: (name) => {
        if (this.template.Parameters?.[name]) return this.parameter(this.template, name);
        const resource = this.live.get(name);
        if (!resource) throw new DriverError(`Ref ${name}: no such resource created yet (dependency order?)`);
        return resource.physicalId;
      },
      getAtt: (logicalId, attribute) => this.getAtt(logicalId, attribute),
    };
    try {
      return resolveIntrinsics(value, scope, { scalarsAsStrings });
    } catch (error) {
      if (error instanceof IntrinsicError) throw new DriverError(error.message);
      throw error;
    }
  }

  private getAtt(logicalId: string, attribute: string): unknown {
    const resource = this.live.get(logicalId);
    if (!resource) throw new DriverError(`Fn::GetAtt ${logicalId}.${attribute}: no such resource created yet`);
    if (attribute in resource.attributes) return resource.attributes[attribute];
    if (isCustomResource(resource.type) || resource.type.startsWith('AWS::IAM::User')) {
      throw new DriverError(`Fn::GetAtt ${logicalId}.${attribute}: the resource has no such attribute`);
    }
    // Placeholder resources: plausible, deterministic values.
    const { partition, region, accountId } = this.pseudo;
    if (attribute === 'Arn') return `arn:${partition}:placeholder:${region}:${accountId}:${resource.physicalId}`;
    return `${resource.physicalId}.${attribute}`;
  }
}

/** Temporary credentials of an assumed role. */
interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The driver's clients in its account and region (with the credentials, outside the default account). */
interface Session {
  readonly credentials?: Credentials;
  readonly iam: IAMClient;
  readonly secrets: SecretsManagerClient;
  readonly events: EventBridgeClient;
}

/** The account moto treats `credentials` as. */
async function callerAccount(config: { endpoint: string; region: string }, credentials: Credentials): Promise<string> {
  const identity = await new STSClient({ ...config, credentials }).send(new GetCallerIdentityCommand({}));
  return identity.Account ?? '';
}

let invocations: Promise<void> = Promise.resolve();

/**
 * Waits until no other driver's handler runs, and returns the function that lets the next one
 * run: each invocation sets the process environment (region, credentials) its handler reads.
 */
async function invocationLock(): Promise<() => void> {
  let release!: () => void;
  const previous = invocations;
  invocations = new Promise<void>((resolve) => (release = resolve));
  await previous;
  return release;
}

/** Sets `variables` in process.env (undefined removes one); returns the function that restores the previous values. */
function setEnvironment(variables: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(variables).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(variables);
  return () => apply(saved);
}

/** The logical IDs named in a resource's DependsOn. */
function dependsOnOf(resource: TemplateResource): string[] {
  if (resource.DependsOn === undefined) return [];
  return Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn];
}

/**
 * The names `value` references (Ref, Fn::GetAtt, Fn::Sub variables), leaving out the branch of
 * each Fn::If that `conditions` does not take (names that are no resource are filtered by callers).
 */
function referencesIn(value: unknown, conditions: Record<string, boolean>): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    for (const [key, arg] of Object.entries(v as Record<string, unknown>)) {
      if (key === 'Ref' && typeof arg === 'string') found.push(arg);
      else if (key === 'Fn::GetAtt') found.push(Array.isArray(arg) ? String(arg[0]) : String(arg).split('.')[0]);
      else if (key === 'Fn::If' && Array.isArray(arg) && arg.length === 3) {
        const name = String(arg[0]);
        if (!(name in conditions)) throw new DriverError(`Fn::If: no condition ${name} in the template's Conditions`);
        walk(conditions[name] ? arg[1] : arg[2]);
      } else if (key === 'Fn::Sub') {
        const [text, variables] = typeof arg === 'string' ? [arg, undefined] : (arg as [unknown, unknown]);
        const local = variables && typeof variables === 'object' ? Object.keys(variables) : [];
        if (typeof text === 'string') {
          for (const m of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
            const name = m[1].split('.')[0];
            if (!local.includes(m[1])) found.push(name);
          }
        }
        walk(variables);
      } else walk(arg);
    }
  };
  walk(value);
  return found;
}

function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

function randomSuffix(): string {
  return randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();
}

/** Logical IDs in an order where every resource comes after what it references (Ref, GetAtt, DependsOn). */
export function dependencyOrder(template: TemplateJson): string[] {
  const ids = Object.keys(template.Resources);
  const deps = new Map(ids.map((id) => [id, dependenciesOf(template.Resources[id], ids)]));
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new DriverError(`circular dependency: ${[...trail, id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const dep of deps.get(id) ?? []) visit(dep, [...trail, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of ids) visit(id, []);
  return order;
}

function dependenciesOf(resource: TemplateResource, ids: string[]): string[] {
  const found = new Set<string>(dependsOnOf(resource).filter((id) => ids.includes(id)));
  const walk = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'Ref' && typeof v === 'string' && ids.includes(v)) found.add(v);
      else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(v) ? String(v[0]) : String(v).split('.')[0];
        if (ids.includes(target)) found.add(target);
      } else if (key === 'Fn::Sub' && typeof v === 'string') {
        for (const m of v.matchAll(/\$\{([^}.!]+)/g)) if (ids.includes(m[1])) found.add(m[1]);
      } else walk(v);
    }
  };
  walk(resource.Properties ?? {});
  walk(resource.Metadata ?? {});
  return [...found];
}
