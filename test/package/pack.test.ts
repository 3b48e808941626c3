/**
 * SLOW (about a minute; network only for what the npm cache lacks): the published package.
 *
 * Runs `npm pack` (prepack: bundle + compile to build/ with jsii, then the package.json without scripts and
 * devDependencies; postpack puts the repo's back), checks what the tarball ships and its
 * package.json, and that the repo's package.json is unchanged. Then installs the tarball
 * into a throwaway CDK app (test/package/consumer-app.ts) in a temporary folder outside the repo (so neither the repo's sources
 * nor its node_modules are on the resolution path), with the lock-pinned aws-cdk-lib and
 * constructs. The app composes a ConsoleUser into its own stack beside unrelated resources,
 * type-checks against the shipped declarations, synthesizes, and the template is checked.
 * Also: installing next to an aws-cdk-lib older than the peer range fails with npm's ERESOLVE.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childEnv, installConsumer, Json, lockedVersion, NPM, ROOT, synth, typeCheck } from './consumer-app';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

// Only what a consumer needs: compiled constructs and their declarations, the jsii assembly (which
// jsii-pacmak and the other languages' runtimes read) and the fixture its README examples compile
// in (for Construct Hub's translations), bundled handlers, docs.
const SHIPPED =
  /^(package\.json|\.jsii|rosetta\/default\.ts-fixture|README\.md|LICENSE|build\/([\w-]+\/)*[\w-]+\.(js|d\.ts)|assets\/[\w-]+\/index\.js)$/;

// Scripts that npm runs when the package is installed (prepare: when installed from a folder or git).
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

let work: string;
let tarball: string;
let shipped: string[];
let manifestBefore: string;
let manifestAfter: string;
let packed: Json;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-pack-'));
  manifestBefore = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
  const out = execFileSync(NPM, ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The lifecycle scripts (prepack) print before the JSON.
  const [info] = JSON.parse(out.slice(out.indexOf('[\n')));
  tarball = path.join(work, info.filename);
  shipped = info.files.map((f: { path: string }) => f.path).sort();
  manifestAfter = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
  packed = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
}, 300_000);

afterAll(() => {
  // PACK_TEST_KEEP=1 keeps the tarball and the throwaway app for inspection.
  if (process.env.PACK_TEST_KEEP) console.log(`kept ${work}`);
  else if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships only the compiled constructs, their declarations, the jsii assembly, the bundled handlers, README and LICENSE', () => {
    expect(shipped.filter((f) => !SHIPPED.test(f))).toEqual([]);
  });

  it('ships a .js and a .d.ts for every construct source, and every bundled handler', () => {
    const sources = fs
      .readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => f.split(path.sep).join('/').replace(/\.ts$/, ''));
    const handlers = fs.readdirSync(path.join(ROOT, 'assets')).map((d) => `assets/${d}/index.js`);
    expect(sources).toContain('index');
    expect(handlers.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(shipped).toContain(`build/${s}.js`);
      expect(shipped).toContain(`build/${s}.d.ts`);
    }
    for (const h of handlers) expect(shipped).toContain(h);
    // And nothing compiled from a source that no longer exists (the compile step removes those).
    const compiledFrom = shipped
      .filter((f) => f.startsWith('build/'))
      .map((f) => f.replace(/^build\/(.*?)(\.d)?\.(js|ts)$/, '$1'));
    expect([...new Set(compiledFrom)].sort()).toEqual([...sources].sort());
    expect(shipped).toEqual(
      expect.arrayContaining(['README.md', 'LICENSE', 'package.json', '.jsii', 'rosetta/default.ts-fixture']),
    );
  });

  it('ships a package.json without scripts, devDependencies or allowScripts, with repository, homepage and bugs', () => {
    expect(INSTALL_SCRIPTS.filter((s) => packed.scripts?.[s] !== undefined)).toEqual([]);
    expect(packed.scripts).toBeUndefined();
    expect(packed.devDependencies).toBeUndefined();
    expect(packed.allowScripts).toBeUndefined();
    expect(packed.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/cdk-console-users/cdk-console-users.git',
    });
    expect(packed.homepage).toBe('https://github.com/cdk-console-users/cdk-console-users#readme');
    expect(packed.bugs).toEqual({ url: 'https://github.com/cdk-console-users/cdk-console-users/issues' });
    // Everything a consumer's npm reads is kept as it is in the repo.
    for (const key of ['name', 'version', 'license', 'main', 'types', 'engines', 'peerDependencies']) {
      expect(packed[key]).toEqual(pkg[key]);
    }
    expect(shipped).toContain(packed.main);
    expect(shipped).toContain(packed.types);
  });

  it("leaves the repo's own package.json as it was, scripts included", () => {
    expect(manifestAfter).toBe(manifestBefore);
    expect(JSON.parse(manifestAfter).scripts.prepare).toBeDefined();
    expect(fs.existsSync(path.join(ROOT, 'node_modules', '.cache', 'cdk-console-users', 'package.json'))).toBe(false);
  });

  it('ships compiled code that requires only Node built-ins, the peer dependencies and its own files', () => {
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
    const peers = Object.keys(pkg.peerDependencies);
    const offending: string[] = [];
    for (const f of shipped.filter((s) => /^build\/.*\.js$/.test(s))) {
      const code = fs.readFileSync(path.join(unpacked, 'package', f), 'utf8');
      for (const [, spec] of code.matchAll(/require\("([^"]+)"\)/g)) {
        const ok =
          spec.startsWith('node:') ||
          /^\.\.?\/([\w-]+\/)*[\w-]+$/.test(spec) ||
          peers.some((p) => spec === p || spec.startsWith(`${p}/`)) ||
          ['fs', 'path', 'crypto', 'os'].includes(spec);
        if (!ok) offending.push(`${f}: require("${spec}")`);
      }
    }
    expect(offending).toEqual([]);
  });
});

describe('a throwaway CDK app that installs the tarball', () => {
  let app: string;
  let synthMs: number;
  let template: Json;
  let resolvedFrom: string;
  let validationReport: Json;
  let installOutput: string;

  beforeAll(() => {
    app = path.join(work, 'consumer');
    installOutput = installConsumer(app, `file:${tarball}`).output;
    // The consumer's code is type-checked against the shipped declarations (strict), then run.
    const tsc = typeCheck(app);
    if (tsc.status !== 0) throw new Error(`the consumer app does not type-check:\n${tsc.output}`);
    // As a consumer runs it: aws-cdk-lib's built-in CloudFormation validation on (its default).
    const validated = synth(app, 'cdk.out');
    synthMs = validated.ms;
    resolvedFrom = validated.resolvedFrom;
    template = validated.template;
    validationReport = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'validation-report.json'), 'utf8'));
    const unvalidated = synth(app, 'cdk.out.novalidation', { CDK_VALIDATION: 'false' });
    console.log(
      `throwaway app synth (node app.js, one stack): ${synthMs.toFixed(0)} ms; ` +
        `with CDK_VALIDATION=false: ${unvalidated.ms.toFixed(0)} ms`,
    );
  }, 300_000);

  const resourcesOf = (type: string): [string, Json][] =>
    Object.entries<Json>(template.Resources).filter(([, r]) => r.Type === type);

  it('installs without a warning (no install script to approve, no prepare)', () => {
    expect(installOutput).not.toMatch(/npm warn/);
  });

  it('resolves the package from its own node_modules, outside the repo', () => {
    expect(path.relative(ROOT, app).startsWith('..')).toBe(true);
    expect(resolvedFrom).toBe(
      path.join(fs.realpathSync(app), 'node_modules', 'cdk-console-users', 'build', 'index.js'),
    );
  });

  it("synthesizes the ConsoleUser inside the app's own stack beside its bucket and queue", () => {
    expect(resourcesOf('AWS::S3::Bucket')).toHaveLength(1);
    expect(resourcesOf('AWS::SQS::Queue')).toHaveLength(1);
    const users = resourcesOf('AWS::IAM::User');
    expect(users.map(([, u]) => u.Properties.UserName)).toEqual(['analyst']);
    const resources = resourcesOf('Custom::ConsoleLoginProfile').map(([, r]) => r);
    const profiles = resources.map((r) => r.Properties);
    expect(profiles.map((p) => p.UserName)).toEqual([{ Ref: users[0][0] }, 'vendor']);
    const analyst = {
      UserName: { Ref: users[0][0] },
      PasswordLength: '30',
      PasswordResetRequired: 'true',
    };
    expect(profiles[0]).toMatchObject(analyst);
    // No sign-in URL travels as a property (the handler computes its own); the same properties are
    // in the resource's metadata, where the handler reads them back from CloudFormation.
    expect(profiles[0].SignInUrl).toBeUndefined();
    expect(resources[0].Metadata['cdk-console-users:properties']).toEqual({
      ...analyst,
      SecretArn: profiles[0].SecretArn,
    });
  });

  it("keeps the user usable as an iam.User: the app's grants land on it", () => {
    const [userId] = resourcesOf('AWS::IAM::User')[0];
    const userPolicies = resourcesOf('AWS::IAM::Policy').filter(([, p]) =>
      (p.Properties.Users ?? []).some((u: Json) => u.Ref === userId),
    );
    const actions = userPolicies.flatMap(([, p]) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: Json) => s.Action),
    );
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject*', 'sqs:SendMessage']));
  });

  it('deploys the handler from the bundled asset shipped in the package', () => {
    const handlers = resourcesOf('AWS::Lambda::Function').filter(([, f]) =>
      /^cdk-console-users: creates console login profiles/.test(f.Properties.Description ?? ''),
    );
    expect(handlers).toHaveLength(1);
    const hash = handlers[0][1].Properties.Code.S3Key.replace(/\.zip$/, '');
    const staged = path.join(app, 'cdk.out', `asset.${hash}`, 'index.js');
    const shippedHandler = path.join(
      app,
      'node_modules',
      'cdk-console-users',
      'assets',
      'login-profile-handler',
      'index.js',
    );
    expect(fs.readFileSync(staged, 'utf8')).toBe(fs.readFileSync(shippedHandler, 'utf8'));
  });

  it("passes aws-cdk-lib's built-in CloudFormation validation without findings", () => {
    const violations = (validationReport.pluginReports ?? []).flatMap((r: Json) => r.violations ?? []);
    expect(violations).toEqual([]);
  });

  it('synthesizes in well under the time a CI step allows', () => {
    expect(synthMs).toBeLessThan(60_000);
  });
});

describe('peer range', () => {
  // Opt-in (downloads an old aws-cdk-lib): PACK_TEST_PEER_FLOOR=1 npx jest test/package/pack.test.ts
  const floorIt = process.env.PACK_TEST_PEER_FLOOR ? it : it.skip;
  floorIt(
    'type-checks and synthesizes with the lowest aws-cdk-lib and constructs of the peer range',
    () => {
      // GIVEN the consumer app with the exact floor versions of both peer ranges
      const floorOf = (range: string) => /^\^(\d+\.\d+\.\d+)$/.exec(range)![1];
      const dir = path.join(work, 'floor');
      const deps = {
        'aws-cdk-lib': floorOf(pkg.peerDependencies['aws-cdk-lib']),
        'constructs': floorOf(pkg.peerDependencies.constructs),
      };
      installConsumer(dir, `file:${tarball}`, { peers: deps });
      // WHEN it is type-checked and synthesized
      const tsc = typeCheck(dir);
      expect(tsc.output).toBe('');
      const { template: t } = synth(dir, 'cdk.out');
      // THEN both login profiles are in the template
      const installed = JSON.parse(
        fs.readFileSync(path.join(dir, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8'),
      );
      expect(installed.version).toBe(deps['aws-cdk-lib']);
      expect(Object.values<Json>(t.Resources).filter((r) => r.Type === 'Custom::ConsoleLoginProfile')).toHaveLength(2);
    },
    300_000,
  );

  it('fails with npm ERESOLVE when installed next to an aws-cdk-lib older than the peer range', () => {
    // GIVEN an app pinned to the release just below the peer range's floor
    const floor = /^\^(\d+)\.(\d+)\.\d+$/.exec(pkg.peerDependencies['aws-cdk-lib']);
    expect(floor).not.toBeNull();
    const older = `${floor![1]}.${Number(floor![2]) - 1}.0`;
    const dir = path.join(work, 'too-old');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: 'too-old-consumer',
        private: true,
        dependencies: {
          'aws-cdk-lib': older,
          'constructs': lockedVersion('constructs'),
          'cdk-console-users': `file:${tarball}`,
        },
      }),
    );
    // WHEN npm resolves the tree (metadata only: --package-lock-only downloads no tarballs)
    const run = spawnSync(NPM, ['install', '--package-lock-only', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: childEnv(),
      encoding: 'utf8',
    });
    // THEN it refuses, naming the conflicting peer dependency
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('ERESOLVE');
    expect(run.stderr).toContain(`peer aws-cdk-lib@"${pkg.peerDependencies['aws-cdk-lib']}" from cdk-console-users@`);
  }, 180_000);
});
