/** The custom-resource provider shared by every login profile of a stack. */
import * as fs from 'node:fs';
import {
  CfnResource,
  Duration,
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
  Stack,
  Stage,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct, IDependable } from 'constructs';
import { handlerFunction, handlerProvider, validatedLogRetention } from '../shared/handler-function';
import {
  LimitViolation,
  MAX_MANAGED_POLICY_CHARS,
  RenderEnvironment,
  TemplateRenderer,
  TemplateResource,
  deployedLength,
  environmentOf,
  iamPolicyCharacters,
  limitViolations,
  measureTemplate,
} from '../shared/limits';
import {
  NAG_REASONS,
  acknowledgeAccountWideActions,
  acknowledgeClaimedProfileDeletes,
  acknowledgeFramework,
  acknowledgeFunctionRole,
} from '../shared/nag';
import { stackSingleton } from '../shared/stack-singleton';
import { STACK_TAG_KEY } from './contract';

/** Props of `LoginProfileProvider`. */
export interface LoginProfileProviderProps {
  /**
   * Lambda runtime of the handler.
   * @default - the newest Node.js runtime that aws-cdk-lib knows for the stack's region
   */
  readonly runtime?: lambda.Runtime;

  /**
   * How long the handler may run for one event: 30 seconds to 15 minutes. Its bounded retries need
   * about 20 seconds in the worst case the fault tests measure, so less is refused.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;

  /**
   * How long the log groups of the handler and of the provider framework's function keep their
   * events; the stack's rotation function (`LoginProfileRotation`) uses the same retention. Each
   * function logs to a log group of its own, deleted with the stack.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
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
    return stackSingleton(
      scope,
      LoginProfileProvider.ID,
      (c): c is LoginProfileProvider => c instanceof LoginProfileProvider,
      (stack, id) => new LoginProfileProvider(stack, id),
    );
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
  /** How long the log groups of the stack's functions (handler, provider framework, rotation) keep their events. */
  public readonly logRetention: logs.RetentionDays;

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
    this.logRetention = validatedLogRetention(
      `LoginProfileProvider ${this.node.path}`,
      'logRetention',
      props.logRetention,
    );
    this.handler = handlerFunction(this, 'Handler', {
      asset: 'login-profile-handler',
      description: 'creates console login profiles with generated passwords kept in Secrets Manager',
      runtime: props.runtime,
      timeout: validatedTimeout(props.timeout),
      memorySize: 256,
      logRetention: this.logRetention,
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
        new iam.PolicyStatement({
          sid: 'DeleteLoginProfilesOfUsersThisStackClaimed',
          // CloudFormation updates this stack's policies before it deletes a login profile that left
          // the stack (or the old user of a rename), so the per-user statements no longer name that
          // user when its Delete runs. The handler tags every user it claims with the stack ID;
          // reading and deleting the profile of a user carrying that tag stays allowed.
          actions: ['iam:GetUser', 'iam:DeleteLoginProfile'],
          resources: [Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' })],
          conditions: { StringEquals: { [`aws:ResourceTag/${STACK_TAG_KEY}`]: Stack.of(this).stackId } },
        }),
      ],
    });
    // Every login profile reaches the handler through the service token (framework function ->
    // handler), so this makes the policy exist before, and outlive, all of them.
    // The function resource only: its role is referenced by the policy.
    this.handler.node.defaultChild!.node.addDependency(this.policy);

    const provider = handlerProvider(this, 'Provider', this.handler, this.logRetention);
    this.serviceToken = provider.serviceToken;
    acknowledgeFunctionRole(this.handler);
    acknowledgeAccountWideActions(this.policy, NAG_REASONS.accountPasswordPolicyRead);
    acknowledgeClaimedProfileDeletes(this.policy);
    acknowledgeFramework(provider, this.handler);

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
    const userArn = this.userArnLength(user);
    const secretArn = this.secretArnLength(secret);
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

  /** Characters of the user's ARN once deployed; computed directly for a user of this app (resolving costs synth time). */
  private userArnLength(user: iam.IUser): number {
    const cfn = user.node.defaultChild;
    if (cfn instanceof iam.CfnUser && !Token.isUnresolved(cfn.userName) && !Token.isUnresolved(cfn.path)) {
      const env = this.environment;
      // arn:PARTITION:iam::ACCOUNT:userPATHNAME; a generated name is assumed to be as long as IAM allows (64).
      return (
        'arn::iam:::user'.length +
        env.partition.length +
        env.account.length +
        (cfn.path ?? '/').length +
        (cfn.userName?.length ?? 64)
      );
    }
    return this.estimate(user.userArn, [user]);
  }

  /** Characters of the secret's ARN once deployed (see `userArnLength`). */
  private secretArnLength(secret: secretsmanager.ISecret): number {
    const cfn = secret.node.defaultChild;
    // A Secret's name is a token even when it has none (its physical name); resolve just that.
    const given = cfn instanceof secretsmanager.CfnSecret ? Stack.of(cfn).resolve(cfn.name) : null;
    if (cfn instanceof secretsmanager.CfnSecret && (given === undefined || typeof given === 'string')) {
      const env = this.environment;
      const name = given ?? `${Stack.of(cfn).getLogicalId(cfn)}-${'x'.repeat(12)}`;
      // arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf
      return (
        'arn::secretsmanager:::secret:-AbCdEf'.length +
        env.partition.length +
        env.region.length +
        env.account.length +
        name.length
      );
    }
    return this.estimate(secret.secretArn, [secret]);
  }

  /** Characters `value` (an ARN, often a token) will have once deployed, measured pessimistically. */
  private estimate(value: string, owners: IConstruct[]): number {
    return deployedLength(Stack.of(this), this.environment, value, owners);
  }

  private render(stack: Stack, value: unknown, resources: Record<string, TemplateResource> = {}): unknown {
    return new TemplateRenderer(this.environment, stack.resolve(resources)).render(stack.resolve(value));
  }

  /**
   * Synth-time check of the limits that need no full template: resources (counted in the tree)
   * and the policies of this library's roles (only those resolved and rendered). The template's
   * size is checked on the written template, by `TemplateSizeCheck`.
   */
  private validateLimits(): string[] {
    const stack = Stack.of(this);
    const resources: Record<string, TemplateResource> = {};
    let count = 0;
    const policies: Array<iam.CfnPolicy | iam.CfnManagedPolicy> = [];
    const roles = new Map<string, iam.CfnRole>();
    for (const node of stack.node.findAll()) {
      if (!CfnResource.isCfnResource(node) || Stack.of(node) !== stack) continue;
      count++;
      if (node instanceof iam.CfnUser) {
        resources[stack.getLogicalId(node)] = {
          Type: node.cfnResourceType,
          Properties: { UserName: node.userName, Path: node.path },
        };
      } else if (node instanceof secretsmanager.CfnSecret) {
        resources[stack.getLogicalId(node)] = { Type: node.cfnResourceType, Properties: { Name: node.name } };
      } else if (node instanceof iam.CfnRole) {
        roles.set(stack.getLogicalId(node), node);
      } else if (node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy) {
        policies.push(node);
      } else if (['AWS::KMS::Key', 'AWS::Lambda::Function'].includes(node.cfnResourceType)) {
        resources[stack.getLogicalId(node)] = { Type: node.cfnResourceType };
      }
    }
    const ownRoles = stack.node.children
      .filter((child) => child.node.id.startsWith('CdkConsoleUsers'))
      .flatMap((child) => child.node.findAll())
      .filter((c): c is iam.CfnRole => c instanceof iam.CfnRole)
      .map((role) => stack.getLogicalId(role));
    for (const id of ownRoles) {
      const role = roles.get(id)!;
      resources[id] = {
        Type: role.cfnResourceType,
        Properties: stack.resolve({
          ManagedPolicyArns: role.managedPolicyArns,
          Policies: role.policies,
          Path: role.path,
        }),
      };
    }
    for (const policy of policies) {
      const attached = (stack.resolve(policy.roles) ?? []) as Array<{ Ref?: string }>;
      if (!attached.some((role) => role?.Ref !== undefined && ownRoles.includes(role.Ref))) continue;
      resources[stack.getLogicalId(policy)] = {
        Type: policy.cfnResourceType,
        Properties: { Roles: attached, PolicyDocument: stack.resolve(policy.policyDocument) },
      };
    }
    TemplateSizeCheck.register(stack);
    const measure = {
      ...measureTemplate({ Resources: resources }, this.environment),
      resources: count,
      templateBytes: 0,
    };
    return limitViolations(measure, ownRoles).map((v) => limitMessage(stack, v));
  }
}

function limitMessage(stack: Stack, v: LimitViolation): string {
  return `cdk-console-users: ${v.limit} exceeded in stack ${stack.node.path}: ${v.message}`;
}

/**
 * Checks the size of each template holding a login-profile provider once it is written (a
 * validation plugin of the app: measuring it earlier would resolve the whole template twice).
 */
class TemplateSizeCheck implements IPolicyValidationPlugin {
  private static readonly instances = new WeakMap<Stage, TemplateSizeCheck>();

  /** Adds `stack` to the checks of its stage (a no-op on aws-cdk-lib versions without `Validations`). */
  public static register(stack: Stack): void {
    const stage = Stage.of(stack);
    if (!stage || typeof Validations?.of !== 'function') return;
    let check = TemplateSizeCheck.instances.get(stage);
    if (!check) {
      check = new TemplateSizeCheck();
      TemplateSizeCheck.instances.set(stage, check);
      Validations.of(stage).addPlugins(check);
    }
    check.stacks.set(stack.node.path, stack);
  }

  public readonly name = 'cdk-console-users-limits';
  private readonly stacks = new Map<string, Stack>();

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    for (const template of context.stackTemplates) {
      const stack = this.stacks.get(template.stackConstructPath);
      if (!stack) continue;
      const bytes = fs.statSync(template.templatePath).size;
      for (const v of limitViolations({ resources: 0, templateBytes: bytes, managedPolicyCharacters: {}, roles: {} })) {
        violations.push({
          ruleName: v.limit,
          description: limitMessage(stack, v),
          severity: 'error',
          violatingResources: [
            { resourceLogicalId: stack.stackName, templatePath: template.templatePath, locations: [] },
          ],
        });
      }
    }
    return { success: violations.length === 0, violations };
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

/** The handler timeout, checked against the range the handler's retries fit in (skipping tokens). */
function validatedTimeout(timeout: Duration | undefined): Duration {
  if (timeout === undefined) return Duration.minutes(2);
  if (!Token.isUnresolved(timeout.toSeconds())) {
    const seconds = timeout.toSeconds();
    if (seconds < 30 || seconds > 900) {
      throw new Error(`'timeout' must be from 30 seconds to 15 minutes, got ${timeout.toHumanString()}`);
    }
  }
  return timeout;
}
