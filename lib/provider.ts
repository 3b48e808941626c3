/** The custom-resource provider shared by every login profile of a stack. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct, IDependable } from 'constructs';
import {
  MAX_MANAGED_POLICY_CHARS,
  RenderEnvironment,
  TemplateRenderer,
  TemplateResource,
  environmentOf,
  iamPolicyCharacters,
  limitViolations,
  measureTemplate,
} from './limits';

/** Where `npm run bundle` writes the handler (shipped in the package, so consumers need no bundler). */
export const HANDLER_ASSET_DIR = path.join(__dirname, '..', 'assets', 'login-profile-handler');

/** Props of `LoginProfileProvider`. */
export interface LoginProfileProviderProps {
  /**
   * Lambda runtime of the handler.
   * @default - the newest Node.js runtime that aws-cdk-lib knows for the stack's region
   */
  readonly runtime?: lambda.Runtime;

  /**
   * How long the handler may run for one event.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
}

/**
 * The Lambda function, provider framework and permissions that create login profiles.
 *
 * One per stack, created on first use by `LoginProfile`. Create it yourself (with the id
 * `LoginProfileProvider.ID`, directly under the stack) before any login profile to choose the
 * runtime or timeout. Its permissions grow with each login profile: the login-profile actions
 * only on those users, the secret writes only on those secrets, packed into customer managed
 * policies of at most 6,144 characters each. At synth it checks the stack against CloudFormation's
 * and IAM's limits (500 resources, 1 MB of template, 10,240 characters of inline policy per role,
 * 6,144 per managed policy, 10 managed policies per role) and fails with the limit and the count.
 */
export class LoginProfileProvider extends Construct {
  /** Construct id of the provider under its stack. */
  public static readonly ID = 'CdkConsoleUsersLoginProfileProvider';

  /** The provider of `scope`'s stack, created if it does not exist yet. */
  public static of(scope: IConstruct): LoginProfileProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(LoginProfileProvider.ID);
    if (existing instanceof LoginProfileProvider) return existing;
    if (existing !== undefined) {
      throw new Error(`'${LoginProfileProvider.ID}' is used by another construct in stack ${stack.node.path}`);
    }
    return new LoginProfileProvider(stack, LoginProfileProvider.ID);
  }

  /** The Lambda function that handles the login-profile events. */
  public readonly handler: lambda.Function;
  /**
   * The handler's permissions that do not name a login profile (`iam:GetAccountPasswordPolicy`).
   * The handler function depends on it, and so does every login profile through the service token.
   */
  public readonly policy: iam.Policy;
  /** Service token for `Custom::ConsoleLoginProfile` resources. */
  public readonly serviceToken: string;

  /**
   * Customer managed policies holding the per-profile permissions, each filled up to IAM's 6,144
   * characters (ARNs measured as deployed) before the next is started. Managed rather than
   * inline: a role's inline policies share 10,240 characters, which about 60 profiles fill.
   */
  private readonly shards: PermissionShard[] = [];
  private readonly environment: RenderEnvironment;

  constructor(scope: Construct, id: string, props: LoginProfileProviderProps = {}) {
    super(scope, id);
    if (!(scope instanceof Stack) || id !== LoginProfileProvider.ID) {
      throw new Error(
        `LoginProfileProvider must be created directly under a stack with id LoginProfileProvider.ID ('${LoginProfileProvider.ID}'), got '${id}' under ${scope.node.path || 'the app'}`,
      );
    }
    if (!fs.existsSync(path.join(HANDLER_ASSET_DIR, 'index.js'))) {
      throw new Error(`The login-profile handler is not bundled at ${HANDLER_ASSET_DIR}; run 'npm run bundle'`);
    }

    this.handler = new lambda.Function(this, 'Handler', {
      description: 'cdk-console-users: creates console login profiles with generated passwords kept in Secrets Manager',
      runtime: props.runtime ?? lambda.determineLatestNodeRuntime(this),
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(HANDLER_ASSET_DIR),
      timeout: props.timeout ?? Duration.minutes(2),
      memorySize: 256,
    });

    this.policy = new iam.Policy(this, 'HandlerPolicy', {
      roles: [this.handler.role!],
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadAccountPasswordPolicy',
          // GetAccountPasswordPolicy has no resource type: IAM only accepts "*" for it.
          actions: ['iam:GetAccountPasswordPolicy'],
          resources: ['*'],
        }),
      ],
    });
    // Every login profile reaches the handler through the service token (framework function ->
    // handler), so this makes the policy exist before, and outlive, all of them.
    // The function resource only: its role is referenced by the policy.
    this.handler.node.defaultChild!.node.addDependency(this.policy);

    const provider = new cr.Provider(this, 'Provider', { onEventHandler: this.handler });
    this.serviceToken = provider.serviceToken;

    this.environment = environmentOf(Stack.of(this));
    this.node.addValidation({ validate: () => this.validateLimits() });
  }

  /** The customer managed policies that hold the per-profile permissions (one per ~35 profiles). */
  public get permissionPolicies(): iam.ManagedPolicy[] {
    return this.shards.map((shard) => shard.policy);
  }

  /**
   * Lets the handler manage the login profile of `user` and write its password to `secret`
   * (and use the secret's KMS key through Secrets Manager). Returns the policy that holds these
   * permissions: the login profile's custom resource must depend on it, so that the permissions
   * exist before it is created and outlive it when it is deleted.
   */
  public grantLoginProfile(user: iam.IUser, secret: secretsmanager.ISecret): IDependable {
    const stack = Stack.of(this);
    const userArn = this.estimate(user.userArn, [user, secret]);
    const secretArn = this.estimate(secret.secretArn, [user, secret]);
    const key = secret.encryptionKey;
    let cost = userArn + secretArn + 2 * RESOURCE_OVERHEAD;
    let shard = this.shards[this.shards.length - 1];
    const keyCost = (s: PermissionShard | undefined) =>
      !key || s?.keys.has(key.node.path)
        ? 0
        : this.estimate(key.keyArn, [key]) + RESOURCE_OVERHEAD + (s?.keyStatement ? 0 : this.keyStatementBase(stack));
    if (!shard || shard.characters + cost + keyCost(shard) > SHARD_BUDGET) shard = this.addShard();
    cost += keyCost(shard);
    shard.userStatement.addResources(user.userArn);
    shard.secretStatement.addResources(secret.secretArn);
    if (key && !shard.keys.has(key.node.path)) {
      shard.keys.add(key.node.path);
      if (!shard.keyStatement) {
        shard.keyStatement = keyStatement(stack);
        shard.policy.addStatements(shard.keyStatement);
      }
      shard.keyStatement.addResources(key.keyArn);
    }
    shard.characters += cost;
    return shard.policy;
  }

  private addShard(): PermissionShard {
    const userStatement = new iam.PolicyStatement({
      sid: 'ManageLoginProfilesOfDeclaredUsers',
      actions: [
        'iam:CreateLoginProfile',
        'iam:UpdateLoginProfile',
        'iam:DeleteLoginProfile',
        'iam:GetUser',
        'iam:TagUser',
      ],
    });
    const secretStatement = new iam.PolicyStatement({
      sid: 'WriteDeclaredPasswordSecrets',
      actions: [
        'secretsmanager:PutSecretValue',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:UpdateSecretVersionStage',
      ],
    });
    const policy = new iam.ManagedPolicy(this, `LoginProfilePermissions${this.shards.length + 1}`, {
      description: `cdk-console-users: login profiles the handler may manage (part ${this.shards.length + 1})`,
      roles: [this.handler.role!],
      statements: [userStatement, secretStatement],
    });
    const base = iamPolicyCharacters({
      Version: '2012-10-17',
      Statement: [userStatement, secretStatement].map((s) => ({ ...s.toStatementJson(), Resource: [] })),
    });
    const shard: PermissionShard = { policy, userStatement, secretStatement, keys: new Set(), characters: base };
    this.shards.push(shard);
    return shard;
  }

  private keyStatementBase(stack: Stack): number {
    return iamPolicyCharacters(this.render(stack, { ...keyStatement(stack).toStatementJson(), Resource: [] })) + 1;
  }

  /** Characters `value` (an ARN, often a token) will have once deployed, measured pessimistically. */
  private estimate(value: string, owners: IConstruct[]): number {
    const stack = Stack.of(this);
    const resources: Record<string, TemplateResource> = {};
    for (const owner of owners) {
      const cfn = owner.node.defaultChild;
      if (!CfnResource.isCfnResource(cfn)) continue;
      const id = stack.resolve(cfn.logicalId) as string;
      if (cfn instanceof iam.CfnUser) {
        resources[id] = { Type: cfn.cfnResourceType, Properties: { UserName: cfn.userName, Path: cfn.path } };
      } else if (cfn instanceof secretsmanager.CfnSecret) {
        resources[id] = { Type: cfn.cfnResourceType, Properties: { Name: cfn.name } };
      } else {
        resources[id] = { Type: cfn.cfnResourceType };
      }
    }
    return String(this.render(stack, value, resources)).length;
  }

  private render(stack: Stack, value: unknown, resources: Record<string, TemplateResource> = {}): unknown {
    return new TemplateRenderer(this.environment, stack.resolve(resources)).render(stack.resolve(value));
  }

  /** Synth-time check: the stack must fit CloudFormation's and IAM's limits (see `limits.ts`). */
  private validateLimits(): string[] {
    const stack = Stack.of(this);
    const synthesizable = stack as unknown as { _toCloudFormation?: () => Record<string, unknown> };
    // `_toCloudFormation` is what the stack writes as its template; without it, skip the check.
    if (typeof synthesizable._toCloudFormation !== 'function') return [];
    const template = synthesizable._toCloudFormation() as { Resources?: Record<string, TemplateResource> };
    const ownRoles = stack.node.children
      .filter((child) => child.node.id.startsWith('CdkConsoleUsers'))
      .flatMap((child) => child.node.findAll())
      .filter((c): c is iam.CfnRole => c instanceof iam.CfnRole)
      .map((role) => stack.resolve(role.logicalId) as string);
    return limitViolations(measureTemplate(template, this.environment), ownRoles).map(
      (v) => `cdk-console-users: ${v.limit} exceeded in stack ${stack.node.path}: ${v.message}`,
    );
  }
}

/** Characters each ARN adds to a statement's resource list besides itself: two quotes and a comma. */
const RESOURCE_OVERHEAD = 3;
/** What the packer fills a managed policy up to: IAM's limit, less a margin for rounding. */
const SHARD_BUDGET = MAX_MANAGED_POLICY_CHARS - 100;

/** One customer managed policy and the statements the packer fills. */
interface PermissionShard {
  readonly policy: iam.ManagedPolicy;
  readonly userStatement: iam.PolicyStatement;
  readonly secretStatement: iam.PolicyStatement;
  keyStatement?: iam.PolicyStatement;
  readonly keys: Set<string>;
  /** Estimated characters, as IAM will count them. */
  characters: number;
}

function keyStatement(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'UseKeysOfDeclaredSecretsThroughSecretsManager',
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    conditions: {
      StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
    },
  });
}
