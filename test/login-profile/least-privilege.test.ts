/**
 * Least privilege, proven: the synthesized permissions of the login-profile handler's role
 * (every policy attached to the role, whatever its logical ID or kind), evaluated by a small
 * IAM evaluator, allow login-profile actions only on the users the stack declares and secret
 * writes only on its secrets; and a forged event for anything else fails with AccessDenied in the
 * fake, which enforces those same statements, leaving no profile behind.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import { ConsoleUser, LoginProfile } from '../../lib';
import { ACCOUNT, FakeAws, REGION, installFake } from '../support/fake-aws';
import {
  Props,
  STACK_ID,
  assertNoPasswordIn,
  createEvent,
  deleteEvent,
  invoke,
  requestId,
} from '../support/fault-harness';
import { TemplateJson, TemplateWorld } from '../support/template-world';

/** An IAM policy statement after intrinsic functions were resolved. */
interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: unknown;
}

/** AWS managed policies a Lambda role may carry, with their documents (from the IAM console). */
const KNOWN_AWS_MANAGED: Record<string, Statement[]> = {
  'service-role/AWSLambdaBasicExecutionRole': [
    { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
  ],
};

const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, ignoreCase ? 'i' : '').test(value);
}

/**
 * A small IAM evaluator: allowed when an Allow statement matches the action (case-insensitive,
 * wildcards) and the resource (wildcards), and no Deny does. Of conditions it knows one:
 * `StringEquals` on `aws:ResourceTag/KEY`, checked against `resourceTags` (the resource's tags);
 * any other conditional Allow never matches.
 */
function isAllowed(
  statements: Statement[],
  action: string,
  resource: string,
  resourceTags: Record<string, string> = {},
): boolean {
  const matches = (s: Statement) =>
    list(s.Action).some((a) => glob(a, action, true)) && list(s.Resource).some((r) => glob(r, resource, false));
  const conditionHolds = (s: Statement) => {
    if (s.Condition === undefined) return true;
    const entries = Object.entries(s.Condition as Record<string, Record<string, string>>);
    return entries.every(
      ([operator, tests]) =>
        operator === 'StringEquals' &&
        Object.entries(tests).every(([key, value]) => {
          const tag = /^aws:ResourceTag\/(.+)$/.exec(key)?.[1];
          return tag !== undefined && resourceTags[tag] === value;
        }),
    );
  };
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s) && conditionHolds(s));
}

/** The tags of the IAM user an ARN names, in the fake (none for other resources). */
function tagsOfResource(fake: FakeAws, resource: string): Record<string, string> {
  const user = /^arn:aws:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(resource)?.[1];
  return user ? fake.tagsOf(user) : {};
}

/** Every statement that applies to the role `roleId`: inline, attached customer-managed and AWS-managed policies. */
function roleStatements(template: TemplateJson, deployed: TemplateWorld, roleId: string): Statement[] {
  const statements: unknown[] = [];
  const attachedTo = (roles: unknown) =>
    Array.isArray(roles) && roles.some((r) => (r as { Ref?: string }).Ref === roleId);
  const role = template.Resources[roleId];
  for (const policy of (role.Properties?.Policies as { PolicyDocument: { Statement: unknown[] } }[]) ?? []) {
    statements.push(...policy.PolicyDocument.Statement);
  }
  for (const arn of (role.Properties?.ManagedPolicyArns as unknown[]) ?? []) {
    const ref = (arn as { Ref?: string }).Ref;
    if (ref && template.Resources[ref]?.Type === 'AWS::IAM::ManagedPolicy') continue; // read below
    const resolved = String(deployed.resolve(arn));
    const name = /^arn:aws:iam::aws:policy\/(.+)$/.exec(resolved)?.[1];
    if (!name || !KNOWN_AWS_MANAGED[name])
      throw new Error(`the role carries a policy this test does not know: ${resolved}`);
    statements.push(...KNOWN_AWS_MANAGED[name]);
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties ?? {};
    const viaRoleArns =
      resource.Type === 'AWS::IAM::ManagedPolicy' &&
      ((role.Properties?.ManagedPolicyArns as unknown[]) ?? []).some((a) => (a as { Ref?: string }).Ref === id);
    if (
      (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') &&
      (attachedTo(props.Roles) || viaRoleArns)
    ) {
      statements.push(...(props.PolicyDocument as { Statement: unknown[] }).Statement);
    }
  }
  return deployed.resolve(statements) as Statement[];
}

interface Synthesized {
  template: TemplateJson;
  handlerRoleId: string;
}

let synthesized: Synthesized;
beforeAll(() => {
  // GIVEN a stack with a ConsoleUser, a login profile for an imported user (its secret with a
  // KMS key), and a bystander user with no login profile
  const stack = new Stack(new App(), 'app');
  new ConsoleUser(stack, 'Operator', { userName: 'operator' });
  new LoginProfile(stack, 'Auditor', {
    user: iam.User.fromUserName(stack, 'Imported', 'auditor'),
    encryptionKey: new kms.Key(stack, 'Key'),
  });
  new iam.User(stack, 'Bystander', { userName: 'bystander' });
  const template = Template.fromStack(stack).toJSON() as TemplateJson;
  const handlers = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::Lambda::Function' && /login profile/i.test(String(r.Properties?.Description)),
  );
  expect(handlers).toHaveLength(1);
  const role = handlers[0][1].Properties!.Role as { 'Fn::GetAtt': [string, string] };
  synthesized = { template, handlerRoleId: role['Fn::GetAtt'][0] };
}, 120_000);

let fake: FakeAws;
let deployed: TemplateWorld;
let statements: Statement[];
let secretOf: (user: string) => string;
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;

beforeEach(() => {
  jest.useFakeTimers();
  fake = new FakeAws();
  installFake(fake);
  deployed = new TemplateWorld(synthesized.template, fake);
  fake.createUser('auditor');
  fake.createUser('mallory');
  statements = roleStatements(synthesized.template, deployed, synthesized.handlerRoleId);
  secretOf = (user) => {
    const [id] = Object.entries(synthesized.template.Resources).find(
      ([, r]) =>
        r.Type === 'Custom::ConsoleLoginProfile' &&
        JSON.stringify(deployed.resolve(r.Properties?.UserName)) === JSON.stringify(user),
    )!;
    return String(deployed.resolve(synthesized.template.Resources[id].Properties!.SecretArn));
  };
});
afterEach(() => jest.useRealTimers());

const PROFILE_ACTIONS = ['iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:DeleteLoginProfile', 'iam:TagUser'];
const SECRET_WRITES = ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'];

describe('the handler role', () => {
  test('allows login-profile actions only on the declared users', () => {
    for (const action of PROFILE_ACTIONS) {
      expect(isAllowed(statements, action, userArn('operator'))).toBe(true);
      expect(isAllowed(statements, action, userArn('auditor'))).toBe(true);
      expect(isAllowed(statements, action, userArn('bystander'))).toBe(false);
      expect(isAllowed(statements, action, userArn('mallory'))).toBe(false);
      expect(isAllowed(statements, action, `arn:aws:iam::${ACCOUNT}:user/admins/root-like`)).toBe(false);
    }
    // ...and the unconditional statements name exactly those users: no wildcard user ARN
    const userResources = statements
      .filter((s) => s.Condition === undefined && list(s.Action).some((a) => PROFILE_ACTIONS.includes(a)))
      .flatMap((s) => list(s.Resource));
    expect(new Set(userResources)).toEqual(new Set([userArn('operator'), userArn('auditor')]));
  });

  test('beyond the declared users, allows only GetUser and DeleteLoginProfile, only on users tagged with this stack', () => {
    const conditional = statements.filter((s) => s.Effect === 'Allow' && s.Condition !== undefined);
    const onUsers = conditional.filter((s) => list(s.Resource).some((r) => r.includes(':user/')));
    expect(onUsers).toHaveLength(1);
    expect(new Set(list(onUsers[0].Action))).toEqual(new Set(['iam:GetUser', 'iam:DeleteLoginProfile']));
    expect(onUsers[0].Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${STACK_TAG_KEY}`]: STACK_ID } });
    const claimed = { [STACK_TAG_KEY]: STACK_ID };
    const otherStack = { [STACK_TAG_KEY]: STACK_ID.replace('/app/', '/other/') };
    expect(isAllowed(statements, 'iam:DeleteLoginProfile', userArn('bystander'), claimed)).toBe(true);
    expect(isAllowed(statements, 'iam:DeleteLoginProfile', userArn('bystander'), otherStack)).toBe(false);
    expect(isAllowed(statements, 'iam:DeleteLoginProfile', userArn('bystander'))).toBe(false);
    for (const action of ['iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:TagUser']) {
      expect(isAllowed(statements, action, userArn('bystander'), claimed)).toBe(false);
    }
  });

  test('allows secret writes only on the declared secrets', () => {
    const declared = [secretOf('operator'), secretOf('auditor')];
    const other = fake.createSecret('someone-elses');
    for (const action of SECRET_WRITES) {
      for (const arn of declared) expect(isAllowed(statements, action, arn)).toBe(true);
      expect(isAllowed(statements, action, other)).toBe(false);
      expect(isAllowed(statements, action, `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*`)).toBe(false);
    }
    const secretResources = statements
      .filter((s) => list(s.Action).some((a) => a.startsWith('secretsmanager:')))
      .flatMap((s) => list(s.Resource));
    expect(new Set(secretResources)).toEqual(new Set(declared));
  });

  test.each([
    'iam:*',
    'secretsmanager:*',
    '*',
    'iam:CreateUser',
    'iam:AttachUserPolicy',
    'iam:PutUserPolicy',
    'iam:CreateAccessKey',
    'iam:ChangePassword',
    'iam:UpdateAccountPasswordPolicy',
    'secretsmanager:DeleteSecret',
    'secretsmanager:PutResourcePolicy',
  ])('grants nothing like %s', (action) => {
    for (const s of statements.filter((st) => st.Effect === 'Allow')) {
      for (const a of list(s.Action)) {
        expect(a).not.toBe(action);
        if (!action.includes('*')) expect(glob(a, action, true)).toBe(false);
      }
    }
  });

  test('iam:GetAccountPasswordPolicy is the only IAM, Secrets Manager or KMS action on "*"', () => {
    const onStar = statements
      .filter((s) => s.Effect === 'Allow' && list(s.Resource).includes('*'))
      .flatMap((s) => list(s.Action))
      .filter((a) => /^(iam|secretsmanager|kms):/i.test(a));
    expect(onStar).toEqual(['iam:GetAccountPasswordPolicy']);
    // (The Lambda basic execution role adds logs:CreateLogGroup/CreateLogStream/PutLogEvents on "*".)
  });

  test('every login profile depends on each policy that grants on its user, so the grant outlives it', () => {
    const resources = synthesized.template.Resources as Record<
      string,
      { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }
    >;
    const policies = Object.entries(resources).filter(
      ([, r]) =>
        /^AWS::IAM::(Managed)?Policy$/.test(r.Type) &&
        JSON.stringify(r.Properties?.Roles ?? []).includes(synthesized.handlerRoleId),
    );
    const profiles = Object.entries(resources).filter(([, r]) => r.Type === 'Custom::ConsoleLoginProfile');
    expect(profiles).toHaveLength(2);
    for (const [id, profile] of profiles) {
      const user = String(deployed.resolve(profile.Properties!.UserName));
      const granting = policies.filter(([, p]) =>
        JSON.stringify(deployed.resolve(p.Properties!.PolicyDocument)).includes(userArn(user)),
      );
      expect(granting.length).toBeGreaterThan(0);
      for (const [policyId] of granting)
        expect({ id, dependsOn: profile.DependsOn ?? [] }).toEqual({
          id,
          dependsOn: expect.arrayContaining([policyId]),
        });
    }
  });

  test('KMS use is limited to the declared key, through Secrets Manager only', () => {
    const kmsStatements = statements.filter((s) => list(s.Action).some((a) => a.startsWith('kms:')));
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const s of kmsStatements) {
      expect(list(s.Resource).every((r) => r.startsWith(`arn:aws:kms:${REGION}:${ACCOUNT}:key/`))).toBe(true);
      expect(JSON.stringify(s.Condition)).toContain('kms:ViaService');
    }
  });
});

describe('a forged event, under the evaluated policy', () => {
  function forged(user: string, secretArn: string) {
    return {
      RequestType: 'Create',
      RequestId: requestId(),
      StackId: STACK_ID,
      LogicalResourceId: 'Forged',
      ResourceType: 'Custom::ConsoleLoginProfile',
      ResourceProperties: {
        UserName: user,
        SecretArn: secretArn,
        SignInUrl: `https://${ACCOUNT}.signin.aws.amazon.com/console`,
        PasswordLength: '24',
        PasswordResetRequired: 'true',
      },
    };
  }

  beforeEach(() => {
    fake.authorize = (action, resource) => isAllowed(statements, action, resource, tagsOfResource(fake, resource));
  });

  test('works for the declared users (the evaluator is not simply denying everything)', async () => {
    for (const user of ['operator', 'auditor']) {
      const result = await invoke(forged(user, secretOf(user)));
      expect(result.error).toBeUndefined();
      expect(fake.profileOf(user)!.password).toBe(fake.valueAt(secretOf(user), 'AWSCURRENT')!.password);
    }
  });

  test.each(['bystander', 'mallory'])(
    'fails with AccessDenied for the undeclared user %s and leaves no profile',
    async (user) => {
      // WHEN a Create names an undeclared user (with a declared secret)
      const result = await invoke(forged(user, secretOf('operator')));
      // THEN it fails with AccessDenied, the user has no profile, the secret got no version
      expect(String(result.error)).toMatch(/AccessDenied/);
      expect(fake.profileOf(user)).toBeUndefined();
      expect(fake.versionCount(secretOf('operator'))).toBe(0);
      assertNoPasswordIn(fake, result.output);
    },
  );

  test('fails with AccessDenied for an undeclared secret and leaves the user as it was', async () => {
    // GIVEN the operator's real login profile
    const secret = secretOf('operator');
    expect((await invoke(forged('operator', secret))).error).toBeUndefined();
    const before = fake.profileOf('operator')!.password;
    // WHEN a Create pairs the declared user with a secret the stack does not declare
    const foreign = fake.createSecret('attacker-readable');
    const result = await invoke(forged('operator', foreign));
    // THEN it fails with AccessDenied, the profile keeps its stored password, the foreign secret
    // got nothing, and the user still belongs to its own secret
    expect(String(result.error)).toMatch(/AccessDenied/);
    expect(fake.profileOf('operator')!.password).toBe(before);
    expect(fake.versionCount(foreign)).toBe(0);
    expect(fake.tagsOf('operator')[OWNER_TAG_KEY]).toBe(secret);
    assertNoPasswordIn(fake, result.output);
  });
});

describe('a login profile removed from a stack that stays', () => {
  // CloudFormation updates the stack's policies (which then no longer name the removed user)
  // before, in the cleanup phase, it deletes the removed login profile. The Delete runs with the
  // NEW policy; it must still remove the profile, or the user keeps a profile whose secret is
  // about to be deleted (and IAM refuses to delete the user).
  function synth(users: string[]): TemplateJson {
    const stack = new Stack(new App(), 'app');
    for (const name of users) new ConsoleUser(stack, name, { userName: name });
    return Template.fromStack(stack).toJSON() as TemplateJson;
  }
  function handlerRole(template: TemplateJson): string {
    const [, fn] = Object.entries(template.Resources).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && /login profile/i.test(String(r.Properties?.Description)),
    )!;
    return (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  }

  test('its Delete, under the updated policy, still removes the profile (and only a claimed one)', async () => {
    // GIVEN v1 of the stack with two console users, deployed under v1's permissions
    const v1 = synth(['keeper', 'leaver']);
    const world = new TemplateWorld(v1, fake);
    const v1Statements = roleStatements(v1, world, handlerRole(v1));
    fake.authorize = (action, resource) => isAllowed(v1Statements, action, resource, tagsOfResource(fake, resource));
    const profiles = Object.entries(v1.Resources).filter(([, r]) => r.Type === 'Custom::ConsoleLoginProfile');
    const leaver = profiles.find(([, r]) => JSON.stringify(world.resolve(r.Properties!.UserName)) === '"leaver"')!;
    const leaverProps = world.resolve(leaver[1].Properties) as unknown as Props;
    for (const [logicalId, resource] of profiles) {
      const result = await invoke(createEvent(logicalId, world.resolve(resource.Properties) as unknown as Props));
      expect(result.error).toBeUndefined();
    }
    expect(fake.profileOf('leaver')).toBeDefined();

    // WHEN v2 drops 'leaver': the policy is updated first, then the old resource's Delete runs
    const v2 = synth(['keeper']);
    const v2Statements = roleStatements(v2, new TemplateWorld(v2, new FakeAws()), handlerRole(v2));
    expect(isAllowed(v2Statements, 'iam:DeleteLoginProfile', userArn('leaver'))).toBe(false); // not named any more
    fake.authorize = (action, resource) => isAllowed(v2Statements, action, resource, tagsOfResource(fake, resource));
    const result = await invoke(deleteEvent(leaver[0], 'leaver', leaverProps));

    // THEN the Delete succeeds and the profile is gone; the kept user's profile is untouched
    expect(result.error).toBeUndefined();
    expect(fake.profileOf('leaver')).toBeUndefined();
    expect(fake.profileOf('keeper')).toBeDefined();

    // AND without the tag-scoped statement (the per-user statements alone) the same Delete is denied:
    // this test would catch the regression.
    const perUserOnly = v2Statements.filter((s) => s.Condition === undefined);
    fake.createUser('leaver-again');
    fake.authorize = undefined;
    expect((await invoke(createEvent(leaver[0], { ...leaverProps, UserName: 'leaver-again' }))).error).toBeUndefined();
    fake.authorize = (action, resource) => isAllowed(perUserOnly, action, resource, tagsOfResource(fake, resource));
    const denied = await invoke(deleteEvent(leaver[0], 'leaver-again', { ...leaverProps, UserName: 'leaver-again' }));
    expect(String(denied.error)).toMatch(/AccessDenied/);
  });
});
