// Compiles the constructs (lib/**/*.ts) with jsii: build/**/*.js and .d.ts, which the npm package
// ships, and .jsii, the assembly from which jsii-pacmak writes the Python, Java, Go and .NET packages.
//
// jsii writes its TypeScript settings to tsconfig.jsii.json (generated, not committed) and reads the
// rest from package.json's "jsii" section: output in build/ (`tsc.rootDir` lib, `tsc.outDir` build,
// so that build/handler/handler-function.js finds the bundled handlers at ../../assets as the .ts
// source does), never next to the sources, so that nothing run from the sources in this checkout
// (the sample app under ts-node, the bench, jest, tsc) picks up a compiled copy instead of the .ts.
//
// Warnings fail the build (--fail-on-warnings), all but one: jsii wants the devDependency on
// aws-cdk-lib at the peer range's floor (2.245.0); the tests deliberately run against a newer one
// and the constructs use newer features only when present (docs/design.md, supported versions).
//
// jsii compiles incrementally; its build info is removed first so that every run emits every file,
// and files in build/ compiled from a source that no longer exists are removed after, so that none
// is shipped. build/ is never emptied as a whole: whatever reads it meanwhile (a test running beside
// `npm pack`) finds every file, from the previous build or the new one.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = (await import('node:module')).createRequire(import.meta.url);
const lib = path.join(root, 'lib');
const build = path.join(root, 'build');

const JSII_ARGS = [
  '--generate-tsconfig',
  'tsconfig.jsii.json',
  '--fail-on-warnings',
  '--silence-warnings',
  'metadata/missing-dev-dependency',
];

const isCompiled = (f) => /\.(js|d\.ts)$/.test(f);
const sourceOf = (f) => f.replace(/(\.d)?\.(js|ts)$/, '.ts');

fs.rmSync(path.join(build, 'tsconfig.tsbuildinfo'), { force: true });
execFileSync(process.execPath, [require.resolve('jsii/bin/jsii'), ...JSII_ARGS], {
  cwd: root,
  stdio: 'inherit',
  // Without this, jsii opens every compile with a banner: its own support for Node 20 ended on
  // 2026-10-30 (it still works); the constructs themselves support Node >= 20.
  env: { JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20', ...process.env },
});
for (const f of fs.readdirSync(build, { recursive: true, encoding: 'utf8' })) {
  if (isCompiled(f) && !fs.existsSync(path.join(lib, sourceOf(f)))) fs.rmSync(path.join(build, f));
}
