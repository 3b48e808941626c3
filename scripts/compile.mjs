// Compiles the constructs (lib/**/*.ts) to dist/: the .js and .d.ts that the package ships.
//
// The output goes to dist/, never next to the sources, so that nothing run from the sources in
// this checkout (the sample app under ts-node, the bench, jest, tsc, typedoc) can pick up a compiled
// copy instead of the .ts it stands for. dist/ is replaced as a whole: a module whose source was deleted
// or renamed leaves no stale .js behind to be shipped. Compiled files left next to the sources by an
// older layout of this repo (lib/**/*.js, lib/**/*.d.ts) are removed as well.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = (await import('node:module')).createRequire(import.meta.url);

for (const f of fs.readdirSync(path.join(root, 'lib'), { recursive: true, encoding: 'utf8' })) {
  if (/\.(js|d\.ts)$/.test(f)) fs.rmSync(path.join(root, 'lib', f));
}
// Compiled into a fresh folder, which then replaces dist/: whatever reads dist/ meanwhile (a test
// running beside `npm pack`) sees the previous build or the new one, never a half-written one.
const fresh = path.join(root, `dist.${process.pid}`);
fs.rmSync(fresh, { recursive: true, force: true });
try {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', fresh],
    { cwd: root, stdio: 'inherit' },
  );
  fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  fs.renameSync(fresh, path.join(root, 'dist'));
} finally {
  fs.rmSync(fresh, { recursive: true, force: true });
}
