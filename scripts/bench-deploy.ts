/**
 * The deploy path of `npm run bench`: two builds of the login-profile handler side by side in one
 * run, "after" (this working tree) and "before" (a git ref, built from `git archive` with the
 * project's own scripts/bundle.mjs), each driven through the same events against the tests'
 * in-memory fake AWS with a network latency per call (test/tooling/latency.ts).
 *
 * - Calls per event type: one life cycle per build, counted from the fake's call log.
 * - Wall time per Create and per Delete: a fresh Node.js process per cold sample (the handler's
 *   module load, with the @aws-sdk clients it requires, included), warm samples in the same process.
 * - The answer: CloudFormation has it when the handler returned it to aws-cdk-lib's provider
 *   framework (which then PUTs it), or when the handler PUT it to the event's ResponseURL itself
 *   (served here over HTTPS on loopback). Each invocation shows which one a build does.
 * - The framework's hop, for builds that return their answer: aws-cdk-lib's own framework code
 *   (runtime/framework.js `onEvent`) is run and timed in a process of its own, cold and warm, with
 *   the Lambda Invoke of the handler replaced by an immediate answer; what cannot run here (the
 *   Lambda Invoke round trip and the start of the framework's own container) is added as constants.
 */
import { execFileSync, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventCalls, countCalls, median, percentile } from './bench-calls';
import type {
  Answer,
  AnswerShape,
  FromChild,
  Job,
  SequenceEvent,
  SequenceResult,
  Timing,
  TimingResult,
  ToChild,
  WorldSnapshot,
} from './bench-deploy-child';

const ROOT = path.resolve(__dirname, '..');
const HANDLER = path.join('assets', 'login-profile-handler', 'index.js');
/** The provider framework's function code, as aws-cdk-lib deploys it (`Code.fromAsset` of this directory). */
export const FRAMEWORK = path.join(
  ROOT,
  'node_modules',
  'aws-cdk-lib',
  'custom-resources',
  'lib',
  'provider-framework',
  'runtime',
  'framework.js',
);
export const SUPPORT_DIR = path.join('node_modules', '.cache', 'cdk-console-users-bench');

/** Milliseconds per call: IAM is a global service answered from us-east-1, Secrets Manager regional. */
export const LATENCY = {
  iam: Number(process.env.BENCH_IAM_MS ?? 100),
  secretsmanager: Number(process.env.BENCH_SM_MS ?? 50),
  cloudformation: Number(process.env.BENCH_CFN_MS ?? process.env.BENCH_IAM_MS ?? 100),
};
/**
 * What the framework's hop costs that cannot run on this machine (see BENCHMARKS.md):
 * - `initMs`: the start of the framework function's own Lambda container before its code loads
 *   (a Node.js "hello world" function reports an Init Duration of 100-150 ms; the sandbox before
 *   it is not reported); paid on a cold start of the framework function only.
 * - `invokeMs`: the framework's synchronous Lambda Invoke of the handler, request to answer,
 *   less the handler's own time (measured here): paid on every event.
 */
export const HOP = {
  initMs: Number(process.env.BENCH_HOP_INIT_MS ?? 150),
  invokeMs: Number(process.env.BENCH_HOP_INVOKE_MS ?? 25),
};
/** Cold samples per build and event (one process each); each Create process then runs WARM warm Creates and Deletes. */
const RUNS = Number(process.env.BENCH_DEPLOY_RUNS ?? 15);
const WARM = 2;

export type BuildLabel = 'before' | 'after';

export interface Build {
  readonly label: BuildLabel;
  /** What it was built from: a commit, or the working tree. */
  readonly source: string;
  readonly root: string;
  readonly bundle: string;
  readonly support: { readonly child: string; readonly fake: string };
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * The "before" build when `--base` is not given: HEAD's first parent when HEAD is a merge commit,
 * else the common ancestor of HEAD and `main` when HEAD is on another branch, else HEAD's parent.
 */
export function defaultBase(): { ref: string; why: string } {
  const [head, ...parents] = git('rev-list', '--parents', '-n', '1', 'HEAD').split(' ');
  if (parents.length > 1) return { ref: parents[0], why: 'first parent of the merge commit HEAD' };
  try {
    const base = git('merge-base', 'HEAD', 'main');
    if (base !== head) return { ref: base, why: 'merge-base of HEAD and main' };
  } catch {
    // No main branch here: fall back to the parent.
  }
  if (parents.length === 0) throw new Error('HEAD has no parent: give the "before" build with --base <ref>');
  return { ref: parents[0], why: 'parent of HEAD' };
}

/** Bundles the bench's child process and the fake AWS it loads (with @aws-sdk/* external) into `dir`. */
export async function buildSupport(dir: string): Promise<Build['support']> {
  const { build } = await import('esbuild');
  fs.mkdirSync(dir, { recursive: true });
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' } as const;
  const child = path.join(dir, 'child.js');
  const fake = path.join(dir, 'fake.js');
  await build({ ...common, entryPoints: [path.join(ROOT, 'scripts', 'bench-deploy-child.ts')], outfile: child });
  await build({
    ...common,
    stdin: {
      contents: [
        "export { FakeAws, installFakeInSdk } from './test/tooling/fake-aws';",
        "export { withLatency } from './test/tooling/latency';",
        "export { lambdaContext, loginProfileProperties, createEventOf, updateEventOf, deleteEventOf } from './test/tooling/lambda-fixtures';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    outfile: fake,
    external: ['@aws-sdk/*'],
  });
  return { child, fake };
}

/**
 * Builds the handler of `ref` in a temporary directory: its files from `git archive`, this tree's
 * node_modules when the lock file is the same (else `npm ci` from its own lock file), and its own
 * scripts/bundle.mjs. The bench's child and fake sit in its node_modules, so that they and its
 * handler load the same @aws-sdk modules.
 */
async function buildBase(ref: string, support: Build['support'], temp: string): Promise<Build> {
  const commit = git('rev-parse', '--short', `${ref}^{commit}`);
  const root = path.join(temp, `before-${commit}`);
  fs.mkdirSync(root);
  const archive = execFileSync('git', ['archive', '--format=tar', commit], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', root], { input: archive });
  const sameLock =
    fs.existsSync(path.join(root, 'package-lock.json')) &&
    fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8') ===
      fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8');
  if (sameLock) {
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  } else {
    process.stderr.write(`the lock file of ${commit} differs: npm ci for the "before" build\n`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: root,
      stdio: ['ignore', process.stderr, 'inherit'],
    });
    // The bench's fake (bundled from this tree, `@aws-sdk/*` external) may load an SDK client the
    // older build does not install (the CloudFormation client, for a build whose handler never calls
    // it): lend it this tree's copy.
    for (const name of fs.readdirSync(path.join(ROOT, 'node_modules', '@aws-sdk'))) {
      const target = path.join(root, 'node_modules', '@aws-sdk', name);
      if (!fs.existsSync(target)) fs.symlinkSync(path.join(ROOT, 'node_modules', '@aws-sdk', name), target, 'dir');
    }
  }
  execFileSync(process.execPath, [path.join('scripts', 'bundle.mjs')], {
    cwd: root,
    stdio: ['ignore', process.stderr, 'inherit'],
  });
  let own = support;
  if (!sameLock) {
    const dir = path.join(root, SUPPORT_DIR);
    fs.mkdirSync(dir, { recursive: true });
    own = { child: path.join(dir, 'child.js'), fake: path.join(dir, 'fake.js') };
    fs.copyFileSync(support.child, own.child);
    fs.copyFileSync(support.fake, own.fake);
  }
  return { label: 'before', source: commit, root, bundle: path.join(root, HANDLER), support: own };
}

/** A loopback HTTPS server standing in for the presigned S3 URL CloudFormation gives as ResponseURL. */
export interface AnswerServer {
  readonly base: string;
  /** The CA file a child must trust (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  readonly answers: Map<string, Answer>;
  close(): Promise<void>;
}

/** Starts the answer server with a fresh self-signed certificate for 127.0.0.1 (made with openssl). */
export async function startAnswerServer(temp: string): Promise<AnswerServer> {
  const key = path.join(temp, 'key.pem');
  const cert = path.join(temp, 'cert.pem');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
      // The response bucket the child's ResponseURLs name (scripts/bench-deploy-child.ts).
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:cloudformation-custom-resource-response-useast1.s3.amazonaws.com',
    ], { stdio: ['ignore', 'ignore', 'pipe'] }); // prettier-ignore
  } catch (error) {
    throw new Error(`openssl could not make the answer server's certificate: ${(error as Error).message}`);
  }
  const answers = new Map<string, Answer>();
  const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const arrivedNs = process.hrtime.bigint().toString();
      const requestId = decodeURIComponent(new URL(req.url ?? '/', 'https://127.0.0.1').pathname.slice(1));
      let body: { Status?: string; Reason?: string; PhysicalResourceId?: string } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        // Not JSON: recorded as an answer without a status, which the child reports.
      }
      if (req.method === 'PUT') {
        answers.set(requestId, {
          arrivedNs,
          status: String(body.Status),
          reason: body.Reason,
          physicalResourceId: body.PhysicalResourceId,
        });
      }
      res.writeHead(req.method === 'PUT' ? 200 : 405).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    base: `https://127.0.0.1:${port}`,
    caFile: cert,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs `job` in a fresh Node.js process and returns its result. */
export function runChild<R>(
  build: Build,
  server: AnswerServer,
  job: Omit<Job, 'fakeModule' | 'responseUrlBase'>,
): Promise<R> {
  const child = fork(build.support.child, [], {
    cwd: build.root,
    execArgv: [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      PATH: process.env.PATH,
      NODE_EXTRA_CA_CERTS: server.caFile,
      // The fake answers below the SDK's signing step: dummy credentials and a region. A client the
      // fake does not answer reaches a closed loopback port, never AWS.
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, result?: R) => {
      if (settled) return;
      settled = true;
      child.kill();
      if (error) reject(error);
      else resolve(result as R);
    };
    child.on('message', (message: FromChild) => {
      if (message.type === 'answer?') {
        const reply: ToChild = {
          type: 'answer',
          requestId: message.requestId,
          answer: server.answers.get(message.requestId) ?? null,
        };
        child.send(reply);
      } else if (message.type === 'result') finish(undefined, message.result as R);
      else finish(new Error(`${build.label} build (${build.source}), ${job.mode}: ${message.message}`));
    });
    child.on('exit', (code) =>
      finish(new Error(`${build.label} build, ${job.mode}: the process exited (${code}) without a result`)),
    );
    const message: ToChild = {
      type: 'job',
      job: { ...job, fakeModule: build.support.fake, responseUrlBase: server.base },
    };
    child.send(message);
  });
}

/** Median and p90 of a list of milliseconds. */
export interface Stats {
  readonly median: number;
  readonly p90: number;
  readonly n: number;
}

function stats(values: number[]): Stats {
  return { median: median(values), p90: percentile(values, 90), n: values.length };
}

/** Everything measured of one build. */
export interface BuildResult {
  readonly label: BuildLabel;
  readonly source: string;
  readonly bundleBytes: number;
  readonly shape: AnswerShape;
  readonly calls: Record<SequenceEvent, EventCalls>;
  /** The handler alone: from the start of the invocation (cold: of the module load) to its answer. */
  readonly handler: Record<'createCold' | 'createWarm' | 'deleteCold' | 'deleteWarm', Stats>;
  readonly moduleLoad: Stats;
  /** Until CloudFormation has the answer: the handler, plus the framework's hop for a build that returns it. */
  readonly deployPath: Record<'createCold' | 'createWarm' | 'deleteCold' | 'deleteWarm', Stats>;
}

export interface DeployBench {
  /** The "before" build: its git ref (for the command line only) and what it is, in words. */
  readonly base: { readonly ref: string; readonly why: string; readonly name: string };
  readonly before: BuildResult;
  readonly after: BuildResult;
  /** The framework's hop as measured (undefined when no build returns its answer to the framework). */
  readonly hop?: {
    readonly loadMs: Stats;
    readonly coldRunMs: Stats;
    readonly warmRunMs: Stats;
    readonly cold: number[];
    readonly warm: number[];
  };
  readonly runs: number;
  readonly warmPerProcess: number;
}

function shapeOf(timings: Timing[], build: Build): AnswerShape {
  const shapes = new Set(timings.map((t) => t.shape));
  if (shapes.size !== 1) throw new Error(`${build.label} build: answered both by returning and by PUT`);
  return [...shapes][0];
}

/** Pairs sample i of `a` with sample i (cyclically) of `b` and adds them. */
function addSamples(a: number[], b: number[]): number[] {
  return a.map((value, i) => value + b[i % b.length]);
}

/**
 * Runs the deploy-path bench; `baseRef` undefined: `defaultBase()`. `baseName` says what the
 * "before" build is (`--base-name`); without it, `baseNameOf` names it by what was measured. The
 * "after" bundle must be built already.
 */
export async function benchDeploy(baseRef: string | undefined, baseName?: string): Promise<DeployBench> {
  const chosen = baseRef === undefined ? defaultBase() : { ref: baseRef, why: 'ref given with --base' };
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-bench-'));
  let server: AnswerServer | undefined;
  try {
    const support = await buildSupport(path.join(ROOT, SUPPORT_DIR));
    const before = await buildBase(chosen.ref, support, temp);
    const dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
    const after: Build = {
      label: 'after',
      source: `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`,
      root: ROOT,
      bundle: path.join(ROOT, HANDLER),
      support,
    };
    const builds = [before, after];
    server = await startAnswerServer(temp);
    const srv = server;

    const sequences = new Map<Build, SequenceResult>();
    for (const build of builds) {
      sequences.set(build, await runChild<SequenceResult>(build, srv, { mode: 'sequence', entry: build.bundle }));
    }
    process.stderr.write('deploy path: calls per event counted for both builds\n');

    const timings = new Map<Build, { create: TimingResult[]; delete: TimingResult[] }>(
      builds.map((b) => [b, { create: [], delete: [] }]),
    );
    for (let run = 0; run < RUNS; run++) {
      // Alternate which build goes first, so that neither always runs on a warmer or cooler machine.
      for (const build of run % 2 === 0 ? builds : [...builds].reverse()) {
        const t = timings.get(build)!;
        t.create.push(
          await runChild(build, srv, { mode: 'create', entry: build.bundle, latency: LATENCY, warm: WARM }),
        );
        const world: WorldSnapshot = sequences.get(build)!.afterCreate;
        t.delete.push(await runChild(build, srv, { mode: 'delete', entry: build.bundle, latency: LATENCY, world }));
      }
    }
    process.stderr.write(
      `deploy path: ${RUNS} cold Creates and Deletes per build, ${WARM} warm of each per Create process\n`,
    );

    const shapes = new Map(
      builds.map((b) => {
        const t = timings.get(b)!;
        const all = [...t.create.flatMap((r) => [r.cold, ...r.warm, ...r.warmDelete]), ...t.delete.map((r) => r.cold)];
        const sequenceShapes = Object.values(sequences.get(b)!.events).map((e) => ({ shape: e.shape }) as Timing);
        return [b, shapeOf([...all, ...sequenceShapes], b)];
      }),
    );

    let hop: DeployBench['hop'];
    if ([...shapes.values()].includes('returns')) {
      const hops: TimingResult[] = [];
      for (let run = 0; run < RUNS; run++) {
        hops.push(await runChild(after, srv, { mode: 'hop', entry: FRAMEWORK, warm: WARM }));
      }
      const cold = hops.map((h) => HOP.initMs + h.cold.loadMs + h.cold.runMs + HOP.invokeMs);
      const warm = hops.flatMap((h) => h.warm.map((w) => w.runMs + HOP.invokeMs));
      hop = {
        loadMs: stats(hops.map((h) => h.cold.loadMs)),
        coldRunMs: stats(hops.map((h) => h.cold.runMs)),
        warmRunMs: stats(hops.flatMap((h) => h.warm.map((w) => w.runMs))),
        cold,
        warm,
      };
      process.stderr.write(`deploy path: the provider framework's hop, ${RUNS} cold and ${RUNS * WARM} warm\n`);
    }

    const result = (build: Build): BuildResult => {
      const t = timings.get(build)!;
      const shape = shapes.get(build)!;
      const samples = {
        createCold: t.create.map((r) => r.cold.loadMs + r.cold.runMs),
        createWarm: t.create.flatMap((r) => r.warm.map((w) => w.runMs)),
        deleteCold: t.delete.map((r) => r.cold.loadMs + r.cold.runMs),
        deleteWarm: t.create.flatMap((r) => r.warmDelete.map((w) => w.runMs)),
      };
      const withHop = (values: number[], hopSamples: number[] | undefined) =>
        shape === 'returns' ? addSamples(values, hopSamples!) : values;
      const events = sequences.get(build)!.events;
      return {
        label: build.label,
        source: build.source,
        bundleBytes: fs.statSync(build.bundle).size,
        shape,
        calls: Object.fromEntries(
          Object.entries(events).map(([name, e]) => [name, countCalls(e.calls)]),
        ) as BuildResult['calls'],
        handler: {
          createCold: stats(samples.createCold),
          createWarm: stats(samples.createWarm),
          deleteCold: stats(samples.deleteCold),
          deleteWarm: stats(samples.deleteWarm),
        },
        moduleLoad: stats([...t.create, ...t.delete].map((r) => r.cold.loadMs)),
        deployPath: {
          createCold: stats(withHop(samples.createCold, hop?.cold)),
          createWarm: stats(withHop(samples.createWarm, hop?.warm)),
          deleteCold: stats(withHop(samples.deleteCold, hop?.cold)),
          deleteWarm: stats(withHop(samples.deleteWarm, hop?.warm)),
        },
      };
    };
    const results = { before: result(before), after: result(after) };
    const base = { ...chosen, name: baseName ?? baseNameOf(results.before, results.after) };
    return { base, ...results, hop, runs: RUNS, warmPerProcess: WARM };
  } finally {
    await server?.close();
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * The "before" build named by what it measurably is: a handler that makes no CloudFormation call
 * where this tree's attests each event is the handler without attestation.
 */
export function baseNameOf(before: BuildResult, after: BuildResult): string {
  const attests = (r: BuildResult) => Object.values(r.calls).some((c) => c.cloudformation > 0);
  if (!attests(before) && attests(after)) return 'the handler without attestation, which asks CloudFormation nothing';
  return 'the handler of the base build';
}

const EVENTS: { key: SequenceEvent; name: string }[] = [
  { key: 'create', name: 'Create' },
  { key: 'resetFlagUpdate', name: 'Update: reset flag (`passwordResetRequired`)' },
  { key: 'resetTokenUpdate', name: 'Update: reset token (new password)' },
  { key: 'renameUpdate', name: 'Update: rename (new user name)' },
  { key: 'renameCleanupDelete', name: "the rename's cleanup Delete (old user)" },
  { key: 'delete', name: 'Delete' },
];

const ANSWER: Record<AnswerShape, string> = {
  returns: "returns it to aws-cdk-lib's provider framework, whose function PUTs it to the ResponseURL",
  puts: 'PUTs it to the ResponseURL itself',
};

function ratio(after: number, before: number): string {
  return before === 0 ? (after === 0 ? '1.00x' : 'n/a') : `${(after / before).toFixed(2)}x`;
}

function msCell(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

/** The BENCHMARKS.md section of the deploy path. */
export function deployReport(d: DeployBench): string[] {
  const { before, after, hop } = d;
  const callRows = EVENTS.map(({ key, name }) => {
    const b = before.calls[key];
    const a = after.calls[key];
    return `| ${name} | ${b.commands.length} | ${a.commands.length} | ${ratio(a.commands.length, b.commands.length)} | ${b.iam} + ${b.secretsmanager} | ${a.iam} + ${a.secretsmanager} | ${b.cloudformation} | ${a.cloudformation} | ${b.commands.join(', ')} | ${a.commands.join(', ')} |`;
  });
  const timingRows = (pick: (r: BuildResult) => BuildResult['handler']) =>
    (
      [
        ['createCold', 'Create', 'cold'],
        ['createWarm', 'Create', 'warm'],
        ['deleteCold', 'Delete', 'cold'],
        ['deleteWarm', 'Delete', 'warm'],
      ] as const
    ).map(([key, event, start]) => {
      const b = pick(before)[key];
      const a = pick(after)[key];
      return `| ${event} | ${start} | ${b.n} | ${msCell(b.median)} | ${msCell(b.p90)} | ${msCell(a.median)} | ${msCell(a.p90)} | ${ratio(a.median, b.median)} | ${ratio(a.p90, b.p90)} |`;
    });
  const timingHeader = [
    '| event | start | samples per build | before: median ms | p90 ms | after: median ms | p90 ms | after/before, median | p90 |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const hopLines = hop
    ? [
        `Measured here: the framework's module load (framework.js with two SDK v3 clients standing in for the \`@aws-sdk/client-lambda\` and \`@aws-sdk/client-sfn\` it requires, which the Lambda runtime provides and this repository does not install) ${msCell(hop.loadMs.median)} ms (median; p90 ${msCell(hop.loadMs.p90)}); its \`onEvent\` from the event to its answer at the ResponseURL, with the Invoke of the handler answering at once, ${msCell(hop.coldRunMs.median)} ms cold and ${hop.warmRunMs.median.toFixed(1)} ms warm (medians). ` +
          `Added as constants: ${HOP.initMs} ms for the start of the framework function's own container on a cold start (BENCH_HOP_INIT_MS: a Node.js "hello world" function reports an Init Duration of 100-150 ms, and the sandbox created before it is not reported), and ${HOP.invokeMs} ms per event for its synchronous Lambda Invoke of the handler, request to answer, less the handler's own time (BENCH_HOP_INVOKE_MS). ` +
          `So the hop adds ${msCell(median(hop.cold))} ms to a cold event (median; p90 ${msCell(percentile(hop.cold, 90))}) and ${msCell(median(hop.warm))} ms to a warm one. ` +
          "A cold event of a build behind the framework is counted as a cold framework in front of a cold handler (the handler's container starts when the framework invokes it); the start of the handler's own container is left out for both builds: each has one.",
      ]
    : ['No build returns its answer to the provider framework: no hop to add.'];
  return [
    '## Deploy path: the handler per event, before and after',
    '',
    `Two builds of the login-profile handler side by side in one run: **before** is ${d.base.name}, built from the ${d.base.why} (\`--base <ref>\` chooses another build, \`--base-name\` says what it is) in a temporary directory from \`git archive\` with its own scripts/bundle.mjs (this tree's node_modules when its lock file is the same, else \`npm ci\`); **after** is the handler of this working tree. ` +
      `Both run against the tests' in-memory fake AWS (test/tooling/fake-aws.ts, below the SDK's middleware) with a latency per call (test/tooling/latency.ts): ${LATENCY.iam} ms per IAM call, ${LATENCY.secretsmanager} ms per Secrets Manager call, ${LATENCY.cloudformation} ms per CloudFormation call (BENCH_IAM_MS, BENCH_SM_MS, BENCH_CFN_MS). ` +
      `The answer goes to an HTTPS server on loopback given as each event's ResponseURL: before ${ANSWER[before.shape]}; after ${ANSWER[after.shape]} (seen on every invocation: a PUT to the ResponseURL, or a returned PhysicalResourceId).`,
    '',
    '### AWS calls per event',
    '',
    "One life cycle of a login profile per build (a password policy in force, no faults), counted from the fake's call log: one row per SDK attempt.",
    '',
    '| event | calls, before | after | after/before | IAM + Secrets Manager calls, before | after | CloudFormation calls (attesting the event), before | after | calls, before | after |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...callRows,
    '',
    "### The handler's wall time per event",
    '',
    `From the start of the invocation to the answer: the handler's return, or the arrival of its PUT at the ResponseURL. Cold: a fresh Node.js process per sample (a new Lambda container), timed from the \`require\` of the bundle, so the module load with the @aws-sdk clients it requires is included (median ${msCell(before.moduleLoad.median)} ms before, ${msCell(after.moduleLoad.median)} ms after); the time between the load and the invocation, when the bench installs its fake, is not counted. Warm: ${d.warmPerProcess} more Creates and as many Deletes in each Create's process. ${d.runs} processes per build and event type, the builds alternating.`,
    '',
    ...timingHeader,
    ...timingRows((r) => r.handler),
    '',
    '### Until CloudFormation has the answer (with the provider framework modelled)',
    '',
    "The handler's time above, plus, for a build that returns its answer, the provider framework's hop: a second Lambda function in front of the handler, with its own cold start, that invokes the handler and PUTs its answer. " +
      "The framework's own code from aws-cdk-lib (custom-resources/lib/provider-framework/runtime/framework.js, the code its function runs) is loaded and run in a process of its own, cold and then warm, with the Lambda Invoke of the handler replaced by an immediate answer and its PUT sent to the loopback server. " +
      'A sample of the hop is added to each sample of the handler.',
    '',
    ...hopLines,
    '',
    ...timingHeader,
    ...timingRows((r) => r.deployPath),
    '',
  ];
}
