/**
 * IAM policy evaluation for tests, by `@cloud-copilot/iam-simulate` (a dev dependency under the
 * AGPL: only tests import it, never lib/ or lambda/). It evaluates identity and resource policies
 * as AWS does, with every condition operator, so a test asks "may this role do this action on this
 * resource, with these context keys?" and gets AWS's answer for the synthesized policies.
 *
 * `handlerRolePolicies(world, roleId)` collects what applies to a role of a deployed template:
 * its inline policies, attached `AWS::IAM::Policy` and customer managed policies, AWS managed
 * policies (documents below), and the key policy of each KMS key in the template (KMS needs the
 * key policy to allow too, even in the same account).
 */
import { runSimulation, type EvaluationResult } from '@cloud-copilot/iam-simulate';
import { ACCOUNT } from './fake-aws';
import type { TemplateWorld } from './template-world';

/** An IAM policy statement after intrinsic functions were resolved. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** A policy document. */
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: Statement[];
}

/** Everything that decides a request of one principal. */
export interface PrincipalPolicies {
  /** The principal's ARN (an IAM role). */
  readonly principal: string;
  /** Identity policies by name. */
  readonly identityPolicies: ReadonlyArray<{ readonly name: string; readonly policy: PolicyDocument }>;
  /** Resource policies by the ARN of the resource they belong to (KMS key policies). */
  readonly resourcePolicies: Readonly<Record<string, PolicyDocument>>;
}

/** Context keys of a request, e.g. `aws:ResourceTag/KEY` or `kms:ViaService`. */
export type RequestContext = Record<string, string | string[]>;

/** AWS managed policies a Lambda role may carry, with their documents (from the IAM console). */
const KNOWN_AWS_MANAGED: Record<string, PolicyDocument> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
};

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * The policies of role `roleId` in a deployed template: inline, attached (`AWS::IAM::Policy` and
 * `AWS::IAM::ManagedPolicy`, by `Roles` or by the role's `ManagedPolicyArns`) and AWS managed;
 * plus every KMS key policy of the template, by key ARN.
 */
export function handlerRolePolicies(world: TemplateWorld, roleId: string): PrincipalPolicies {
  const resources = world.template.Resources;
  const role = resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not an AWS::IAM::Role`);
  const identityPolicies: { name: string; policy: PolicyDocument }[] = [];
  const doc = (value: unknown) => world.resolve(value) as PolicyDocument;
  const managedArns = list(role.Properties?.ManagedPolicyArns as unknown[] | undefined);
  for (const inline of list(role.Properties?.Policies as { PolicyName: string; PolicyDocument: unknown }[])) {
    identityPolicies.push({ name: `${roleId}/${inline.PolicyName}`, policy: doc(inline.PolicyDocument) });
  }
  for (const arn of managedArns) {
    const ref = (arn as { Ref?: string }).Ref;
    if (ref && resources[ref]?.Type === 'AWS::IAM::ManagedPolicy') continue; // read below
    const resolved = String(world.resolve(arn));
    const name = /^arn:aws:iam::aws:policy\/(.+)$/.exec(resolved)?.[1];
    if (!name || !KNOWN_AWS_MANAGED[name])
      throw new Error(`the role carries a policy this tool does not know: ${resolved}`);
    identityPolicies.push({ name, policy: KNOWN_AWS_MANAGED[name] });
  }
  const resourcePolicies: Record<string, PolicyDocument> = {};
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    const attached =
      list(props.Roles as unknown[]).some((r) => (r as { Ref?: string }).Ref === roleId) ||
      (resource.Type === 'AWS::IAM::ManagedPolicy' && managedArns.some((a) => (a as { Ref?: string }).Ref === id));
    if ((resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') && attached) {
      identityPolicies.push({ name: id, policy: doc(props.PolicyDocument) });
    }
    if (resource.Type === 'AWS::KMS::Key') {
      resourcePolicies[String(world.resolve({ 'Fn::GetAtt': [id, 'Arn'] }))] = doc(props.KeyPolicy);
    }
  }
  const principal = String(world.resolve({ 'Fn::GetAtt': [roleId, 'Arn'] }));
  return { principal, identityPolicies, resourcePolicies };
}

/** Every identity statement of `policies`, in order. */
export function statementsOf(policies: PrincipalPolicies): Statement[] {
  return policies.identityPolicies.flatMap((p) => p.policy.Statement);
}

/** `policies` with only the identity statements for which `keep` holds. */
export function keepStatements(policies: PrincipalPolicies, keep: (s: Statement) => boolean): PrincipalPolicies {
  return {
    ...policies,
    identityPolicies: policies.identityPolicies.map(({ name, policy }) => ({
      name,
      policy: { ...policy, Statement: policy.Statement.filter(keep) },
    })),
  };
}

/** `policies` with one more identity policy holding `statements`. */
export function addStatements(policies: PrincipalPolicies, ...statements: Statement[]): PrincipalPolicies {
  return {
    ...policies,
    identityPolicies: [
      ...policies.identityPolicies,
      { name: 'added', policy: { Version: '2012-10-17', Statement: statements } },
    ],
  };
}

/** The account that owns `resource`: the account field of its ARN, or the fake's account when it has none. */
export function accountOfResource(resource: string): string {
  return /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(resource)?.[1] ?? ACCOUNT;
}

/**
 * AWS's decision on `action` on `resource` for the principal of `policies`. A resource with a `*`
 * in it asks whether the action is allowed on ANY resource the pattern covers (the simulator
 * evaluates every pattern of the policies that falls under it). The resource's account is the one
 * in its ARN (the fake's account for `*`), so a principal of another account makes a cross-account
 * request: identity and resource policy must both allow it. Throws when the simulator rejects the
 * request or a policy (an unknown action, a resource of the wrong type, an invalid policy).
 */
export async function decide(
  policies: PrincipalPolicies,
  action: string,
  resource: string,
  context: RequestContext = {},
): Promise<EvaluationResult> {
  const result = await runSimulation(
    {
      request: {
        principal: policies.principal,
        action,
        resource: { resource, accountId: accountOfResource(resource) },
        contextVariables: context,
      },
      identityPolicies: policies.identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policies.resourcePolicies[resource],
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') {
    throw new Error(`iam-simulate rejected ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}

/** Whether AWS would allow `action` on `resource` (see `decide`). */
export async function isAllowed(
  policies: PrincipalPolicies,
  action: string,
  resource: string,
  context: RequestContext = {},
): Promise<boolean> {
  return (await decide(policies, action, resource, context)) === 'Allowed';
}

/** The request context of a resource's tags: `aws:ResourceTag/KEY` for each. */
export function resourceTagContext(tags: Record<string, string>): RequestContext {
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]));
}
