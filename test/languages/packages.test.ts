/**
 * The packages `npm run package` (jsii-pacmak) writes to dist/: the Python wheel, the Maven
 * package and the Go module, each named as package.json's jsii targets say, depending on the
 * aws-cdk-lib and constructs of the peer ranges, and carrying the npm tarball the jsii runtime
 * loads: compiled constructs, assembly and the bundled handlers (the Lambda code ships as assets;
 * no language needs esbuild or Docker). .NET is configured (`npm run package:dotnet`) but needs the
 * .NET SDK, so it is not built here.
 */
import { execFileSync } from 'node:child_process';
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
