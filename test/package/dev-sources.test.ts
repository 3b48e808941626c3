/**
 * In this checkout, the entry points that run the constructs from their sources (the sample app
 * under ts-node per cdk.json, the bench under ts-node/register, jest) load lib/**\/*.ts, never a
 * compiled copy, even when the compiled package exists (`npm ci` and `npm pack` build it): an edit
 * to a .ts source is what `npx cdk synth`, `npm run bench` and the tests see.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { originalManifest, ROOT } from './consumer-app';

const pkg = JSON.parse(originalManifest());
const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));

// './lib' (as bin/app.ts requires it) and every module under lib/, as specifiers relative to ROOT.
const SOURCES = fs
  .readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.split(path.sep).join('/'));
const SPECIFIERS = ['./lib', ...SOURCES.map((f) => `./lib/${f.replace(/\.ts$/, '')}`)];
const expected = Object.fromEntries(
  SPECIFIERS.map((s) => [s, path.join(ROOT, s === './lib' ? 'lib/index.ts' : `${s}.ts`)]),
);
// Prints what each specifier resolves to from a module in the repo root, with the loader's hooks
// (ts-node's --prefer-ts-exts reorders the extensions node tries, for files and directory indexes).
const PROBE =
  `const r = require('node:module').createRequire(${JSON.stringify(path.join(ROOT, 'probe.ts'))});` +
  `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(SPECIFIERS)}.map((s) => [s, r.resolve(s)]))))`;

beforeAll(() => {
  // The compiled package, as `npm ci` (prepare) leaves it.
  if (!fs.existsSync(path.join(ROOT, pkg.main))) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'compile.mjs')], { cwd: ROOT, stdio: 'pipe' });
  }
}, 120_000);

describe('with the compiled package present', () => {
  it('exists, and no compiled .js or .d.ts sits next to the sources', () => {
    expect(fs.existsSync(path.join(ROOT, pkg.main))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, pkg.types))).toBe(true);
    const compiled = fs
      .readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(js|d\.ts)$/.test(f));
    expect(compiled).toEqual([]);
  });

  it("the sample app's ts-node (cdk.json) resolves lib and every module in it to the .ts source", () => {
    // cdk.json: npx ts-node <flags> bin/app.ts, run from the repo root.
    const [npx, tsNode, ...rest] = cdkJson.app.split(/\s+/);
    expect([npx, tsNode]).toEqual(['npx', 'ts-node']);
    const flags = rest.slice(0, -1);
    const out = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'ts-node'), [...flags, '-e', PROBE], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual(expected);
  });

  it('the bench (npm run bench: node -r <loader>) resolves lib and every module in it to the .ts source', () => {
    const args = pkg.scripts.bench.split(/\s+/);
    expect(args[0]).toBe('node');
    const loader = args[args.indexOf('-r') + 1];
    expect(loader).toMatch(/^ts-node\//);
    const out = execFileSync(process.execPath, ['-r', loader, '-e', PROBE], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(expected);
  });

  it('jest resolves lib and every module in it to the .ts source', () => {
    for (const s of SPECIFIERS) expect(require.resolve(path.join(ROOT, s))).toBe(expected[s]);
  });
});
