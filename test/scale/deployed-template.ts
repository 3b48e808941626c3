/**
 * Measures a synthesized template as CloudFormation and IAM will count it once deployed, for the
 * capacity tests and the benchmark: `TemplateRenderer` turns references, attributes and pseudo
 * parameters into realistic values of the length they will have (generated IAM names at their
 * longest), so a policy can be measured as IAM measures it. The library itself only bounds
 * lengths (`lib/permissions/limits.ts`); this checks those bounds against realistic ARNs.
 */
import { IntrinsicScope, resolveIntrinsics } from '../tooling/intrinsics';

/** Resources in one CloudFormation template. */
export const MAX_STACK_RESOURCES = 500;
/** Bytes of a template uploaded through S3 (the limit the CDK CLI deploys against; CDK warns at the same number). */
export { MAX_TEMPLATE_BYTES } from '../../lib/core/deployment';

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

/** Random suffix CloudFormation appends to generated physical names (12 characters). */
const GENERATED_SUFFIX = 'A1B2C3D4E5F6';
/** Random suffix Secrets Manager appends to a secret's name in its ARN. */
const SECRET_ARN_SUFFIX = '-AbCdEf';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
/** Length assumed for a reference or attribute nothing here knows how to render (an import, a parameter). */
const UNKNOWN_VALUE = 'x'.repeat(64);

/** The parts of a template resource the renderer reads. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/**
 * Replaces CloudFormation intrinsics with the strings they will resolve to (realistic values
 * of realistic length), so that a policy can be measured as IAM will measure it. The intrinsics
 * are resolved by the tests' one resolver (`test/tooling/intrinsics.ts`); this supplies what the
 * resources' references and attributes will be once deployed.
 */
export class TemplateRenderer {
  private readonly scope: IntrinsicScope;

  constructor(
    private readonly env: RenderEnvironment,
    private readonly resources: Readonly<Record<string, TemplateResource>> = {},
    mappings?: Record<string, Record<string, Record<string, unknown>>>,
  ) {
    this.scope = {
      pseudo: {
        accountId: env.account,
        region: env.region,
        partition: env.partition,
        urlSuffix: env.urlSuffix,
        stackName: env.stackName,
        stackId: this.arn('cloudformation', env.region, `stack/${env.stackName}/${KEY_ID}`),
      },
      mappings,
      ref: (id) => this.ref(id),
      getAtt: (id, attribute) => this.getAtt(id, attribute),
    };
  }

  /** `value` with every intrinsic replaced by a string. */
  public render(value: unknown): unknown {
    return resolveIntrinsics(value, this.scope);
  }

  private ref(id: string): string {
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
      case 'AWS::Events::EventBus':
        // Its name is required: CloudFormation generates none.
        return String(this.render(resource.Properties?.Name));
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
        case 'AWS::Events::EventBus':
          return this.arn('events', this.env.region, `event-bus/${this.ref(id)}`);
      }
    }
    return UNKNOWN_VALUE;
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
  template: {
    Resources?: Record<string, TemplateResource>;
    Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  },
  env: RenderEnvironment,
): TemplateMeasure {
  const resources = template.Resources ?? {};
  const renderer = new TemplateRenderer(env, resources, template.Mappings);
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
