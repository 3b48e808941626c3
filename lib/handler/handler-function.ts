/** The Lambda functions of the library: each runs a handler that `npm run bundle` wrote to `assets/`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, CfnResource, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeFunctionFindings, acknowledgeLogGroupWithoutKey } from '../compliance/checkov';
import { acknowledgeFunctionRole } from '../compliance/nag';
import { checkTemplateSize } from '../core/deployment';
import { PROPERTIES_METADATA_KEY, SERVICE_TIMEOUT_ENV, STACK_ID_ENV } from './contract';
import { HandlerAsset } from './bundles';
import { HandlerCode } from './handler-code';
import { ResolvedHandlerSettings, StackHandlerSettings } from './settings';

/** Where `npm run bundle` writes `asset` (shipped in the package, so consumers need no bundler). */
export function handlerAssetDir(asset: HandlerAsset): string {
  return path.join(__dirname, '..', '..', 'assets', asset);
}

/** What differs between the library's functions (the rest comes from the stack's `HandlerSettings`). */
export interface HandlerFunctionProps {
  readonly asset: HandlerAsset;
  readonly description: string;
  /** The timeout unless the stack's settings give one. */
  readonly defaultTimeout: Duration;
  readonly memorySize: number;
  /**
   * Whether CloudFormation invokes the function for custom resources (its ARN is their service
   * token): see `customResourceServiceTimeout` for what that sets.
   * @default false
   */
  readonly customResources?: boolean;
}

/**
 * How long Lambda keeps an asynchronous event of a custom-resource function queued (while the
 * function is throttled) before it drops the event: the shortest Lambda allows. A dropped event
 * ends in CloudFormation's `ServiceTimeout`, a late one must not run after it.
 */
export const CUSTOM_RESOURCE_MAX_EVENT_AGE = Duration.minutes(1);

/** What a custom resource's `ServiceTimeout` leaves beyond the longest an invocation can end after the event was sent. */
export const SERVICE_TIMEOUT_MARGIN = Duration.minutes(1);

/** The longest Lambda timeout (used when the timeout is a token). */
const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);

/**
 * The `ServiceTimeout` of the custom resources served by a function with `timeout`: how long
 * CloudFormation waits for an answer. The function takes no retries and drops events older than
 * `CUSTOM_RESOURCE_MAX_EVENT_AGE`, so every invocation for an event starts within that age and
 * ends within `timeout` after: CloudFormation, waiting that long and a margin more, gives up (and
 * sends the rollback Delete of a failed Create) only when no invocation of the event can still run
 * or start. The handlers also stop their work before this time, from the time CloudFormation
 * signed the event (`lambda/runtime/custom-resource.ts`), in case an event is delivered twice.
 */
export function customResourceServiceTimeout(timeout: Duration): Duration {
  const seconds = Token.isUnresolved(timeout.toSeconds()) ? MAX_LAMBDA_TIMEOUT.toSeconds() : timeout.toSeconds();
  return Duration.seconds(CUSTOM_RESOURCE_MAX_EVENT_AGE.toSeconds() + seconds + SERVICE_TIMEOUT_MARGIN.toSeconds());
}

/**
 * A function running the bundled handler `props.asset` on ARM64, built when the stack's
 * `HandlerSettings` are final (`StackHandlerSettings`): from a file asset or inline in the template,
 * with the settings' runtime (the latest Node.js runtime unless given), timeout and log group (a
 * log group of its own, `<id>LogGroup` beside this construct). Its role, and so its permissions,
 * exist from construction; the function itself is the child `Default` of this construct, which
 * keeps the logical IDs a `lambda.Function` with this id would have.
 *
 * A custom-resource function (`customResources`) takes no retries of an asynchronous invocation
 * (its handler answers FAILED itself; a retry could run after CloudFormation gave up), drops events
 * older than `CUSTOM_RESOURCE_MAX_EVENT_AGE`, and knows its resources' `ServiceTimeout` from its
 * environment. Every function knows its stack's ID (`STACK_ID_ENV`).
 */
export class HandlerFunction extends Construct {
  /** The function's execution role (AWSLambdaBasicExecutionRole attached, as aws-cdk-lib does). */
  public readonly role: iam.Role;
  /** The function's ARN (resolved once the function is built). */
  public readonly functionArn: string;
  /** The `ServiceTimeout`, in seconds, of the custom resources the function serves (resolved once built). */
  public readonly serviceTimeoutSeconds: string;

  private fn?: lambda.Function;
  private readonly built: Array<(fn: lambda.Function) => void> = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: HandlerFunctionProps,
  ) {
    super(scope, id);
    const dir = handlerAssetDir(props.asset);
    if (!fs.existsSync(path.join(dir, 'index.js'))) {
      throw new Error(`The ${props.asset} is not bundled at ${dir}; run 'npm run bundle'`);
    }
    this.role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    this.functionArn = Lazy.string({ produce: () => this.function.functionArn });
    this.serviceTimeoutSeconds = Lazy.string({
      produce: () => String(customResourceServiceTimeout(this.function.timeout!).toSeconds()),
    });
    StackHandlerSettings.of(this).whenFinal((settings) => this.build(settings));
  }

  /** The function. It exists once the stack's settings are final, when the app is synthesized. */
  public get function(): lambda.Function {
    if (this.fn === undefined) {
      throw new Error(
        `${this.node.path}: the function is built when the app is synthesized (app.synth(), or Template.fromStack), once HandlerSettings are final`,
      );
    }
    return this.fn;
  }

  /** Calls `then` with the function once it is built (now, if it is). */
  public whenBuilt(then: (fn: lambda.Function) => void): void {
    if (this.fn !== undefined) then(this.fn);
    else this.built.push(then);
  }

  private build(settings: ResolvedHandlerSettings): void {
    const props = this.props;
    const dir = handlerAssetDir(props.asset);
    const scope = this.node.scope as Construct;
    const timeout = settings.timeout ?? props.defaultTimeout;
    const logGroup = ownedLogGroup(scope, `${this.node.id}LogGroup`, settings.logRetention, settings.logEncryptionKey);
    const fn = new lambda.Function(this, 'Default', {
      description: `cdk-console-users: ${props.description}`,
      runtime: settings.runtime ?? lambda.determineLatestNodeRuntime(this),
      architecture: lambda.Architecture.ARM_64,
      // Inline code is the same bundle: CloudFormation writes `ZipFile` to index.js, so the handler
      // is `index.handler` either way (scripts/bundle.mjs keeps the bundle one self-contained
      // CommonJS file for this).
      handler: 'index.handler',
      code:
        settings.handlerCode === HandlerCode.INLINE
          ? lambda.Code.fromInline(fs.readFileSync(path.join(dir, 'index.js'), 'utf8'))
          : lambda.Code.fromAsset(dir),
      role: this.role,
      timeout,
      memorySize: props.memorySize,
      logGroup,
      // The stack's own ID: a handler acts only for resources CloudFormation records in this stack.
      environment: {
        [STACK_ID_ENV]: Stack.of(this).stackId,
        ...(props.customResources
          ? { [SERVICE_TIMEOUT_ENV]: String(customResourceServiceTimeout(timeout).toSeconds()) }
          : {}),
      },
      ...(props.customResources ? { retryAttempts: 0, maxEventAge: CUSTOM_RESOURCE_MAX_EVENT_AGE } : {}),
    });
    acknowledgeFunctionRole(fn);
    acknowledgeFunctionFindings(fn, props.customResources ? 'cloudformation' : 'secretsmanager');
    checkTemplateSize(fn);
    this.fn = fn;
    for (const then of this.built.splice(0)) then(fn);
  }
}

/**
 * A custom resource of `type` served by `handler`, carrying `properties` also in its `Metadata`
 * (`PROPERTIES_METADATA_KEY`), where CloudFormation keeps them with references resolved: the
 * handler acts on CloudFormation's record, not on an event's (anyone who may invoke the function
 * can send it one).
 */
export function attestedCustomResource(
  scope: Construct,
  id: string,
  handler: HandlerFunction,
  type: string,
  properties: object,
): CfnResource {
  // A CfnResource rather than the CustomResource L2: the same resource (logical ID, properties,
  // deletion policy), at less synth cost per login profile, and a `ServiceTimeout` that may be
  // known only once the settings are (the timeout is one).
  const resource = new CfnResource(scope, id, {
    type,
    properties: { ServiceToken: handler.functionArn, ...properties, ServiceTimeout: handler.serviceTimeoutSeconds },
  });
  resource.applyRemovalPolicy(RemovalPolicy.DESTROY);
  resource.addMetadata(PROPERTIES_METADATA_KEY, { ...properties });
  return resource;
}

/**
 * A log group deleted with the stack. Without one, Lambda creates `/aws/lambda/<name>` on first
 * invocation, outside CloudFormation, with no retention, and it stays after the stack is gone.
 * With `encryptionKey`, CloudWatch Logs encrypts it with that key, which lets the regional
 * CloudWatch Logs service use it for this account's log groups (for a key defined in the app; an
 * imported key's policy must allow it already, or the log group fails to create).
 */
function ownedLogGroup(
  scope: Construct,
  id: string,
  retention: logs.RetentionDays,
  encryptionKey: kms.IKey | undefined,
): logs.LogGroup {
  const logGroup = new logs.LogGroup(scope, id, { retention, removalPolicy: RemovalPolicy.DESTROY, encryptionKey });
  if (encryptionKey) {
    // The key policy is part of the key's resource, which the log group references: CloudFormation
    // sets the policy before it creates the log group.
    allowLogsToUse(encryptionKey);
  } else {
    acknowledgeLogGroupWithoutKey(logGroup);
  }
  return logGroup;
}

/** Sid of the statement that lets CloudWatch Logs use a key for the account's log groups in the stack's region. */
const LOGS_KEY_SID = 'CdkConsoleUsersLogGroupEncryption';

/** Keys given that statement already (weakly held: nothing outlives its app). */
const keysAllowingLogs = new WeakSet<kms.IKey>();

/** Adds the statement to `key`'s policy, once per key (no-op for an imported key, as `addToResourcePolicy` is). */
function allowLogsToUse(key: kms.IKey): void {
  if (keysAllowingLogs.has(key)) return;
  keysAllowingLogs.add(key);
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: LOGS_KEY_SID,
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}

/**
 * Lets a custom-resource handler ask CloudFormation about its own stack only: the handler acts on
 * an event only when CloudFormation's record of the resource shows it (`DescribeStackResource`),
 * and checks the stack's cleanup phase for the Delete of a replaced resource (`DescribeStacks`).
 */
export function readOwnStackStatement(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadOwnStackRecord',
    actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
    resources: [stack.stackId],
  });
}
