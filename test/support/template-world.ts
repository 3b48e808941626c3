/**
 * Turns a synthesized template into a "deployed" world in the fake: users and secrets created with
 * realistic names and ARNs, and intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::FindInMap,
 * Fn::Select, Fn::Split, pseudo parameters) resolved to what CloudFormation would pass.
 */
import { ACCOUNT, FakeAws, REGION } from './fake-aws';

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

/** Physical values of the template's resources once "deployed" into the fake. */
export class TemplateWorld {
  private readonly refs = new Map<string, string>();
  private readonly arns = new Map<string, string>();

  constructor(
    readonly template: TemplateJson,
    fake: FakeAws,
    readonly stackName = 'app',
  ) {
    for (const [id, resource] of Object.entries(template.Resources)) {
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
      } else if (resource.Type === 'AWS::KMS::Key') {
        this.refs.set(id, `key-${id}`);
        this.arns.set(id, `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`);
      } else {
        this.refs.set(id, `${stackName}-${id}-physical`);
        this.arns.set(id, `arn:aws:cloudformation:${REGION}:${ACCOUNT}:resource/${id}`);
      }
    }
  }

  /** The value CloudFormation would substitute for `value`. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attribute] = arg as [string, string];
          if (attribute === 'Arn') return this.need(this.arns, id);
          return `${this.need(this.refs, id)}.${attribute}`;
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(separator);
        }
        case 'Fn::FindInMap': {
          const [map, top, second] = this.resolve(arg) as string[];
          return this.template.Mappings?.[map]?.[top]?.[second];
        }
        case 'Fn::Select': {
          const [index, list] = this.resolve(arg) as [number, unknown[]];
          return list[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, text] = this.resolve(arg) as [string, string];
          return text.split(separator);
        }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(id: string): string {
    switch (id) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Region':
        return REGION;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        // The same ID the harness puts in events (STACK_ID) for the stack named 'app'.
        return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/11111111-2222-3333-4444-555555555555`;
      default:
        return this.need(this.refs, id);
    }
  }

  private need(map: Map<string, string>, id: string): string {
    const value = map.get(id);
    if (value === undefined) throw new Error(`the template has no resource ${id}`);
    return value;
  }
}
