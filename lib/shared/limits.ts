/**
 * CloudFormation and IAM limits a stack of login profiles must stay within, and how to measure
 * a synthesized template against them before deploying it.
 *
 * IAM counts a policy's characters after CloudFormation resolved every token, without whitespace.
 * At synth most ARNs are still tokens (`Ref`, `Fn::GetAtt`, `Fn::Join` on pseudo parameters), so
 * `TemplateRenderer` turns them into realistic values of the length they will have once deployed.
 */
import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { RegionInfo } from 'aws-cdk-lib/region-info';

/** Resources in one CloudFormation template. */
export const MAX_STACK_RESOURCES = 500;
/** Bytes of a template uploaded through S3 (the limit the CDK CLI deploys against; CDK warns at the same number). */
export const MAX_TEMPLATE_BYTES = 1_000_000;
/** Characters of all inline policies of one IAM role together. */
export const MAX_ROLE_INLINE_POLICY_CHARS = 10_240;
/** Characters of one customer managed policy. */
export const MAX_MANAGED_POLICY_CHARS = 6_144;
/** Managed policies attached to one IAM role (the default quota). */
export const MAX_MANAGED_POLICIES_PER_ROLE = 10;

/** Values the pseudo parameters and generated names are rendered with. */
export interface RenderEnvironment {
  /** `AWS::AccountId`. */
  readonly account: string;
  /** `AWS::Region`. */
  readonly region: string;
  /** `AWS::Partition`. */
  readonly partition: string;
  /** `AWS::URLSuffix`. */
  readonly urlSuffix: string;
  /** `AWS::StackName`. */
  readonly stackName: string;
}

/** A commercial account in us-east-1: the environment scale figures are measured in. */
export const REALISTIC_ENVIRONMENT: RenderEnvironment = {
  account: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  urlSuffix: 'amazonaws.com',
  stackName: 'ConsoleUsers',
};

/** Stand-ins for unknown values: the longest partition and region names, so estimates err high. */
const WORST_CASE_PARTITION = 'aws-us-gov';
const WORST_CASE_REGION = 'us-isof-south-1';
/** Random suffix CloudFormation appends to generated physical names (12 characters). */
const GENERATED_SUFFIX = 'A1B2C3D4E5F6';
/** Random suffix Secrets Manager appends to a secret's name in its ARN. */
const SECRET_ARN_SUFFIX = '-AbCdEf';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
/** Length assumed for a value nothing here knows how to render (an import, a parameter). */
const UNKNOWN_VALUE = 'x'.repeat(64);

/**
 * The environment of `stack`: its account, region and name when they are known at synth, and
 * the longest plausible values where they are not (an environment-agnostic stack).
 */
export function environmentOf(stack: Stack): RenderEnvironment {
  const account = Token.isUnresolved(stack.account) ? REALISTIC_ENVIRONMENT.account : stack.account;
  const region = Token.isUnresolved(stack.region) ? WORST_CASE_REGION : stack.region;
  let partition = Token.isUnresolved(stack.partition) ? undefined : stack.partition;
  if (partition === undefined && !Token.isUnresolved(stack.region)) partition = RegionInfo.get(stack.region).partition;
  const stackName = Token.isUnresolved(stack.stackName) ? 'x'.repeat(128) : stack.stackName;
  return {
    account,
    region,
    partition: partition ?? WORST_CASE_PARTITION,
    urlSuffix: partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
    stackName,
  };
}

/** The parts of a template resource the renderer reads. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/**
 * Replaces CloudFormation intrinsics with the strings they will resolve to (realistic values
 * of realistic length), so that a policy can be measured as IAM will measure it.
 */
export class TemplateRenderer {
  constructor(
    private readonly env: RenderEnvironment,
    private readonly resources: Readonly<Record<string, TemplateResource>> = {},
  ) {}

  /** `value` with every intrinsic replaced by a string. */
  public render(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.render(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return this.intrinsic(entries[0][0], entries[0][1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.render(v)]));
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(arg));
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        return this.getAtt(String(id), String(attribute));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        const rendered = this.render(parts);
        return Array.isArray(rendered) ? rendered.map(String).join(separator) : UNKNOWN_VALUE;
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        const rendered = this.render(list);
        return Array.isArray(rendered) ? (rendered[Number(index)] ?? UNKNOWN_VALUE) : UNKNOWN_VALUE;
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return String(this.render(source)).split(separator);
      }
      case 'Fn::If': {
        // Either branch may be taken: assume the longer one.
        const [, whenTrue, whenFalse] = arg as [unknown, unknown, unknown];
        const a = JSON.stringify(this.render(whenTrue)) ?? '';
        const b = JSON.stringify(this.render(whenFalse)) ?? '';
        return a.length >= b.length ? this.render(whenTrue) : this.render(whenFalse);
      }
      default:
        return UNKNOWN_VALUE;
    }
  }

  private ref(id: string): string {
    switch (id) {
      case 'AWS::AccountId':
        return this.env.account;
      case 'AWS::Region':
        return this.env.region;
      case 'AWS::Partition':
        return this.env.partition;
      case 'AWS::URLSuffix':
        return this.env.urlSuffix;
      case 'AWS::StackName':
        return this.env.stackName;
      case 'AWS::StackId':
        return this.arn('cloudformation', this.env.region, `stack/${this.env.stackName}/${KEY_ID}`);
    }
    const resource = this.resources[id];
    switch (resource?.Type) {
      case 'AWS::IAM::User':
        return this.name(id, resource, 'UserName', 64, true);
      case 'AWS::IAM::Role':
        return this.name(id, resource, 'RoleName', 64, true);
      case 'AWS::SecretsManager::Secret':
        return this.arn(
          'secretsmanager',
          this.env.region,
          `secret:${this.name(id, resource, 'Name', 512)}${SECRET_ARN_SUFFIX}`,
        );
      case 'AWS::KMS::Key':
        return KEY_ID;
      case 'AWS::IAM::ManagedPolicy':
        return this.arn(
          'iam',
          '',
          `policy${this.path(resource)}${this.name(id, resource, 'ManagedPolicyName', 128, true)}`,
        );
      default:
        return UNKNOWN_VALUE;
    }
  }

  private getAtt(id: string, attribute: string): string {
    const resource = this.resources[id];
    if (attribute === 'Arn') {
      switch (resource?.Type) {
        case 'AWS::IAM::User':
          return this.arn('iam', '', `user${this.path(resource)}${this.ref(id)}`);
        case 'AWS::IAM::Role':
          return this.arn('iam', '', `role${this.path(resource)}${this.ref(id)}`);
        case 'AWS::KMS::Key':
          return this.arn('kms', this.env.region, `key/${KEY_ID}`);
        case 'AWS::Lambda::Function':
          return this.arn('lambda', this.env.region, `function:${this.name(id, resource, 'FunctionName', 64, true)}`);
      }
    }
    return UNKNOWN_VALUE;
  }

  private sub(arg: unknown): string {
    const [template, variables] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return template.replace(/\$\{([^}!]+)\}/g, (_, key: string) => {
      if (variables && key in variables) return String(this.render(variables[key]));
      const dot = key.indexOf('.');
      return dot < 0 ? this.ref(key) : this.getAtt(key.slice(0, dot), key.slice(dot + 1));
    });
  }

  private arn(service: string, region: string, resource: string): string {
    const account = service === 's3' ? '' : this.env.account;
    return `arn:${this.env.partition}:${service}:${region}:${account}:${resource}`;
  }

  private path(resource: TemplateResource): string {
    const path = resource.Properties?.Path;
    return typeof path === 'string' ? path : '/';
  }

  /**
   * The resource's name: its name property when given, else the name CloudFormation generates.
   * IAM names are generated from the stack name, the logical ID and a random suffix, cut to the
   * name's maximum length: assume the maximum. Others are `LogicalId-RANDOM`.
   */
  private name(id: string, resource: TemplateResource, property: string, max: number, iamName = false): string {
    const given = resource.Properties?.[property];
    if (given !== undefined) {
      const rendered = this.render(given);
      if (typeof rendered === 'string') return rendered;
    }
    const generated = iamName
      ? `${this.env.stackName}-${id}-${GENERATED_SUFFIX}`.padEnd(max, 'X')
      : `${id}-${GENERATED_SUFFIX}`;
    return generated.slice(0, max);
  }
}

/** Characters IAM counts in a (rendered) policy document: its JSON without whitespace. */
export function iamPolicyCharacters(renderedDocument: unknown): number {
  return JSON.stringify(renderedDocument).replace(/\s/g, '').length;
}

/** A limit crossed: which, by whom, how far. */
export interface LimitViolation {
  /** The limit, e.g. `MAX_MANAGED_POLICY_CHARS`. */
  readonly limit: string;
  /** The allowed maximum. */
  readonly maximum: number;
  /** The measured (or estimated) value. */
  readonly actual: number;
  /** A sentence naming the thing measured, the count, the limit and what to do. */
  readonly message: string;
}

/** What `measureTemplate` found for one role. */
export interface RoleMeasure {
  /** Logical ID of the role. */
  readonly roleId: string;
  /** Characters of all inline policies (AWS::IAM::Policy resources and the role's `Policies`) together. */
  readonly inlinePolicyCharacters: number;
  /** Managed policies attached: the role's `ManagedPolicyArns` and every AWS::IAM::ManagedPolicy naming it in `Roles`. */
  readonly managedPolicies: number;
}

/** Sizes of a synthesized template, as CloudFormation and IAM will count them. */
export interface TemplateMeasure {
  /** Resources in the template. */
  readonly resources: number;
  /** Bytes of the template as the CDK writes it (indented by one space). */
  readonly templateBytes: number;
  /** Characters of each customer managed policy, by logical ID. */
  readonly managedPolicyCharacters: Readonly<Record<string, number>>;
  /** Per role, by logical ID. */
  readonly roles: Readonly<Record<string, RoleMeasure>>;
}

/** Measures a template (as synthesized, or as `Stack._toCloudFormation` returns it) in `env`. */
export function measureTemplate(
  template: { Resources?: Record<string, TemplateResource> },
  env: RenderEnvironment,
): TemplateMeasure {
  const resources = template.Resources ?? {};
  const renderer = new TemplateRenderer(env, resources);
  const roles: Record<string, { inline: number; managed: number }> = {};
  const roleOf = (ref: unknown) => {
    const id = (ref as { Ref?: unknown } | null)?.Ref;
    return typeof id === 'string' && resources[id]?.Type === 'AWS::IAM::Role' ? id : undefined;
  };
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const props = resource.Properties ?? {};
    const inline = Array.isArray(props.Policies)
      ? (props.Policies as Array<{ PolicyDocument?: unknown; PolicyName?: unknown }>).reduce(
          (sum, p) => sum + iamPolicyCharacters(renderer.render(p.PolicyDocument)),
          0,
        )
      : 0;
    const managed = Array.isArray(props.ManagedPolicyArns) ? props.ManagedPolicyArns.length : 0;
    roles[id] = { inline, managed };
  }
  const managedPolicyCharacters: Record<string, number> = {};
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    const attached = Array.isArray(props.Roles) ? props.Roles.map(roleOf).filter((r) => r !== undefined) : [];
    if (resource.Type === 'AWS::IAM::ManagedPolicy') {
      managedPolicyCharacters[id] = iamPolicyCharacters(renderer.render(props.PolicyDocument));
      for (const role of attached) roles[role].managed++;
    } else if (resource.Type === 'AWS::IAM::Policy') {
      const chars = iamPolicyCharacters(renderer.render(props.PolicyDocument));
      for (const role of attached) roles[role].inline += chars;
    }
  }
  return {
    resources: Object.keys(resources).length,
    templateBytes: Buffer.byteLength(JSON.stringify(template, undefined, 1), 'utf8'),
    managedPolicyCharacters,
    roles: Object.fromEntries(
      Object.entries(roles).map(([roleId, r]) => [
        roleId,
        { roleId, inlinePolicyCharacters: r.inline, managedPolicies: r.managed },
      ]),
    ),
  };
}

/**
 * The limits `measure` crosses. `roleIds`, when given, restricts the role checks to those roles
 * (the ones this library owns); resource count and template size are always checked.
 */
export function limitViolations(measure: TemplateMeasure, roleIds?: readonly string[]): LimitViolation[] {
  const violations: LimitViolation[] = [];
  const advice = 'split the login profiles across several stacks';
  if (measure.resources > MAX_STACK_RESOURCES) {
    violations.push({
      limit: 'MAX_STACK_RESOURCES',
      maximum: MAX_STACK_RESOURCES,
      actual: measure.resources,
      message: `the template has ${measure.resources} resources; CloudFormation allows at most ${MAX_STACK_RESOURCES} per stack (each ConsoleUser adds 3, each LoginProfile 2, rotation 2 more per profile): ${advice}`,
    });
  }
  if (measure.templateBytes > MAX_TEMPLATE_BYTES) {
    violations.push({
      limit: 'MAX_TEMPLATE_BYTES',
      maximum: MAX_TEMPLATE_BYTES,
      actual: measure.templateBytes,
      message: `the template is ${measure.templateBytes} bytes; CloudFormation accepts at most ${MAX_TEMPLATE_BYTES}: ${advice}`,
    });
  }
  for (const [id, chars] of Object.entries(measure.managedPolicyCharacters)) {
    if (chars > MAX_MANAGED_POLICY_CHARS) {
      violations.push({
        limit: 'MAX_MANAGED_POLICY_CHARS',
        maximum: MAX_MANAGED_POLICY_CHARS,
        actual: chars,
        message: `managed policy ${id} has ${chars} characters (as IAM counts them, ARNs resolved); IAM allows at most ${MAX_MANAGED_POLICY_CHARS}`,
      });
    }
  }
  for (const role of Object.values(measure.roles)) {
    if (roleIds && !roleIds.includes(role.roleId)) continue;
    if (role.inlinePolicyCharacters > MAX_ROLE_INLINE_POLICY_CHARS) {
      violations.push({
        limit: 'MAX_ROLE_INLINE_POLICY_CHARS',
        maximum: MAX_ROLE_INLINE_POLICY_CHARS,
        actual: role.inlinePolicyCharacters,
        message: `role ${role.roleId} has ${role.inlinePolicyCharacters} characters of inline policies (as IAM counts them, ARNs resolved); IAM allows at most ${MAX_ROLE_INLINE_POLICY_CHARS} per role`,
      });
    }
    if (role.managedPolicies > MAX_MANAGED_POLICIES_PER_ROLE) {
      violations.push({
        limit: 'MAX_MANAGED_POLICIES_PER_ROLE',
        maximum: MAX_MANAGED_POLICIES_PER_ROLE,
        actual: role.managedPolicies,
        message: `role ${role.roleId} has ${role.managedPolicies} managed policies attached; IAM allows at most ${MAX_MANAGED_POLICIES_PER_ROLE} per role: ${advice}`,
      });
    }
  }
  return violations;
}

/**
 * Characters `value` (an ARN, often a token) will have once `stack` is deployed, measured
 * pessimistically: `owners` are the constructs whose attributes it refers to (a user, a secret, a key).
 */
export function deployedLength(
  stack: Stack,
  environment: RenderEnvironment,
  value: string,
  owners: readonly IConstruct[],
): number {
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
  return String(new TemplateRenderer(environment, stack.resolve(resources)).render(stack.resolve(value))).length;
}
