/**
 * `npm run package:<language>` builds one language's package with that language's tools only, as
 * the README's per-language install says: the other languages' tools (Python, Java and Maven, Go,
 * .NET) are replaced on PATH by commands that fail, and the script must still succeed and write
 * only its own language's package (into a temporary --outdir, so dist/ stays as
 * `npm run package` wrote it for the other suites).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

/** Each language's tools, and what its package must hold. */
const LANGUAGES: Record<string, { tools: string[]; expected: string }> = {
  python: {
    tools: ['python', 'python3', 'pip', 'pip3'],
    expected: `python/cdk_console_users-${VERSION}-py3-none-any.whl`,
  },
  java: {
    tools: ['java', 'javac', 'mvn'],
    expected: `java/io/github/cdk-console-users/cdk-console-users/${VERSION}/cdk-console-users-${VERSION}.jar`,
  },
  go: { tools: ['go', 'gofmt'], expected: 'go/cdkconsoleusers/go.mod' },
};
const DOTNET = ['dotnet'];

let work: string;
let copy: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-one-language-'));
  copy = path.join(work, 'repo');
  fs.mkdirSync(copy);
  const manifest = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'pack-manifest.mjs'), 'original'], {
    encoding: 'utf8',
  });
  fs.writeFileSync(path.join(copy, 'package.json'), manifest.stdout);
  for (const f of [
    'lib',
    'lambda',
    'scripts',
    'rosetta',
    'build',
    'assets',
    '.jsii',
    'tsconfig.json',
    'README.md',
    'LICENSE',
  ]) {
    fs.cpSync(path.join(ROOT, f), path.join(copy, f), { recursive: true });
  }
  // node_modules: the repo's packages, linked one by one, in a folder of the copy's own (the pack's
  // scripts/pack-manifest.mjs keeps package.json aside in node_modules/.cache/ while it packs).
  fs.mkdirSync(path.join(copy, 'node_modules'));
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry === '.cache') continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(copy, 'node_modules', entry));
  }
}, 60_000);
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe.each(Object.keys(LANGUAGES))('npm run package:%s', (language) => {
  it(`builds the ${language} package without the other languages' tools`, () => {
    // GIVEN a PATH on which every other language's tool fails, loudly
    const shims = path.join(work, `${language}-shims`);
    fs.mkdirSync(shims);
    const others = [
      ...Object.entries(LANGUAGES)
        .filter(([l]) => l !== language)
        .flatMap(([, l]) => l.tools),
      ...DOTNET,
    ];
    for (const tool of others) {
      fs.writeFileSync(path.join(shims, tool), `#!/bin/sh\necho "${tool} is not installed" >&2\nexit 127\n`, {
        mode: 0o755,
      });
    }
    const outdir = path.join(work, `${language}-dist`);
    // WHEN the one-language script runs (--outdir goes to jsii-pacmak)
    const run = spawnSync('npm', ['run', `package:${language}`, '--', '--outdir', outdir], {
      cwd: copy,
      env: { ...process.env, PATH: `${shims}${path.delimiter}${process.env.PATH}` },
      encoding: 'utf8',
    });
    const output = `${run.stdout}${run.stderr}`;
    // THEN it succeeds, called none of the others, and wrote its own package only
    if (run.status !== 0) throw new Error(`npm run package:${language} failed (${run.status}):\n${output}`);
    expect(output).not.toMatch(/is not installed/);
    expect(fs.existsSync(path.join(outdir, LANGUAGES[language].expected))).toBe(true);
    expect(fs.readdirSync(outdir).sort()).toEqual([language]);
  });
});
