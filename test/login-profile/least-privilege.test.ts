/**
 * Least privilege, proven: the synthesized permissions of the login-profile handler's role
 * (every policy attached to the role, whatever its logical ID or kind, and the KMS key policy),
 * evaluated as AWS evaluates them (by iam-simulate, see test/tooling/policy-simulator.ts), allow
 * login-profile actions only on the users the stack declares and secret writes only on its
 * secrets; and a forged event for anything else fails with AccessDenied in the fake, which
 * enforces those same policies, leaving no profile behind.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../../lib/login-profile/contract';
import { ConsoleUser, LoginProfile } from '../../lib';
import { ACCOUNT, Authorizer, FakeAws, REGION, installFake } from '../tooling/fake-aws';
import {
  Props,
  STACK_ID,
  assertNoPasswordIn,
  createEvent,
  deleteEvent,
  invoke,
  requestId,
} from '../tooling/fault-harness';
import {
  PrincipalPolicies,
  RequestContext,
  Statement,
  addStatements,
  handlerRolePolicies,
  isAllowed,
  keepStatements,
  resourceTagContext,
  statementsOf,
} from '../tooling/policy-simulator';
import { TemplateJson, TemplateWorld } from '../tooling/template-world';
import { RESPONSE_URL } from '../tooling/lambda-fixtures';

const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

/** The tags of the IAM user an ARN names, in the fake, as request context (none for other resources). */
function tagsOfResource(fake: FakeAws, resource: string): RequestContext {
  const user = /^arn:aws:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(resource)?.[1];
  return user ? resourceTagContext(fake.tagsOf(user)) : {};
}

/** An authorizer for the fake: AWS's decision under `policies`, with the user's tags as context. */
function authorizerFor(fake: FakeAws, policies: PrincipalPolicies): Authorizer {
  return (action, resource) => isAllowed(policies, action, resource, tagsOfResource(fake, resource));
}

/** The logical ID of the role of the (one) login-profile handler function. */
function handlerRole(template: TemplateJson): string {
  const handlers = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && /login profile/i.test(String(r.Properties?.Description)),
  );
  expect(handlers).toHaveLength(1);
  return (handlers[0].Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

let template: TemplateJson;
beforeAll(async () => {
  // GIVEN a stack with a ConsoleUser, a login profile for an imported user (its secret with a
  // KMS key), and a bystander user with no login profile
  const stack = new Stack(new App(), 'app');
  new ConsoleUser(stack, 'Operator', { userName: 'operator' });
  new LoginProfile(stack, 'Auditor', {
    user: iam.User.fromUserName(stack, 'Imported', 'auditor'),
    encryptionKey: new kms.Key(stack, 'Key'),
  });
  new iam.User(stack, 'Bystander', { userName: 'bystander' });
  template = Template.fromStack(stack).toJSON() as TemplateJson;
  // The simulator reads its IAM data files on first use: load them before any test fakes the clock.
  const policies = handlerRolePolicies(new TemplateWorld(template, new FakeAws()), handlerRole(template));
  for (const action of ['iam:GetUser', 'secretsmanager:GetSecretValue', 'kms:Decrypt', 'logs:PutLogEvents']) {
    await isAllowed(policies, action, '*');
  }
}, 120_000);

let fake: FakeAws;
let deployed: TemplateWorld;
let policies: PrincipalPolicies;
let statements: Statement[];
let secretOf: (user: string) => string;
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
const ANY_USER = `arn:aws:iam::${ACCOUNT}:user/*`;
const ANY_SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*`;
const CLAIMED: RequestContext = resourceTagContext({ [STACK_TAG_KEY]: STACK_ID });

beforeEach(() => {
  jest.useFakeTimers();
  fake = new FakeAws();
  installFake(fake);
  deployed = new TemplateWorld(template, fake);
  fake.createUser('auditor');
  fake.createUser('mallory');
  policies = handlerRolePolicies(deployed, handlerRole(template));
  statements = statementsOf(policies);
  secretOf = (user) => {
    const [id] = Object.entries(template.Resources).find(
      ([, r]) =>
        r.Type === 'Custom::ConsoleLoginProfile' &&
        JSON.stringify(deployed.resolve(r.Properties?.UserName)) === JSON.stringify(user),
    )!;
    return String(deployed.resolve(template.Resources[id].Properties!.SecretArn));
  };
});
afterEach(() => jest.useRealTimers());

const PROFILE_ACTIONS = ['iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:DeleteLoginProfile', 'iam:TagUser'];
const SECRET_WRITES = ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'];

/** The resources an action of the list below is about, as a pattern covering all of them. */
const ANY_RESOURCE_OF: Record<string, string> = {
  'iam:CreateUser': ANY_USER,
  'iam:AttachUserPolicy': ANY_USER,
  'iam:PutUserPolicy': ANY_USER,
  'iam:CreateAccessKey': ANY_USER,
  'iam:ChangePassword': ANY_USER,
  'iam:UpdateAccountPasswordPolicy': '*',
  'secretsmanager:DeleteSecret': ANY_SECRET,
  'secretsmanager:PutResourcePolicy': ANY_SECRET,
};

/** Whether `action` is allowed on any resource of its kind, whether or not the resource is tagged with this stack. */
async function grantedAnywhere(on: PrincipalPolicies, action: string): Promise<boolean> {
  const resource = ANY_RESOURCE_OF[action];
  return (await isAllowed(on, action, resource)) || (await isAllowed(on, action, resource, CLAIMED));
}

describe('the handler role', () => {
  test('allows login-profile actions only on the declared users', async () => {
    for (const action of PROFILE_ACTIONS) {
      expect(await isAllowed(policies, action, userArn('operator'))).toBe(true);
      expect(await isAllowed(policies, action, userArn('auditor'))).toBe(true);
      expect(await isAllowed(policies, action, userArn('bystander'))).toBe(false);
      expect(await isAllowed(policies, action, userArn('mallory'))).toBe(false);
      expect(await isAllowed(policies, action, `arn:aws:iam::${ACCOUNT}:user/admins/root-like`)).toBe(false);
      expect(await isAllowed(policies, action, `arn:aws:iam::${ACCOUNT}:user/admins/operator`)).toBe(false);
    }
    // ...and the unconditional statements name exactly those users: no wildcard user ARN
    const userResources = statements
      .filter((s) => s.Condition === undefined && list(s.Action).some((a) => PROFILE_ACTIONS.includes(a)))
      .flatMap((s) => list(s.Resource));
    expect(new Set(userResources)).toEqual(new Set([userArn('operator'), userArn('auditor')]));
  });

  test('beyond the declared users, allows only GetUser and DeleteLoginProfile, only on users tagged with this stack', async () => {
    const conditional = statements.filter((s) => s.Effect === 'Allow' && s.Condition !== undefined);
    const onUsers = conditional.filter((s) => list(s.Resource).some((r) => r.includes(':user/')));
    expect(onUsers).toHaveLength(1);
    expect(new Set(list(onUsers[0].Action))).toEqual(new Set(['iam:GetUser', 'iam:DeleteLoginProfile']));
    expect(onUsers[0].Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${STACK_TAG_KEY}`]: STACK_ID } });
    const otherStack = resourceTagContext({ [STACK_TAG_KEY]: STACK_ID.replace('/app/', '/other/') });
    for (const action of ['iam:DeleteLoginProfile', 'iam:GetUser']) {
      expect(await isAllowed(policies, action, userArn('bystander'), CLAIMED)).toBe(true);
      expect(await isAllowed(policies, action, userArn('bystander'), otherStack)).toBe(false);
      expect(await isAllowed(policies, action, userArn('bystander'))).toBe(false);
    }
    // the tag value must match exactly (StringEquals: no prefix, no case folding)
    const lookalike = resourceTagContext({ [STACK_TAG_KEY]: STACK_ID.toUpperCase() });
    expect(await isAllowed(policies, 'iam:DeleteLoginProfile', userArn('bystander'), lookalike)).toBe(false);
    for (const action of ['iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:TagUser']) {
      expect(await isAllowed(policies, action, userArn('bystander'), CLAIMED)).toBe(false);
    }
  });

  test('allows secret writes only on the declared secrets', async () => {
    const declared = [secretOf('operator'), secretOf('auditor')];
    const other = fake.createSecret('someone-elses');
    // the same name with another random suffix: a different secret (e.g. one deleted and created again)
    const sameNameOtherSecret = declared[0].replace(/-[A-Za-z0-9]{6}$/, '-ZZZZZZ');
    expect(sameNameOtherSecret).not.toBe(declared[0]);
    for (const action of SECRET_WRITES) {
      for (const arn of declared) expect(await isAllowed(policies, action, arn)).toBe(true);
      expect(await isAllowed(policies, action, other)).toBe(false);
      expect(await isAllowed(policies, action, sameNameOtherSecret)).toBe(false);
    }
    const secretResources = statements
      .filter((s) => list(s.Action).some((a) => a.startsWith('secretsmanager:')))
      .flatMap((s) => list(s.Resource));
    expect(new Set(secretResources)).toEqual(new Set(declared));
  });

  test.each(['iam:*', 'secretsmanager:*', '*'])('names no action %s', (action) => {
    for (const s of statements.filter((st) => st.Effect === 'Allow')) {
      for (const a of list(s.Action)) expect(a).not.toBe(action);
    }
  });

  test.each(Object.keys(ANY_RESOURCE_OF))('allows %s on no resource at all', async (action) => {
    expect(await grantedAnywhere(policies, action)).toBe(false);
  });

  test('the "allows on no resource" check catches a grant by wildcard action, on "*", or on a tagged user', async () => {
    const grants: [string, Statement][] = [
      ['iam:CreateUser', { Effect: 'Allow', Action: 'iam:Create*', Resource: '*' }],
      ['iam:AttachUserPolicy', { Effect: 'Allow', Action: 'iam:*', Resource: userArn('someone') }],
      [
        'iam:ChangePassword',
        {
          Effect: 'Allow',
          Action: 'iam:ChangePassword',
          Resource: ANY_USER,
          Condition: { StringEquals: { [`aws:ResourceTag/${STACK_TAG_KEY}`]: STACK_ID } },
        },
      ],
      [
        'secretsmanager:DeleteSecret',
        { Effect: 'Allow', Action: 'secretsmanager:*', Resource: `${ANY_SECRET.slice(0, -1)}x-*` },
      ],
      ['iam:UpdateAccountPasswordPolicy', { Effect: 'Allow', Action: '*', Resource: '*' }],
    ];
    for (const [action, grant] of grants)
      expect(await grantedAnywhere(addStatements(policies, grant), action)).toBe(true);
  });

  test('iam:GetAccountPasswordPolicy is the only IAM, Secrets Manager or KMS action on "*"', async () => {
    const onStar = statements
      .filter((s) => s.Effect === 'Allow' && list(s.Resource).includes('*'))
      .flatMap((s) => list(s.Action))
      .filter((a) => /^(iam|secretsmanager|kms):/i.test(a));
    expect(onStar).toEqual(['iam:GetAccountPasswordPolicy']);
    expect(await isAllowed(policies, 'iam:GetAccountPasswordPolicy', '*')).toBe(true);
    // (The Lambda basic execution role adds logs:CreateLogGroup/CreateLogStream/PutLogEvents on "*".)
  });

  test("reads CloudFormation's record of its own stack only", async () => {
    // The handler attests each event with DescribeStackResource (and, for a Delete of a replaced
    // resource, DescribeStacks) on its own stack: allowed there, on no other stack.
    const otherStack = STACK_ID.replace('/app/', '/other/');
    const otherAccount = STACK_ID.replace(ACCOUNT, '210987654321');
    // a stack of the same name created again (another stack ID)
    const sameNameAgain = STACK_ID.replace(/[0-9a-f-]{36}$/, '99999999-8888-7777-6666-555555555555');
    expect(sameNameAgain).not.toBe(STACK_ID);
    for (const action of ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks']) {
      expect(await isAllowed(policies, action, STACK_ID)).toBe(true);
      expect(await isAllowed(policies, action, otherStack)).toBe(false);
      expect(await isAllowed(policies, action, otherAccount)).toBe(false);
      expect(await isAllowed(policies, action, sameNameAgain)).toBe(false);
    }
    // ...and nothing else of CloudFormation, on any stack
    for (const action of [
      'cloudformation:SignalResource',
      'cloudformation:UpdateStack',
      'cloudformation:DescribeStackEvents',
    ]) {
      expect(await isAllowed(policies, action, STACK_ID)).toBe(false);
    }
    const cloudFormationStatements = statements.filter((s) =>
      list(s.Action).some((a) => a.startsWith('cloudformation:')),
    );
    expect(cloudFormationStatements.flatMap((s) => list(s.Resource))).toEqual([STACK_ID]);
  });

  test('every login profile depends on each policy that grants on its user, so the grant outlives it', () => {
    const resources = template.Resources as Record<
      string,
      { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }
    >;
    const roleId = handlerRole(template);
    const policyResources = Object.entries(resources).filter(
      ([, r]) =>
        /^AWS::IAM::(Managed)?Policy$/.test(r.Type) && JSON.stringify(r.Properties?.Roles ?? []).includes(roleId),
    );
    const profiles = Object.entries(resources).filter(([, r]) => r.Type === 'Custom::ConsoleLoginProfile');
    expect(profiles).toHaveLength(2);
    for (const [id, profile] of profiles) {
      const user = String(deployed.resolve(profile.Properties!.UserName));
      const granting = policyResources.filter(([, p]) =>
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

  test('KMS use is limited to the declared key, through Secrets Manager only', async () => {
    const kmsStatements = statements.filter((s) => list(s.Action).some((a) => a.startsWith('kms:')));
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const s of kmsStatements) {
      expect(list(s.Resource).every((r) => r.startsWith(`arn:aws:kms:${REGION}:${ACCOUNT}:key/`))).toBe(true);
      expect(JSON.stringify(s.Condition)).toContain('kms:ViaService');
    }
    // Evaluated with the key policy: through Secrets Manager in this region, yes; directly, through
    // another service or region, or on another key, no.
    const key = Object.keys(policies.resourcePolicies);
    expect(key).toHaveLength(1);
    const via = (service: string) => ({ 'kms:ViaService': service });
    const secretsManager = via(`secretsmanager.${REGION}.amazonaws.com`);
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      expect(await isAllowed(policies, action, key[0], secretsManager)).toBe(true);
      expect(await isAllowed(policies, action, key[0])).toBe(false);
      expect(await isAllowed(policies, action, key[0], via(`s3.${REGION}.amazonaws.com`))).toBe(false);
      expect(await isAllowed(policies, action, key[0], via('secretsmanager.eu-west-1.amazonaws.com'))).toBe(false);
      expect(await isAllowed(policies, action, `arn:aws:kms:${REGION}:${ACCOUNT}:key/other`, secretsManager)).toBe(
        false,
      );
    }
    for (const action of ['kms:Encrypt', 'kms:CreateGrant', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy']) {
      expect(await isAllowed(policies, action, key[0], secretsManager)).toBe(false);
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
      ResponseURL: RESPONSE_URL,
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
    fake.authorize = authorizerFor(fake, policies);
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

  test('its Delete, under the updated policy, still removes the profile (and only a claimed one)', async () => {
    // GIVEN v1 of the stack with two console users, deployed under v1's permissions
    const v1 = synth(['keeper', 'leaver']);
    const world = new TemplateWorld(v1, fake);
    fake.authorize = authorizerFor(fake, handlerRolePolicies(world, handlerRole(v1)));
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
    const v2Policies = handlerRolePolicies(new TemplateWorld(v2, new FakeAws()), handlerRole(v2));
    expect(await isAllowed(v2Policies, 'iam:DeleteLoginProfile', userArn('leaver'))).toBe(false); // not named any more
    fake.authorize = authorizerFor(fake, v2Policies);
    const result = await invoke(deleteEvent(leaver[0], 'leaver', leaverProps));

    // THEN the Delete succeeds and the profile is gone; the kept user's profile is untouched
    expect(result.error).toBeUndefined();
    expect(fake.profileOf('leaver')).toBeUndefined();
    expect(fake.profileOf('keeper')).toBeDefined();

    // AND without the tag-scoped statement (the per-user statements alone) the same Delete is denied:
    // this test would catch the regression.
    const perUserOnly = keepStatements(v2Policies, (s) => s.Condition === undefined);
    fake.createUser('leaver-again');
    fake.authorize = undefined;
    expect((await invoke(createEvent(leaver[0], { ...leaverProps, UserName: 'leaver-again' }))).error).toBeUndefined();
    fake.authorize = authorizerFor(fake, perUserOnly);
    const denied = await invoke(deleteEvent(leaver[0], 'leaver-again', { ...leaverProps, UserName: 'leaver-again' }));
    expect(String(denied.error)).toMatch(/AccessDenied/);
  });
});
