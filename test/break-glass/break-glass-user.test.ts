/**
 * `BreakGlassUser`: the preset (no reset, rotation, MFA, alerts, customer managed key), its
 * readers and its writers, proven with the policy simulator over the synthesized policies: an
 * administrator of the account is denied the password and denied writing one, a named reader and
 * the library's functions are allowed, CloudFormation can still update the secret.
 */
import { App, CliCredentialsStackSynthesizer, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { BreakGlassUser, ConsoleUser, SignInAlerts } from '../../lib';
import { FakeAws } from '../tooling/fake-aws';
import { ACCOUNT, REGION } from '../tooling/lambda-fixtures';
import {
  PolicyDocument,
  PrincipalPolicies,
  addStatements,
  decide,
  handlerRolePolicies,
} from '../tooling/policy-simulator';
import { TemplateJson, TemplateWorld } from '../tooling/template-world';

/** The logical ID of the one resource of `type` whose properties match `where`. */
function logicalId(template: TemplateJson, type: string, where: (props: Record<string, unknown>) => boolean): string {
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type && where(r.Properties ?? {}))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** The role of the Lambda function whose description matches `description`. */
function functionRole(template: TemplateJson, description: RegExp): string {
  const fn = logicalId(template, 'AWS::Lambda::Function', (p) => description.test(String(p.Description)));
  return (template.Resources[fn].Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

const ADMIN: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

describe('the password of a BreakGlassUser', () => {
  let template: TemplateJson;
  let world: TemplateWorld;
  let secretArn: string;
  let keyArn: string;
  let secretPolicy: PolicyDocument;
  let plainSecretArn: string;

  beforeAll(() => {
    // GIVEN a break-glass user with one reader named at construction and one granted later, a
    // reader's look-alike (granted by an identity policy only), and a plain ConsoleUser beside it
    const stack = new Stack(new App(), 'app');
    const reader = new iam.Role(stack, 'Reader', {
      roleName: 'security-oncall',
      assumedBy: new iam.AccountRootPrincipal(),
    });
    const later = new iam.Role(stack, 'LaterReader', { roleName: 'ciso', assumedBy: new iam.AccountRootPrincipal() });
    const lookalike = new iam.Role(stack, 'Lookalike', {
      roleName: 'helpdesk',
      assumedBy: new iam.AccountRootPrincipal(),
    });
    const user = new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', readers: [reader] });
    user.grantReadPassword(later);
    user.secret.grantRead(lookalike);
    new ConsoleUser(stack, 'Plain', { userName: 'plain' });
    template = Template.fromStack(stack).toJSON() as TemplateJson;
    world = new TemplateWorld(template, new FakeAws());
    const secretId = (name: string) =>
      logicalId(template, 'AWS::SecretsManager::Secret', (p) => String(p.Description).includes(`(app/${name}/`));
    secretArn = String(world.resolve({ Ref: secretId('BreakGlass') }));
    plainSecretArn = String(world.resolve({ Ref: secretId('Plain') }));
    const policyId = logicalId(template, 'AWS::SecretsManager::ResourcePolicy', () => true);
    secretPolicy = world.resolve(template.Resources[policyId].Properties!.ResourcePolicy) as PolicyDocument;
    expect(world.resolve(template.Resources[policyId].Properties!.SecretId)).toBe(secretArn);
    const keyId = String(
      (template.Resources[secretId('BreakGlass')].Properties!.KmsKeyId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
    );
    keyArn = String(world.resolve({ 'Fn::GetAtt': [keyId, 'Arn'] }));
  });

  /** `policies` with the secret's resource policy (and the key policies the template has). */
  const withSecretPolicy = (policies: PrincipalPolicies): PrincipalPolicies => ({
    ...policies,
    resourcePolicies: { ...policies.resourcePolicies, [secretArn]: secretPolicy },
  });
  const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
  const rolePolicies = (id: string) => withSecretPolicy(handlerRolePolicies(world, id));
  const administrator = (name: string): PrincipalPolicies =>
    withSecretPolicy({
      principal: roleArn(name),
      identityPolicies: [{ name: 'AdministratorAccess', policy: ADMIN }],
      resourcePolicies: {},
    });
  // AWS sets aws:PrincipalArn on every request (the role's ARN for a role session); the simulator takes it as context.
  const read = (who: PrincipalPolicies, secret = secretArn) =>
    decide(who, 'secretsmanager:GetSecretValue', secret, { 'aws:PrincipalArn': who.principal });
  const viaSecretsManager = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };

  test('decision table: who may read it', async () => {
    const table = {
      'named reader (props)': await read(rolePolicies(readerId(template, 'security-oncall'))),
      'named reader (grantReadPassword)': await read(rolePolicies(readerId(template, 'ciso'))),
      'role granted by identity policy only': await read(rolePolicies(readerId(template, 'helpdesk'))),
      'administrator (AdministratorAccess)': await read(administrator('Admin')),
      'login-profile handler role': await read(rolePolicies(functionRole(template, /login profile/i))),
      'rotation function role': await read(rolePolicies(functionRole(template, /rotates console passwords/i))),
    };
    expect(table).toEqual({
      'named reader (props)': 'Allowed',
      'named reader (grantReadPassword)': 'Allowed',
      'role granted by identity policy only': 'ExplicitlyDenied',
      'administrator (AdministratorAccess)': 'ExplicitlyDenied',
      'login-profile handler role': 'Allowed',
      'rotation function role': 'Allowed',
    });
  }, 60_000);

  const WRITES = [
    'secretsmanager:PutSecretValue',
    'secretsmanager:UpdateSecretVersionStage',
    'secretsmanager:UpdateSecret',
  ] as const;
  const write = (who: PrincipalPolicies, action: string, secret = secretArn, context = {}) =>
    decide(who, action, secret, { 'aws:PrincipalArn': who.principal, ...context });
  /** `who` with an identity grant of every write action on every secret (what the resource policy decides is left). */
  const mayWriteAnySecret = (who: PrincipalPolicies) =>
    addStatements(who, { Effect: 'Allow', Action: [...WRITES], Resource: '*' });
  /** The bootstrap's CloudFormation execution role of a DefaultStackSynthesizer stack (AdministratorAccess by default). */
  const STACK_ROLE = `cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;
  const viaCloudFormation = {
    'aws:CalledVia': ['cloudformation.amazonaws.com'],
    'aws:CalledViaFirst': 'cloudformation.amazonaws.com',
    'aws:CalledViaLast': 'cloudformation.amazonaws.com',
    'aws:ViaAWSService': 'true',
  };

  test('decision table: who may write it', async () => {
    const table: Record<string, string> = {};
    for (const action of WRITES) {
      const name = action.split(':')[1];
      table[`${name} by administrator (AdministratorAccess)`] = await write(administrator('Admin'), action);
      table[`${name} by named reader (granted writes too)`] = await write(
        mayWriteAnySecret(rolePolicies(readerId(template, 'security-oncall'))),
        action,
      );
      table[`${name} by login-profile handler role`] = await write(
        mayWriteAnySecret(rolePolicies(functionRole(template, /login profile/i))),
        action,
      );
      table[`${name} by rotation function role`] = await write(
        mayWriteAnySecret(rolePolicies(functionRole(template, /rotates console passwords/i))),
        action,
      );
    }
    expect(table).toEqual({
      'PutSecretValue by administrator (AdministratorAccess)': 'ExplicitlyDenied',
      'PutSecretValue by named reader (granted writes too)': 'ExplicitlyDenied',
      'PutSecretValue by login-profile handler role': 'Allowed',
      'PutSecretValue by rotation function role': 'Allowed',
      'UpdateSecretVersionStage by administrator (AdministratorAccess)': 'ExplicitlyDenied',
      'UpdateSecretVersionStage by named reader (granted writes too)': 'ExplicitlyDenied',
      'UpdateSecretVersionStage by login-profile handler role': 'Allowed',
      'UpdateSecretVersionStage by rotation function role': 'Allowed',
      'UpdateSecret by administrator (AdministratorAccess)': 'ExplicitlyDenied',
      'UpdateSecret by named reader (granted writes too)': 'ExplicitlyDenied',
      'UpdateSecret by login-profile handler role': 'Allowed',
      'UpdateSecret by rotation function role': 'Allowed',
    });
  }, 120_000);

  test("the library's functions write it with their own policies, unchanged (no grant added for the test)", async () => {
    for (const description of [/login profile/i, /rotates console passwords/i]) {
      const role = rolePolicies(functionRole(template, description));
      expect(await write(role, 'secretsmanager:PutSecretValue')).toBe('Allowed');
      expect(await write(role, 'secretsmanager:UpdateSecretVersionStage')).toBe('Allowed');
    }
  }, 60_000);

  test('CloudFormation can still update the secret (a new description or key), never write a value', async () => {
    // GIVEN the deployer's own credentials, used by CloudFormation (aws:CalledVia), and the
    // bootstrap's execution role, which CloudFormation assumes for a DefaultStackSynthesizer stack
    const deployer = administrator('Deployer');
    const stackRole = administrator(STACK_ROLE);
    // THEN UpdateSecret through CloudFormation, or as the stack's role, is allowed
    expect(await write(deployer, 'secretsmanager:UpdateSecret', secretArn, viaCloudFormation)).toBe('Allowed');
    expect(await write(stackRole, 'secretsmanager:UpdateSecret')).toBe('Allowed');
    // ...but not the same principal calling directly, or through another service
    expect(await write(deployer, 'secretsmanager:UpdateSecret')).toBe('ExplicitlyDenied');
    const viaAthena = { 'aws:CalledVia': ['athena.amazonaws.com'], 'aws:CalledViaLast': 'athena.amazonaws.com' };
    expect(await write(deployer, 'secretsmanager:UpdateSecret', secretArn, viaAthena)).toBe('ExplicitlyDenied');
    // ...and a value or a stage move is denied even through CloudFormation, or as the stack's role
    for (const action of ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']) {
      expect(await write(deployer, action, secretArn, viaCloudFormation)).toBe('ExplicitlyDenied');
      expect(await write(stackRole, action)).toBe('ExplicitlyDenied');
    }
  }, 60_000);

  test('fails without the resource policy: an administrator writes a plain ConsoleUser password', async () => {
    // The same administrator, on the plain user's secret (identity policies only): every write allowed.
    for (const action of WRITES) {
      expect(await write(administrator('Admin'), action, plainSecretArn)).toBe('Allowed');
      expect(await write({ ...administrator('Admin'), resourcePolicies: {} }, action)).toBe('Allowed');
    }
  }, 60_000);

  test('a named reader can also decrypt it with the customer managed key, through Secrets Manager only', async () => {
    const reader = rolePolicies(readerId(template, 'security-oncall'));
    expect(await decide(reader, 'kms:Decrypt', keyArn, viaSecretsManager)).toBe('Allowed');
    expect(await decide(reader, 'kms:Decrypt', keyArn)).toBe('ImplicitlyDenied');
  }, 60_000);

  test('fails without the resource policy: an administrator reads a plain ConsoleUser password', async () => {
    // The same administrator, on the plain user's secret (identity policies only): allowed.
    // This is what the break-glass secret's resource policy takes away.
    expect(await read(administrator('Admin'), plainSecretArn)).toBe('Allowed');
    const withoutDeny = { ...administrator('Admin'), resourcePolicies: {} };
    expect(await read(withoutDeny)).toBe('Allowed');
  }, 60_000);
});

/** The logical ID of the role named `roleName`. */
function readerId(template: TemplateJson, roleName: string): string {
  return logicalId(template, 'AWS::IAM::Role', (p) => p.RoleName === roleName);
}

describe("the secret's resource policy", () => {
  /** The resolved resource policy of the one break-glass secret in `stack`, as CloudFormation passes it. */
  function resolvedPolicy(stack: Stack): PolicyDocument {
    const template = Template.fromStack(stack).toJSON() as TemplateJson;
    const world = new TemplateWorld(template, new FakeAws());
    const id = logicalId(template, 'AWS::SecretsManager::ResourcePolicy', () => true);
    return world.resolve(template.Resources[id].Properties!.ResourcePolicy) as PolicyDocument;
  }

  test("stays within Secrets Manager's 20,480 characters with 100 readers of 64-character role names", () => {
    // GIVEN a break-glass user with 100 readers whose role names are as long as IAM allows
    const stack = new Stack(new App(), 'app');
    const readers = Array.from({ length: 100 }, (_, i) =>
      iam.Role.fromRoleName(stack, `Reader${i}`, `reader-${String(i).padStart(3, '0')}-`.padEnd(64, 'x')),
    );
    new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', readers });
    // THEN the resolved policy fits (whitespace-free JSON, as CloudFormation sends it)
    const policy = resolvedPolicy(stack);
    const size = JSON.stringify(policy).length;
    expect(size).toBeLessThanOrEqual(20_480);
    // ...and the write statements do not grow with the readers
    const writes = policy.Statement.filter((st) => st.Sid?.startsWith('OnlyTheLibrary'));
    expect(writes.map((st) => st.Sid)).toEqual([
      'OnlyTheLibraryWritesThePassword',
      'OnlyTheLibraryOrCloudFormationUpdatesTheSecret',
    ]);
    expect(JSON.stringify(writes).length).toBeLessThan(1_200);
  });

  test("names no stack role for a synthesizer that deploys with the caller's credentials", () => {
    const stack = new Stack(new App(), 'app', { synthesizer: new CliCredentialsStackSynthesizer() });
    new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass' });
    const update = resolvedPolicy(stack).Statement.find(
      (st) => st.Sid === 'OnlyTheLibraryOrCloudFormationUpdatesTheSecret',
    );
    const exempt = update!.Condition!.ArnNotEquals['aws:PrincipalArn'] as string[];
    expect(exempt).toHaveLength(2);
    expect(exempt.join()).not.toContain('cfn-exec-role');
    expect(update!.Condition!.StringNotEquals).toEqual({ 'aws:CalledViaLast': 'cloudformation.amazonaws.com' });
  });
});

describe('the preset', () => {
  test('no reset, 32 characters, rotation every 60 days, MFA required, alerts, a customer managed key', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Preset');
    const user = new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass' });
    const template = Template.fromStack(stack);

    // THEN the login profile issues a 32-character password without a reset, and rotates every 60 days
    template.hasResourceProperties('Custom::ConsoleLoginProfile', {
      PasswordResetRequired: 'false',
      PasswordLength: '32',
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(60 days)' },
    });
    // ...no IAMUserChangePassword (nobody chooses this password)
    expect(JSON.stringify(template.toJSON())).not.toContain('IAMUserChangePassword');
    // ...the secret is under a customer managed key with rotation
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BreakGlassPasswordKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    // ...the user is held to MFA by the stack's shared policy
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Users: [{ Ref: stack.getLogicalId(user.node.defaultChild as iam.CfnUser) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'DenyAllButFirstSignInWithoutMfa' })]) },
    });
    // ...and its sign-ins raise alerts on a topic of its own
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { userIdentity: { userName: ['break-glass'] } } },
    });
    expect(user.signInAlerts.topicKey).toBeDefined();
    // ...so do takeover attempts on it and accesses to its secret, by anyone but the handler and
    // the rotation function, whose roles both rules leave out
    const libraryRoles = {
      $or: [
        {
          arn: [
            {
              'anything-but': [
                {
                  'Fn::GetAtt': [
                    Match.stringLikeRegexp('^CdkConsoleUsersLoginProfileProviderHandlerServiceRole'),
                    'Arn',
                  ],
                },
                { 'Fn::GetAtt': [Match.stringLikeRegexp('^CdkConsoleUsersRotationHandlerServiceRole'), 'Arn'] },
              ],
            },
          ],
        },
        { arn: [{ exists: false }] },
      ],
    };
    for (const source of ['aws.iam', 'aws.secretsmanager']) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: [source],
          detail: { userIdentity: { sessionContext: { sessionIssuer: libraryRoles } } },
        },
      });
    }
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        detail: {
          requestParameters: {
            secretId: Match.arrayWith([
              { Ref: stack.getLogicalId(user.secret.node.defaultChild as secretsmanager.CfnSecret) },
            ]),
          },
        },
      },
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^BreakGlassSignInAlertsTopic') } })],
    });
  });

  test('joins an existing SignInAlerts', () => {
    const stack = new Stack(new App(), 'Shared');
    const alerts = new SignInAlerts(stack, 'Alerts', { users: [new ConsoleUser(stack, 'Ops', { userName: 'ops' })] });
    const one = new BreakGlassUser(stack, 'One', { userName: 'bg-1', signInAlerts: alerts });
    const two = new BreakGlassUser(stack, 'Two', { userName: 'bg-2', signInAlerts: alerts });
    const template = Template.fromStack(stack);
    // one rule each for the sign-ins, the takeover attempts and the secrets' accesses, one topic
    template.resourceCountIs('AWS::Events::Rule', 3);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { userIdentity: { userName: ['ops', 'bg-1', 'bg-2'] } } },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.iam'],
        detail: { $or: [{ requestParameters: { userName: ['ops', 'bg-1', 'bg-2'] } }, Match.anyValue()] },
      },
    });
    // ...and both break-glass secrets, by full ARN among their forms, and not the plain user's
    const secretRef = (user: BreakGlassUser) => ({
      Ref: stack.getLogicalId(user.secret.node.defaultChild as secretsmanager.CfnSecret),
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        detail: { requestParameters: { secretId: Match.arrayWith([secretRef(one), secretRef(two)]) } },
      },
    });
    expect(alerts.secretRule).toBeDefined();
  });

  test('fails when grantReadPassword names something the resource policy cannot: a user', () => {
    const stack = new Stack(new App(), 'Bad');
    const user = new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass' });
    expect(() => user.grantReadPassword(new iam.User(stack, 'Someone'))).toThrow(
      /^Bad\/BreakGlass: grantReadPassword: Bad\/Someone is not an IAM role; the secret's resource policy lets only named roles read the password \(an iam.IRole in 'readers' or grantReadPassword\)$/,
    );
  });
});

describe('the props it shares with ConsoleUser', () => {
  test('are passed to the ConsoleUser: user fields, secret name, reset token, password length, rotation', () => {
    // GIVEN a break-glass user with the ConsoleUser props it does not fix
    const stack = new Stack(new App(), 'Shared');
    const group = new iam.Group(stack, 'Admins');
    new BreakGlassUser(stack, 'BreakGlass', {
      userName: 'break-glass',
      path: '/emergency/',
      groups: [group],
      secretName: 'break-glass-password',
      resetToken: 'used-2026-12-01',
      passwordLength: 40,
      rotation: { automaticallyAfter: Duration.days(30) },
    });
    // THEN each reaches its resource
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::User', {
      UserName: 'break-glass',
      Path: '/emergency/',
      Groups: [{ Ref: stack.getLogicalId(group.node.defaultChild as iam.CfnGroup) }],
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'break-glass-password' });
    template.hasResourceProperties('Custom::ConsoleLoginProfile', {
      ResetToken: 'used-2026-12-01',
      PasswordLength: '40',
      PasswordResetRequired: 'false',
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  test('accepts the fixed props at their fixed values', () => {
    const stack = new Stack(new App(), 'Fixed');
    new BreakGlassUser(stack, 'BreakGlass', {
      userName: 'break-glass',
      passwordResetRequired: false,
      grantChangePassword: false,
      requireMfa: true,
    });
    Template.fromStack(stack).hasResourceProperties('Custom::ConsoleLoginProfile', { PasswordResetRequired: 'false' });
  });

  test.each([
    [
      'passwordResetRequired',
      true,
      "'passwordResetRequired' must be false on a BreakGlassUser \\(or left out\\), got true",
    ],
    [
      'grantChangePassword',
      true,
      "'grantChangePassword' must be false on a BreakGlassUser \\(or left out\\), got true",
    ],
    ['requireMfa', false, "'requireMfa' must be true on a BreakGlassUser \\(or left out\\), got false"],
  ])('fails when %s is %s, naming the construct, the prop, the value and what is allowed', (prop, value, message) => {
    const stack = new Stack(new App(), 'Bad');
    expect(() => new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', [prop]: value })).toThrow(
      new RegExp(`^Bad/BreakGlass: ${message}: `),
    );
    // ...and nothing was added to the stack
    expect(stack.node.children).toEqual([]);
  });

  test("fails when 'readers' holds something that is not a role (an untyped caller)", () => {
    const stack = new Stack(new App(), 'Bad');
    const someone = new iam.User(stack, 'Someone');
    expect(
      () =>
        new BreakGlassUser(stack, 'BreakGlass', {
          userName: 'break-glass',
          readers: [someone as unknown as iam.IRole],
        }),
    ).toThrow(/^Bad\/BreakGlass: 'readers': Bad\/Someone is not an IAM role; /);
  });
});

test('cdk-nag: a stack with BreakGlassUsers (one joining shared alerts) has no unacknowledged AwsSolutions finding', () => {
  const app = new App();
  const stack = new Stack(app, 'NagBreakGlass');
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  const first = new BreakGlassUser(stack, 'First', { userName: 'bg-1', path: '/emergency/', readers: [reader] });
  new BreakGlassUser(stack, 'Second', { userName: 'bg-2', signInAlerts: first.signInAlerts });
  app.synth();
  const report = new AwsSolutionsChecks().validateScope(app);
  expect(
    report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
  ).toEqual([]);
});
