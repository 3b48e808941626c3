/**
 * SLOW (about a minute; network only for what the npm cache lacks): the published package.
 *
 * Runs `npm pack` (prepack: bundle + compile), checks what the tarball ships, then installs it
 * into a throwaway CDK app in a temporary folder outside the repo (so neither the repo's sources
 * nor its node_modules are on the resolution path), with the lock-pinned aws-cdk-lib and
 * constructs. The app composes a ConsoleUser into its own stack beside unrelated resources,
 * type-checks against the shipped declarations, synthesizes, and the template is checked.
 * Also: installing next to an aws-cdk-lib older than the peer range fails with npm's ERESOLVE.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
const lockedVersion = (name: string): string => lock.packages[`node_modules/${name}`].version;

// Only what a consumer needs: compiled constructs and their declarations, bundled handlers, docs.
const SHIPPED = /^(package\.json|README\.md|LICENSE|lib\/([\w-]+\/)*[\w-]+\.(js|d\.ts)|assets\/[\w-]+\/index\.js)$/;

// A child environment without anything that would let the throwaway app see the repo. Under
// `npm test`, npm exports its settings, among them npm_config_local_prefix=<repo>, which would make
// an `npm install` in the temporary folder install into the repo: only the cache, certificate and
// config-file locations are kept.
const KEPT_NPM_SETTINGS = ['npm_config_cache', 'npm_config_cafile', 'npm_config_userconfig', 'npm_config_globalconfig'];
const childEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const lower = k.toLowerCase();
    if (lower.startsWith('npm_') && !KEPT_NPM_SETTINGS.includes(lower)) continue;
    if (k === 'NODE_PATH' || k.startsWith('CDK_') || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false' };
};

const CONSUMER_APP = `
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsoleUser, ConsoleUserProps, LoginProfile } from 'cdk-console-users';

const app = new App();
const stack = new Stack(app, 'ConsumerStack', { env: { account: '123456789012', region: 'eu-west-1' } });
const reports = new s3.Bucket(stack, 'Reports', { enforceSSL: true });
const jobs = new sqs.Queue(stack, 'Jobs');
const props: ConsoleUserProps = { userName: 'analyst', passwordLength: 30 };
const analyst = new ConsoleUser(stack, 'Analyst', props);
reports.grantRead(analyst);
jobs.grantSendMessages(analyst);
new CfnOutput(stack, 'AnalystPasswordSecret', { value: analyst.secret.secretArn });
const vendor = new LoginProfile(stack, 'VendorLoginProfile', { user: iam.User.fromUserName(stack, 'Vendor', 'vendor') });
new CfnOutput(stack, 'VendorPasswordSecret', { value: vendor.secret.secretArn });
app.synth();
console.log(JSON.stringify({ resolvedFrom: require.resolve('cdk-console-users') }));
`;

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let work: string;
let tarball: string;
let shipped: string[];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-pack-'));
  const out = execFileSync(NPM, ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The lifecycle scripts (prepack) print before the JSON.
  const [info] = JSON.parse(out.slice(out.indexOf('[\n')));
  tarball = path.join(work, info.filename);
  shipped = info.files.map((f: { path: string }) => f.path).sort();
  // prepack compiled lib/ in place: remove the output, so that nothing run from the sources
  // afterwards (ts-node in the bench, the sample app) loads a compiled copy instead.
  for (const f of fs.readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })) {
    if (/\.(js|d\.ts)$/.test(f)) fs.rmSync(path.join(ROOT, 'lib', f));
  }
}, 300_000);

afterAll(() => {
  // PACK_TEST_KEEP=1 keeps the tarball and the throwaway app for inspection.
  if (process.env.PACK_TEST_KEEP) console.log(`kept ${work}`);
  else if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships only the compiled constructs, their declarations, the bundled handlers, README and LICENSE', () => {
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
      expect(shipped).toContain(`lib/${s}.js`);
      expect(shipped).toContain(`lib/${s}.d.ts`);
    }
    for (const h of handlers) expect(shipped).toContain(h);
    // And nothing compiled from a source that no longer exists (prepack cleans lib/ first).
    const compiledFrom = shipped
      .filter((f) => f.startsWith('lib/'))
      .map((f) => f.replace(/^lib\/(.*?)(\.d)?\.(js|ts)$/, '$1'));
    expect([...new Set(compiledFrom)].sort()).toEqual([...sources].sort());
    expect(shipped).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json']));
  });

  it('ships compiled code that requires only Node built-ins, the peer dependencies and its own files', () => {
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
    const peers = Object.keys(pkg.peerDependencies);
    const offending: string[] = [];
    for (const f of shipped.filter((s) => /^lib\/.*\.js$/.test(s))) {
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

  beforeAll(() => {
    app = path.join(work, 'consumer');
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'throwaway-consumer',
        private: true,
        dependencies: {
          'aws-cdk-lib': lockedVersion('aws-cdk-lib'),
          'constructs': lockedVersion('constructs'),
          'cdk-console-users': `file:${tarball}`,
        },
      }),
    );
    execFileSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: app,
      env: childEnv(),
      stdio: 'pipe',
    });
    fs.writeFileSync(path.join(app, 'app.ts'), CONSUMER_APP);
    // The consumer's code is type-checked against the shipped declarations (strict), then run.
    const typeRoots = path.join(ROOT, 'node_modules', '@types');
    const tsc = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'tsc'),
      [
        '--strict',
        '--skipLibCheck',
        '--target',
        'ES2022',
        '--module',
        'commonjs',
        '--typeRoots',
        typeRoots,
        '--types',
        'node',
        'app.ts',
      ],
      { cwd: app, env: childEnv(), encoding: 'utf8' },
    );
    if (tsc.status !== 0) throw new Error(`the consumer app does not type-check:\n${tsc.stdout}${tsc.stderr}`);
    const synth = (outdir: string, extraEnv: NodeJS.ProcessEnv) => {
      const started = process.hrtime.bigint();
      const run = spawnSync(process.execPath, ['app.js'], {
        cwd: app,
        env: { ...childEnv(), CDK_OUTDIR: path.join(app, outdir), ...extraEnv },
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`synth failed (${run.status}):\n${run.stderr}`);
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, stdout: run.stdout };
    };
    // As a consumer runs it: aws-cdk-lib's built-in CloudFormation validation on (its default).
    const validated = synth('cdk.out', {});
    synthMs = validated.ms;
    resolvedFrom = JSON.parse(validated.stdout.trim().split('\n').pop()!).resolvedFrom;
    template = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'ConsumerStack.template.json'), 'utf8'));
    validationReport = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'validation-report.json'), 'utf8'));
    const unvalidated = synth('cdk.out.novalidation', { CDK_VALIDATION: 'false' });
    console.log(
      `throwaway app synth (node app.js, one stack): ${synthMs.toFixed(0)} ms; ` +
        `with CDK_VALIDATION=false: ${unvalidated.ms.toFixed(0)} ms`,
    );
  }, 300_000);

  const resourcesOf = (type: string): [string, Json][] =>
    Object.entries<Json>(template.Resources).filter(([, r]) => r.Type === type);

  it('resolves the package from its own node_modules, outside the repo', () => {
    expect(path.relative(ROOT, app).startsWith('..')).toBe(true);
    expect(resolvedFrom).toBe(path.join(fs.realpathSync(app), 'node_modules', 'cdk-console-users', 'lib', 'index.js'));
  });

  it("synthesizes the ConsoleUser inside the app's own stack beside its bucket and queue", () => {
    expect(resourcesOf('AWS::S3::Bucket')).toHaveLength(1);
    expect(resourcesOf('AWS::SQS::Queue')).toHaveLength(1);
    const users = resourcesOf('AWS::IAM::User');
    expect(users.map(([, u]) => u.Properties.UserName)).toEqual(['analyst']);
    const profiles = resourcesOf('Custom::ConsoleLoginProfile').map(([, r]) => r.Properties);
    expect(profiles.map((p) => p.UserName)).toEqual([{ Ref: users[0][0] }, 'vendor']);
    expect(profiles[0]).toMatchObject({
      UserName: { Ref: users[0][0] },
      PasswordLength: '30',
      PasswordResetRequired: 'true',
      SignInUrl: 'https://123456789012.signin.aws.amazon.com/console',
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
      fs.mkdirSync(dir);
      const deps = {
        'aws-cdk-lib': floorOf(pkg.peerDependencies['aws-cdk-lib']),
        'constructs': floorOf(pkg.peerDependencies.constructs),
        'cdk-console-users': `file:${tarball}`,
      };
      fs.writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: 'floor-consumer', private: true, dependencies: deps }),
      );
      execFileSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: dir,
        env: childEnv(),
        stdio: 'pipe',
      });
      fs.writeFileSync(path.join(dir, 'app.ts'), CONSUMER_APP);
      // WHEN it is type-checked and synthesized
      const tsc = spawnSync(
        path.join(ROOT, 'node_modules', '.bin', 'tsc'),
        [
          '--strict',
          '--skipLibCheck',
          '--target',
          'ES2022',
          '--module',
          'commonjs',
          '--typeRoots',
          path.join(ROOT, 'node_modules', '@types'),
          '--types',
          'node',
          'app.ts',
        ],
        { cwd: dir, env: childEnv(), encoding: 'utf8' },
      );
      expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
      const run = spawnSync(process.execPath, ['app.js'], {
        cwd: dir,
        env: { ...childEnv(), CDK_OUTDIR: path.join(dir, 'cdk.out') },
        encoding: 'utf8',
      });
      // THEN both login profiles are in the template
      expect(run.stderr).not.toMatch(/Error/);
      expect(run.status).toBe(0);
      const t = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.out', 'ConsumerStack.template.json'), 'utf8'));
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
