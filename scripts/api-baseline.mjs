#!/usr/bin/env node
// The API compatibility baseline: the jsii assembly of the API as last released (before the
// first release, as it first ships), committed as api/baseline.jsii. Not as a file named `.jsii`:
// jsii-docgen (scripts/api-docs.mjs) documents whichever `**/.jsii` of this package's name it finds
// last, so a committed `.jsii` would put the baseline's API in API.md.
//
//   node scripts/api-baseline.mjs write           (npm run api:baseline, after a compile)
//     Copies the compiled assembly (.jsii) to api/baseline.jsii, without its readme.
//   node scripts/api-baseline.mjs check [dir]     (npm run api:check)
//     jsii-diff from the baseline to the compiled package in [dir] (default: the repo). jsii-diff
//     loads a package directory, so the baseline is laid out as one in a temporary directory:
//     its .jsii, a package.json naming its dependencies, and this repo's node_modules (where
//     jsii-diff finds aws-cdk-lib and constructs).
//   node scripts/api-baseline.mjs dir <out>
//     Lays the baseline out as that package directory in <out> (for tests).
//     `--error-on all`: the package is `stability: experimental`, and jsii-diff's default
//     (`prod`) only warns about breaking changes to experimental APIs; here they fail.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BASELINE = path.join(ROOT, 'api', 'baseline.jsii');

function write() {
  const assemblyFile = path.join(ROOT, '.jsii');
  if (!fs.existsSync(assemblyFile)) throw new Error('api-baseline: no .jsii: run `npm run compile` first');
  const assembly = JSON.parse(fs.readFileSync(assemblyFile, 'utf8'));
  delete assembly.readme;
  fs.mkdirSync(path.dirname(BASELINE), { recursive: true });
  fs.writeFileSync(BASELINE, `${JSON.stringify(assembly, null, 2)}\n`);
  console.log(
    `api-baseline: api/baseline.jsii is the API of ${assembly.name}@${assembly.version} (${Object.keys(assembly.types).length} types)`,
  );
}

/** The baseline as a package directory jsii-diff loads, in `dir`. */
function layOut(dir) {
  const assembly = JSON.parse(fs.readFileSync(BASELINE, 'utf8'));
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(BASELINE, path.join(dir, '.jsii'));
  const manifest = {
    name: assembly.name,
    version: assembly.version,
    private: true,
    peerDependencies: assembly.dependencies ?? {},
    jsii: { outdir: 'dist', targets: {} }, // jsii-diff loads a directory with a jsii section
  };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function check(updated) {
  const jsiiDiff = path.join(ROOT, 'node_modules', '.bin', 'jsii-diff');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'api-baseline-'));
  let run;
  try {
    run = spawnSync(jsiiDiff, [layOut(path.join(work, 'baseline')), updated, '--error-on', 'all', '--keys'], {
      encoding: 'utf8',
      env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  if (run.status !== 0 && run.status !== 1) {
    console.error(`api-check: jsii-diff could not compare the assemblies (exit ${run.status})`);
    process.exit(run.status ?? 1);
  }
  if (run.status !== 0) {
    console.error(
      'api-check: the API breaks compatibility with api/baseline.jsii (above). Keep the old API working, or, ' +
        'for a deliberate break, regenerate the baseline (`npm run api:baseline`) and say so in CHANGELOG.md.',
    );
    process.exit(run.status ?? 1);
  }
  console.log('api-check: no breaking change against api/baseline.jsii');
}

const [command, arg] = process.argv.slice(2);
if (command === 'write') write();
else if (command === 'check') check(path.resolve(arg ?? ROOT));
else if (command === 'dir' && arg) layOut(path.resolve(arg));
else {
  console.error('usage: api-baseline.mjs write | check [dir] | dir <out>');
  process.exit(1);
}
