/**
 * Capacity: a stack of 150 console users must synthesize into a template CloudFormation and IAM
 * accept, the handler may still touch only those users and secrets, and a stack past a limit
 * must fail at synth with the limit and the count.
 */
import { App, CfnResource, CfnWaitConditionHandle, Stack, StackProps } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ConsoleUser, HandlerCode, LoginProfile } from '../../lib';
import { LoginProfileProvider } from '../../lib/login-profile/provider';
import {
  MAX_MANAGED_POLICIES_PER_ROLE,
  MAX_MANAGED_POLICY_CHARS,
  MAX_ROLE_INLINE_POLICY_CHARS,
  keyArnBound,
  secretArnBound,
  userArnBound,
} from '../../lib/permissions/limits';
import {
  MAX_STACK_RESOURCES,
  MAX_TEMPLATE_BYTES,
  REALISTIC_ENVIRONMENT,
  RenderEnvironment,
  TemplateRenderer,
  TemplateResource,
  iamPolicyCharacters,
  measureTemplate,
} from './deployed-template';
import { TEMPLATE_LIMIT_BYTES, measureTemplateSize } from '../../scripts/bench-template-size';

type Template = { Resources: Record<string, TemplateResource & { DependsOn?: string[] }> };

const ENV = { account: REALISTIC_ENVIRONMENT.account, region: REALISTIC_ENVIRONMENT.region };

function stackWith(count: number, options: { named?: boolean; props?: StackProps } = {}) {
  const app = new App();
  const stack = new Stack(app, 'Scale', options.props ?? { env: ENV });
  const users: ConsoleUser[] = [];
  for (let i = 0; i < count; i++) {
    users.push(new ConsoleUser(stack, `User${i}`, options.named === false ? {} : { userName: `console-user-${i}` }));
  }
  return { app, stack, users };
}

function synth(app: App, stack: Stack): Template {
  return app.synth().getStackByName(stack.stackName).template as Template;
}

function environment(stack: Stack): RenderEnvironment {
  return { ...REALISTIC_ENVIRONMENT, stackName: stack.stackName };
}

function ofType(template: Template, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

describe('150 console users in one stack', () => {
  for (const named of [true, false]) {
    describe(named ? 'with user names' : 'with generated user names', () => {
      let template: Template;
      let stack: Stack;
      beforeAll(() => {
        // GIVEN 150 ConsoleUsers in one stack (synthesized once for the tests below)
        const built = stackWith(150, { named });
        stack = built.stack;
        // WHEN it synthesizes (the library's own limit check runs here and must pass)
        template = synth(built.app, built.stack);
      }, 180_000);

      test('stays within 500 resources and 1 MB', () => {
        const measure = measureTemplate(template, environment(stack));
        expect(measure.resources).toBeLessThanOrEqual(MAX_STACK_RESOURCES);
        expect(measure.templateBytes).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
        // 3 per user (user, secret, login profile), the provider (the handler function, its role,
        // its inline policy, its log group and its asynchronous-invocation settings), the stack's
        // handover bus, and the permission policies.
        expect(measure.resources).toBe(150 * 3 + 5 + 1 + ofType(template, 'AWS::IAM::ManagedPolicy').length);
        expect(ofType(template, 'AWS::Events::EventBus')).toHaveLength(1);
        expect(ofType(template, 'AWS::Logs::LogGroup')).toHaveLength(1);
        expect(ofType(template, 'AWS::Lambda::EventInvokeConfig')).toHaveLength(1);
      });

      test('every managed policy stays within 6,144 characters, ARNs rendered as deployed', () => {
        const measure = measureTemplate(template, environment(stack));
        const sizes = Object.values(measure.managedPolicyCharacters);
        expect(sizes.length).toBeGreaterThan(1);
        for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_MANAGED_POLICY_CHARS);
      });

      test("every role's inline policies stay within 10,240 characters, and its managed policies within 10", () => {
        const measure = measureTemplate(template, environment(stack));
        for (const role of Object.values(measure.roles)) {
          expect(role.inlinePolicyCharacters).toBeLessThanOrEqual(MAX_ROLE_INLINE_POLICY_CHARS);
          expect(role.managedPolicies).toBeLessThanOrEqual(MAX_MANAGED_POLICIES_PER_ROLE);
        }
      });

      test('has one handler function for all of them', () => {
        const functions = ofType(template, 'AWS::Lambda::Function');
        // The handler, which CloudFormation invokes directly.
        expect(functions).toHaveLength(1);
      });

      test('lets the handler touch exactly the 150 users and their secrets, each in one policy, with no wildcard', () => {
        const renderer = new TemplateRenderer(environment(stack), template.Resources);
        const users = ofType(template, 'AWS::IAM::User').map(([id]) => renderer.render({ 'Fn::GetAtt': [id, 'Arn'] }));
        const secrets = ofType(template, 'AWS::SecretsManager::Secret').map(([id]) => renderer.render({ Ref: id }));
        const granted: { users: unknown[]; secrets: unknown[] } = { users: [], secrets: [] };
        const handlerRoles = new Set<string>();
        for (const [, policy] of ofType(template, 'AWS::IAM::ManagedPolicy')) {
          for (const role of asList(policy.Properties!.Roles)) handlerRoles.add(JSON.stringify(role));
          const document = renderer.render(policy.Properties!.PolicyDocument) as {
            Statement: Array<Record<string, unknown>>;
          };
          for (const statement of document.Statement) {
            const resources = asList(statement.Resource);
            expect(resources.some((r) => String(r).includes('*'))).toBe(false);
            const actions = asList(statement.Action).map(String);
            if (actions.includes('iam:CreateLoginProfile')) granted.users.push(...resources);
            if (actions.includes('secretsmanager:PutSecretValue')) granted.secrets.push(...resources);
          }
        }
        expect(handlerRoles.size).toBe(1);
        expect([...granted.users].sort()).toEqual([...users].sort());
        expect([...granted.secrets].sort()).toEqual([...secrets].sort());
        // The only wildcards the handler has: reading the account password policy, and deleting
        // the profile of a user tagged with this stack's ID (one that left the stack's policy).
        // Besides them, the reads of this stack's own CloudFormation record.
        const [, inline] = ofType(template, 'AWS::IAM::Policy').find(([id]) => id.includes('HandlerPolicy'))!;
        expect(inline.Properties!.PolicyDocument).toEqual({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ReadAccountPasswordPolicy',
              Effect: 'Allow',
              Action: 'iam:GetAccountPasswordPolicy',
              Resource: '*',
            },
            {
              Sid: 'DeleteLoginProfilesOfUsersThisStackClaimed',
              Effect: 'Allow',
              Action: ['iam:GetUser', 'iam:DeleteLoginProfile'],
              Resource: expect.objectContaining({ 'Fn::Join': expect.arrayContaining([expect.anything()]) }),
              Condition: { StringEquals: { 'aws:ResourceTag/cdk-console-users:stack': { Ref: 'AWS::StackId' } } },
            },
            {
              // No wildcard: CloudFormation's record of this stack only (attested events).
              Sid: 'ReadOwnStackRecord',
              Effect: 'Allow',
              Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
              Resource: { Ref: 'AWS::StackId' },
            },
            {
              // Publishing the handover event, on this stack's bus only.
              Sid: 'PublishHandoverEvents',
              Effect: 'Allow',
              Action: 'events:PutEvents',
              Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CdkConsoleUsersHandoverBus/), 'Arn'] },
            },
          ],
        });
      });

      test('makes each login profile depend on the policy that names its user and secret', () => {
        const policies = ofType(template, 'AWS::IAM::ManagedPolicy');
        const profiles = ofType(template, 'Custom::ConsoleLoginProfile');
        expect(profiles).toHaveLength(150);
        for (const [, profile] of profiles) {
          const holder = policies.find(([, p]) => {
            const json = JSON.stringify(p.Properties!.PolicyDocument);
            return json.includes(JSON.stringify(profile.Properties!.SecretArn));
          });
          expect(holder).toBeDefined();
          expect(profile.DependsOn).toContain(holder![0]);
        }
      });
    });
  }

  test('stays within the limits in an environment-agnostic stack (longest partition and region assumed)', () => {
    // GIVEN 150 users in a stack without account or region
    const { app, stack } = stackWith(150, { props: {} });
    // WHEN it synthesizes THEN the check passes, and the policies fit even for us-isof-south-1
    const template = synth(app, stack);
    const measure = measureTemplate(template, {
      ...environment(stack),
      partition: 'aws-us-gov',
      region: 'us-isof-south-1',
    });
    for (const size of Object.values(measure.managedPolicyCharacters)) {
      expect(size).toBeLessThanOrEqual(MAX_MANAGED_POLICY_CHARS);
    }
  });

  test("grants each secret's KMS key, through Secrets Manager only, in the policy that holds its profile", () => {
    // GIVEN 120 users: every third with its own key, the rest sharing one
    const app = new App();
    const stack = new Stack(app, 'Scale', { env: ENV });
    const shared = new kms.Key(stack, 'Shared');
    for (let i = 0; i < 120; i++) {
      const encryptionKey = i % 3 === 0 ? new kms.Key(stack, `Key${i}`) : shared;
      new ConsoleUser(stack, `User${i}`, { userName: `console-user-${i}`, encryptionKey });
    }
    // WHEN
    const template = synth(app, stack);
    // THEN every profile's policy also names its key, with the kms:ViaService condition
    const renderer = new TemplateRenderer(environment(stack), template.Resources);
    const measure = measureTemplate(template, environment(stack));
    for (const size of Object.values(measure.managedPolicyCharacters))
      expect(size).toBeLessThanOrEqual(MAX_MANAGED_POLICY_CHARS);
    const policies = ofType(template, 'AWS::IAM::ManagedPolicy').map(
      ([id, p]) => [id, p.Properties!.PolicyDocument] as const,
    );
    for (const [, user] of ofType(template, 'AWS::IAM::User')) {
      const userName = String(user.Properties!.UserName);
      const i = Number(userName.split('-').pop());
      const keyId = ofType(template, 'AWS::KMS::Key').find(([id]) =>
        new RegExp(`^${i % 3 === 0 ? `Key${i}` : 'Shared'}[0-9A-F]{8}$`).test(id),
      )![0];
      const [, document] = policies.find(([, d]) => JSON.stringify(renderer.render(d)).includes(`:user/${userName}"`))!;
      const statements = (document as { Statement: Array<Record<string, unknown>> }).Statement;
      const keys = statements.find((st) => st.Sid === 'UseKeysOfDeclaredSecretsThroughSecretsManager');
      expect(keys?.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } });
      expect(asList(keys?.Resource)).toContainEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    }
    // 161 constructs with keys synthesize slowly on a loaded CI machine.
  }, 180_000);

  test('creates one provider whatever the number of users', () => {
    for (const count of [1, 10]) {
      const { app, stack } = stackWith(count);
      expect(ofType(synth(app, stack), 'AWS::Lambda::Function')).toHaveLength(1);
    }
  });
});

describe('150 console users with their code inline (HandlerCode.INLINE)', () => {
  // The largest INLINE templates as `cdk synth` writes them: with 150 users (an
  // AccountPasswordPolicy, and the 13 rotating users that still fit in 500 resources), and the
  // largest of all (every user rotating: 94 fit, with the stack's handover bus).
  test.each([
    ['150 users, 13 rotating, an AccountPasswordPolicy', { users: 150, rotating: 13, passwordPolicy: true }, 500],
    ['94 users, all rotating, an AccountPasswordPolicy', { users: 94, rotating: 94, passwordPolicy: true }, 496],
  ])(
    '%s stay within 1 MB, also as a StackSet template, and within 500 resources',
    (_what, variant, resources) => {
      const size = measureTemplateSize(HandlerCode.INLINE, variant);
      expect(size.resources).toBe(resources);
      expect(TEMPLATE_LIMIT_BYTES).toBe(MAX_TEMPLATE_BYTES);
      expect(size.writtenBytes).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
      // As cdk-stacksets writes it for a StackSet (two-space indentation), larger, and still within it.
      expect(size.stackSetBytes).toBeGreaterThan(size.writtenBytes);
      expect(size.stackSetBytes).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
      // The inline code is in it: at least the three bundles' bytes more than with file assets.
      const asset = measureTemplateSize(HandlerCode.ASSET, variant);
      expect(size.writtenBytes - asset.writtenBytes).toBeGreaterThan(40_000);
    },
    120_000,
  );
});

describe('synth-time limit errors', () => {
  test('fails when the stack passes 500 resources', () => {
    // GIVEN 164 console users: 3 x 164 + 5 + 1 (the handover bus) + 6 policies = 504 resources
    const { app } = stackWith(164);
    // WHEN / THEN synth fails (aws-cdk-lib's own check), naming the limit and the count
    expect(() => app.synth()).toThrow(
      /Number of resources in stack 'Scale': 50\d is greater than allowed maximum of 500: .*Custom::ConsoleLoginProfile \(164\)/,
    );
  });

  test('fails when the handler role would need more than 10 managed policies', () => {
    // GIVEN imported users with long paths: each profile needs ~1,100 characters of policy
    const app = new App();
    const stack = new Stack(app, 'Scale', { env: ENV });
    const path = `/${'p'.repeat(500)}/`;
    for (let i = 0; i < 55; i++) {
      const user = iam.User.fromUserArn(stack, `Imported${i}`, `arn:aws:iam::123456789012:user${path}imported-${i}`);
      new LoginProfile(stack, `Profile${i}`, { user, secretName: `${'s'.repeat(400)}-${i}` });
    }
    // WHEN / THEN
    expect(() => app.synth()).toThrow(
      /MAX_MANAGED_POLICIES_PER_ROLE exceeded in stack Scale: role CdkConsoleUsersLoginProfileProviderHandlerServiceRole\w+ has 1[1-9] managed policies attached; IAM allows at most 10/,
    );
  });

  test("fails when the handler role's inline policies pass 10,240 characters", () => {
    // GIVEN someone adds a long statement to the provider's inline policy
    const { app, stack } = stackWith(1);
    const provider = LoginProfileProvider.of(stack);
    provider.policy.addStatements(
      new iam.PolicyStatement({
        actions: ['iam:GetUser'],
        resources: Array.from({ length: 250 }, (_, i) => `arn:aws:iam::123456789012:user/someone-else-${i}`),
      }),
    );
    // WHEN / THEN
    expect(() => app.synth()).toThrow(
      /MAX_ROLE_INLINE_POLICY_CHARS exceeded in stack Scale: role CdkConsoleUsersLoginProfileProviderHandlerServiceRole\w+ has up to 1\d{4} characters of inline policies .* at most 10240 per role/,
    );
  });

  test('fails when a permission policy passes 6,144 characters', () => {
    // GIVEN a permission policy someone filled past IAM's limit
    const { app, stack } = stackWith(1);
    LoginProfileProvider.of(stack).permissionPolicies[0].addStatements(
      new iam.PolicyStatement({
        actions: ['iam:GetUser'],
        resources: Array.from({ length: 150 }, (_, i) => `arn:aws:iam::123456789012:user/someone-else-${i}`),
      }),
    );
    // WHEN / THEN
    expect(() => app.synth()).toThrow(
      /MAX_MANAGED_POLICY_CHARS exceeded in stack Scale: managed policy CdkConsoleUsersLoginProfileProviderLoginProfilePermissions1\w+ has up to \d{4} characters .* at most 6144/,
    );
  });

  test('warns when the template passes 1 MB (aws-cdk-lib; cdk deploy --strict fails on it)', () => {
    // GIVEN a stack whose template is over 1,000,000 bytes (a resource with large metadata)
    const { stack } = stackWith(1);
    const filler = new CfnWaitConditionHandle(stack, 'Filler') as CfnResource;
    filler.cfnOptions.metadata = { filler: 'x'.repeat(1_000_000) };
    // WHEN / THEN
    Annotations.fromStack(stack).hasWarning(
      '/Scale',
      Match.stringLikeRegexp('Template size exceeds limit: 10\\d{5}/1000000'),
    );
  });
});

describe('measuring policies as IAM does', () => {
  test('renders user, secret and key ARNs at their deployed length', () => {
    // GIVEN a user with a path, a secret without a name, and a key
    const renderer = new TemplateRenderer(REALISTIC_ENVIRONMENT, {
      U: { Type: 'AWS::IAM::User', Properties: { UserName: 'alice', Path: '/ops/' } },
      S: { Type: 'AWS::SecretsManager::Secret' },
      K: { Type: 'AWS::KMS::Key' },
    });
    // WHEN / THEN
    expect(renderer.render({ 'Fn::GetAtt': ['U', 'Arn'] })).toBe('arn:aws:iam::123456789012:user/ops/alice');
    expect(renderer.render({ Ref: 'S' })).toBe(
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:S-A1B2C3D4E5F6-AbCdEf',
    );
    expect(renderer.render({ 'Fn::GetAtt': ['K', 'Arn'] })).toMatch(
      /^arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]{36}$/,
    );
    expect(
      renderer.render({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':user/bob']],
      }),
    ).toBe('arn:aws:iam::123456789012:user/bob');
    expect(renderer.render({ 'Fn::Sub': 'secretsmanager.${AWS::Region}.${AWS::URLSuffix}' })).toBe(
      'secretsmanager.us-east-1.amazonaws.com',
    );
  });

  test('assumes the longest name CloudFormation may generate for an unnamed IAM user', () => {
    const renderer = new TemplateRenderer(REALISTIC_ENVIRONMENT, { U: { Type: 'AWS::IAM::User' } });
    expect(renderer.render({ Ref: 'U' })).toHaveLength(64);
  });

  test('bounds each ARN the packer grants: exactly where names and region are known, else at their longest', () => {
    // GIVEN the same users, secret and key in a stack with a region and in an environment-agnostic one
    const app = new App();
    const bounds = [new Stack(app, 'Known', { env: ENV }), new Stack(app, 'Agnostic')].map((stack) => {
      const secret = new secretsmanager.Secret(stack, 'Secret');
      return {
        named: userArnBound(new iam.User(stack, 'Named', { userName: 'alice', path: '/ops/' })),
        generated: userArnBound(new iam.User(stack, 'Generated')),
        importedByName: userArnBound(iam.User.fromUserName(stack, 'ByName', 'bob')),
        importedByArn: userArnBound(iam.User.fromUserArn(stack, 'ByArn', 'arn:aws:iam::123456789012:user/x/carol')),
        secret: secretArnBound(secret),
        secretId: stack.getLogicalId(secret.node.defaultChild as secretsmanager.CfnSecret),
        key: keyArnBound(new kms.Key(stack, 'Key')),
      };
    });
    // THEN (aws-us-gov and us-isof-south-1 are the longest partition and region names)
    const [known, agnostic] = bounds;
    expect(known).toEqual({
      named: 'arn:aws:iam::123456789012:user/ops/alice'.length,
      generated: 'arn:aws:iam::123456789012:user/'.length + 64,
      importedByName: 'arn:aws:iam::123456789012:user/bob'.length,
      importedByArn: 'arn:aws:iam::123456789012:user/x/carol'.length,
      secret: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${known.secretId}-A1B2C3D4E5F6-AbCdEf`.length,
      secretId: known.secretId,
      key: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'.length,
    });
    expect(agnostic).toMatchObject({
      named: 'arn:aws-us-gov:iam::123456789012:user/ops/alice'.length,
      importedByName: 'arn:aws-us-gov:iam::123456789012:user/bob'.length,
      secret:
        `arn:aws-us-gov:secretsmanager:us-isof-south-1:123456789012:secret:${agnostic.secretId}-A1B2C3D4E5F6-AbCdEf`
          .length,
      key: 'arn:aws-us-gov:kms:us-isof-south-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'.length,
    });
  });

  test('counts characters without whitespace', () => {
    expect(iamPolicyCharacters({ Version: '2012-10-17', Statement: [{ Sid: 'a b', Resource: '*' }] })).toBe(
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'ab', Resource: '*' }] }).length,
    );
  });
});
