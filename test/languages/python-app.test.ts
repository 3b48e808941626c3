/**
 * A Python CDK app (test/languages/python/app.py) that uses cdk-console-users from the wheel of
 * `npm run package`, in a project-local venv (.venv-cdk: aws-cdk-lib and constructs from PyPI,
 * pinned in requirements-cdk-app.txt; scripts/setup-python-app.sh). It synthesizes as `cdk synth`
 * runs it (`python app.py`), and its template is checked: the login profiles, the account password
 * policy, the KMS key, the rotation, the grants, no password anywhere, and the same template as
 * its TypeScript twin (test/languages/typescript-app.ts). Bad input raises Python exceptions that
 * name the construct, the prop and the value (test/languages/python/bad_input.py).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesize } from './typescript-app';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = path.resolve(__dirname, '..', '..');
const APP_DIR = path.join(__dirname, 'python');
const PYTHON = path.join(ROOT, '.venv-cdk', 'bin', 'python');

/** Python's environment: no jsii banner about the Node.js release (it goes to stderr, which is shown on failure). */
const pythonEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20',
  ...extra,
});

let work: string;
let template: Json;
let tsTemplate: Json;
let pythonMs: number;

beforeAll(() => {
  execFileSync('bash', [path.join(ROOT, 'scripts', 'setup-python-app.sh')], { cwd: ROOT, stdio: 'pipe' });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-python-'));
  // WHEN the Python app synthesizes, as `cdk synth` runs it
  const started = process.hrtime.bigint();
  const run = spawnSync(PYTHON, ['app.py'], {
    cwd: APP_DIR,
    env: pythonEnv({ CDK_OUTDIR: path.join(work, 'python.out') }),
    encoding: 'utf8',
  });
  pythonMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`python app.py failed (${run.status}):\n${run.stderr}`);
  template = JSON.parse(fs.readFileSync(path.join(work, 'python.out', 'ConsoleUsers.template.json'), 'utf8'));
  synthesize(path.join(work, 'typescript.out'));
  tsTemplate = JSON.parse(fs.readFileSync(path.join(work, 'typescript.out', 'ConsoleUsers.template.json'), 'utf8'));
  console.log(`python app.py synth: ${pythonMs.toFixed(0)} ms (CDK_VALIDATION=${process.env.CDK_VALIDATION})`);
}, 600_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const resources = (type: string): [string, Json][] =>
  Object.entries<Json>(template.Resources).filter(([, r]) => r.Type === type);
const only = (type: string, where: (r: Json) => boolean = () => true): [string, Json] => {
  const found = resources(type).filter(([, r]) => where(r));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0];
};

describe('the Python app', () => {
  it('gives the ConsoleUser in its group a login profile, and the imported user one of its own', () => {
    const [userId, user] = only('AWS::IAM::User');
    expect(user.Properties.UserName).toBe('alice');
    const [groupId] = only('AWS::IAM::Group');
    expect(user.Properties.Groups).toEqual([{ Ref: groupId }]);
    const profiles = resources('Custom::ConsoleLoginProfile').map(([, r]) => r.Properties);
    expect(profiles.map((p) => [p.UserName, p.PasswordLength, p.PasswordResetRequired])).toEqual([
      [{ Ref: userId }, '40', 'false'],
      ['vendor', '24', 'true'],
    ]);
  });

  it("keeps Alice's password in a secret under the customer managed key, rotated every 30 days", () => {
    const [keyId] = only('AWS::KMS::Key');
    const [secretId] = only('AWS::SecretsManager::Secret', (r) => r.Properties.KmsKeyId !== undefined);
    expect(template.Resources[secretId].Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const [, schedule] = only('AWS::SecretsManager::RotationSchedule');
    expect(schedule.Properties).toMatchObject({
      SecretId: { Ref: secretId },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  it('sets the account password policy before any login profile', () => {
    const [policyId, policy] = only('Custom::AccountPasswordPolicy');
    expect(policy.Properties).toMatchObject({
      MinimumPasswordLength: '32',
      RequireSymbols: 'true',
      MaxPasswordAge: '90',
    });
    for (const [, profile] of resources('Custom::ConsoleLoginProfile')) expect(profile.DependsOn).toContain(policyId);
  });

  it('lets the helpdesk role read both passwords (grant_read_password), decrypting through Secrets Manager', () => {
    const [roleId] = only('AWS::IAM::Role', (r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes(':root'),
    );
    const [, policy] = only('AWS::IAM::Policy', (r) => (r.Properties.Roles ?? []).some((x: Json) => x.Ref === roleId));
    const statements: Json[] = policy.Properties.PolicyDocument.Statement;
    const readers = statements.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    const secrets = resources('AWS::SecretsManager::Secret').map(([id]) => ({ Ref: id }));
    expect(readers.flatMap((s) => [s.Resource].flat())).toEqual(expect.arrayContaining(secrets));
    // Decrypting with the customer managed key: in the key's policy, through Secrets Manager only.
    const [, key] = only('AWS::KMS::Key');
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::GetAtt': [roleId, 'Arn'] } },
      Resource: '*',
    });
  });

  it('puts no password anywhere in the template', () => {
    const json = JSON.stringify(template);
    // No login profile with a password (AWS::IAM::User LoginProfile), no secret value of any kind.
    expect(json).not.toMatch(/"(Password|LoginProfile|SecretString|GenerateSecretString|SecretStringTemplate)"/);
    for (const [, r] of resources('Custom::ConsoleLoginProfile')) {
      expect(
        Object.keys(r.Properties).filter((k) => /password/i.test(k) && !/^Password(Length|ResetRequired)$/.test(k)),
      ).toEqual([]);
    }
  });

  it('synthesizes the same template as the TypeScript app (but aws-cdk-lib assets of its own release)', () => {
    // The provider framework's function is aws-cdk-lib's code: its asset differs between the
    // aws-cdk-lib of PyPI and of npm. The library's own functions run the same bundled handlers.
    const mask = (t: Json): Json => {
      const copy = JSON.parse(JSON.stringify(t));
      for (const r of Object.values<Json>(copy.Resources)) {
        if (r.Type === 'AWS::Lambda::Function' && !/^cdk-console-users: /.test(r.Properties.Description ?? '')) {
          r.Properties.Code.S3Key = '<aws-cdk-lib asset>';
        }
      }
      return copy;
    };
    const own = resources('AWS::Lambda::Function').filter(([, f]) =>
      /^cdk-console-users: /.test(f.Properties.Description),
    );
    expect(own.length).toBeGreaterThanOrEqual(3);
    expect(mask(template)).toEqual(mask(tsTemplate));
  });
});

describe('bad input from Python', () => {
  let outcomes: Record<string, { raised: string[] | null; message?: string }>;

  beforeAll(() => {
    const run = spawnSync(PYTHON, ['bad_input.py'], { cwd: APP_DIR, env: pythonEnv(), encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`python bad_input.py failed (${run.status}):\n${run.stderr}`);
    outcomes = Object.fromEntries(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map(({ case: name, ...rest }) => [name, rest]),
    );
  }, 120_000);

  it.each([
    ['password_length=5', "Bad/Alice: 'passwordLength' must be a whole number from 6 to 128, got 5"],
    [
      'user_name with a space',
      `Bad/Alice: 'userName' must be 1-64 characters of letters, digits and +=,.@_- (IAM user name rules), got "alice smith"`,
    ],
    [
      'rotation every hour',
      "Bad/Alice: 'rotation.automaticallyAfter' must be whole hours from 4 hours to 1000 days (Secrets Manager's limits), got 1 hour",
    ],
    [
      'minimum_password_length=200',
      "Bad/Policy: 'minimumPasswordLength' must be a whole number from 6 to 128, got 200",
    ],
  ])('%s raises a RuntimeError naming the construct, the prop and the value', (name, message) => {
    expect(outcomes[name]).toEqual({ raised: expect.arrayContaining(['builtins.RuntimeError']), message });
  });

  it('a prop of the wrong type raises a TypeError naming the prop and the type given', () => {
    expect(outcomes['password_length given as a string']).toEqual({
      raised: expect.arrayContaining(['builtins.TypeError']),
      message: expect.stringMatching(/password_length .*got str/),
    });
  });

  it('password on a ConsoleUser raises a TypeError naming it', () => {
    expect(outcomes['password on a ConsoleUser']).toEqual({
      raised: expect.arrayContaining(['builtins.TypeError']),
      message: expect.stringContaining("unexpected keyword argument 'password'"),
    });
  });
});

describe("the README's Python examples", () => {
  const blocks = [
    ...fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').matchAll(/^```python\n([\s\S]*?)^```$/gm),
  ].map((m) => m[1]);

  it('exist', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((code, i) => [i + 1, code]))('block %i synthesizes a login profile', (_n, code) => {
    // GIVEN the block as a file of its own, run the way `cdk synth` runs an app
    const dir = fs.mkdtempSync(path.join(work, 'readme-'));
    fs.writeFileSync(path.join(dir, 'app.py'), code as string);
    const run = spawnSync(PYTHON, ['app.py'], {
      cwd: dir,
      env: pythonEnv({ CDK_OUTDIR: path.join(dir, 'cdk.out') }),
      encoding: 'utf8',
    });
    // THEN it synthesizes, and its stacks hold a login profile
    if (run.status !== 0) throw new Error(`README Python block failed (${run.status}):\n${run.stderr}`);
    const templates = fs.readdirSync(path.join(dir, 'cdk.out')).filter((f) => f.endsWith('.template.json'));
    const types = templates.flatMap((f) =>
      Object.values<Json>(JSON.parse(fs.readFileSync(path.join(dir, 'cdk.out', f), 'utf8')).Resources).map(
        (r) => r.Type,
      ),
    );
    expect(types).toContain('Custom::ConsoleLoginProfile');
  });
});
