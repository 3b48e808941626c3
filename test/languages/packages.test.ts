/**
 * The packages `npm run package` (jsii-pacmak) writes to dist/: the Python wheel, the Maven
 * package and the Go module, each named as package.json's jsii targets say, depending on the
 * aws-cdk-lib and constructs of the peer ranges, and carrying the npm tarball the jsii runtime
 * loads: compiled constructs, assembly and the bundled handlers (the Lambda code ships as assets;
 * no language needs esbuild or Docker). And what each registry checks on upload: `twine check`
 * on the wheel and the sdist (PyPI), the pom fields, sources and javadoc jars and checksums Maven
 * Central requires (https://central.sonatype.org/publish/requirements; the signatures are made
 * by publib in the release workflow). The Go module builds and vets in a consumer module
 * (go-app.test.ts). .NET is configured (`npm run package:dotnet`) but needs the .NET SDK, so it
 * is not built here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const VERSION: string = pkg.version;
const TARBALL = `cdk-console-users@${VERSION}.jsii.tgz`;

const zipEntries = (zip: string): string[] =>
  execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\n')
    .filter(Boolean);
const zipText = (zip: string, entry: string): string =>
  execFileSync('unzip', ['-p', zip, entry], { encoding: 'utf8', maxBuffer: 64 << 20 });
const tarEntries = (tgz: string): string[] =>
  execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((e) => e.replace(/^package\//, ''));

/** The npm tarball inside a zip (wheel, jar), extracted to a temporary file. */
const tarballIn = (zip: string, entry: string): string => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-tgz-')), TARBALL);
  fs.writeFileSync(file, execFileSync('unzip', ['-p', zip, entry], { maxBuffer: 64 << 20 }));
  return file;
};

/** What the jsii runtime of every language needs from the embedded npm tarball. */
const expectRuntimeFiles = (entries: string[]) => {
  expect(entries).toEqual(expect.arrayContaining(['package.json', '.jsii', pkg.main, pkg.types]));
  const handlers = fs.readdirSync(path.join(ROOT, 'assets')).map((d) => `assets/${d}/index.js`);
  expect(handlers.length).toBeGreaterThan(0);
  expect(entries).toEqual(expect.arrayContaining(handlers));
  expect(entries.filter((e) => /^(lib|lambda|bin|test|scripts)\//.test(e))).toEqual([]);
};

beforeAll(() => {
  if (!fs.existsSync(DIST)) throw new Error('dist/ does not exist: run `npm run package` first');
});

describe('Python: dist/python', () => {
  const wheel = path.join(DIST, 'python', `cdk_console_users-${VERSION}-py3-none-any.whl`);
  const info = `cdk_console_users-${VERSION}.dist-info`;

  it('holds the wheel of distribution cdk-console-users, module cdk_console_users', () => {
    expect(fs.readdirSync(path.join(DIST, 'python')).filter((f) => f.endsWith('.whl'))).toEqual([path.basename(wheel)]);
    const entries = zipEntries(wheel);
    expect(entries).toEqual(
      expect.arrayContaining(['cdk_console_users/__init__.py', 'cdk_console_users/py.typed', `${info}/METADATA`]),
    );
    const metadata = zipText(wheel, `${info}/METADATA`);
    expect(metadata).toMatch(/^Name: cdk-console-users$/m);
    expect(metadata).toMatch(new RegExp(`^Version: ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    expect(metadata).toMatch(/^License: Apache-2\.0$/m);
    expect(metadata).toMatch(/^Home-page: https:\/\/github\.com\/cdk-console-users\/cdk-console-users/m);
  });

  it('depends on aws-cdk-lib and constructs of the peer ranges', () => {
    const requires = zipText(wheel, `${info}/METADATA`)
      .split('\n')
      .filter((l) => l.startsWith('Requires-Dist: '))
      .map((l) => l.slice('Requires-Dist: '.length).replace(/\s+/g, ''));
    expect(requires).toEqual(expect.arrayContaining(['aws-cdk-lib<3.0.0,>=2.245.0', 'constructs<11.0.0,>=10.5.0']));
  });

  it('carries the npm tarball with the compiled constructs, the assembly and the bundled handlers', () => {
    const entry = `cdk_console_users/_jsii/${TARBALL}`;
    expect(zipEntries(wheel)).toContain(entry);
    expectRuntimeFiles(tarEntries(tarballIn(wheel, entry)));
  });
});

describe('every package', () => {
  it('embeds the same npm tarball, the one the release workflow publishes to npm', () => {
    const jar = path.join(
      DIST,
      'java',
      'io',
      'github',
      'cdk-console-users',
      'cdk-console-users',
      VERSION,
      `cdk-console-users-${VERSION}.jar`,
    );
    const wheel = path.join(DIST, 'python', `cdk_console_users-${VERSION}-py3-none-any.whl`);
    const go = fs.readFileSync(path.join(DIST, 'go', 'cdkconsoleusers', 'jsii', `cdk-console-users-${VERSION}.tgz`));
    expect(fs.readFileSync(tarballIn(wheel, `cdk_console_users/_jsii/${TARBALL}`)).equals(go)).toBe(true);
    expect(fs.readFileSync(tarballIn(jar, `io/github/cdkconsoleusers/${TARBALL}`)).equals(go)).toBe(true);
    // What npm would publish: the slim package.json (prepack), nothing it would run on install.
    const manifest = JSON.parse(
      execFileSync(
        'tar',
        [
          '-xzOf',
          path.join(DIST, 'go', 'cdkconsoleusers', 'jsii', `cdk-console-users-${VERSION}.tgz`),
          'package/package.json',
        ],
        { encoding: 'utf8' },
      ),
    );
    expect(manifest).toMatchObject({ name: 'cdk-console-users', version: VERSION });
    expect(manifest.scripts).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
  });
});

describe('Python: what PyPI checks on upload', () => {
  // twine of requirements-dev.txt (.venv, scripts/setup-python.sh); TWINE_PYTHON names another.
  const python = process.env.TWINE_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python');
  const twineCheck = (...files: string[]) => {
    const run = spawnSync(python, ['-m', 'twine', 'check', '--strict', ...files], { encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  };

  it('twine check --strict passes on the wheel and the sdist', () => {
    const files = fs
      .readdirSync(path.join(DIST, 'python'))
      .filter((f) => /\.(whl|tar\.gz)$/.test(f))
      .map((f) => path.join(DIST, 'python', f));
    expect(files.map((f) => path.basename(f)).sort()).toEqual(
      [`cdk_console_users-${VERSION}-py3-none-any.whl`, `cdk_console_users-${VERSION}.tar.gz`].sort(),
    );
    const check = twineCheck(...files);
    expect(check.output).not.toMatch(/FAILED|WARNING|ERROR/);
    expect(check.output.match(/PASSED/g)).toHaveLength(2);
    expect(check.status).toBe(0);
  });

  it('twine check fails on a wheel whose description PyPI would not render', () => {
    // GIVEN a copy of the wheel whose metadata says its Markdown description is reStructuredText
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-twine-'));
    const wheel = path.join(work, `cdk_console_users-${VERSION}-py3-none-any.whl`);
    fs.copyFileSync(path.join(DIST, 'python', path.basename(wheel)), wheel);
    const metadata = `cdk_console_users-${VERSION}.dist-info/METADATA`;
    const text = zipText(wheel, metadata);
    expect(text).toMatch(/^Description-Content-Type: text\/markdown$/m);
    fs.mkdirSync(path.join(work, path.dirname(metadata)));
    fs.writeFileSync(
      path.join(work, metadata),
      text.replace(/^Description-Content-Type: .*$/m, 'Description-Content-Type: text/x-rst'),
    );
    execFileSync('zip', ['-q', wheel, metadata], { cwd: work });
    // WHEN twine checks it THEN it fails, naming the description
    const check = twineCheck(wheel);
    expect(check.status).not.toBe(0);
    expect(check.output).toMatch(/FAILED[\s\S]*`long_description` has syntax errors/);
  });
});

describe('Java: dist/java (a Maven repository)', () => {
  const dir = path.join(DIST, 'java', 'io', 'github', 'cdk-console-users', 'cdk-console-users', VERSION);
  const jar = path.join(dir, `cdk-console-users-${VERSION}.jar`);

  it('holds io.github.cdk-console-users:cdk-console-users with sources and javadoc, in package io.github.cdkconsoleusers', () => {
    expect(
      fs
        .readdirSync(dir)
        .filter((f) => /\.(jar|pom)$/.test(f))
        .sort(),
    ).toEqual(
      [
        `cdk-console-users-${VERSION}-javadoc.jar`,
        `cdk-console-users-${VERSION}-sources.jar`,
        `cdk-console-users-${VERSION}.jar`,
        `cdk-console-users-${VERSION}.pom`,
      ].sort(),
    );
    expect(zipEntries(jar)).toEqual(
      expect.arrayContaining([
        'io/github/cdkconsoleusers/ConsoleUser.class',
        'io/github/cdkconsoleusers/ConsoleUserProps.class',
        'io/github/cdkconsoleusers/LoginProfile.class',
        'io/github/cdkconsoleusers/AccountPasswordPolicy.class',
      ]),
    );
  });

  it('depends on aws-cdk-lib and constructs of the peer ranges', () => {
    const pom = fs.readFileSync(path.join(dir, `cdk-console-users-${VERSION}.pom`), 'utf8');
    expect(pom).toMatch(
      /<groupId>io\.github\.cdk-console-users<\/groupId>\s*<artifactId>cdk-console-users<\/artifactId>/,
    );
    // pacmak resolves the ranges ([2.245.0,3.0.0), [10.5.0,11.0.0)) to the newest release in them.
    const versionOf = (groupId: string, artifactId: string): number[] => {
      const m = new RegExp(
        `<groupId>${groupId}</groupId>\\s*<artifactId>${artifactId}</artifactId>\\s*<version>([\\d.]+)</version>`,
      ).exec(pom);
      expect(m).not.toBeNull();
      return m![1].split('.').map(Number);
    };
    const [cdkMajor, cdkMinor] = versionOf('software\\.amazon\\.awscdk', 'aws-cdk-lib');
    expect(cdkMajor).toBe(2);
    expect(cdkMinor).toBeGreaterThanOrEqual(245);
    const [constructsMajor, constructsMinor] = versionOf('software\\.constructs', 'constructs');
    expect(constructsMajor).toBe(10);
    expect(constructsMinor).toBeGreaterThanOrEqual(5);
  });

  it('carries the npm tarball with the compiled constructs, the assembly and the bundled handlers', () => {
    const entry = `io/github/cdkconsoleusers/${TARBALL}`;
    expect(zipEntries(jar)).toContain(entry);
    expectRuntimeFiles(tarEntries(tarballIn(jar, entry)));
  });
});

/**
 * What Maven Central's validation requires of a pom (https://central.sonatype.org/publish/requirements):
 * coordinates, name, description, url, a license (name and url), a developer (name or organization)
 * and scm (connection and url). The missing ones, by element path.
 */
function centralPomProblems(pom: string): string[] {
  const body = pom.replace(/<!--[\s\S]*?-->/g, '');
  const text = (block: string, tag: string): string | undefined =>
    new RegExp(`<${tag}>\\s*([^<]*?)\\s*</${tag}>`).exec(block)?.[1] || undefined;
  const section = (tag: string): string | undefined => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(body)?.[1];
  // The project's own elements: the pom without its nested sections.
  const top = body.replace(/<(licenses|developers|scm|dependencies|build|properties)>[\s\S]*?<\/\1>/g, '');
  const problems: string[] = [];
  for (const tag of ['groupId', 'artifactId', 'version', 'name', 'description', 'url']) {
    if (!text(top, tag)) problems.push(tag);
  }
  const license = section('license');
  if (!license || !text(license, 'name') || !text(license, 'url')) problems.push('licenses/license (name, url)');
  const developer = section('developer');
  if (!developer || !(text(developer, 'name') || text(developer, 'organization'))) {
    problems.push('developers/developer (name or organization)');
  }
  const scm = section('scm');
  if (!scm || !text(scm, 'connection') || !text(scm, 'url')) problems.push('scm (connection, url)');
  return problems;
}

describe('Java: what Maven Central requires', () => {
  const dir = path.join(DIST, 'java', 'io', 'github', 'cdk-console-users', 'cdk-console-users', VERSION);
  const base = path.join(dir, `cdk-console-users-${VERSION}`);
  const pom = () => fs.readFileSync(`${base}.pom`, 'utf8');

  it('the pom has coordinates, name, description, url, licence, developer and scm', () => {
    expect(centralPomProblems(pom())).toEqual([]);
    expect(pom()).toMatch(/<url>https:\/\/www\.apache\.org\/licenses\/LICENSE-2\.0<\/url>/);
    expect(pom()).toContain(`<description>${pkg.description}</description>`);
  });

  it('a pom without licence, developer or scm is reported, each by name', () => {
    const stripped = pom()
      .replace(/<(licenses|developers|scm)>[\s\S]*?<\/\1>/g, '')
      .replace(/<description>[^<]*<\/description>/, '');
    expect(centralPomProblems(stripped)).toEqual([
      'description',
      'licenses/license (name, url)',
      'developers/developer (name or organization)',
      'scm (connection, url)',
    ]);
  });

  it('the sources jar holds the Java sources and the javadoc jar the generated documentation', () => {
    expect(zipEntries(`${base}-sources.jar`)).toContain('io/github/cdkconsoleusers/ConsoleUser.java');
    expect(zipEntries(`${base}-javadoc.jar`)).toEqual(
      expect.arrayContaining(['index.html', 'io/github/cdkconsoleusers/ConsoleUser.html']),
    );
  });

  it.each(['.jar', '.pom', '-sources.jar', '-javadoc.jar'])(
    `cdk-console-users-${VERSION}%s has matching .md5 and .sha1 files`,
    (suffix) => {
      const file = `${base}${suffix}`;
      const data = fs.readFileSync(file);
      for (const algorithm of ['md5', 'sha1']) {
        const recorded = fs.readFileSync(`${file}.${algorithm}`, 'utf8').trim().split(/\s+/)[0];
        expect(recorded).toBe(crypto.createHash(algorithm).update(data).digest('hex'));
      }
    },
  );
});

describe('Go: dist/go', () => {
  const dir = path.join(DIST, 'go', 'cdkconsoleusers');

  it('holds module github.com/cdk-console-users/cdk-console-users-go/cdkconsoleusers, package cdkconsoleusers', () => {
    const goMod = fs.readFileSync(path.join(dir, 'go.mod'), 'utf8');
    expect(goMod).toMatch(/^module github\.com\/cdk-console-users\/cdk-console-users-go\/cdkconsoleusers$/m);
    expect(goMod).toMatch(/^\s*github\.com\/aws\/aws-cdk-go\/awscdk\/v2 v2\.\d+\.\d+$/m);
    expect(goMod).toMatch(/^\s*github\.com\/aws\/constructs-go\/constructs\/v10 v10\.\d+\.\d+$/m);
    expect(fs.readFileSync(path.join(dir, 'main.go'), 'utf8')).toMatch(/^package cdkconsoleusers$/m);
    expect(fs.readdirSync(dir)).toEqual(
      expect.arrayContaining(['ConsoleUser.go', 'LoginProfile.go', 'AccountPasswordPolicy.go']),
    );
  });

  it('carries the npm tarball with the compiled constructs, the assembly and the bundled handlers', () => {
    expectRuntimeFiles(tarEntries(path.join(dir, 'jsii', `cdk-console-users-${VERSION}.tgz`)));
  });
});
