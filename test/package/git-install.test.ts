/**
 * SLOW (a minute or two; network only for what the npm cache lacks): installing from git.
 *
 * `npm install git+https://…` clones the repo, installs its devDependencies and runs its `prepare`
 * script, then installs what `files` selects. This test does the same from a throwaway git repo
 * holding the working tree as it is now (tracked and new files, uncommitted edits included, ignored
 * build output left out, so the package must build from sources alone), installed with
 * `git+file://` into a throwaway CDK app outside the repo (test/package/consumer-app.ts), which
 * type-checks against the installed declarations and synthesizes a ConsoleUser.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installConsumer, Json, originalManifest, ROOT, synth, typeCheck } from './consumer-app';

// git in a child, without anything (hooks' GIT_DIR, ...) pointing it at the repo this test runs in.
const git = (cwd: string, args: string[]): string => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
};

let work: string;
let repo: string;
let app: string;
let template: Json;
let resolvedFrom: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-git-'));
  // GIVEN a git repo with the files of the working tree that git would commit
  repo = path.join(work, 'repo');
  const files = git(ROOT, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
    .split('\0')
    .filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(repo, f));
  }
  fs.writeFileSync(path.join(repo, 'package.json'), originalManifest());
  git(repo, ['-c', 'init.defaultBranch=main', 'init', '-q']);
  git(repo, ['add', '-A']);
  git(repo, [
    '-c',
    'user.name=git-install test',
    '-c',
    'user.email=git-install-test@example.invalid',
    '-c',
    'commit.gpgsign=false',
    'commit',
    '-q',
    '--no-verify',
    '-m',
    'working tree',
  ]);

  // WHEN a throwaway app installs the package from that repo, then type-checks and synthesizes
  app = path.join(work, 'consumer');
  // (as strict as npm gets about install scripts: only what the app approves runs, anything else
  // fails the install; a git dependency's prepare needs the approval, keyed by its git URL)
  const spec = `git+file://${repo}`;
  const install = installConsumer(app, spec, { allowScripts: { [spec]: true }, flags: ['--strict-allow-scripts'] });
  const tsc = typeCheck(app);
  if (tsc.status !== 0) throw new Error(`the consumer app does not type-check:\n${tsc.output}`);
  const synthesized = synth(app, 'cdk.out');
  template = synthesized.template;
  resolvedFrom = synthesized.resolvedFrom;
  console.log(`git install: npm install ${install.ms.toFixed(0)} ms, synth ${synthesized.ms.toFixed(0)} ms`);
}, 600_000);

afterAll(() => {
  // GIT_INSTALL_TEST_KEEP=1 keeps the throwaway repo and app for inspection.
  if (process.env.GIT_INSTALL_TEST_KEEP) console.log(`kept ${work}`);
  else if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('a throwaway CDK app that installs the package from git', () => {
  const installed = () => path.join(fs.realpathSync(app), 'node_modules', 'cdk-console-users');

  it('installed it from the git repo, outside this one', () => {
    expect(path.relative(ROOT, app).startsWith('..')).toBe(true);
    const lock = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8'));
    const head = git(repo, ['rev-parse', 'HEAD']).trim();
    expect(lock.packages['node_modules/cdk-console-users'].resolved).toBe(`git+file://${repo}#${head}`);
    expect(resolvedFrom).toBe(path.join(installed(), 'build', 'index.js'));
  });

  it('got the compiled constructs, their declarations and the bundled handlers, built by prepare', () => {
    const sources = fs
      .readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(fs.existsSync(path.join(installed(), 'build', `${s}.js`))).toBe(true);
      expect(fs.existsSync(path.join(installed(), 'build', `${s}.d.ts`))).toBe(true);
    }
    for (const h of fs.readdirSync(path.join(ROOT, 'assets'))) {
      expect(fs.existsSync(path.join(installed(), 'assets', h, 'index.js'))).toBe(true);
    }
    // Sources and tests stay behind: `files` applies to git installs as to the tarball.
    expect(fs.existsSync(path.join(installed(), 'lib'))).toBe(false);
    expect(fs.existsSync(path.join(installed(), 'node_modules'))).toBe(false);
  });

  it('synthesizes the ConsoleUser and the LoginProfile as custom resources backed by the bundled handler', () => {
    const resources = Object.values<Json>(template.Resources);
    const users = Object.entries<Json>(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::User');
    expect(users.map(([, u]) => u.Properties.UserName)).toEqual(['analyst']);
    const profiles = resources.filter((r) => r.Type === 'Custom::ConsoleLoginProfile').map((r) => r.Properties);
    expect(profiles.map((p) => p.UserName)).toEqual([{ Ref: users[0][0] }, 'vendor']);
    expect(
      resources.filter(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          /^cdk-console-users: creates console login profiles/.test(r.Properties.Description ?? ''),
      ),
    ).toHaveLength(1);
  });
});
