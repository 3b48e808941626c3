/**
 * Per-resource permissions of a stack's function, packed into customer managed policies.
 *
 * Statements that name each login profile's user, secret and key one by one outgrow a role's
 * 10,240 characters of inline policy at a few dozen profiles. aws-cdk-lib moves statements of a
 * role's default policy into overflow managed policies, but it cannot split one statement's
 * resource list, and it counts every token as 150 characters (a secret ARN with a given name can
 * be 560). So the resources are packed here, into managed policies each filled up to IAM's 6,144
 * characters with every ARN counted at its longest (`limits.ts`), before the next one is started.
 */
import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import {
  MAX_MANAGED_POLICIES_PER_ROLE,
  MAX_MANAGED_POLICY_CHARS,
  MAX_ROLE_INLINE_POLICY_CHARS,
  policyCharactersBound,
} from './limits';

/** A statement of every packed policy: its resources are filled in one grant at a time. */
export interface PackedStatement {
  readonly sid: string;
  readonly actions: string[];
  readonly conditions?: Record<string, unknown>;
}

/** An ARN to grant and the longest it can be once deployed. */
export interface BoundedArn {
  readonly arn: string;
  readonly bound: number;
}

/** What `PermissionPacker.grant` adds: ARNs by the `sid` of the statement that lists them. */
export type PackedGrant = ReadonlyArray<readonly [sid: string, arns: readonly BoundedArn[]]>;

interface PackedPolicy {
  readonly policy: iam.ManagedPolicy;
  readonly statements: Map<string, { statement: iam.PolicyStatement; arns: Set<string> }>;
  /** Characters IAM will count, at most. */
  characters: number;
}

/** Sid of the statement that lets a function use the KMS keys of the secrets it writes, through Secrets Manager only. */
export const SECRET_KEY_STATEMENT = 'UseKeysOfDeclaredSecretsThroughSecretsManager';

/** The statement `SECRET_KEY_STATEMENT` of `stack`: the keys are its resources. */
export function secretKeyStatement(stack: Stack): PackedStatement {
  return {
    sid: SECRET_KEY_STATEMENT,
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
  };
}

/** No token bounds: for a document that references no resource. */
const NO_BOUNDS: ReadonlyMap<string, number> = new Map();

/**
 * Whether a resolved policy document (or part of one) references a resource: a `Ref` other than to
 * a pseudo parameter, or an intrinsic other than `Fn::Join` (whose parts are looked at in turn).
 */
function referencesResources(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(referencesResources);
  if (value === null || typeof value !== 'object') return false;
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? [];
  if (entries.length === 1 && key === 'Ref') return typeof arg !== 'string' || !arg.startsWith('AWS::');
  if (entries.length === 1 && key === 'Fn::Join') return referencesResources(arg);
  if (entries.length === 1 && key?.startsWith('Fn::')) return true;
  return entries.some(([, item]) => referencesResources(item));
}

/** The empty policy document `{"Version":"2012-10-17","Statement":[]}`. */
const EMPTY_DOCUMENT = 39;

/**
 * Customer managed policies `<id>1`, `<id>2`, … under `scope`, attached to `role`, holding the
 * statements `statements` (each created in a policy when it first gets a resource). At synth it
 * checks the role: each of these policies within 6,144 characters, its inline policies within
 * 10,240 together, and at most 10 managed policies attached.
 */
export class PermissionPacker {
  private readonly packed: PackedPolicy[] = [];
  /** Bounds of the token ARNs granted, by their resolved JSON (see `knownBounds`). */
  private readonly known = new Map<string, number>();
  /** Token ARNs granted and their bounds, not resolved yet. */
  private readonly unresolved: Array<readonly [arn: string, bound: number]> = [];
  private readonly stack: Stack;

  constructor(
    private readonly scope: Construct,
    private readonly id: string,
    private readonly description: string,
    private readonly role: iam.IRole,
    private readonly statements: readonly PackedStatement[],
  ) {
    this.stack = Stack.of(scope);
    scope.node.addValidation({ validate: () => this.validate() });
  }

  /** The managed policies, in the order they were filled. */
  public get policies(): iam.ManagedPolicy[] {
    return this.packed.map((p) => p.policy);
  }

  /**
   * Adds `grant` to the last policy when it fits there, else to a new one, and returns that policy:
   * whatever needs the permissions must depend on it.
   */
  public grant(grant: PackedGrant): iam.ManagedPolicy {
    let target = this.packed[this.packed.length - 1];
    let cost = target === undefined ? 0 : this.cost(target, grant);
    if (target === undefined || target.characters + cost > MAX_MANAGED_POLICY_CHARS) {
      target = this.addPolicy();
      cost = this.cost(target, grant);
    }
    target.characters += cost;
    for (const [sid, arns] of grant) {
      let entry = target.statements.get(sid);
      if (entry === undefined) {
        const shape = this.statements.find((s) => s.sid === sid)!;
        entry = { statement: new iam.PolicyStatement(shape), arns: new Set() };
        target.statements.set(sid, entry);
        target.policy.addStatements(entry.statement);
      }
      for (const { arn, bound } of arns) {
        if (entry.arns.has(arn)) continue;
        entry.arns.add(arn);
        entry.statement.addResources(arn);
        if (Token.isUnresolved(arn)) this.unresolved.push([arn, bound]);
      }
    }
    return target.policy;
  }

  /** Characters `grant` adds to `target`: each new ARN with its quotes and comma, each new statement. */
  private cost(target: PackedPolicy, grant: PackedGrant): number {
    let cost = 0;
    for (const [sid, arns] of grant) {
      const entry = target.statements.get(sid);
      if (entry === undefined) cost += this.statementBase(sid);
      const added = new Set<string>();
      for (const { arn, bound } of arns) {
        if (entry?.arns.has(arn) || added.has(arn)) continue;
        added.add(arn);
        cost += bound + 3;
      }
    }
    return cost;
  }

  /** Characters of statement `sid` with an empty resource list, and its comma. */
  private statementBase(sid: string): number {
    const shape = this.statements.find((s) => s.sid === sid);
    if (shape === undefined) throw new Error(`no packed statement '${sid}'`);
    const json = { ...new iam.PolicyStatement(shape).toStatementJson(), Resource: [] };
    // An empty statement names no granted ARN: no bounds of them needed.
    return policyCharactersBound(this.stack, this.stack.resolve(json), new Map()) + 1;
  }

  /**
   * The bounds of the token ARNs granted, by their resolved JSON (how a resolved policy document
   * holds them). Resolved here, when a document is measured, all at once: one resolution of every
   * ARN granted since, rather than one per ARN on every grant, which at 150 login profiles cost
   * about as much as the packing itself.
   */
  private knownBounds(): ReadonlyMap<string, number> {
    if (this.unresolved.length > 0) {
      const resolved = this.stack.resolve(this.unresolved.map(([arn]) => arn)) as unknown[];
      this.unresolved.forEach(([, bound], i) => this.known.set(JSON.stringify(resolved[i]), bound));
      this.unresolved.length = 0;
    }
    return this.known;
  }

  private addPolicy(): PackedPolicy {
    const n = this.packed.length + 1;
    const policy = new iam.ManagedPolicy(this.scope, `${this.id}${n}`, {
      description: `${this.description} (part ${n})`,
      roles: [this.role],
    });
    const packed: PackedPolicy = { policy, statements: new Map(), characters: EMPTY_DOCUMENT };
    this.packed.push(packed);
    return packed;
  }

  /** The limits the role crosses, each a sentence naming the limit, the thing, the count and the maximum. */
  private validate(): string[] {
    const stack = this.stack;
    const cfnRole = this.role.node.defaultChild as iam.CfnRole;
    const roleId = stack.getLogicalId(cfnRole);
    const attached = (roles: unknown) =>
      Array.isArray(roles) && roles.some((r) => (r as { Ref?: unknown } | null)?.Ref === roleId);
    const bound = (document: unknown) => {
      const resolved = stack.resolve(document);
      // The bounds of the ARNs granted matter only to a document that references resources.
      return policyCharactersBound(stack, resolved, referencesResources(resolved) ? this.knownBounds() : NO_BOUNDS);
    };
    // This packer's policies as it filled them: their characters are counted as they were filled.
    const own = new Map<IConstruct, PackedPolicy>(this.packed.map((p) => [p.policy.node.defaultChild!, p]));
    let inlineCharacters = ((stack.resolve(cfnRole.policies) ?? []) as Array<{ policyDocument?: unknown }>).reduce(
      (sum, p) => sum + bound(p.policyDocument),
      0,
    );
    let managed = ((stack.resolve(cfnRole.managedPolicyArns) ?? []) as unknown[]).length;
    const violations: string[] = [];
    for (const node of stack.node.findAll()) {
      if (!CfnResource.isCfnResource(node) || Stack.of(node) !== stack) continue;
      if (node instanceof iam.CfnPolicy && attached(stack.resolve(node.roles))) {
        inlineCharacters += bound(node.policyDocument);
      } else if (node instanceof iam.CfnManagedPolicy && attached(stack.resolve(node.roles))) {
        managed++;
        const packed = own.get(node);
        // Filled only by `grant` (no statement added from outside): its count bounds its characters
        // from above (each ARN at its bound, with quotes and a comma), and resolving and measuring
        // its few thousand characters again would double the cost of the packing.
        const characters =
          packed !== undefined && packed.policy.document.statementCount === packed.statements.size
            ? packed.characters
            : bound(node.policyDocument);
        if (characters > MAX_MANAGED_POLICY_CHARS) {
          violations.push(
            `MAX_MANAGED_POLICY_CHARS exceeded in stack ${stack.node.path}: managed policy ${stack.getLogicalId(node)} has up to ${characters} characters (as IAM counts them, ARNs at their longest); IAM allows at most ${MAX_MANAGED_POLICY_CHARS}`,
          );
        }
      }
    }
    if (inlineCharacters > MAX_ROLE_INLINE_POLICY_CHARS) {
      violations.push(
        `MAX_ROLE_INLINE_POLICY_CHARS exceeded in stack ${stack.node.path}: role ${roleId} has up to ${inlineCharacters} characters of inline policies (as IAM counts them, ARNs at their longest); IAM allows at most ${MAX_ROLE_INLINE_POLICY_CHARS} per role`,
      );
    }
    if (managed > MAX_MANAGED_POLICIES_PER_ROLE) {
      violations.push(
        `MAX_MANAGED_POLICIES_PER_ROLE exceeded in stack ${stack.node.path}: role ${roleId} has ${managed} managed policies attached; IAM allows at most ${MAX_MANAGED_POLICIES_PER_ROLE} per role: split the login profiles across several stacks`,
      );
    }
    return violations.map((v) => `cdk-console-users: ${v}`);
  }
}
