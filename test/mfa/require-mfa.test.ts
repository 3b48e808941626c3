/**
 * `requireMfa`, evaluated rather than read: every policy the synthesized template gives a console
 * user (its own, its groups', the shared require-MFA policy and AWS managed ones) goes through
 * `@cloud-copilot/iam-simulate` for the requests of a first sign-in, without MFA and with it.
 * Without MFA the user can change their password and enroll their own virtual MFA device, and
 * nothing else they were granted; with MFA their grants apply unchanged. The same decisions with
 * the common deny-unless-MFA policy in its place lock the first sign-in out.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { NAG_REASONS } from '../../lib/compliance/nag';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsoleUser, LoginProfile, RequireMfaPolicy } from '../../lib';
import { ACCOUNT } from '../tooling/lambda-fixtures';
import { PolicyDocument, PrincipalPolicies, RequestContext, decide } from '../tooling/policy-simulator';
import { TemplateJson } from '../tooling/template-world';
import { deployedWorld, userPolicies } from './effective-policies';

const arn = (resource: string) => `arn:aws:iam::${ACCOUNT}:${resource}`;

/** A stack with console users that require MFA, each granted `s3:ListAllMyBuckets` and `iam:CreateAccessKey` on itself. */
function mfaStack(): { stack: Stack; template: TemplateJson } {
  const stack = new Stack(new App(), 'Mfa');
  const grant = (user: iam.IUser) => {
    user.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] }));
    user.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iam:CreateAccessKey'], resources: [user.userArn] }));
  };
  // A user told to reset at first sign-in, one with a path, and two imported users (by name; by ARN with a path)
  grant(new ConsoleUser(stack, 'Alice', { userName: 'alice', requireMfa: true }));
  grant(new ConsoleUser(stack, 'Bob', { userName: 'bob', path: '/ops/', requireMfa: true }));
  const vendor = iam.User.fromUserName(stack, 'Vendor', 'vendor');
  grant(vendor);
  new LoginProfile(stack, 'VendorLogin', { user: vendor, requireMfa: true });
  const contractor = iam.User.fromUserArn(stack, 'Contractor', arn('user/partners/contractor'));
  grant(contractor);
  new LoginProfile(stack, 'ContractorLogin', { user: contractor, requireMfa: true });
  // ...and a bystander without requireMfa
  grant(new ConsoleUser(stack, 'Carol', { userName: 'carol' }));
  return { stack, template: Template.fromStack(stack).toJSON() as TemplateJson };
}

/** A console user's request context: signed in with MFA or not. */
const session = (userName: string, mfa: boolean): RequestContext => ({
  'aws:username': userName,
  'aws:MultiFactorAuthPresent': String(mfa),
});

/** The requests of the decision table, for user `name` at `self` (its ARN). */
function requests(name: string, self: string): [label: string, action: string, resource: string][] {
  return [
    ['iam:GetAccountPasswordPolicy', 'iam:GetAccountPasswordPolicy', '*'],
    ['iam:ChangePassword (self)', 'iam:ChangePassword', self],
    ['iam:CreateVirtualMFADevice (mfa/<own device name>)', 'iam:CreateVirtualMFADevice', arn(`mfa/${name}-phone`)],
    ['iam:EnableMFADevice (self)', 'iam:EnableMFADevice', self],
    ['iam:EnableMFADevice (another user)', 'iam:EnableMFADevice', arn('user/carol')],
    ['iam:ListMFADevices (self)', 'iam:ListMFADevices', self],
    ['iam:GetMFADevice (self)', 'iam:GetMFADevice', self],
    ['iam:ResyncMFADevice (self)', 'iam:ResyncMFADevice', self],
    ['iam:ResyncMFADevice (another user)', 'iam:ResyncMFADevice', arn('user/carol')],
    ['iam:GetUser (self)', 'iam:GetUser', self],
    ['iam:ListVirtualMFADevices', 'iam:ListVirtualMFADevices', '*'],
    ['iam:DeactivateMFADevice (self)', 'iam:DeactivateMFADevice', self],
    ['sts:GetSessionToken', 'sts:GetSessionToken', '*'],
    ['s3:ListAllMyBuckets', 's3:ListAllMyBuckets', '*'],
    ['iam:CreateAccessKey (self)', 'iam:CreateAccessKey', self],
  ];
}

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** label -> [decision without MFA, decision with MFA]. */
async function decisionTable(policies: PrincipalPolicies, name: string): Promise<Record<string, [string, string]>> {
  const table: Record<string, [string, string]> = {};
  const self = policies.principal;
  for (const [label, action, resource] of requests(name, self)) {
    table[label] = [
      await decide(policies, action, resource, session(name, false)),
      await decide(policies, action, resource, session(name, true)),
    ];
  }
  return table;
}

const A: Decision = 'Allowed';
const X: Decision = 'ExplicitlyDenied';

/** The first sign-in of a user told to reset: what `requireMfa` must give. */
const EXPECTED: Record<string, [Decision, Decision]> = {
  'iam:GetAccountPasswordPolicy': [A, A],
  'iam:ChangePassword (self)': [A, A],
  'iam:CreateVirtualMFADevice (mfa/<own device name>)': [A, A],
  'iam:EnableMFADevice (self)': [A, A],
  'iam:EnableMFADevice (another user)': [X, 'ImplicitlyDenied'],
  'iam:ListMFADevices (self)': [A, A],
  'iam:GetMFADevice (self)': [A, A],
  'iam:ResyncMFADevice (self)': [A, A],
  'iam:ResyncMFADevice (another user)': [X, 'ImplicitlyDenied'],
  'iam:GetUser (self)': [A, A],
  'iam:ListVirtualMFADevices': [A, A],
  'iam:DeactivateMFADevice (self)': [X, 'ImplicitlyDenied'],
  'sts:GetSessionToken': [A, A],
  's3:ListAllMyBuckets': [X, A],
  'iam:CreateAccessKey (self)': [X, A],
};

let template: TemplateJson;
beforeAll(() => {
  template = mfaStack().template;
});

describe('requireMfa, evaluated over the synthesized policies', () => {
  test.each([
    ['alice', '/'],
    ['bob (path /ops/)', '/ops/'],
    ['vendor (imported by name)', '/'],
    ['contractor (imported by ARN, path /partners/)', '/partners/'],
  ])(
    '%s: without MFA only the first sign-in, with MFA their own grants',
    async (label, path) => {
      const name = label.split(' ')[0];
      // GIVEN the user's effective policies as deployed
      const policies = userPolicies(deployedWorld(template), name, path);
      expect(policies.principal).toBe(arn(`user${path}${name}`));
      // WHEN every request of the table is decided without and with MFA THEN
      expect(await decisionTable(policies, name)).toEqual(EXPECTED);
    },
    60_000,
  );

  test('a request with a long-term access key (no MFA context key at all) is denied all but the first sign-in', async () => {
    const policies = userPolicies(deployedWorld(template), 'alice');
    const keyOnly = { 'aws:username': 'alice' };
    expect(await decide(policies, 's3:ListAllMyBuckets', '*', keyOnly)).toBe(X);
    expect(await decide(policies, 'iam:CreateAccessKey', arn('user/alice'), keyOnly)).toBe(X);
    expect(await decide(policies, 'sts:GetSessionToken', '*', keyOnly)).toBe(A);
  }, 60_000);

  test('a user without requireMfa keeps their grants without MFA', async () => {
    const policies = userPolicies(deployedWorld(template), 'carol');
    expect(await decide(policies, 's3:ListAllMyBuckets', '*', session('carol', false))).toBe(A);
    expect(await decide(policies, 'iam:CreateAccessKey', arn('user/carol'), session('carol', false))).toBe(A);
  }, 60_000);

  test('fails with the common deny-unless-MFA policy: the first sign-in cannot change the password', async () => {
    // GIVEN alice's policies with the shared policy replaced by the deny of AWS's "self-manage MFA"
    // example (BlockMostAccessUnlessSignedInWithMFA), which exempts MFA enrollment but not the password
    const naive: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          NotAction: [
            'iam:CreateVirtualMFADevice',
            'iam:EnableMFADevice',
            'iam:GetUser',
            'iam:ListMFADevices',
            'iam:ListVirtualMFADevices',
            'iam:ResyncMFADevice',
            'sts:GetSessionToken',
          ],
          Resource: '*',
          Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        } as unknown as PolicyDocument['Statement'][number],
      ],
    };
    const ours = userPolicies(deployedWorld(template), 'alice');
    const shared = ours.identityPolicies.filter((p) => isRequireMfaPolicy(p.policy));
    expect(shared).toHaveLength(1);
    const withNaive: PrincipalPolicies = {
      ...ours,
      identityPolicies: [
        ...ours.identityPolicies.filter((p) => !isRequireMfaPolicy(p.policy)),
        { name: 'naive', policy: naive },
      ],
    };

    // WHEN the table is decided THEN it is not the one requireMfa must give: the user told to reset
    // is denied the password change (and reading the password policy) before they can enroll
    const table = await decisionTable(withNaive, 'alice');
    expect(table).not.toEqual(EXPECTED);
    expect(table['iam:ChangePassword (self)']).toEqual([X, A]);
    expect(table['iam:GetAccountPasswordPolicy']).toEqual([X, A]);
    // ...and it lets the user enable MFA for another user when their grants would allow it
    const admin: PrincipalPolicies = {
      ...withNaive,
      identityPolicies: [
        ...withNaive.identityPolicies,
        {
          name: 'admin',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
      ],
    };
    expect(await decide(admin, 'iam:EnableMFADevice', arn('user/carol'), session('alice', false))).toBe(A);
  }, 60_000);

  test('an administrator without MFA may enroll only their own device', async () => {
    // GIVEN alice with AdministratorAccess on top of her grants
    const ours = userPolicies(deployedWorld(template), 'alice');
    const admin: PrincipalPolicies = {
      ...ours,
      identityPolicies: [
        ...ours.identityPolicies,
        {
          name: 'admin',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
      ],
    };
    // THEN without MFA: own device yes, another user's no, everything else no; with MFA: everything
    expect(await decide(admin, 'iam:EnableMFADevice', arn('user/alice'), session('alice', false))).toBe(A);
    expect(await decide(admin, 'iam:EnableMFADevice', arn('user/carol'), session('alice', false))).toBe(X);
    expect(await decide(admin, 'iam:DeactivateMFADevice', arn('user/alice'), session('alice', false))).toBe(X);
    expect(await decide(admin, 'iam:ChangePassword', arn('user/alice'), session('alice', false))).toBe(A);
    expect(await decide(admin, 'iam:CreateUser', arn('user/eve'), session('alice', false))).toBe(X);
    expect(await decide(admin, 'iam:EnableMFADevice', arn('user/carol'), session('alice', true))).toBe(A);
    expect(await decide(admin, 'iam:CreateUser', arn('user/eve'), session('alice', true))).toBe(A);
  }, 60_000);
});

/** Whether `policy` is the shared require-MFA policy (by its statement ids). */
function isRequireMfaPolicy(policy: PolicyDocument): boolean {
  return policy.Statement.some((s) => s.Sid === 'DenyAllButFirstSignInWithoutMfa');
}

describe('the shared policy', () => {
  test('one customer managed policy per stack, attached to exactly the users with requireMfa', () => {
    const { stack } = mfaStack();
    const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
    const shared = Object.values(policies).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('DenyAllButFirstSignInWithoutMfa'),
    );
    expect(shared).toHaveLength(1);
    const users = stack.resolve(shared[0].Properties.Users) as unknown[];
    expect(users).toHaveLength(4);
    expect(users).toEqual(
      expect.arrayContaining([
        { Ref: stack.getLogicalId((stack.node.findChild('Alice') as ConsoleUser).node.defaultChild as iam.CfnUser) },
        { Ref: stack.getLogicalId((stack.node.findChild('Bob') as ConsoleUser).node.defaultChild as iam.CfnUser) },
        'vendor',
        'contractor',
      ]),
    );
    expect(RequireMfaPolicy.of(stack).policy).toBe(RequireMfaPolicy.of(stack.node.findChild('Alice')).policy);
  });

  test('no policy when no user requires MFA', () => {
    const stack = new Stack(new App(), 'NoMfa');
    new ConsoleUser(stack, 'User', { userName: 'u' });
    expect(stack.node.findAll().filter((c) => c instanceof RequireMfaPolicy)).toEqual([]);
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('MultiFactorAuthPresent');
  });
});

describe('cdk-nag', () => {
  test('the shared policy adds no unacknowledged AwsSolutions finding; each wildcard has its reason', () => {
    // GIVEN users with requireMfa, one with a path, one imported
    const app = new App();
    const stack = new Stack(app, 'MfaNag');
    new ConsoleUser(stack, 'Alice', { userName: 'alice', requireMfa: true });
    new ConsoleUser(stack, 'Bob', { userName: 'bob', path: '/ops/', requireMfa: true });
    new LoginProfile(stack, 'Vendor', { user: iam.User.fromUserName(stack, 'V', 'vendor'), requireMfa: true });

    // WHEN AwsSolutions runs THEN nothing is left
    app.synth();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(
      report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
    ).toEqual([]);
    // ...and the policy's acknowledgements are the documented reasons
    const acknowledged = RequireMfaPolicy.of(stack)
      .policy.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.values(m.data as Record<string, string>));
    expect(acknowledged.sort()).toEqual(
      [
        NAG_REASONS.requireMfaAccountActions,
        NAG_REASONS.requireMfaVirtualDevices,
        NAG_REASONS.requireMfaUserWithPath,
      ].sort(),
    );
  });
});
