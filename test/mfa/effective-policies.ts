/**
 * The identity policies of an IAM user of a synthesized template, as they would be deployed:
 * inline, `AWS::IAM::Policy` and customer managed policies attached to the user (by its logical ID
 * or, for an imported user, by name) or to its groups, and AWS managed policies (documents below).
 * Intrinsics are resolved by the suite's TemplateWorld, so the simulator (iam-simulate) evaluates
 * exactly what the template would create.
 */
import { FakeAws } from '../tooling/fake-aws';
import { ACCOUNT } from '../tooling/lambda-fixtures';
import { PolicyDocument, PrincipalPolicies } from '../tooling/policy-simulator';
import { TemplateJson, TemplateWorld } from '../tooling/template-world';

/** AWS managed policies a console user may carry here, with their documents (from the IAM console). */
export const AWS_MANAGED: Record<string, PolicyDocument> = {
  IAMUserChangePassword: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['iam:ChangePassword'], Resource: ['arn:aws:iam::*:user/${aws:username}'] },
      { Effect: 'Allow', Action: ['iam:GetAccountPasswordPolicy'], Resource: '*' },
    ],
  },
  AdministratorAccess: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
};

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** A deployed view of `template` (users, secrets, roles with realistic names and ARNs). */
export function deployedWorld(template: TemplateJson): TemplateWorld {
  return new TemplateWorld(template, new FakeAws());
}

/**
 * The policies of the user `userName`: the template's `AWS::IAM::User` of that name (with its
 * groups), or an imported user of that name and `path`.
 */
export function userPolicies(world: TemplateWorld, userName: string, path = '/'): PrincipalPolicies {
  const resources = world.template.Resources;
  const userId = Object.keys(resources).find(
    (id) => resources[id].Type === 'AWS::IAM::User' && resources[id].Properties?.UserName === userName,
  );
  const userProps = userId ? (resources[userId].Properties ?? {}) : {};
  const userPath = userId ? String(userProps.Path ?? '/') : path;
  const groupIds = list(userProps.Groups as { Ref?: string }[] | undefined)
    .map((g) => g.Ref)
    .filter((g): g is string => g !== undefined);
  const isUser = (ref: unknown) =>
    world.resolve(ref) === userName || (userId !== undefined && (ref as { Ref?: string })?.Ref === userId);
  const isGroup = (ref: unknown) => groupIds.includes((ref as { Ref?: string })?.Ref ?? '');

  const identityPolicies: { name: string; policy: PolicyDocument }[] = [];
  const doc = (value: unknown) => world.resolve(value) as PolicyDocument;
  const holders = [...(userId ? [userId] : []), ...groupIds];
  const attachedArns: unknown[] = [];
  for (const id of holders) {
    const props = resources[id].Properties ?? {};
    for (const inline of list(props.Policies as { PolicyName: string; PolicyDocument: unknown }[])) {
      identityPolicies.push({ name: `${id}/${inline.PolicyName}`, policy: doc(inline.PolicyDocument) });
    }
    attachedArns.push(...list(props.ManagedPolicyArns as unknown[]));
  }
  for (const arn of attachedArns) {
    const ref = (arn as { Ref?: string }).Ref;
    if (ref && resources[ref]?.Type === 'AWS::IAM::ManagedPolicy') continue; // read below
    const resolved = String(world.resolve(arn));
    const name = /^arn:aws:iam::aws:policy\/(.+)$/.exec(resolved)?.[1];
    if (!name || !AWS_MANAGED[name]) throw new Error(`the user carries a policy this tool does not know: ${resolved}`);
    identityPolicies.push({ name, policy: AWS_MANAGED[name] });
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const props = resource.Properties ?? {};
    const attached =
      list(props.Users as unknown[]).some(isUser) ||
      list(props.Groups as unknown[]).some(isGroup) ||
      attachedArns.some((a) => (a as { Ref?: string }).Ref === id);
    if (attached) identityPolicies.push({ name: id, policy: doc(props.PolicyDocument) });
  }
  return { principal: `arn:aws:iam::${ACCOUNT}:user${userPath}${userName}`, identityPolicies, resourcePolicies: {} };
}
