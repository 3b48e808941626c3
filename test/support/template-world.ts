/**
 * Turns a synthesized template into a "deployed" world in the fake: users and secrets created with
 * realistic names and ARNs, and intrinsic functions resolved (by intrinsics.ts) to what
 * CloudFormation would pass.
 */
import { ACCOUNT, FakeAws, REGION } from './fake-aws';
import { resolveIntrinsics } from './intrinsics';

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

  /** The value CloudFormation would substitute for `value` (see intrinsics.ts). */
  resolve(value: unknown): unknown {
    return resolveIntrinsics(value, {
      pseudo: {
        accountId: ACCOUNT,
        partition: 'aws',
        region: REGION,
        stackName: this.stackName,
        // The same ID the harness puts in events (STACK_ID) for the stack named 'app'.
        stackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/11111111-2222-3333-4444-555555555555`,
        urlSuffix: 'amazonaws.com',
      },
      mappings: this.template.Mappings,
      ref: (id) => this.need(this.refs, id),
      getAtt: (id, attribute) =>
        attribute === 'Arn' ? this.need(this.arns, id) : `${this.need(this.refs, id)}.${attribute}`,
    });
  }

  private need(map: Map<string, string>, id: string): string {
    const value = map.get(id);
    if (value === undefined) throw new Error(`the template has no resource ${id}`);
    return value;
  }
}
