/**
 * The release's checks, each shown to fail on what it exists to stop:
 * - the API against the committed baseline (api/baseline.jsii, `npm run api:check`, jsii-diff with
 *   `--error-on all`): the compiled API passes; a probe copy of it with a prop or a method removed
 *   fails, naming it, where jsii-diff's default (`prod`) only warns because the package is
 *   `stability: experimental`; an added optional prop passes;
 * - the version bookkeeping (scripts/release.mjs, in a copy of the repo's release files): `bump`
 *   renames CHANGELOG.md's [Unreleased] section and sets the version everywhere the install
 *   instructions name it; `check` refuses a tag that is not package.json's version or has no
 *   CHANGELOG.md section; `notes` prints the section (the GitHub release's notes).
 * Needs the compiled assembly (.jsii; `npm ci` runs the compile).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childEnv, Json, originalManifest, ROOT } from './consumer-app';

const jsiiEnv = { ...childEnv(), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' };
const node = (args: string[], env: NodeJS.ProcessEnv = jsiiEnv) => {
  const run = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
};

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-release-'));
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the API against api/baseline.jsii', () => {
  // The compiled assembly, read once: pack.test.ts, beside this suite, may be recompiling it (its
  // `npm pack` runs prepare), so a read that lands mid-write is retried.
  let assemblyText: string;
  beforeAll(() => {
    const file = path.join(ROOT, '.jsii');
    if (!fs.existsSync(file)) throw new Error('no .jsii: run `npm run compile` first');
    for (let attempt = 1; ; attempt++) {
      try {
        assemblyText = fs.readFileSync(file, 'utf8');
        JSON.parse(assemblyText);
        return;
      } catch (e) {
        if (attempt === 10) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
      }
    }
  });
  const compiled = (): Json => JSON.parse(assemblyText);

  /** A package directory holding `assembly`, loadable by jsii-diff (its dependencies from node_modules). */
  const probe = (name: string, assembly: Json): string => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    // The baseline's package.json (laid out by the script) with `assembly` as its .jsii.
    expect(node([path.join(ROOT, 'scripts', 'api-baseline.mjs'), 'dir', dir]).status).toBe(0);
    fs.writeFileSync(path.join(dir, '.jsii'), JSON.stringify(assembly));
    return dir;
  };
  const apiCheck = (dir?: string) =>
    node([path.join(ROOT, 'scripts', 'api-baseline.mjs'), 'check', ...(dir ? [dir] : [])]);
  const jsiiDiffDefaults = (dir: string) => {
    const baseline = path.join(work, 'baseline');
    if (!fs.existsSync(baseline)) node([path.join(ROOT, 'scripts', 'api-baseline.mjs'), 'dir', baseline]);
    return node([path.join(ROOT, 'node_modules', 'jsii-diff', 'bin', 'jsii-diff'), baseline, dir]);
  };

  it('no committed file is named .jsii: jsii-docgen would document it instead of the compiled API', () => {
    const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0');
    expect(tracked).toContain('api/baseline.jsii');
    expect(tracked.filter((file) => path.basename(file) === '.jsii')).toEqual([]);
  });

  it('the baseline is a committed assembly of this package', () => {
    const baseline = JSON.parse(fs.readFileSync(path.join(ROOT, 'api', 'baseline.jsii'), 'utf8'));
    expect(baseline.name).toBe('cdk-console-users');
    expect(Object.keys(baseline.types)).toEqual(
      expect.arrayContaining(['cdk-console-users.ConsoleUser', 'cdk-console-users.LoginProfile']),
    );
  });

  it('the compiled API passes (npm run api:check)', () => {
    const check = apiCheck(probe('compiled', compiled()));
    expect(check.output).toContain('no breaking change against api/baseline.jsii');
    expect(check.status).toBe(0);
  });

  it('a removed prop fails, named by jsii-diff, though jsii-diff alone would only warn (experimental)', () => {
    // GIVEN the compiled API without LoginProfileOptions.passwordLength (inherited by the props)
    const assembly = compiled();
    const options = assembly.types['cdk-console-users.LoginProfileOptions'];
    const before = options.properties.length;
    options.properties = options.properties.filter((p: Json) => p.name !== 'passwordLength');
    expect(options.properties).toHaveLength(before - 1);
    const dir = probe('removed-prop', assembly);
    // WHEN checked THEN it fails, naming the prop on every struct that had it
    const check = apiCheck(dir);
    expect(check.status).toBe(1);
    expect(check.output).toMatch(/err\s+- PROP cdk-console-users\.ConsoleUserProps\.passwordLength: has been removed/);
    expect(check.output).toContain('the API breaks compatibility with api/baseline.jsii');
    // AND jsii-diff with its defaults (--error-on prod) lets it through with a warning
    const defaults = jsiiDiffDefaults(dir);
    expect(defaults.output).toMatch(
      /warn\s+- PROP cdk-console-users\.ConsoleUserProps\.passwordLength: has been removed/,
    );
    expect(defaults.status).toBe(0);
  });

  it('a removed method fails', () => {
    const assembly = compiled();
    const user = assembly.types['cdk-console-users.ConsoleUser'];
    user.methods = user.methods.filter((m: Json) => m.name !== 'grantReadPassword');
    const check = apiCheck(probe('removed-method', assembly));
    expect(check.status).toBe(1);
    expect(check.output).toMatch(/err\s+- METHOD cdk-console-users\.ConsoleUser\.grantReadPassword: has been removed/);
  });

  it('an added optional prop passes', () => {
    const assembly = compiled();
    const options = assembly.types['cdk-console-users.LoginProfileOptions'];
    const like = options.properties.find((p: Json) => p.name === 'secretName');
    options.properties.push({ ...like, name: 'description' });
    const check = apiCheck(probe('added-prop', assembly));
    expect(check.output).toContain('no breaking change against api/baseline.jsii');
    expect(check.status).toBe(0);
  });
});

describe('scripts/release.mjs', () => {
  const FILES = ['package.json', 'package-lock.json', 'CHANGELOG.md', 'README.md', 'docs/install.md'];
  const VERSION: string = JSON.parse(originalManifest()).version;

  /** A copy of the release files in a folder of its own. */
  const copy = (name: string): string => {
    const dir = path.join(work, name);
    for (const f of FILES) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    fs.writeFileSync(path.join(dir, 'package.json'), originalManifest());
    return dir;
  };
  const release = (dir: string, ...args: string[]) =>
    node([path.join(ROOT, 'scripts', 'release.mjs'), ...args], {
      ...childEnv(),
      RELEASE_ROOT: dir,
      RELEASE_SKIP_BASELINE: '1',
    });
  const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

  it('bump renames [Unreleased] to the version, opens a new one, and sets the version in the manifests and install instructions', () => {
    const dir = copy('bump');
    const unreleased = /^## \[Unreleased\]\n([\s\S]*?)^## /m.exec(`${read(dir, 'CHANGELOG.md')}\n## `)![1];
    expect(unreleased).toMatch(/^- /m);
    // WHEN bumped to 9.8.7
    const bump = release(dir, 'bump', '9.8.7');
    expect(bump.output).toContain(`${VERSION} -> 9.8.7`);
    expect(bump.status).toBe(0);
    // THEN the entries are under [9.8.7], dated, below an empty [Unreleased]
    const changelog = read(dir, 'CHANGELOG.md');
    expect(changelog).toMatch(/^## \[Unreleased\]\n\n## \[9\.8\.7\] - \d{4}-\d{2}-\d{2}\n/m);
    expect(changelog).toContain(unreleased.trim());
    expect(JSON.parse(read(dir, 'package.json')).version).toBe('9.8.7');
    const lock = JSON.parse(read(dir, 'package-lock.json'));
    expect([lock.version, lock.packages[''].version]).toEqual(['9.8.7', '9.8.7']);
    // AND the install instructions name it, nothing else in the README changes
    const install = /^## Install\n[\s\S]*?(?=^## )/m;
    expect(install.exec(read(dir, 'README.md'))![0]).not.toContain(VERSION);
    expect(install.exec(read(dir, 'README.md'))![0]).toContain('#v9.8.7');
    expect(read(dir, 'README.md').replace(install, '')).toBe(read(ROOT, 'README.md').replace(install, ''));
    expect(read(dir, 'docs/install.md')).not.toContain(VERSION);
    // AND the release workflow's check accepts the tag, and its notes are the section's entries
    expect(release(dir, 'check', 'v9.8.7').status).toBe(0);
    const notes = release(dir, 'notes', 'v9.8.7');
    expect(notes.status).toBe(0);
    expect(notes.output.trim()).toBe(unreleased.trim());
    // AND a second bump has nothing to release
    const again = release(dir, 'bump', '9.8.8');
    expect(again.status).toBe(1);
    expect(again.output).toContain('"## [Unreleased]" section lists no changes to release');
  });

  it.each([
    ['v0.0.0-other', `tag v0.0.0-other does not name package.json's version ${VERSION}`],
    [VERSION, `tag ${VERSION} does not name package.json's version ${VERSION} (expected v${VERSION})`],
  ])('check refuses the tag %s', (tag, message) => {
    const check = release(copy(`check-${tag}`), 'check', tag);
    expect(check.status).toBe(1);
    expect(check.output).toContain(message);
  });

  it('check refuses a tag whose version has no CHANGELOG.md section', () => {
    const dir = copy('check-no-section');
    const changelog = read(dir, 'CHANGELOG.md').replace(
      new RegExp(`^## \\[${VERSION.replace(/\./g, '\\.')}\\].*$`, 'm'),
      '',
    );
    fs.writeFileSync(path.join(dir, 'CHANGELOG.md'), changelog);
    const check = release(dir, 'check', `v${VERSION}`);
    expect(check.status).toBe(1);
    expect(check.output).toContain(`CHANGELOG.md has no "## [${VERSION}]" section`);
  });

  it('bump refuses a version that is not semantic', () => {
    const bump = release(copy('bump-bad'), 'bump', 'v1.2');
    expect(bump.status).toBe(1);
    expect(bump.output).toContain('a semantic version such as 0.2.0 (got v1.2)');
  });
});
