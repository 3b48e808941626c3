/**
 * SLOW (about 20 s): the jsii build. `npm run compile` (scripts/compile.mjs) runs in a copy of the
 * package's sources in a temporary folder (so it races no other test over build/ and .jsii), and
 * the assembly it writes is checked: the public types and nothing else (not bin/, lambda/ or
 * test/), data-only props, the metadata and per-language targets jsii-pacmak and Construct Hub
 * read. Then a jsii warning is added to the copy, and the compile must fail naming it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Json, originalManifest, ROOT } from './consumer-app';

const PUBLIC_TYPES = [
  'AccountPasswordPolicy',
  'AccountPasswordPolicyProps',
  'BreakGlassUser',
  'BreakGlassUserProps',
  'ConsoleUser',
  'ConsoleUserProps',
  'HandlerCode',
  'HandlerSettings',
  'HandlerSettingsProps',
  'HomeRegion',
  'HomeRegionProps',
  'LoginProfile',
  'LoginProfileOptions',
  'LoginProfileProps',
  'PasswordPolicyPreset',
  'RequireMfaPolicy',
  'RotationOptions',
  'SignInAlerts',
  'SignInAlertsForwarder',
  'SignInAlertsForwarderProps',
  'SignInAlertsProps',
];

let work: string;
let assembly: Json;

/** Runs the compile script in the copy; its exit status and everything it printed. */
const compile = () => {
  const run = spawnSync(process.execPath, [path.join(work, 'scripts', 'compile.mjs')], { cwd: work, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
};

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-jsii-'));
  fs.writeFileSync(path.join(work, 'package.json'), originalManifest());
  for (const f of ['lib', 'README.md', 'LICENSE', path.join('scripts', 'compile.mjs')]) {
    fs.cpSync(path.join(ROOT, f), path.join(work, f), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  const run = compile();
  if (run.status !== 0) throw new Error(`npm run compile failed:\n${run.output}`);
  assembly = JSON.parse(fs.readFileSync(path.join(work, '.jsii'), 'utf8'));
}, 120_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the jsii assembly', () => {
  it('holds the public API of lib/index.ts and nothing else', () => {
    expect(Object.keys(assembly.types).sort()).toEqual(PUBLIC_TYPES.map((t) => `cdk-console-users.${t}`));
  });

  it('is compiled from lib/ only: no type from bin/, lambda/ or test/', () => {
    const files = Object.values<Json>(assembly.types).map((t) => t.locationInModule.filename);
    expect(files.filter((f) => !f.startsWith('lib/'))).toEqual([]);
  });

  it('has data-only props: every interface not named I... is a struct of readonly properties', () => {
    const interfaces = Object.values<Json>(assembly.types).filter((t) => t.kind === 'interface');
    const structs = interfaces.filter((t) => !/^I[A-Z]/.test(t.name));
    expect(structs.map((t) => t.name).sort()).toEqual(PUBLIC_TYPES.filter((t) => /(Props|Options)$/.test(t)).sort());
    for (const s of structs) {
      expect({ name: s.name, datatype: s.datatype, methods: s.methods }).toEqual({
        name: s.name,
        datatype: true,
        methods: undefined,
      });
      for (const p of s.properties ?? [])
        expect({ prop: `${s.name}.${p.name}`, immutable: p.immutable }).toEqual({
          prop: `${s.name}.${p.name}`,
          immutable: true,
        });
    }
  });

  it('carries what Construct Hub and the package registries need', () => {
    expect(assembly).toMatchObject({
      name: 'cdk-console-users',
      license: 'Apache-2.0',
      repository: { type: 'git', url: 'git+https://github.com/cdk-console-users/cdk-console-users.git' },
      author: { name: 'cdk-console-users contributors', roles: ['author'] },
    });
    expect(assembly.keywords).toContain('awscdk');
    expect(assembly.docs.stability).toBe('experimental');
    expect(assembly.readme.markdown).toBe(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  });

  it('names the package of each language', () => {
    expect(assembly.targets).toEqual({
      js: { npm: 'cdk-console-users' },
      python: { distName: 'cdk-console-users', module: 'cdk_console_users' },
      java: {
        package: 'io.github.cdkconsoleusers',
        maven: { groupId: 'io.github.cdk-console-users', artifactId: 'cdk-console-users' },
      },
      go: { moduleName: 'github.com/cdk-console-users/cdk-console-users-go' },
      dotnet: { namespace: 'CdkConsoleUsers', packageId: 'CdkConsoleUsers' },
    });
  });

  it('fails the compile on a jsii warning, naming it', () => {
    // GIVEN a public struct with a prop named after a keyword of C# and Java (jsii warns, it compiles)
    fs.writeFileSync(
      path.join(work, 'lib', 'reserved.ts'),
      '/** A struct. */\nexport interface ReservedProps {\n  /** A keyword. */\n  readonly default?: string;\n}\n',
    );
    fs.appendFileSync(path.join(work, 'lib', 'index.ts'), "export type { ReservedProps } from './reserved';\n");
    // WHEN it is compiled
    const run = compile();
    // THEN the compile fails, naming the warning
    expect(run.output).toMatch(/warning JSII5018: "default" is a reserved word in (C#|Java)/);
    expect(run.status).not.toBe(0);
  }, 120_000);
});
