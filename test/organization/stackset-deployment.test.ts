/**
 * What changes when the library's constructs are in a template stack that another stack deploys
 * (a cdk-stacksets `StackSetStack`): the account password policy orders the login profiles of its
 * own template, counts once per template, and the template's size is checked, as aws-cdk-lib does
 * not check it for such stacks. Here the stacks use the asset-bucket route (`assetBuckets`), so
 * that these rules are shown apart from the asset-free mode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Capability, DeploymentType, StackSet, StackSetStack, StackSetTarget, StackSetTemplate } from 'cdk-stacksets';
import { AccountPasswordPolicy, ConsoleUser, LoginProfile } from '../../lib';
import {
  MAX_TEMPLATE_BYTES,
  TEMPLATE_SIZE_ERROR,
  deploymentUnit,
  templateStackParent,
} from '../../lib/core/deployment';

const ADMIN_ENV = { account: '111111111111', region: 'eu-west-1' };

/** An admin stack and a StackSetStack under it whose assets go to an organization-readable bucket. */
function stackSet(admin: Stack, id: string): StackSetStack {
  const bucket = s3.Bucket.fromBucketName(admin, `${id}Bucket`, `org-assets-${ADMIN_ENV.region}`);
  const template = new StackSetStack(admin, id, { assetBuckets: [bucket], assetBucketPrefix: 'org-assets' });
  new StackSet(admin, `${id}Set`, {
    template: StackSetTemplate.fromStackSetStack(template),
    target: StackSetTarget.fromOrganizationalUnits({
      regions: ['eu-west-1'],
      organizationalUnits: ['ou-ab12-34cd56ef'],
    }),
    deploymentType: DeploymentType.serviceManaged(),
    capabilities: [Capability.NAMED_IAM],
  });
  return template;
}

interface Synthesized {
  readonly templates: Record<string, { Resources: Record<string, { Type: string; DependsOn?: string[] }> }>;
  readonly warnings: { path: string; message: string }[];
}

/** Synthesizes `app`: each template stack's template by construct path, and the warnings. */
function synth(app: App, stacks: Stack[]): Synthesized {
  const assembly = app.synth();
  const templates: Synthesized['templates'] = {};
  for (const stack of stacks) {
    const file = templateStackParent(stack) ? (stack as StackSetStack).templateFile : stack.templateFile;
    templates[stack.node.path] = JSON.parse(fs.readFileSync(path.join(assembly.directory, file), 'utf8'));
  }
  const warnings = assembly.stacks.flatMap((s) =>
    s.messages.filter((m) => m.level === 'warning').map((m) => ({ path: m.id, message: String(m.entry.data) })),
  );
  return { templates, warnings };
}

function resourcesOfType(
  template: Synthesized['templates'][string],
  type: string,
): [string, { DependsOn?: string[] }][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

describe('template stacks', () => {
  test('a StackSetStack is a template stack of its admin stack; a stack of the app and a nested stack are not', () => {
    const app = new App();
    const admin = new Stack(app, 'Admin', { env: ADMIN_ENV });
    const users = stackSet(admin, 'Users');
    expect(templateStackParent(users)).toBe(admin);
    expect(templateStackParent(admin)).toBeUndefined();
    expect(deploymentUnit(users)).toBe(users);
    expect(deploymentUnit(admin)).toBe(app);
  });
});

describe('AccountPasswordPolicy in a StackSet', () => {
  test('orders the login profiles of its own StackSet template after it', () => {
    const app = new App();
    const admin = new Stack(app, 'Admin', { env: ADMIN_ENV });
    const users = stackSet(admin, 'Users');
    new AccountPasswordPolicy(users, 'PasswordPolicy', { minimumPasswordLength: 20 });
    new ConsoleUser(users, 'Alice', { userName: 'alice' });
    const { templates } = synth(app, [users]);
    const template = templates['Admin/Users'];
    const [[policyId]] = resourcesOfType(template, 'Custom::AccountPasswordPolicy');
    const profiles = resourcesOfType(template, 'Custom::ConsoleLoginProfile');
    expect(profiles).toHaveLength(1);
    expect(profiles[0][1].DependsOn).toContain(policyId);
  });

  test("one in the admin stack and one in a StackSet are two accounts' policies: both allowed, neither orders the other's users", () => {
    const app = new App();
    const admin = new Stack(app, 'Admin', { env: ADMIN_ENV });
    const users = stackSet(admin, 'Users');
    new AccountPasswordPolicy(admin, 'AdminPolicy', { minimumPasswordLength: 30 });
    const memberPolicy = new AccountPasswordPolicy(users, 'MemberPolicy', { minimumPasswordLength: 20 });
    new ConsoleUser(users, 'Alice', { userName: 'alice' });
    new ConsoleUser(admin, 'Admin', { userName: 'admin' });
    const { templates, warnings } = synth(app, [admin, users]);
    const memberPolicyId = users.getLogicalId(memberPolicy._resource);
    const [member] = resourcesOfType(templates['Admin/Users'], 'Custom::ConsoleLoginProfile');
    expect(member[1].DependsOn).toEqual(expect.arrayContaining([memberPolicyId]));
    const [[adminPolicyId]] = resourcesOfType(templates.Admin, 'Custom::AccountPasswordPolicy');
    const [adminProfile] = resourcesOfType(templates.Admin, 'Custom::ConsoleLoginProfile');
    expect(adminProfile[1].DependsOn).toContain(adminPolicyId);
    expect(adminProfile[1].DependsOn).not.toContain(memberPolicyId);
    expect(warnings.filter((w) => w.message.includes('no order'))).toEqual([]);
  });

  test('two in one StackSet template fail, naming the first', () => {
    const app = new App();
    const admin = new Stack(app, 'Admin', { env: ADMIN_ENV });
    const users = stackSet(admin, 'Users');
    new AccountPasswordPolicy(users, 'First');
    expect(() => new AccountPasswordPolicy(users, 'Second')).toThrow(
      /Admin\/Users\/Second.*an AccountPasswordPolicy already exists in this template stack \(Admin\/Users\/First\)/,
    );
  });

  test('users in another StackSet are left unordered, with one warning on the policy naming that StackSet', () => {
    const app = new App();
    const admin = new Stack(app, 'Admin', { env: ADMIN_ENV });
    const policies = stackSet(admin, 'Policies');
    const users = stackSet(admin, 'Users');
    new AccountPasswordPolicy(policies, 'PasswordPolicy', { minimumPasswordLength: 20 });
    new ConsoleUser(users, 'Alice', { userName: 'alice' });
    new ConsoleUser(users, 'Bob', { userName: 'bob' });
    const { templates, warnings } = synth(app, [users]);
    for (const [, profile] of resourcesOfType(templates['Admin/Users'], 'Custom::ConsoleLoginProfile')) {
      expect(profile.DependsOn ?? []).toEqual([expect.stringMatching(/Permissions/)]);
    }
    const unordered = warnings.filter((w) =>
      w.message.includes(AccountPasswordPolicy.WARNING_UNORDERED_LOGIN_PROFILES),
    );
    expect(unordered).toHaveLength(1);
    // The StackSet's own annotations are not collected: the warning is on the admin stack, naming the policy.
    expect(unordered[0].path).toBe('/Admin');
    expect(unordered[0].message).toMatch(
      /^Admin\/Policies\/PasswordPolicy: login profiles in Admin\/Users deploy with no order to this policy/,
    );
  });
});

describe('warnings in a StackSet', () => {
  test('reach the cloud assembly through the admin stack; acknowledged on the construct, they do not', () => {
    const app = new App();
    const admin = new Stack(app, 'Admin', { env: ADMIN_ENV });
    const users = stackSet(admin, 'Users');
    new AccountPasswordPolicy(users, 'PasswordPolicy', { maxPasswordAge: Duration.days(30) });
    new ConsoleUser(users, 'Alice', {
      userName: 'alice',
      passwordResetRequired: false,
      grantChangePassword: true,
      rotation: { automaticallyAfter: Duration.days(60) },
    });
    const bob = new ConsoleUser(users, 'Bob', {
      userName: 'bob',
      passwordResetRequired: false,
      grantChangePassword: true,
      rotation: { automaticallyAfter: Duration.days(60) },
    });
    Annotations.of(bob).acknowledgeWarning(LoginProfile.WARNING_ROTATION_EXCEEDS_MAX_PASSWORD_AGE);
    const { warnings } = synth(app, []);
    const exceeding = warnings.filter((w) =>
      w.message.includes(LoginProfile.WARNING_ROTATION_EXCEEDS_MAX_PASSWORD_AGE),
    );
    expect(exceeding.map((w) => [w.path, w.message.split(':')[0]])).toEqual([
      ['/Admin', 'Admin/Users/Alice/LoginProfile'],
    ]);
  });
});

describe('template size', () => {
  /** A resource of `bytes` characters of property, to grow a template. */
  function ballast(scope: Construct, bytes: number): void {
    new CfnResource(scope, 'Ballast', {
      type: 'AWS::SSM::Parameter',
      properties: { Type: 'String', Value: 'x'.repeat(bytes) },
    });
  }

  test('a StackSet template over 1 MB fails synth with its size and the limit', () => {
    const app = new App();
    const admin = new Stack(app, 'Admin', { env: ADMIN_ENV });
    const users = stackSet(admin, 'Users');
    new ConsoleUser(users, 'Alice', { userName: 'alice' });
    ballast(users, MAX_TEMPLATE_BYTES);
    expect(() => app.synth()).toThrow(
      new RegExp(
        `${TEMPLATE_SIZE_ERROR}: the template of Admin/Users is \\d+ bytes; CloudFormation accepts at most ${MAX_TEMPLATE_BYTES}`,
      ),
    );
  });

  test('one just under the limit synthesizes, and the check measures the file the StackSet uploads', () => {
    const app = new App();
    const admin = new Stack(app, 'Admin', { env: ADMIN_ENV });
    const users = stackSet(admin, 'Users');
    new ConsoleUser(users, 'Alice', { userName: 'alice' });
    const probe = new App();
    const probeAdmin = new Stack(probe, 'Admin', { env: ADMIN_ENV });
    const probeUsers = stackSet(probeAdmin, 'Users');
    new ConsoleUser(probeUsers, 'Alice', { userName: 'alice' });
    ballast(probeUsers, 0);
    const base = fs.statSync(path.join(probe.synth().directory, probeUsers.templateFile)).size;
    ballast(users, MAX_TEMPLATE_BYTES - base);
    const written = fs.statSync(path.join(app.synth().directory, users.templateFile)).size;
    expect(written).toBe(MAX_TEMPLATE_BYTES);
  });

  test('a regular stack is left to aws-cdk-lib, which warns', () => {
    const app = new App();
    const stack = new Stack(app, 'Users', { env: ADMIN_ENV });
    new ConsoleUser(stack, 'Alice', { userName: 'alice' });
    ballast(stack, MAX_TEMPLATE_BYTES);
    const assembly = app.synth();
    const warnings = assembly.getStackByName('Users').messages.map((m) => String(m.entry.data));
    expect(warnings.some((w) => w.includes('Template size exceeds limit'))).toBe(true);
  });
});
