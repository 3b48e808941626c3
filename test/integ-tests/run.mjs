// Runs the integ tests in this folder (integ.*.ts, written with @aws-cdk/integ-tests-alpha) with
// the project's aws-cdk CLI.
//
//   node test/integ-tests/run.mjs check    offline: synthesize and compare with the committed snapshot
//   node test/integ-tests/run.mjs update   offline: rewrite the snapshot
//   node test/integ-tests/run.mjs deploy   real account: deploy, read the assertion results, destroy;
//                                          then the sequences (sequences/run.ts): deploy the
//                                          sequences app step by step, record what the handlers
//                                          saw of CloudFormation, compare it with the driver's model
//                                          (--no-clean keeps the stacks; --no-sequences skips them)
//
// Why not integ-runner: @aws-cdk/integ-runner 2.197.10 (the newest release) bundles cloud-assembly
// schema 53 and refuses the schema-55 assemblies of aws-cdk-lib 2.276 ("AssemblyVersionMismatch").
// The snapshot holds only the templates, with asset hashes masked: handler changes are covered by
// the unit and moto suites; this snapshot makes every template change visible and deliberate.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const ASSET_HASH = '<asset-hash>';

const [mode = 'check', ...flags] = process.argv.slice(2);
const tests = fs
  .readdirSync(here)
  .filter((f) => /^integ\..+\.ts$/.test(f))
  .sort();
if (tests.length === 0) fail(`no integ.*.ts files in ${here}`);

const appOf = (test) => `npx ts-node --prefer-ts-exts --transpile-only ${path.relative(root, path.join(here, test))}`;
const snapshotDirOf = (test) => path.join(here, `${test}.snapshot`);

function cdkRun(args, options = {}) {
  return execFileSync(cdk, [...args, '--no-notices'], {
    cwd: root,
    stdio: options.stdio ?? ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', ...options.env },
  });
}

/** Synthesizes one test app into a temporary folder; returns its templates with asset hashes masked. */
function synth(test) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-synth-'));
  try {
    // No version reporting: its CDKMetadata resource changes with every construct library version.
    // aws-cdk-lib's built-in CloudFormation validation (CDK_VALIDATION) only reports; it does not
    // change templates, and it is most of the synth time.
    cdkRun(['synth', '--app', appOf(test), '--output', out, '--quiet', '--no-version-reporting'], {
      env: { CDK_VALIDATION: 'false' },
    });
    const hashes = new Set();
    for (const f of fs.readdirSync(out).filter((n) => n.endsWith('.assets.json'))) {
      const manifest = JSON.parse(fs.readFileSync(path.join(out, f), 'utf8'));
      for (const kind of ['files', 'dockerImages']) for (const h of Object.keys(manifest[kind] ?? {})) hashes.add(h);
    }
    const templates = {};
    for (const f of fs
      .readdirSync(out)
      .filter((n) => n.endsWith('.template.json'))
      .sort()) {
      let text = fs.readFileSync(path.join(out, f), 'utf8');
      for (const h of hashes) text = text.split(h).join(ASSET_HASH);
      templates[f] = maskSalts(JSON.parse(text));
    }
    return templates;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** integ-tests-alpha puts `salt: Date.now()` on each assertion so that it runs on every deployment. */
function maskSalts(template) {
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.Type?.startsWith('Custom::DeployAssert') && resource.Properties?.salt !== undefined) {
      resource.Properties.salt = '<salt>';
    }
  }
  return template;
}

function readSnapshot(test) {
  const dir = snapshotDirOf(test);
  if (!fs.existsSync(dir)) return undefined;
  const templates = {};
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.template.json'))
    .sort()) {
    templates[f] = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  return templates;
}

function writeSnapshot(test, templates) {
  const dir = snapshotDirOf(test);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  for (const [f, t] of Object.entries(templates)) {
    fs.writeFileSync(path.join(dir, f), JSON.stringify(t, null, 1) + '\n');
  }
}

/** Paths (like `Resources.X.Properties.Y[0]`) at which two JSON values differ, with both values. */
function leafDifferences(a, b, at, out) {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  const bothObjects = a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) {
    out.push({ at, was: a, now: b });
    return out;
  }
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    leafDifferences(a[k], b[k], Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`, out);
  }
  return out;
}

const show = (v) => (v === undefined ? '(absent)' : JSON.stringify(v).slice(0, 300));

/** Human-readable differences between two sets of templates, one line per changed leaf. */
function differences(expected, actual) {
  const lines = [];
  for (const f of [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort()) {
    for (const d of leafDifferences(expected[f], actual[f], f, [])) {
      lines.push(`  ~ ${d.at}\n      was: ${show(d.was)}\n      now: ${show(d.now)}`);
    }
  }
  return lines;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

if (mode === 'check' || mode === 'update') {
  let failed = 0;
  for (const test of tests) {
    const actual = synth(test);
    if (mode === 'update') {
      writeSnapshot(test, actual);
      console.log(`UPDATED    ${test} (${Object.keys(actual).length} templates)`);
      continue;
    }
    const expected = readSnapshot(test);
    if (expected === undefined) {
      failed++;
      console.log(`NEW        ${test}: no snapshot; run 'npm run integ:update' and commit it`);
      continue;
    }
    const diff = differences(expected, actual);
    if (diff.length === 0) {
      console.log(`UNCHANGED  ${test}`);
    } else {
      failed++;
      console.log(`CHANGED    ${test}\n${diff.join('\n')}`);
    }
  }
  if (failed > 0) fail(`${failed} integ snapshot(s) differ; if the change is intended: npm run integ:update`);
} else if (mode === 'deploy') {
  const clean = !flags.includes('--no-clean');
  let failed = 0;
  for (const test of tests) {
    const outputs = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'integ-out-')), 'outputs.json');
    const common = ['--app', appOf(test), '--all'];
    try {
      console.log(`DEPLOYING  ${test}`);
      cdkRun(['deploy', ...common, '--require-approval', 'never', '--outputs-file', outputs], { stdio: 'inherit' });
      // Each integ-tests-alpha assertion is a stack output AssertionResults... = {"status": ...}.
      const results = Object.values(JSON.parse(fs.readFileSync(outputs, 'utf8'))).flatMap((o) =>
        Object.entries(o).filter(([k]) => k.startsWith('AssertionResults')),
      );
      if (results.length === 0) throw new Error('no assertion results in the stack outputs');
      for (const [k, v] of results) {
        const status = JSON.parse(v).status;
        console.log(`  ${status === 'success' ? 'ok  ' : 'FAIL'} ${k}${status === 'success' ? '' : `: ${v}`}`);
        if (status !== 'success') failed++;
      }
    } catch (e) {
      failed++;
      console.error(`ERROR      ${test}: ${e.message}`);
    } finally {
      if (clean) cdkRun(['destroy', ...common, '--force'], { stdio: 'inherit' });
    }
  }
  if (!flags.includes('--no-sequences')) {
    // The sequences app (sequences/app.ts) is not an integ.*.ts test: it has no snapshot, its
    // stacks change from step to step, and its runner records CloudFormation's answers.
    console.log('SEQUENCES  test/integ-tests/sequences/run.ts');
    try {
      execFileSync(
        'npx',
        ['ts-node', '--prefer-ts-exts', '--transpile-only', path.join(here, 'sequences', 'run.ts'), ...flags],
        { cwd: root, stdio: 'inherit', env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' } },
      );
    } catch {
      failed++;
      console.error('ERROR      the sequences failed (see the lines above)');
    }
  }
  if (failed > 0) fail(`${failed} integ assertion(s), deployment(s) or sequence run(s) failed`);
  console.log('all integ assertions and sequences passed');
} else {
  fail(`unknown mode '${mode}': use check, update or deploy`);
}
