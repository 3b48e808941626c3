/**
 * A throwaway CDK app in a temporary folder outside the repo, that installs this package the way a
 * consumer does (from the packed tarball, from git) next to the lock-pinned aws-cdk-lib and
 * constructs, type-checks its code against the installed declarations and synthesizes. Shared by
 * pack.test.ts and git-install.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const ROOT = path.resolve(__dirname, '..', '..');
export const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The repo's package.json as committed to, also while `npm pack` (pack.test.ts, which may run
 * beside the other tests) has the slim one in its place.
 */
export const originalManifest = (): string =>
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'pack-manifest.mjs'), 'original'], { encoding: 'utf8' });

const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
export const lockedVersion = (name: string): string => lock.packages[`node_modules/${name}`].version;

// A child environment without anything that would let the throwaway app see the repo. Under
// `npm test`, npm exports its settings, among them npm_config_local_prefix=<repo>, which would make
// an `npm install` in the temporary folder install into the repo: only the cache, certificate and
// config-file locations are kept.
const KEPT_NPM_SETTINGS = ['npm_config_cache', 'npm_config_cafile', 'npm_config_userconfig', 'npm_config_globalconfig'];
export const childEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const lower = k.toLowerCase();
    if (lower.startsWith('npm_') && !KEPT_NPM_SETTINGS.includes(lower)) continue;
    if (k === 'NODE_PATH' || k.startsWith('CDK_') || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false' };
};

export const CONSUMER_APP = `
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsoleUser, ConsoleUserProps, LoginProfile } from 'cdk-console-users';

const app = new App();
const stack = new Stack(app, 'ConsumerStack', { env: { account: '123456789012', region: 'eu-west-1' } });
const reports = new s3.Bucket(stack, 'Reports', { enforceSSL: true });
const jobs = new sqs.Queue(stack, 'Jobs');
const props: ConsoleUserProps = { userName: 'analyst', passwordLength: 30 };
const analyst = new ConsoleUser(stack, 'Analyst', props);
reports.grantRead(analyst);
jobs.grantSendMessages(analyst);
new CfnOutput(stack, 'AnalystPasswordSecret', { value: analyst.secret.secretArn });
const vendor = new LoginProfile(stack, 'VendorLoginProfile', { user: iam.User.fromUserName(stack, 'Vendor', 'vendor') });
new CfnOutput(stack, 'VendorPasswordSecret', { value: vendor.secret.secretArn });
app.synth();
console.log(JSON.stringify({ resolvedFrom: require.resolve('cdk-console-users') }));
`;

/**
 * Creates `dir` with a package.json depending on `spec` (a tarball path as `file:…`, a `git+file:…`
 * URL) and on the lock-pinned peers (or `options.peers`), with `options.allowScripts` as its npm
 * install-script approvals, runs `npm install` there with `options.flags` (the npm cache first, the
 * registry only for what it lacks) and writes CONSUMER_APP as app.ts. Throws with npm's output if
 * the install fails; returns that output (warnings included) otherwise.
 */
export function installConsumer(
  dir: string,
  spec: string,
  options: { peers?: Record<string, string>; allowScripts?: Record<string, boolean>; flags?: string[] } = {},
): { ms: number; output: string } {
  fs.mkdirSync(dir, { recursive: true });
  const dependencies = {
    'aws-cdk-lib': lockedVersion('aws-cdk-lib'),
    'constructs': lockedVersion('constructs'),
    ...options.peers,
    'cdk-console-users': spec,
  };
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'throwaway-consumer', private: true, dependencies, allowScripts: options.allowScripts }),
  );
  const started = process.hrtime.bigint();
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn', ...(options.flags ?? [])];
  const run = spawnSync(NPM, ['install', ...flags], { cwd: dir, env: childEnv(), encoding: 'utf8' });
  const output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) throw new Error(`npm install ${spec} failed (${run.status}):\n${output}`);
  fs.writeFileSync(path.join(dir, 'app.ts'), CONSUMER_APP);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, output };
}

/** Type-checks the app's code (strict) against the installed declarations and compiles it to app.js. */
export function typeCheck(dir: string): { status: number | null; output: string } {
  const tsc = spawnSync(
    path.join(ROOT, 'node_modules', '.bin', 'tsc'),
    [
      '--strict',
      '--skipLibCheck',
      '--target',
      'ES2022',
      '--module',
      'commonjs',
      '--typeRoots',
      path.join(ROOT, 'node_modules', '@types'),
      '--types',
      'node',
      'app.ts',
    ],
    { cwd: dir, env: childEnv(), encoding: 'utf8' },
  );
  return { status: tsc.status, output: `${tsc.stdout}${tsc.stderr}` };
}

/** Runs app.js (`node app.js`, as `cdk synth` would) into `outdir`; throws with its stderr if it fails. */
export function synth(
  dir: string,
  outdir: string,
  extraEnv: NodeJS.ProcessEnv = {},
): { ms: number; resolvedFrom: string; template: Json } {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['app.js'], {
    cwd: dir,
    env: { ...childEnv(), CDK_OUTDIR: path.join(dir, outdir), ...extraEnv },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`synth failed (${run.status}):\n${run.stderr}`);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const resolvedFrom = JSON.parse(run.stdout.trim().split('\n').pop()!).resolvedFrom;
  const template = JSON.parse(fs.readFileSync(path.join(dir, outdir, 'ConsumerStack.template.json'), 'utf8'));
  return { ms, resolvedFrom, template };
}
