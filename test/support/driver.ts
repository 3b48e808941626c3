/**
 * A small deployment driver for the moto suite. A test tool, NOT CloudFormation.
 *
 * What it does:
 * - `synthesize(name, build)`: builds a CDK app in-process and returns the stack's template (saved for
 *   cfn-lint through test/support/templates.ts).
 * - `deploy(template)`: creates or updates the template's resources in dependency order
 *   (Ref, Fn::GetAtt, DependsOn), then deletes what the update made obsolete (removed logical IDs,
 *   and the old physical ID of a replaced resource), in reverse dependency order of the OLD
 *   template, as CloudFormation's cleanup phase does.
 * - `destroy()`: deletes everything in reverse dependency order.
 *
 * What is real: `AWS::IAM::User` (CreateUser/DeleteUser, with Path) and `AWS::SecretsManager::Secret`
 * (CreateSecret/DeleteSecret, with Name, Description, KmsKeyId) are created in moto, and every
 * event of a custom resource type in HANDLER_ASSETS goes to its BUNDLED handler (assets/<dir>),
 * invoked in-process with a Lambda-like context; it reaches moto over HTTP (through the moto proxy).
 * Intrinsics are resolved by the tests' one resolver (intrinsics.ts: Ref, Fn::GetAtt, Fn::Join,
 * Fn::Sub, Fn::FindInMap, Fn::Select, Fn::Split, pseudo parameters; AWS::AccountId is moto's
 * 123456789012).
 *
 * What is not: every other resource type (roles, policies, functions, keys, groups) is a
 * placeholder with a made-up physical ID and made-up attributes; IAM policies are not evaluated;
 * the handler's answer is recorded rather than PUT to the ResponseURL (test/support/bundles.ts);
 * a failed event throws `DriverError`, and the test decides whether to `rollback()` (which sends
 * what CloudFormation's UPDATE_ROLLBACK would, see there).
 * Unsupported intrinsic functions throw `DriverError` naming them.
 *
 * CloudFormation behaviour it reproduces: properties arrive as strings; an Update carries
 * OldResourceProperties and the current PhysicalResourceId; a changed PhysicalResourceId makes
 * the driver send a Delete for the old one (with the old properties) after all creates and
 * updates; a stack delete deletes dependents first. With `deliveries: 2`, every event is
 * delivered twice with the same RequestId (Lambda retries asynchronous invocations).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateUserCommand,
  DeleteUserCommand,
  GetLoginProfileCommand,
  IAMClient,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FailedAnswerError, bundledHandler } from './bundles';
import { IntrinsicError, IntrinsicScope, resolveIntrinsics } from './intrinsics';
import { saveTemplate } from './templates';

/** moto's default account: what CloudFormation would put in AWS::AccountId. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

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
}

/** One resource of a template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
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
}

/** What a deployment did so far: what `rollback()` undoes. */
interface DeployProgress {
  readonly previousTemplate: TemplateJson;
  readonly created: string[];
  readonly updated: { readonly before: LiveResource; readonly after: LiveResource }[];
  failed?: { readonly before: LiveResource; readonly attempted: Record<string, unknown> };
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

  private readonly stackName: string;
  private readonly stackId: string;
  private readonly times: number;
  private readonly timeoutMs: number;
  private readonly iam: IAMClient;
  private readonly secrets: SecretsManagerClient;
  private template: TemplateJson = { Resources: {} };
  private live = new Map<string, LiveResource>();
  private pendingRollback?: DeployProgress;

  constructor(options: DriverOptions) {
    this.stackName = options.stackName ?? 'IntegStack';
    this.stackId = `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/${randomUUID()}`;
    this.times = options.deliveries ?? 1;
    this.timeoutMs = (options.handlerTimeoutSeconds ?? 120) * 1000;
    const config = { endpoint: options.endpoint, region: REGION };
    this.iam = new IAMClient(config);
    this.secrets = new SecretsManagerClient(config);
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

  /** Creates (first call) or updates the stack to `template`. */
  public async deploy(template: TemplateJson): Promise<void> {
    const old = this.template;
    const obsolete: LiveResource[] = [];
    const progress: DeployProgress = { previousTemplate: old, created: [], updated: [] };
    this.pendingRollback = undefined;
    this.template = template;
    for (const logicalId of dependencyOrder(template)) {
      const resource = template.Resources[logicalId];
      const current = this.live.get(logicalId);
      if (current && current.type !== resource.Type) {
        throw new DriverError(`${logicalId} changed type from ${current.type} to ${resource.Type}; not supported`);
      }
      const properties = this.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      try {
        if (!current) {
          this.live.set(logicalId, await this.create(logicalId, resource, properties));
          progress.created.push(logicalId);
          continue;
        }
        if (JSON.stringify(current.properties) === JSON.stringify(properties)) continue;
        const updated = await this.update(current, resource, properties);
        this.live.set(logicalId, updated);
        progress.updated.push({ before: current, after: updated });
        if (updated.physicalId !== current.physicalId) obsolete.push(current);
      } catch (error) {
        if (current && isCustomResource(current.type)) progress.failed = { before: current, attempted: properties };
        if (!current && isCustomResource(resource.Type)) {
          // A Create that answered FAILED: the Delete carries the answer's physical ID.
          const physicalId = error instanceof DriverError ? error.failedPhysicalId : undefined;
          progress.failedCreate = {
            logicalId,
            type: resource.Type,
            properties,
            physicalId: physicalId ?? `${this.stackName}-${logicalId}-${randomSuffix()}`,
            attributes: {},
          };
        }
        this.pendingRollback = progress;
        throw error;
      }
    }
    // Cleanup phase: removed resources and replaced physical resources, dependents first.
    const removed = Object.keys(old.Resources).filter((id) => !(id in template.Resources));
    const cleanupOrder = dependencyOrder(old).reverse();
    for (const logicalId of cleanupOrder) {
      for (const replaced of obsolete.filter((r) => r.logicalId === logicalId)) await this.delete(replaced);
      if (removed.includes(logicalId)) {
        const resource = this.live.get(logicalId);
        if (resource) await this.delete(resource);
        this.live.delete(logicalId);
      }
    }
  }

  /**
   * After a failed `deploy`, what CloudFormation's UPDATE_ROLLBACK sends: every custom resource
   * the deployment updated, and the one whose Update failed, gets an Update back to its previous
   * properties (with the properties being abandoned as OldResourceProperties), in dependency
   * order; then the physical resources the deployment created (new logical IDs and replacements)
   * are deleted, dependents first, the custom resource whose Create failed included (its Delete
   * carries the physical ID of its FAILED answer). Not modelled: rolling back in-place property
   * changes of users and secrets (the driver does not apply those to moto in the first place).
   */
  public async rollback(): Promise<void> {
    const progress = this.pendingRollback;
    if (!progress) throw new DriverError('nothing to roll back: the last deploy did not fail');
    this.pendingRollback = undefined;
    const back = [...progress.updated.map((u) => ({ before: u.before, abandoned: u.after }))];
    if (progress.failed) {
      back.push({
        before: progress.failed.before,
        abandoned: { ...progress.failed.before, properties: progress.failed.attempted },
      });
    }
    const replacements: LiveResource[] = [];
    for (const logicalId of dependencyOrder(progress.previousTemplate)) {
      for (const { before, abandoned } of back.filter((b) => b.before.logicalId === logicalId)) {
        if (isCustomResource(before.type)) {
          const response = await this.send({
            ...this.eventBase('Update', logicalId, before.type, before.properties),
            OldResourceProperties: abandoned.properties,
            PhysicalResourceId: abandoned.physicalId,
          });
          this.live.set(logicalId, {
            ...before,
            physicalId: response.PhysicalResourceId,
            attributes: { ...(response.Data ?? {}) },
          });
        } else {
          if (abandoned.physicalId !== before.physicalId) replacements.push(abandoned);
          this.live.set(logicalId, before);
        }
      }
    }
    const failedTemplate = this.template;
    for (const logicalId of dependencyOrder(failedTemplate).reverse()) {
      if (progress.failedCreate?.logicalId === logicalId) await this.delete(progress.failedCreate);
      for (const replaced of replacements.filter((r) => r.logicalId === logicalId)) await this.delete(replaced);
      if (progress.created.includes(logicalId)) {
        const resource = this.live.get(logicalId);
        if (resource) await this.delete(resource);
        this.live.delete(logicalId);
      }
    }
    this.template = progress.previousTemplate;
  }

  /** Deletes every resource of the stack, dependents first. */
  public async destroy(): Promise<void> {
    for (const logicalId of dependencyOrder(this.template).reverse()) {
      const resource = this.live.get(logicalId);
      if (!resource) continue;
      await this.delete(resource);
      this.live.delete(logicalId);
    }
    this.template = { Resources: {} };
  }

  /** Delivers `event` to the handler of its resource type again, as a late Lambda retry would. */
  public async redeliver(event: CustomResourceEvent): Promise<HandlerResponse> {
    return this.invoke(event, this.deliveries.filter((d) => d.event.RequestId === event.RequestId).length + 1);
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
        const created = await this.iam.send(new CreateUserCommand({ UserName: userName, Path: userPath }));
        return { ...base, physicalId: userName, attributes: { Arn: created.User!.Arn! } };
      }
      case 'AWS::SecretsManager::Secret': {
        const name = (properties.Name as string | undefined) ?? `${logicalId}-${randomSuffix()}`;
        const created = await this.secrets.send(
          new CreateSecretCommand({
            Name: name,
            Description: properties.Description as string | undefined,
            KmsKeyId: properties.KmsKeyId as string | undefined,
            SecretString: properties.SecretString as string | undefined,
          }),
        );
        return { ...base, physicalId: created.ARN!, attributes: { Id: created.ARN! } };
      }
      default:
        if (isCustomResource(resource.Type)) {
          const response = await this.send({
            ...this.eventBase('Create', logicalId, resource.Type, properties),
          });
          return { ...base, physicalId: response.PhysicalResourceId, attributes: { ...(response.Data ?? {}) } };
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
        // AWS refuses to delete a user that still has a login profile (DeleteConflict); moto does not check.
        const hasProfile = await this.iam.send(new GetLoginProfileCommand({ UserName: resource.physicalId })).then(
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
        await this.iam.send(new DeleteUserCommand({ UserName: resource.physicalId }));
        return;
      }
      case 'AWS::SecretsManager::Secret':
        await this.secrets.send(
          new DeleteSecretCommand({ SecretId: resource.physicalId, ForceDeleteWithoutRecovery: true }),
        );
        return;
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
      // The handler's answer is recorded (test/support/bundles.ts), never sent here.
      ResponseURL: 'https://cloudformation-custom-resource-response.invalid/',
      ServiceToken: String(properties.ServiceToken ?? ''),
      ResourceProperties: properties,
    };
  }

  /** Delivers the event (once, or twice with `deliveries: 2`); throws DriverError when the handler fails. */
  private async send(event: CustomResourceEvent): Promise<HandlerResponse> {
    let response: HandlerResponse | undefined;
    for (let n = 1; n <= this.times; n++) response = await this.invoke(event, n);
    return response!;
  }

  private async invoke(event: CustomResourceEvent, delivery: number): Promise<HandlerResponse> {
    const asset = HANDLER_ASSETS[event.ResourceType];
    if (!asset) throw new DriverError(`no bundled handler registered for ${event.ResourceType} (HANDLER_ASSETS)`);
    const handler = bundledHandler<CustomResourceEvent, HandlerResponse>(asset);
    const deadline = Date.now() + this.timeoutMs;
    const context = {
      functionName: `${this.stackName}-${asset}`,
      invokedFunctionArn: `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${this.stackName}-${asset}`,
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
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

  /** Resolves intrinsic functions and pseudo parameters against the live resources (see intrinsics.ts). */
  private resolve(value: unknown): unknown {
    const scope: IntrinsicScope = {
      pseudo: {
        accountId: ACCOUNT,
        partition: PARTITION,
        region: REGION,
        stackId: this.stackId,
        stackName: this.stackName,
        urlSuffix: 'amazonaws.com',
      },
      mappings: this.template.Mappings,
      ref: (name) => {
        const parameter = this.template.Parameters?.[name];
        if (parameter) return parameter.Default;
        const resource = this.live.get(name);
        if (!resource) throw new DriverError(`Ref ${name}: no such resource created yet (dependency order?)`);
        return resource.physicalId;
      },
      getAtt: (logicalId, attribute) => this.getAtt(logicalId, attribute),
    };
    try {
      // CloudFormation hands custom resources every scalar as a string.
      return resolveIntrinsics(value, scope, { scalarsAsStrings: true });
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
    if (attribute === 'Arn') return `arn:${PARTITION}:placeholder:${REGION}:${ACCOUNT}:${resource.physicalId}`;
    return `${resource.physicalId}.${attribute}`;
  }
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
  const found = new Set<string>(
    resource.DependsOn === undefined
      ? []
      : Array.isArray(resource.DependsOn)
        ? resource.DependsOn
        : [resource.DependsOn],
  );
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
  return [...found];
}
