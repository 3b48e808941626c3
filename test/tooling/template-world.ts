/**
 * Turns a synthesized template into a "deployed" world in the fake: users and secrets created with
 * realistic names and ARNs, and intrinsic functions resolved (by intrinsics.ts) to what
 * CloudFormation would pass. Its `Conditions` are evaluated in the fake's account and region with
 * the parameters' defaults: a resource whose condition is false is not created, and `Fn::If` takes
 * the branch its condition picks.
 */
import { ACCOUNT, FakeAws, REGION } from './fake-aws';
import { IntrinsicError, PseudoParameters, evaluateConditions, resolveIntrinsics } from './intrinsics';

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Condition?: string }>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
}

/** Physical values of the template's resources once "deployed" into the fake. */
export class TemplateWorld {
  private readonly refs = new Map<string, string>();
  private readonly arns = new Map<string, string>();
  /** The value of each of the template's conditions. */
  readonly conditions: Readonly<Record<string, boolean>>;
  private readonly pseudo: PseudoParameters;

  /**
   * @param region the region CloudFormation deploys the template to, for `AWS::Region` and the
   * conditions on it (default: the fake's); the fake's resources keep the fake's region
   */
  constructor(
    readonly template: TemplateJson,
    fake: FakeAws,
    readonly stackName = 'app',
    region = REGION,
  ) {
    this.pseudo = {
      accountId: ACCOUNT,
      partition: 'aws',
      region,
      stackName: this.stackName,
      // The same ID the harness puts in events (STACK_ID) for the stack named 'app'.
      stackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/11111111-2222-3333-4444-555555555555`,
      urlSuffix: 'amazonaws.com',
    };
    this.conditions = evaluateConditions(template.Conditions, {
      pseudo: this.pseudo,
      mappings: template.Mappings,
      ref: (name) => this.parameter(name),
      getAtt: (id) => {
        throw new IntrinsicError(`conditions cannot reference resource ${id}`);
      },
    });
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Condition !== undefined && !this.condition(resource.Condition)) continue;
      const props = resource.Properties ?? {};
      if (resource.Type === 'AWS::IAM::User') {
        const name = typeof props.UserName === 'string' ? props.UserName : `${stackName}-${id}-ABC123`.slice(0, 64);
        const path = typeof props.Path === 'string' ? props.Path : '/';
        this.refs.set(id, name);
        this.arns.set(id, fake.createUser(name, path));
      } else if (resource.Type === 'AWS::SecretsManager::Secret') {
        const name = typeof props.Name === 'string' ? props.Name : `${id}-${stackName}`;
        const arn = fake.createSecret(name);
        this.refs.set(id, arn);
        this.arns.set(id, arn);
      } else if (resource.Type === 'AWS::IAM::Role') {
        this.refs.set(id, `${stackName}-${id}`);
        this.arns.set(id, `arn:aws:iam::${ACCOUNT}:role/${stackName}-${id}`);
      } else if (resource.Type === 'AWS::Lambda::Function') {
        this.refs.set(id, `${stackName}-${id}`);
        this.arns.set(id, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${stackName}-${id}`);
      } else if (resource.Type === 'AWS::Events::EventBus') {
        const name = String(this.resolve(props.Name));
        this.refs.set(id, name);
        this.arns.set(id, `arn:aws:events:${region}:${ACCOUNT}:event-bus/${name}`);
      } else if (resource.Type === 'AWS::KMS::Key') {
        this.refs.set(id, `key-${id}`);
        this.arns.set(id, `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`);
      } else {
        this.refs.set(id, `${stackName}-${id}-physical`);
        this.arns.set(id, `arn:aws:cloudformation:${REGION}:${ACCOUNT}:resource/${id}`);
      }
    }
  }

  /** The value CloudFormation would substitute for `value` (see intrinsics.ts). */
  resolve(value: unknown): unknown {
    return resolveIntrinsics(value, {
      pseudo: this.pseudo,
      mappings: this.template.Mappings,
      condition: (name) => this.condition(name),
      ref: (id) => (this.template.Parameters?.[id] ? this.parameter(id) : this.need(this.refs, id)),
      getAtt: (id, attribute) =>
        attribute === 'Arn' ? this.need(this.arns, id) : `${this.need(this.refs, id)}.${attribute}`,
    });
  }

  private condition(name: string): boolean {
    if (!(name in this.conditions)) throw new IntrinsicError(`no condition ${name} in the template's Conditions`);
    return this.conditions[name];
  }

  private parameter(name: string): unknown {
    const parameter = this.template.Parameters?.[name];
    if (parameter?.Default === undefined) throw new IntrinsicError(`parameter ${name} has no Default`);
    return parameter.Default;
  }

  private need(map: Map<string, string>, id: string): string {
    const value = map.get(id);
    if (value === undefined) throw new Error(`the template has no resource ${id}`);
    return value;
  }
}
