/**
 * The README's first stack (its first ```ts block) as the TypeScript twin of the Java and Go apps
 * (test/languages/java, test/languages/go): the block as written, its `cdk-console-users` import
 * pointed at this repo's lib/, run the way `cdk synth` runs an app (CDK_OUTDIR set, so the App
 * synthesizes on exit). The twin is the README itself, so the apps follow what users read.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const ROOT = path.resolve(__dirname, '..', '..');

/** The README's first ```ts block. */
export function readmeFirstStack(): string {
  const m = /^```ts\n([\s\S]*?)^```$/m.exec(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  if (!m) throw new Error('README.md has no ```ts block');
  return m[1];
}

/** Synthesizes the README's first stack into `outdir`; returns the template of its stack `stackName`. */
export function synthesizeReadmeStack(outdir: string, stackName = 'ConsoleUsers'): Json {
  const code = readmeFirstStack().replace(/from 'cdk-console-users'/, `from ${JSON.stringify(path.join(ROOT, 'lib'))}`);
  if (!code.includes(path.join(ROOT, 'lib')))
    throw new Error("the README's first stack does not import cdk-console-users");
  fs.mkdirSync(outdir, { recursive: true });
  const file = path.join(outdir, '..', `${path.basename(outdir)}-app.ts`);
  fs.writeFileSync(file, code);
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', file], {
    cwd: ROOT,
    env: { ...process.env, CDK_OUTDIR: outdir, NODE_PATH: path.join(ROOT, 'node_modules') },
    encoding: 'utf8',
  });
  if (run.status !== 0)
    throw new Error(`the README's first stack failed to synthesize (${run.status}):\n${run.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8'));
}

/**
 * A template with the code of aws-cdk-lib's own functions (the provider framework) masked: its
 * asset differs between aws-cdk-lib releases of different registries. The library's functions
 * (described `cdk-console-users: …`) run the same bundled handlers and are compared as they are.
 */
export function maskAwsCdkLibAssets(template: Json): Json {
  const copy = JSON.parse(JSON.stringify(template));
  for (const r of Object.values<Json>(copy.Resources)) {
    if (r.Type === 'AWS::Lambda::Function' && !/^cdk-console-users: /.test(r.Properties.Description ?? '')) {
      r.Properties.Code.S3Key = '<aws-cdk-lib asset>';
    }
  }
  return copy;
}

/**
 * The checks every language's README stack passes: Alice in the Auditors group with a login
 * profile, the helpdesk role allowed to read her password's secret, the two outputs, no password
 * anywhere, and the same template as the README's TypeScript stack. `template` and `twin` are read
 * when the tests run (after the suite's beforeAll).
 */
export function itSynthesizesTheReadmeStack(language: string, template: () => Json, twin: () => Json): void {
  const resources = (type: string): [string, Json][] =>
    Object.entries<Json>(template().Resources).filter(([, r]) => r.Type === type);

  it('gives Alice, in the Auditors group, a login profile', () => {
    const users = resources('AWS::IAM::User');
    expect(users.map(([, u]) => u.Properties.UserName)).toEqual(['alice']);
    const groups = resources('AWS::IAM::Group');
    expect(groups).toHaveLength(1);
    expect(users[0][1].Properties.Groups).toEqual([{ Ref: groups[0][0] }]);
    const profiles = resources('Custom::ConsoleLoginProfile').map(([, r]) => r.Properties);
    expect(profiles.map((p) => [p.UserName, p.PasswordResetRequired])).toEqual([[{ Ref: users[0][0] }, 'true']]);
  });

  it("lets the helpdesk role read Alice's password secret, and outputs the secret's ARN and the sign-in URL", () => {
    const [[roleId]] = resources('AWS::IAM::Role').filter(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes(':root'),
    );
    const secrets = resources('AWS::SecretsManager::Secret').map(([id]) => ({ Ref: id }));
    expect(secrets).toHaveLength(1);
    const statements = resources('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles ?? []).some((x: Json) => x.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const readers = statements.filter((s: Json) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    expect(readers.flatMap((s: Json) => [s.Resource].flat())).toEqual(secrets);
    expect(Object.keys(template().Outputs).sort()).toEqual(['AlicePasswordSecretArn', 'SignInUrl']);
    expect(template().Outputs.AlicePasswordSecretArn.Value).toEqual(secrets[0]);
  });

  it('puts no password anywhere in the template', () => {
    expect(JSON.stringify(template())).not.toMatch(
      /"(Password|LoginProfile|SecretString|GenerateSecretString|SecretStringTemplate)"/,
    );
  });

  it(`synthesizes the same template as the README's TypeScript stack (${language})`, () => {
    const own = resources('AWS::Lambda::Function').filter(([, f]) =>
      /^cdk-console-users: /.test(f.Properties.Description ?? ''),
    );
    expect(own.length).toBeGreaterThanOrEqual(1);
    expect(maskAwsCdkLibAssets(template())).toEqual(maskAwsCdkLibAssets(twin()));
  });
}
