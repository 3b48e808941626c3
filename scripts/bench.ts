/**
 * `npm run bench`: scale and cost of this library against the native CDK pattern
 * (`iam.User` with `password` from a `Secret` with `generateSecretString`). It reports
 * measurements and how they were taken; it judges none of them.
 *
 * Builds the handler bundle and compiles the library first (so it never measures a stale one),
 * then measures:
 * - the synth phase: in one warmed-up process, stacks of 1, 10, 50 and 150 users with both
 *   patterns, alternating which goes first, CPU and wall time side by side;
 * - the whole process: `node` running an app file as a new user writes it (150 users, then
 *   `app.synth()`), one fresh process per sample, the two patterns alternating;
 * - the bundle, its load time, the deploy path (scripts/bench-deploy.ts: AWS calls per event and
 *   the handler's wall time per Create and Delete, this tree's build against the build of a git
 *   ref side by side), and the password generator.
 * Prints the report and writes BENCHMARKS.md.
 *
 * It also measures the template bytes per stack with the handlers as file assets and inline
 * (scripts/bench-template-size.ts); `npm run bench -- --template-size` measures only that and
 * rewrites only its section of BENCHMARKS.md.
 *
 * `npm run bench -- --base <ref>` builds the "before" handler from `<ref>` (default: see
 * `defaultBase` in scripts/bench-deploy.ts), and `--base-name <words>` says what that build is
 * (the report names it so, never by its commit). BENCH_RUNS (default 7) sets the timed runs per
 * size and pattern; BENCH_PROCESS_RUNS (default 7) the processes per pattern; BENCH_DEPLOY_RUNS
 * (default 15) the cold samples per build and event; BENCH_OUT the output file.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { median } from './bench-calls';
import { DeployBench, benchDeploy, deployReport } from './bench-deploy';
import { benchTemplateSize, templateSizeReport, updateTemplateSizeSection } from './bench-template-size';

const ROOT = path.resolve(__dirname, '..');
const SIZES = [1, 10, 50, 150];
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const OUT = process.env.BENCH_OUT ?? path.join(ROOT, 'BENCHMARKS.md');
const ENV = { account: '123456789012', region: 'us-east-1' };
const BUNDLE = path.join(ROOT, 'assets', 'login-profile-handler', 'index.js');
/** The compiled library (`npm run compile`): what a consumer of the package runs. */
const LIBRARY = path.join(ROOT, 'build');
const PROCESS_RUNS = Number(process.env.BENCH_PROCESS_RUNS ?? 7);
const PROCESS_USERS = 150;
const DEFAULT_LENGTH = 24;
/** The context `cdk synth` gives an app by default (path, asset and version metadata). */
const CLI_CONTEXT = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:version-reporting': true,
};

type Pattern = 'library' | 'native';

interface SynthMeasure {
  /** Process CPU time (user + system): less disturbed than wall time by other load on the machine. */
  readonly cpuMs: number;
  readonly ms: number;
  readonly templateBytes: number;
  readonly resources: number;
  readonly handlerPolicyChars: number;
  readonly functions: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** One full synthesis (construct tree + `app.synth()` to a fresh directory), timed. */
function synthesize(pattern: Pattern, users: number): SynthMeasure {
  // Loaded here so that the library's modules are in the require cache before the first timing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ConsoleUser } = require(LIBRARY) as typeof import('../lib');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const limits = require('../test/scale/deployed-template') as typeof import('../test/scale/deployed-template');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${pattern}-`));
  try {
    gc();
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const app = new App({ outdir, context: CLI_CONTEXT });
    const stack = new Stack(app, 'Bench', { env: ENV });
    for (let i = 0; i < users; i++) {
      const userName = `console-user-${i}`;
      if (pattern === 'library') {
        new ConsoleUser(stack, `User${i}`, { userName });
      } else {
        const secret = new secretsmanager.Secret(stack, `Secret${i}`, {
          generateSecretString: {
            secretStringTemplate: JSON.stringify({ username: userName }),
            generateStringKey: 'password',
          },
        });
        new iam.User(stack, `User${i}`, {
          userName,
          password: secret.secretValueFromJson('password'),
          passwordResetRequired: true,
          // What ConsoleUser grants by default, so that both users can reset their password.
          managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('IAMUserChangePassword')],
        });
      }
    }
    const artifact = app.synth().getStackByName(stack.stackName);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;

    const template = artifact.template as { Resources: Record<string, { Type: string }> };
    const measure = limits.measureTemplate(template, { ...limits.REALISTIC_ENVIRONMENT, stackName: 'Bench' });
    const handlerRole = Object.values(measure.roles).find((r) => r.roleId.includes('LoginProfileProviderHandler'));
    const handlerPolicyChars =
      (handlerRole?.inlinePolicyCharacters ?? 0) +
      Object.values(measure.managedPolicyCharacters).reduce((sum, chars) => sum + chars, 0);
    return {
      cpuMs,
      ms,
      templateBytes: fs.statSync(artifact.templateFullPath).size,
      resources: Object.keys(template.Resources).length,
      handlerPolicyChars,
      functions: Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').length,
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

interface Row {
  readonly users: number;
  readonly library: SynthMeasure;
  readonly native: SynthMeasure;
}

/**
 * Synthesizes every size with both patterns. `builtInValidation` false sets CDK_VALIDATION=false,
 * which turns off aws-cdk-lib's built-in CloudFormation validation of each written template.
 */
function benchSynth(builtInValidation: boolean): Row[] {
  if (builtInValidation) delete process.env.CDK_VALIDATION;
  else process.env.CDK_VALIDATION = 'false';
  // Warm-up: load every module and let the JIT settle; not timed.
  for (const pattern of ['library', 'native'] as const) for (let i = 0; i < 2; i++) synthesize(pattern, 50);
  const rows: Row[] = [];
  for (const users of SIZES) {
    const runs: Record<Pattern, SynthMeasure[]> = { library: [], native: [] };
    for (let run = 0; run < RUNS; run++) {
      // Alternate which pattern goes first, so neither always runs on a warmer or cooler process.
      const order: Pattern[] = run % 2 === 0 ? ['library', 'native'] : ['native', 'library'];
      for (const pattern of order) runs[pattern].push(synthesize(pattern, users));
    }
    const summary = (list: SynthMeasure[]): SynthMeasure => ({
      ...list[0],
      ms: median(list.map((m) => m.ms)),
      cpuMs: median(list.map((m) => m.cpuMs)),
    });
    rows.push({ users, library: summary(runs.library), native: summary(runs.native) });
    process.stderr.write(
      `synthesized ${users} users x ${RUNS} runs x 2 patterns${builtInValidation ? '' : ' (CDK_VALIDATION=false)'}\n`,
    );
  }
  return rows;
}

/** Median time to load the bundled handler in a fresh Node.js process (with the SDK clients it requires). */
function bundleLoadMs(): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(BUNDLE)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    times.push(Number(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }).trim()));
  }
  return median(times);
}

/** The AWS calls (commands in order) per event of this tree's handler, as the deploy bench counted them. */
interface CallCounts {
  readonly create: string[];
  readonly resetFlagUpdate: string[];
  readonly resetTokenUpdate: string[];
  readonly delete: string[];
}

function callCounts(deploy: DeployBench): CallCounts {
  const { calls } = deploy.after;
  return {
    create: calls.create.commands,
    resetFlagUpdate: calls.resetFlagUpdate.commands,
    resetTokenUpdate: calls.resetTokenUpdate.commands,
    delete: calls.delete.commands,
  };
}

function generator(): { perSecond: number; entropy: number } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const password = require('../lambda/password/generator') as typeof import('../lambda/password/generator');
  for (let i = 0; i < 1000; i++) password.generatePassword(DEFAULT_LENGTH);
  let count = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 1000) {
    for (let i = 0; i < 1000; i++) password.generatePassword(DEFAULT_LENGTH);
    count += 1000;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return { perSecond: (count / elapsed) * 1000, entropy: password.entropyBits(DEFAULT_LENGTH) };
}

/** One sample of a whole `node` process synthesizing the app. */
interface ProcessMeasure {
  readonly ms: number;
  /** CPU time of the process (user + system, all its threads); undefined where /proc is missing. */
  readonly cpuMs: number | undefined;
}

/** The app a new user writes, for each pattern: `PROCESS_USERS` users, then `app.synth()`. */
const APPS: Record<Pattern, string> = {
  library: `const { App, Stack } = require('aws-cdk-lib');
const { ConsoleUser } = require('cdk-console-users');

const app = new App();
const stack = new Stack(app, 'Bench', { env: { account: '${ENV.account}', region: '${ENV.region}' } });
for (let i = 0; i < ${PROCESS_USERS}; i++) {
  new ConsoleUser(stack, \`User\${i}\`, { userName: \`console-user-\${i}\` });
}
app.synth();
`,
  native: `const { App, Stack } = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
const secretsmanager = require('aws-cdk-lib/aws-secretsmanager');

const app = new App();
const stack = new Stack(app, 'Bench', { env: { account: '${ENV.account}', region: '${ENV.region}' } });
for (let i = 0; i < ${PROCESS_USERS}; i++) {
  const userName = \`console-user-\${i}\`;
  const secret = new secretsmanager.Secret(stack, \`Secret\${i}\`, {
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ username: userName }),
      generateStringKey: 'password',
    },
  });
  new iam.User(stack, \`User\${i}\`, {
    userName,
    password: secret.secretValueFromJson('password'),
    passwordResetRequired: true,
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('IAMUserChangePassword')],
  });
}
app.synth();
`,
};

/** Clock ticks per second, the unit of the CPU times in /proc. */
function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/**
 * CPU time (ms) of the children of this process that have exited and been waited for, from
 * /proc/self/stat (cutime + cstime, fields 16 and 17); undefined where there is no /proc.
 */
function childrenCpuMs(ticksPerSecond: number): number | undefined {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // The fields after the command name (in parentheses, which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) / ticksPerSecond) * 1000;
  } catch {
    return undefined;
  }
}

/**
 * A whole `node` process synthesizing each pattern's app, as `cdk synth` runs an app (the cloud
 * assembly directory and the CLI's context in CDK_OUTDIR and CDK_CONTEXT_JSON), the patterns
 * alternating: `PROCESS_RUNS` processes per pattern. The app files sit in a temporary directory
 * whose node_modules holds aws-cdk-lib and constructs of this tree, and `cdk-console-users` as
 * this tree (its compiled library).
 */
function benchProcess(): Record<Pattern, ProcessMeasure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-process-'));
  const ticks = clockTicks();
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    for (const name of ['aws-cdk-lib', 'constructs']) {
      fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(dir, 'node_modules', name), 'dir');
    }
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'cdk-console-users'), 'dir');
    for (const pattern of ['library', 'native'] as const)
      fs.writeFileSync(path.join(dir, `${pattern}.js`), APPS[pattern]);
    const run = (pattern: Pattern): ProcessMeasure => {
      const outdir = fs.mkdtempSync(path.join(dir, 'cdk.out-'));
      try {
        const cpuBefore = childrenCpuMs(ticks);
        const start = process.hrtime.bigint();
        execFileSync(process.execPath, [`${pattern}.js`], {
          cwd: dir,
          stdio: ['ignore', 'ignore', 'inherit'],
          env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(CLI_CONTEXT) },
        });
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const cpuAfter = childrenCpuMs(ticks);
        // The app synthesized what it declares: one IAM user per user.
        const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Bench.template.json'), 'utf8')) as {
          Resources: Record<string, { Type: string }>;
        };
        const users = Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::User').length;
        if (users !== PROCESS_USERS)
          throw new Error(`the ${pattern} app synthesized ${users} users, not ${PROCESS_USERS}`);
        return { ms, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    };
    // One process of each first, not counted: the files they read are then in the OS cache for all.
    run('library');
    run('native');
    const runs: Record<Pattern, ProcessMeasure[]> = { library: [], native: [] };
    for (let i = 0; i < PROCESS_RUNS; i++) {
      const order: Pattern[] = i % 2 === 0 ? ['library', 'native'] : ['native', 'library'];
      for (const pattern of order) runs[pattern].push(run(pattern));
    }
    process.stderr.write(`whole process: ${PROCESS_USERS} users x ${PROCESS_RUNS} processes x 2 patterns\n`);
    return runs;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function fixed(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The value of `--<name> <value>` (or `--<name>=<value>`) on the command line, if given. */
function option(argv: string[], name: string): string | undefined {
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  const value = argv[at].startsWith(`--${name}=`) ? argv[at].slice(`--${name}=`.length) : argv[at + 1];
  if (!value) throw new Error(`--${name} needs a value`);
  return value;
}

function ratioCell(library: number, native: number): string {
  return `${(library / native).toFixed(2)}x`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sizeOnly = argv.includes('--template-size');
  // Build what is measured: the bundles from the current lambda/ sources, and build/ from the
  // current lib/ (the compiled library, what a consumer of the package runs).
  for (const script of sizeOnly ? ['bundle'] : ['bundle', 'compile']) {
    execFileSync('npm', ['run', '--silent', script], { cwd: ROOT, stdio: ['ignore', process.stderr, 'inherit'] });
  }
  const machine = `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node.js ${process.version}, ${os.platform()} ${os.arch()}, load average ${os.loadavg()[0].toFixed(2)} at start`;
  const date = new Date().toISOString();
  if (sizeOnly) {
    const section = await updateTemplateSizeSection(
      OUT,
      `Measured by \`npm run bench -- --template-size\` (also part of \`npm run bench\`), ${date}`,
    );
    process.stdout.write(`${section}\nwritten to ${path.relative(ROOT, OUT)}\n`);
    return;
  }

  const templateSize = benchTemplateSize();
  const rows = benchSynth(true);
  const rowsWithoutValidation = benchSynth(false);
  delete process.env.CDK_VALIDATION;
  const processes = benchProcess();
  const bundleBytes = fs.statSync(BUNDLE).size;
  const loadMs = bundleLoadMs();
  const deploy = await benchDeploy(option(argv, 'base'), option(argv, 'base-name'));
  const calls = callCounts(deploy);
  const gen = generator();

  const table = [
    '| users | synth CPU ms, library | native | ratio | synth wall ms, library | native | ratio | template bytes/user, library | native | resources/user, library | native | handler-policy chars/user | Lambda functions/stack, library | native |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) =>
      [
        r.users,
        fixed(r.library.cpuMs),
        fixed(r.native.cpuMs),
        ratioCell(r.library.cpuMs, r.native.cpuMs),
        fixed(r.library.ms),
        fixed(r.native.ms),
        ratioCell(r.library.ms, r.native.ms),
        fixed(r.library.templateBytes / r.users),
        fixed(r.native.templateBytes / r.users),
        (r.library.resources / r.users).toFixed(2),
        (r.native.resources / r.users).toFixed(2),
        fixed(r.library.handlerPolicyChars / r.users),
        r.library.functions,
        r.native.functions,
      ].join(' | '),
    ),
  ].map((line) => (line.startsWith('|') ? line : `| ${line} |`));

  const tableWithoutValidation = [
    '| users | synth CPU ms, library | native | ratio | synth wall ms, library | native | ratio |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rowsWithoutValidation.map(
      (r) =>
        `| ${[
          r.users,
          fixed(r.library.cpuMs),
          fixed(r.native.cpuMs),
          ratioCell(r.library.cpuMs, r.native.cpuMs),
          fixed(r.library.ms),
          fixed(r.native.ms),
          ratioCell(r.library.ms, r.native.ms),
        ].join(' | ')} |`,
    ),
  ];

  const processMedian = (pattern: Pattern, pick: (m: ProcessMeasure) => number | undefined) => {
    const values = processes[pattern].map(pick);
    return values.every((v): v is number => v !== undefined) ? median(values) : undefined;
  };
  const processWall = {
    library: processMedian('library', (m) => m.ms)!,
    native: processMedian('native', (m) => m.ms)!,
  };
  const processCpu = {
    library: processMedian('library', (m) => m.cpuMs),
    native: processMedian('native', (m) => m.cpuMs),
  };
  const processCpuRatio =
    processCpu.library !== undefined && processCpu.native !== undefined
      ? ratioCell(processCpu.library, processCpu.native)
      : 'not measured (no /proc)';
  const processTable = [
    '| pattern | processes | wall ms, median | min | max | CPU ms, median |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...(['library', 'native'] as const).map((pattern) => {
      const walls = processes[pattern].map((m) => m.ms);
      const cpu = processCpu[pattern];
      return `| ${pattern} | ${walls.length} | ${fixed(median(walls))} | ${fixed(Math.min(...walls))} | ${fixed(Math.max(...walls))} | ${cpu === undefined ? 'n/a' : fixed(cpu)} |`;
    }),
  ];

  const at150 = rows.find((r) => r.users === PROCESS_USERS)!;
  const summary = [
    `- synth phase (in one warmed-up process): library ${ratioCell(at150.library.cpuMs, at150.native.cpuMs)} native in CPU time, ${ratioCell(at150.library.ms, at150.native.ms)} in wall time`,
    `- whole process (\`node\` running the app, from its start to its exit): library ${ratioCell(processWall.library, processWall.native)} native in wall time, ${processCpuRatio} in CPU time`,
  ];
  const other = [
    `- handler bundle: ${fixed(bundleBytes)} bytes (the "before" build's: ${fixed(deploy.before.bundleBytes)})`,
    `- handler module load (fresh process, including the @aws-sdk clients it requires): ${loadMs.toFixed(0)} ms (median of 7)`,
    `- AWS calls per Create: ${calls.create.length} (${calls.create.join(', ')})`,
    `- AWS calls per reset-flag Update: ${calls.resetFlagUpdate.length} (${calls.resetFlagUpdate.join(', ')})`,
    `- AWS calls per reset-token Update (new password): ${calls.resetTokenUpdate.length} (${calls.resetTokenUpdate.join(', ')})`,
    `- AWS calls per Delete: ${calls.delete.length} (${calls.delete.join(', ')})`,
    `- default password entropy (${DEFAULT_LENGTH} characters): ${gen.entropy.toFixed(1)} bits`,
    `- generator throughput: ${fixed(gen.perSecond)} passwords/s of ${DEFAULT_LENGTH} characters`,
  ];

  const report = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (scripts/bench.ts); do not edit by hand, run it again. Measurements and how they were taken; timings depend on the machine and its load, so the two patterns (and the two handler builds) are always measured side by side in one run, alternating, and compared as ratios.',
    '',
    `- command: \`npm run bench\` (BENCH_RUNS=${RUNS}, BENCH_PROCESS_RUNS=${PROCESS_RUNS}, BENCH_DEPLOY_RUNS=${deploy.runs}; \`npm run bench -- --base <ref> --base-name <words>\` to compare the handler with another build); it runs \`npm run bundle\` and \`npm run compile\` first and measures the compiled library (build/)`,
    `- machine: ${machine}`,
    `- date: ${date}`,
    '',
    `## At ${PROCESS_USERS} users, library against native`,
    '',
    ...summary,
    '',
    '## Synthesis: this library against the native pattern',
    '',
    `Native: \`iam.User\` with \`password\` from a \`Secret\` with \`generateSecretString\` (and the IAMUserChangePassword managed policy, as ConsoleUser grants by default). Library: \`ConsoleUser\`. Both with user names, account ${ENV.account}, ${ENV.region}. Synth time: construct tree + \`app.synth()\` (with the context \`cdk synth\` passes, and aws-cdk-lib's built-in template validation, as \`cdk synth\` runs it), median of ${RUNS} runs in one warmed-up process (two syntheses of each pattern at 50 users first, not timed), the two patterns alternating which goes first. CPU time is the process's (user + system, all threads), less disturbed than wall time by other load on the machine. Per-user columns divide the whole stack (fixed provider resources included) by the number of users. Handler-policy characters as IAM counts them, ARNs rendered as deployed.`,
    '',
    ...table,
    '',
    "### The same without aws-cdk-lib's built-in template validation (`CDK_VALIDATION=false`)",
    '',
    ...tableWithoutValidation,
    '',
    '## Whole process: `node` synthesizing the app',
    '',
    `What a new user's \`cdk synth\` runs: \`node\` with an app file that declares ${PROCESS_USERS} users (\`ConsoleUser\`, or the native pattern above) in one stack and calls \`app.synth()\`, with the cloud assembly directory and the CLI's context given as \`cdk synth\` gives them (CDK_OUTDIR, CDK_CONTEXT_JSON). Timed from the start of the process to its exit, so it includes Node.js's start, loading aws-cdk-lib (and the compiled library), building the tree, the synthesis and aws-cdk-lib's built-in template validation, whose engine starts once per process whatever the template. ${PROCESS_RUNS} fresh processes per pattern, alternating (after one of each, not counted); CPU time of each process from /proc (user + system of all its threads). The CLI's own start and its reading of the assembly are left out: they are the same for both patterns.`,
    '',
    ...processTable,
    '',
    ...deployReport(deploy),
    '## Handler and generator',
    '',
    ...other,
    '',
    ...templateSizeReport(
      templateSize,
      `Measured by \`npm run bench\` (alone: \`npm run bench -- --template-size\`), ${date}`,
    ),
  ].join('\n');

  // Formatted as the repository's Prettier config wants it, so that `npm run lint` accepts it.
  const prettier = await import('prettier');
  const formatted = await prettier.format(report, { ...(await prettier.resolveConfig(OUT)), filepath: OUT });
  fs.writeFileSync(OUT, formatted);
  process.stdout.write(`${formatted}\nwritten to ${path.relative(ROOT, OUT)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
