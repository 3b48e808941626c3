#!/usr/bin/env node
// The API compatibility baseline: the jsii assembly of the API as last released (before the
// first release, as it first ships), committed in api/baseline/ (.jsii and a package.json naming
// the peer dependencies, so that jsii-diff resolves aws-cdk-lib and constructs from node_modules).
//
//   node scripts/api-baseline.mjs write           (npm run api:baseline, after a compile)
//     Copies the compiled assembly (.jsii) to api/baseline/, without its readme.
//   node scripts/api-baseline.mjs check [dir]     (npm run api:check)
//     jsii-diff from api/baseline/ to the compiled package in [dir] (default: the repo).
//     `--error-on all`: the package is `stability: experimental`, and jsii-diff's default
//     (`prod`) only warns about breaking changes to experimental APIs; here they fail.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BASELINE = path.join(ROOT, 'api', 'baseline');

function write() {
  const assemblyFile = path.join(ROOT, '.jsii');
  if (!fs.existsSync(assemblyFile)) throw new Error('api-baseline: no .jsii: run `npm run compile` first');
  const assembly = JSON.parse(fs.readFileSync(assemblyFile, 'utf8'));
  delete assembly.readme;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  fs.mkdirSync(BASELINE, { recursive: true });
  fs.writeFileSync(path.join(BASELINE, '.jsii'), `${JSON.stringify(assembly, null, 2)}\n`);
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    description: 'The API compatibility baseline of jsii-diff (scripts/api-baseline.mjs); not a package.',
    peerDependencies: pkg.peerDependencies,
    jsii: { outdir: 'dist', targets: {} }, // jsii-diff loads a directory with a jsii section
  };
  fs.writeFileSync(path.join(BASELINE, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(
    `api-baseline: api/baseline/ is the API of ${pkg.name}@${pkg.version} (${Object.keys(assembly.types).length} types)`,
  );
}

function check(updated) {
  const jsiiDiff = path.join(ROOT, 'node_modules', '.bin', 'jsii-diff');
  const run = spawnSync(jsiiDiff, [BASELINE, updated, '--error-on', 'all', '--keys'], {
    encoding: 'utf8',
    env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
  });
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  if (run.status !== 0 && run.status !== 1) {
    console.error(`api-check: jsii-diff could not compare the assemblies (exit ${run.status})`);
    process.exit(run.status ?? 1);
  }
  if (run.status !== 0) {
    console.error(
      'api-check: the API breaks compatibility with api/baseline/ (above). Keep the old API working, or, ' +
        'for a deliberate break, regenerate the baseline (`npm run api:baseline`) and say so in CHANGELOG.md.',
    );
    process.exit(run.status ?? 1);
  }
  console.log('api-check: no breaking change against api/baseline/');
}

const [command, arg] = process.argv.slice(2);
if (command === 'write') write();
else if (command === 'check') check(path.resolve(arg ?? ROOT));
else {
  console.error('usage: api-baseline.mjs write | check [dir]');
  process.exit(1);
}
