/**
 * Central custody: the password of a user in account A read by a role of a security account B.
 *
 * The stack is synthesized in account A twice, with an explicit environment and env-agnostic (its
 * account the `AWS::AccountId` token, as in a StackSet, resolved here with A). The secret's
 * resource policy and the key policies come from the template; `@cloud-copilot/iam-simulate`
 * (test/tooling/policy-simulator.ts) evaluates the cross-account requests of the reader, whose
 * identity policy in B allows `secretsmanager:GetSecretValue` and `kms:Decrypt` on `*`, and of
 * other principals of B. `CUSTODY_REPORT=1` prints the decision table.
 *
 * Each proof comes with its counter-proof: the same request under a policy broken on purpose
 * (the reader's statement removed, the `kms:ViaService` condition removed, the account root named
 * instead of the role, the reader left out of the break-glass deny) gets the other answer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Aws, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BreakGlassUser, ConsoleUser, LoginProfile } from '../../lib';
import { resolveIntrinsics } from '../tooling/intrinsics';
import { PolicyDocument, PrincipalPolicies, RequestContext, Statement, decide } from '../tooling/policy-simulator';
import { TemplateJson } from '../tooling/template-world';

/** Account A: the stack's. Account B: the security account. */
const A = '222222222222';
const B = '111111111111';
const REGION = 'eu-central-1';
const READER_ARN = `arn:aws:iam::${B}:role/SecurityReader`;
const OTHER_ARN = `arn:aws:iam::${B}:role/Developer`;
const VIA_SECRETS_MANAGER = `secretsmanager.${REGION}.amazonaws.com`;

/** docs/organization.md's "Central custody" section: its table, identity policy and error message are checked here. */
const CUSTODY_DOC = (() => {
  const text = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'organization.md'), 'utf8');
  const start = text.indexOf('\n## Central custody\n');
  const end = text.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThanOrEqual(0);
  return text.slice(start, end < 0 ? undefined : end);
})();

/** The identity policy the doc gives the security account's role (its one JSON block). */
const DOCUMENTED_IDENTITY = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(CUSTODY_DOC)![1]) as PolicyDocument;

type Kind = 'explicit environment' | 'env-agnostic (StackSet)';
const KINDS: Kind[] = ['explicit environment', 'env-agnostic (StackSet)'];

function newStack(kind: Kind, id = 'Workload'): Stack {
  return new Stack(new App(), id, kind === 'explicit environment' ? { env: { account: A, region: REGION } } : {});
}

/** The custody app: a ConsoleUser and a break-glass user read from B, and a secret B may not read. */
function custodyStack(kind: Kind): Stack {
  const stack = newStack(kind);
  const reader = iam.Role.fromRoleArn(stack, 'SecurityReader', READER_ARN);
  const key = new kms.Key(stack, 'PasswordKey', { enableKeyRotation: true });
  const vendor = new ConsoleUser(stack, 'Vendor', {
    userName: 'vendor',
    secretName: 'console/vendor',
    encryptionKey: key,
  });
  vendor.grantReadPassword(reader);
  // Under the same key, not granted to B.
  new LoginProfile(stack, 'Auditor', {
    user: iam.User.fromUserName(stack, 'AuditorUser', 'auditor'),
    secretName: 'console/auditor',
    encryptionKey: key,
  });
  new BreakGlassUser(stack, 'BreakGlass', {
    userName: 'break-glass',
    secretName: 'console/break-glass',
    readers: [reader],
  });
  return stack;
}

/** Policies of the template, intrinsics resolved as CloudFormation would in account A. */
class CustodyWorld {
  readonly template: TemplateJson;
  constructor(stack: Stack) {
    this.template = Template.fromStack(stack).toJSON() as TemplateJson;
  }

  resolve(value: unknown): unknown {
    const resources = this.template.Resources;
    const physical = (id: string): string => {
      const type = resources[id]?.Type;
      if (type === 'AWS::SecretsManager::Secret') {
        const name = resources[id].Properties?.Name ?? id;
        return `arn:aws:secretsmanager:${REGION}:${A}:secret:${String(name)}-AbCdEf`;
      }
      if (type === undefined) throw new Error(`the template has no resource ${id}`);
      return `${id}-physical`;
    };
    return resolveIntrinsics(value, {
      pseudo: {
        accountId: A,
        region: REGION,
        partition: 'aws',
        stackName: 'Workload',
        stackId: `arn:aws:cloudformation:${REGION}:${A}:stack/Workload/11111111-2222-3333-4444-555555555555`,
        urlSuffix: 'amazonaws.com',
      },
      ref: physical,
      getAtt: (id, attribute) => {
        const type = resources[id]?.Type;
        if (attribute !== 'Arn') return `${physical(id)}.${attribute}`;
        if (type === 'AWS::KMS::Key') return `arn:aws:kms:${REGION}:${A}:key/${id}`;
        if (type === 'AWS::IAM::Role') return `arn:aws:iam::${A}:role/${id}`;
        if (type === 'AWS::SecretsManager::Secret') return physical(id);
        throw new Error(`no Arn for ${id}`);
      },
    });
  }

  /** The logical ID of the one secret whose description names construct `name`. */
  secretId(name: string): string {
    const ids = Object.entries(this.template.Resources)
      .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
      .filter(([, r]) => new RegExp(`\\(Workload/${name}[/)]`).test(String(r.Properties?.Description)))
      .map(([id]) => id);
    expect(ids).toHaveLength(1);
    return ids[0];
  }

  secretArn(name: string): string {
    return String(this.resolve({ Ref: this.secretId(name) }));
  }

  keyArn(name: string): string {
    return String(this.resolve(this.template.Resources[this.secretId(name)].Properties!.KmsKeyId));
  }

  /** Every resource policy of the template (secrets' and keys'), by the ARN of its resource. */
  resourcePolicies(): Record<string, PolicyDocument> {
    const policies: Record<string, PolicyDocument> = {};
    for (const [id, r] of Object.entries(this.template.Resources)) {
      if (r.Type === 'AWS::SecretsManager::ResourcePolicy') {
        policies[String(this.resolve(r.Properties!.SecretId))] = this.resolve(
          r.Properties!.ResourcePolicy,
        ) as PolicyDocument;
      } else if (r.Type === 'AWS::KMS::Key') {
        policies[String(this.resolve({ 'Fn::GetAtt': [id, 'Arn'] }))] = this.resolve(
          r.Properties!.KeyPolicy,
        ) as PolicyDocument;
      }
    }
    return policies;
  }
}

const allow = (actions: string[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
});
/** What the security account gives its reader role: read secrets and decrypt, on anything. */
const READER_IDENTITY = allow(['secretsmanager:GetSecretValue', 'kms:Decrypt']);
const ADMIN_IDENTITY = allow(['*']);

function principal(
  arn: string,
  identity: PolicyDocument,
  resourcePolicies: Record<string, PolicyDocument>,
): PrincipalPolicies {
  return { principal: arn, identityPolicies: [{ name: 'identity', policy: identity }], resourcePolicies };
}

/** The context AWS sets on a request of a role session of account B. */
function context(who: PrincipalPolicies, extra: RequestContext = {}): RequestContext {
  return { 'aws:PrincipalArn': who.principal, 'aws:PrincipalAccount': B, ...extra };
}

/** A decrypt request: through Secrets Manager (as GetSecretValue makes it for the caller) or directly. */
function kmsContext(who: PrincipalPolicies, viaService?: string): RequestContext {
  return context(who, { 'kms:CallerAccount': B, ...(viaService ? { 'kms:ViaService': viaService } : {}) });
}

interface Row {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context: string;
  readonly decision: string;
}

/** The decision table of the custody stack of `kind`. */
async function decisionTable(world: CustodyWorld, policies = world.resourcePolicies()): Promise<Row[]> {
  const reader = principal(READER_ARN, READER_IDENTITY, policies);
  const readerAsAdmin = principal(READER_ARN, ADMIN_IDENTITY, policies);
  const other = principal(OTHER_ARN, ADMIN_IDENTITY, policies);
  const secret = world.secretArn('Vendor');
  const key = world.keyArn('Vendor');
  const rows: Row[] = [];
  const add = async (
    label: string,
    who: PrincipalPolicies,
    action: string,
    resourceLabel: string,
    resource: string,
    contextLabel: string,
    ctx: RequestContext,
  ) => {
    const decision = await decide(who, action, resource, ctx);
    rows.push({ principal: label, action, resource: resourceLabel, context: contextLabel, decision });
  };
  const none = '-';
  const via = `kms:ViaService=${VIA_SECRETS_MANAGER}`;
  for (const [label, who] of [
    ['reader (GetSecretValue, kms:Decrypt on *)', reader],
    ['other role (AdministratorAccess)', other],
  ] as const) {
    await add(label, who, 'secretsmanager:GetSecretValue', 'granted secret', secret, none, context(who));
    await add(
      label,
      who,
      'secretsmanager:GetSecretValue',
      'break-glass secret',
      world.secretArn('BreakGlass'),
      none,
      context(who),
    );
    await add(label, who, 'kms:Decrypt', 'key of the granted secret', key, via, kmsContext(who, VIA_SECRETS_MANAGER));
    await add(label, who, 'kms:Decrypt', 'key of the granted secret', key, 'no kms:ViaService', kmsContext(who));
    await add(
      label,
      who,
      'kms:Decrypt',
      'break-glass key',
      world.keyArn('BreakGlass'),
      via,
      kmsContext(who, VIA_SECRETS_MANAGER),
    );
  }
  await add(
    'reader (GetSecretValue, kms:Decrypt on *)',
    reader,
    'secretsmanager:GetSecretValue',
    'other secret, same key',
    world.secretArn('Auditor'),
    none,
    context(reader),
  );
  const admin = 'reader (AdministratorAccess)';
  await add(
    admin,
    readerAsAdmin,
    'secretsmanager:GetSecretValue',
    'other secret, same key',
    world.secretArn('Auditor'),
    none,
    context(readerAsAdmin),
  );
  await add(
    admin,
    readerAsAdmin,
    'secretsmanager:PutSecretValue',
    'granted secret',
    secret,
    none,
    context(readerAsAdmin),
  );
  await add(
    admin,
    readerAsAdmin,
    'secretsmanager:PutResourcePolicy',
    'granted secret',
    secret,
    none,
    context(readerAsAdmin),
  );
  await add(
    admin,
    readerAsAdmin,
    'kms:Decrypt',
    'key of the granted secret',
    key,
    `kms:ViaService=s3.${REGION}.amazonaws.com`,
    kmsContext(readerAsAdmin, `s3.${REGION}.amazonaws.com`),
  );
  await add(
    admin,
    readerAsAdmin,
    'kms:GenerateDataKey',
    'key of the granted secret',
    key,
    via,
    kmsContext(readerAsAdmin, VIA_SECRETS_MANAGER),
  );
  return rows;
}

/** The decisions of every request of the table, by a readable key. */
const decisions = (rows: Row[]) =>
  Object.fromEntries(rows.map((r) => [`${r.principal} | ${r.action} | ${r.resource} | ${r.context}`, r.decision]));

const EXPECTED = {
  'reader (GetSecretValue, kms:Decrypt on *) | secretsmanager:GetSecretValue | granted secret | -': 'Allowed',
  'reader (GetSecretValue, kms:Decrypt on *) | secretsmanager:GetSecretValue | break-glass secret | -': 'Allowed',
  [`reader (GetSecretValue, kms:Decrypt on *) | kms:Decrypt | key of the granted secret | kms:ViaService=${VIA_SECRETS_MANAGER}`]:
    'Allowed',
  'reader (GetSecretValue, kms:Decrypt on *) | kms:Decrypt | key of the granted secret | no kms:ViaService':
    'ImplicitlyDenied',
  [`reader (GetSecretValue, kms:Decrypt on *) | kms:Decrypt | break-glass key | kms:ViaService=${VIA_SECRETS_MANAGER}`]:
    'Allowed',
  'other role (AdministratorAccess) | secretsmanager:GetSecretValue | granted secret | -': 'ImplicitlyDenied',
  'other role (AdministratorAccess) | secretsmanager:GetSecretValue | break-glass secret | -': 'ExplicitlyDenied',
  [`other role (AdministratorAccess) | kms:Decrypt | key of the granted secret | kms:ViaService=${VIA_SECRETS_MANAGER}`]:
    'ImplicitlyDenied',
  'other role (AdministratorAccess) | kms:Decrypt | key of the granted secret | no kms:ViaService': 'ImplicitlyDenied',
  [`other role (AdministratorAccess) | kms:Decrypt | break-glass key | kms:ViaService=${VIA_SECRETS_MANAGER}`]:
    'ImplicitlyDenied',
  'reader (GetSecretValue, kms:Decrypt on *) | secretsmanager:GetSecretValue | other secret, same key | -':
    'ImplicitlyDenied',
  'reader (AdministratorAccess) | secretsmanager:GetSecretValue | other secret, same key | -': 'ImplicitlyDenied',
  'reader (AdministratorAccess) | secretsmanager:PutSecretValue | granted secret | -': 'ImplicitlyDenied',
  'reader (AdministratorAccess) | secretsmanager:PutResourcePolicy | granted secret | -': 'ImplicitlyDenied',
  [`reader (AdministratorAccess) | kms:Decrypt | key of the granted secret | kms:ViaService=s3.${REGION}.amazonaws.com`]:
    'ImplicitlyDenied',
  [`reader (AdministratorAccess) | kms:GenerateDataKey | key of the granted secret | kms:ViaService=${VIA_SECRETS_MANAGER}`]:
    'ImplicitlyDenied',
};

/** The decision table as Markdown, as docs/organization.md shows it. */
function tableMarkdown(rows: Row[]): string[] {
  const cell = (text: string) => text.replace(/\*/g, '\\*');
  return [
    '| principal (account B) | action | resource (account A) | context | decision |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${[r.principal, r.action, r.resource, r.context, r.decision].map(cell).join(' | ')} |`),
  ];
}

/** The cells of the Markdown table of `text` whose first header cell is `header` (Prettier pads cells). */
function markdownTable(text: string, header: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.split('|')[1]?.trim() === header);
  expect(start).toBeGreaterThanOrEqual(0);
  const table: string[][] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (!cells.every((c) => /^-+$/.test(c))) table.push(cells);
  }
  return table;
}

function printTable(kind: Kind, rows: Row[]): void {
  if (!process.env.CUSTODY_REPORT) return;
  const title = `Custody decision table, stack in account ${A} (${kind}), principals in account ${B}, ${REGION}:`;
  process.stdout.write(['', title, '', ...tableMarkdown(rows), '', ''].join('\n'));
}

/** `document` with `edit` applied to each statement (returning undefined drops it). */
function editStatements(document: PolicyDocument, edit: (s: Statement) => Statement | undefined): PolicyDocument {
  return { ...document, Statement: document.Statement.map(edit).filter((s): s is Statement => s !== undefined) };
}

/** `statement` without its Condition element. */
function withoutCondition(statement: Statement): Statement {
  return Object.fromEntries(Object.entries(statement).filter(([key]) => key !== 'Condition')) as unknown as Statement;
}

/** Whether a resource-policy statement names the reader. */
const namesReader = (s: Statement) =>
  JSON.stringify((s as { Principal?: unknown }).Principal ?? null).includes(READER_ARN);

describe.each(KINDS)('custody, stack in account A with %s', (kind) => {
  let world: CustodyWorld;
  beforeAll(() => {
    world = new CustodyWorld(custodyStack(kind));
  });

  test('decision table: the reader of B reads the granted secrets through Secrets Manager, nothing else', async () => {
    const rows = await decisionTable(world);
    printTable(kind, rows);
    expect(decisions(rows)).toEqual(EXPECTED);
    expect(markdownTable(CUSTODY_DOC, 'principal (account B)')).toEqual(
      markdownTable(tableMarkdown(rows).join('\n'), 'principal (account B)'),
    );
  }, 120_000);

  test("the identity policy docs/organization.md gives the security account's role suffices, and gives no more", async () => {
    const reader = principal(READER_ARN, DOCUMENTED_IDENTITY, world.resourcePolicies());
    const read = (name: string) =>
      decide(reader, 'secretsmanager:GetSecretValue', world.secretArn(name), context(reader));
    const decrypt = (name: string, via?: string) =>
      decide(reader, 'kms:Decrypt', world.keyArn(name), kmsContext(reader, via));
    expect({
      vendor: await read('Vendor'),
      breakGlass: await read('BreakGlass'),
      auditor: await read('Auditor'),
      decryptVendor: await decrypt('Vendor', VIA_SECRETS_MANAGER),
      decryptBreakGlass: await decrypt('BreakGlass', VIA_SECRETS_MANAGER),
      decryptDirectly: await decrypt('Vendor'),
    }).toEqual({
      vendor: 'Allowed',
      breakGlass: 'Allowed',
      auditor: 'ImplicitlyDenied',
      decryptVendor: 'Allowed',
      decryptBreakGlass: 'Allowed',
      decryptDirectly: 'ImplicitlyDenied',
    });
  }, 60_000);

  test('the secret and the key name exactly the reader role, not the account of B', () => {
    const policies = world.resourcePolicies();
    const readerStatements = [
      ...policies[world.secretArn('Vendor')].Statement,
      ...policies[world.keyArn('Vendor')].Statement,
    ].filter((s) => JSON.stringify(s).includes(B));
    expect(readerStatements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: READER_ARN },
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      }),
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: READER_ARN },
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': VIA_SECRETS_MANAGER } },
      }),
    ]);
  });

  test('nothing is attached to a role in account A for the reader of B', () => {
    // An AWS::IAM::Policy on "SecurityReader" would attach to a role of that name in account A, or
    // fail the deployment where there is none.
    for (const r of Object.values(world.template.Resources)) {
      if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
        expect(JSON.stringify(r.Properties?.Roles ?? [])).not.toContain('SecurityReader');
      }
    }
  });

  describe('each proof fails under a policy broken on purpose', () => {
    test('without the reader in the secret policy, the reader cannot GetSecretValue', async () => {
      const policies = world.resourcePolicies();
      const secret = world.secretArn('Vendor');
      policies[secret] = editStatements(policies[secret], (s) => (namesReader(s) ? undefined : s));
      const reader = principal(READER_ARN, READER_IDENTITY, policies);
      expect(await decide(reader, 'secretsmanager:GetSecretValue', secret, context(reader))).toBe('ImplicitlyDenied');
    }, 60_000);

    test('without the reader in the key policy, the reader cannot decrypt through Secrets Manager', async () => {
      const policies = world.resourcePolicies();
      const key = world.keyArn('Vendor');
      policies[key] = editStatements(policies[key], (s) => (namesReader(s) ? undefined : s));
      const reader = principal(READER_ARN, READER_IDENTITY, policies);
      expect(await decide(reader, 'kms:Decrypt', key, kmsContext(reader, VIA_SECRETS_MANAGER))).toBe(
        'ImplicitlyDenied',
      );
    }, 60_000);

    test('without the kms:ViaService condition, the reader decrypts directly', async () => {
      const policies = world.resourcePolicies();
      const key = world.keyArn('Vendor');
      policies[key] = editStatements(policies[key], (s) => (namesReader(s) ? withoutCondition(s) : s));
      const reader = principal(READER_ARN, READER_IDENTITY, policies);
      expect(await decide(reader, 'kms:Decrypt', key, kmsContext(reader))).toBe('Allowed');
    }, 60_000);

    test('with the account root of B named instead of the role, another role of B reads and decrypts', async () => {
      const policies = world.resourcePolicies();
      const root = (s: Statement) =>
        namesReader(s) ? ({ ...s, Principal: { AWS: `arn:aws:iam::${B}:root` } } as Statement) : s;
      const secret = world.secretArn('Vendor');
      const key = world.keyArn('Vendor');
      policies[secret] = editStatements(policies[secret], root);
      policies[key] = editStatements(policies[key], root);
      const other = principal(OTHER_ARN, ADMIN_IDENTITY, policies);
      expect(await decide(other, 'secretsmanager:GetSecretValue', secret, context(other))).toBe('Allowed');
      expect(await decide(other, 'kms:Decrypt', key, kmsContext(other, VIA_SECRETS_MANAGER))).toBe('Allowed');
    }, 60_000);

    test('without the reader among the exceptions of the break-glass deny, the reader is explicitly denied', async () => {
      const policies = world.resourcePolicies();
      const secret = world.secretArn('BreakGlass');
      policies[secret] = editStatements(policies[secret], (s) => {
        const arns = s.Condition?.ArnNotEquals?.['aws:PrincipalArn'];
        // The read deny (the write denies name only the library's roles, never a reader).
        if (!arns || ![s.Action].flat().includes('secretsmanager:GetSecretValue')) return s;
        const kept = [arns].flat().filter((a) => a !== READER_ARN);
        expect(kept).toHaveLength([arns].flat().length - 1);
        return { ...s, Condition: { ArnNotEquals: { 'aws:PrincipalArn': kept } } };
      });
      const reader = principal(READER_ARN, READER_IDENTITY, policies);
      expect(await decide(reader, 'secretsmanager:GetSecretValue', secret, context(reader))).toBe('ExplicitlyDenied');
    }, 60_000);
  });
});

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('grantReadPassword to a principal that may be in another account', () => {
  const reader = (stack: Stack) => iam.Role.fromRoleArn(stack, 'SecurityReader', READER_ARN);

  test.each(KINDS)('fails without a customer managed key (stack with %s): ConsoleUser', (kind) => {
    const stack = newStack(kind);
    const user = new ConsoleUser(stack, 'Vendor', { userName: 'vendor' });
    const account =
      kind === 'explicit environment' ? `account ${A}` : 'account {"Ref":"AWS::AccountId"}, known only at deploy time';
    const role = reader(stack);
    expect(() => user.grantReadPassword(role)).toThrow(
      `Workload/Vendor: grantReadPassword: the grantee Workload/SecurityReader {"AWS":["${READER_ARN}"]} (account ${B}) ` +
        `may be in another account than this stack's (${account}), and the secret is encrypted with the AWS managed key ` +
        "'aws/secretsmanager', which cannot be used across accounts; set 'encryptionKey' to a customer managed key " +
        '(kms.Key) so that its key policy lets the grantee decrypt through Secrets Manager',
    );
    // docs/organization.md quotes the message of the env-agnostic stack.
    if (kind === 'env-agnostic (StackSet)') {
      expect(CUSTODY_DOC).toContain(`\n${messageOf(() => user.grantReadPassword(role))}\n`);
    }
  });

  test('fails without a customer managed key: LoginProfile, and a principal whose account CDK cannot know', () => {
    const stack = newStack('env-agnostic (StackSet)');
    const profile = new LoginProfile(stack, 'Auditor', { user: iam.User.fromUserName(stack, 'User', 'auditor') });
    expect(() => profile.grantReadPassword(reader(stack))).toThrow(
      /^Workload\/Auditor: grantReadPassword: .*'encryptionKey'/,
    );
    expect(() => profile.grantReadPassword(new iam.AccountPrincipal(B))).toThrow(
      /^Workload\/Auditor: grantReadPassword: the grantee \{"AWS":\[\{"Fn::Join":.*:iam::111111111111:root"\]\]\}\]\} \(account 111111111111\) may be in another account/,
    );
    const helpdesk = new iam.Role(stack, 'Helpdesk', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => profile.grantReadPassword(helpdesk)).not.toThrow();
    // A principal without an account CDK knows (as aws-cdk-lib's own check treats it).
    expect(() => profile.grantReadPassword(new iam.ArnPrincipal(`arn:aws:iam::${A}:role/ops`))).toThrow(
      /the grantee \{"AWS":\["arn:aws:iam::222222222222:role\/ops"\]\} \(account unknown\) may be in another account/,
    );
  });

  test.each(KINDS)(
    'keeps working without a customer managed key for principals of the stack own account (%s)',
    (kind) => {
      const stack = newStack(kind);
      const user = new ConsoleUser(stack, 'Vendor', { userName: 'vendor' });
      const sameStackRole = new iam.Role(stack, 'Helpdesk', { assumedBy: new iam.AccountRootPrincipal() });
      user.grantReadPassword(sameStackRole);
      user.grantReadPassword(new iam.AccountRootPrincipal());
      user.grantReadPassword(iam.Role.fromRoleName(stack, 'ByName', 'auditor'));
      user.grantReadPassword(iam.Role.fromRoleArn(stack, 'ByTokenArn', `arn:aws:iam::${Aws.ACCOUNT_ID}:role/ops`));
      if (kind === 'explicit environment') {
        user.grantReadPassword(iam.Role.fromRoleArn(stack, 'SameLiteral', `arn:aws:iam::${A}:role/ops`));
      }
      // A role of this stack gets an identity policy, as before.
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: stack.getLogicalId(sameStackRole.node.defaultChild as iam.CfnRole) }],
      });
    },
  );

  test('a role of a literal account in an env-agnostic stack gets nothing attached in the stack (it would be a same-named role of A)', () => {
    const stack = newStack('env-agnostic (StackSet)');
    const user = new ConsoleUser(stack, 'Vendor', { userName: 'vendor', encryptionKey: new kms.Key(stack, 'Key') });
    const grant = user.grantReadPassword(reader(stack));
    expect(grant.principalStatements).toHaveLength(0);
    expect(grant.resourceStatements).toHaveLength(1);
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 1); // the login-profile handler's only
  });

  test('BreakGlassUser: a reader of another account is excepted from the deny by its ARN', () => {
    const stack = newStack('env-agnostic (StackSet)');
    new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', readers: [reader(stack)] });
    const world = new CustodyWorld(stack);
    const deny = world
      .resourcePolicies()
      [world.secretArn('BreakGlass')].Statement.find((s) => s.Sid === 'OnlyNamedReadersReadThePassword')!;
    expect(deny.Condition?.ArnNotEquals?.['aws:PrincipalArn']).toContain(READER_ARN);
  });

  test('warns when the key is imported: its key policy must allow the grantee, and CDK cannot add that', () => {
    const stack = newStack('explicit environment');
    const keyArn = `arn:aws:kms:${REGION}:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const user = new ConsoleUser(stack, 'Vendor', {
      userName: 'vendor',
      encryptionKey: kms.Key.fromKeyArn(stack, 'SharedKey', keyArn),
    });
    user.grantReadPassword(reader(stack));
    Annotations.fromStack(stack).hasWarning(
      '/Workload/Vendor',
      Match.stringLikeRegexp(
        `^grantReadPassword: the secret's key ${keyArn} is not a kms.Key of this app.*${READER_ARN}.*kms:Decrypt with the condition kms:ViaService = secretsmanager.${REGION}.amazonaws.com \\[ack: ${LoginProfile.WARNING_KEY_POLICY_NOT_MANAGED}\\]$`,
      ),
    );
    // A key of this app: no warning.
    const other = newStack('explicit environment');
    new ConsoleUser(other, 'Vendor', {
      userName: 'vendor',
      encryptionKey: new kms.Key(other, 'Key'),
    }).grantReadPassword(reader(other));
    Annotations.fromStack(other).hasNoWarning('*', Match.anyValue());
  });
});

test('cdk-nag: the custody stack (a reader of another account) has no unacknowledged AwsSolutions finding', () => {
  const stack = custodyStack('env-agnostic (StackSet)');
  const app = stack.node.root as App;
  app.synth();
  const report = new AwsSolutionsChecks().validateScope(app);
  expect(
    report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
  ).toEqual([]);
});
