/**
 * A Go CDK app (test/languages/go) on the Go module of `npm run package` (dist/go/cdkconsoleusers,
 * through go.mod's replace directive), as a consumer module builds it: `go build` and `go vet`,
 * then the binary runs as `cdk synth` runs it, and its template is the README's first stack,
 * the same as the README's TypeScript. Modules and builds come from Go's caches (GOMODCACHE,
 * GOCACHE): CONTRIBUTING.md says what a cold cache adds.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { itSynthesizesTheReadmeStack, ROOT, synthesizeReadmeStack } from './readme-stack';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const APP_DIR = path.join(__dirname, 'go');
const env = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20', GOFLAGS: '-mod=readonly' };

/** Runs a go command in `cwd`; its exit status, output and wall time. */
const go = (cwd: string, ...args: string[]) => {
  const started = process.hrtime.bigint();
  const run = spawnSync('go', args, { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { status: run.status, output: `${run.stdout}${run.stderr}`, ms };
};
const mustGo = (cwd: string, ...args: string[]) => {
  const run = go(cwd, ...args);
  if (run.status !== 0) throw new Error(`go ${args.join(' ')} failed (${run.status}):\n${run.output}`);
  return run;
};

let work: string;
let template: Json;
let twin: Json;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'go', 'cdkconsoleusers', 'go.mod'))) {
    throw new Error('dist/go does not exist: run `npm run package` (or `npm run package:go`) first');
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-go-'));
  // WHEN the consumer module builds and vets on the built module
  const build = mustGo(APP_DIR, 'build', '-o', path.join(work, 'app'), '.');
  const vet = mustGo(APP_DIR, 'vet', './...');
  // AND runs as `cdk synth` runs it
  const started = process.hrtime.bigint();
  const run = spawnSync(path.join(work, 'app'), [], {
    env: { ...env, CDK_OUTDIR: path.join(work, 'go.out') },
    encoding: 'utf8',
  });
  const synthMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`the Go app failed (${run.status}):\n${run.stderr}`);
  template = JSON.parse(fs.readFileSync(path.join(work, 'go.out', 'ConsoleUsers.template.json'), 'utf8'));
  twin = synthesizeReadmeStack(path.join(work, 'typescript.out'));
  console.log(
    `go build: ${build.ms.toFixed(0)} ms, go vet: ${vet.ms.toFixed(0)} ms, Go app synth: ${synthMs.toFixed(0)} ms`,
  );
}, 900_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the Go app', () => {
  it('builds against the module in dist/go, not a downloaded one', () => {
    const list = mustGo(
      APP_DIR,
      'list',
      '-m',
      '-f',
      '{{.Path}} {{.Replace.Dir}}',
      'github.com/cdk-console-users/cdk-console-users-go/cdkconsoleusers',
    );
    const [, dir] = list.output.trim().split(' ');
    expect(path.resolve(APP_DIR, dir)).toBe(path.join(ROOT, 'dist', 'go', 'cdkconsoleusers'));
  });

  itSynthesizesTheReadmeStack(
    'Go',
    () => template,
    () => twin,
  );
});

describe('a Go consumer of the module', () => {
  it('does not compile when it sets a password on a ConsoleUser (the props have no such field)', () => {
    // GIVEN a copy of the app whose ConsoleUserProps sets Password
    const probe = path.join(work, 'probe');
    fs.mkdirSync(probe);
    for (const f of ['go.mod', 'go.sum']) fs.copyFileSync(path.join(APP_DIR, f), path.join(probe, f));
    const mainGo = fs.readFileSync(path.join(APP_DIR, 'main.go'), 'utf8');
    const withPassword = mainGo.replace(
      'UserName: jsii.String("alice"),',
      'UserName: jsii.String("alice"), Password: jsii.String("x"),',
    );
    expect(withPassword).not.toBe(mainGo);
    fs.writeFileSync(path.join(probe, 'main.go'), withPassword);
    mustGo(
      probe,
      'mod',
      'edit',
      `-replace=github.com/cdk-console-users/cdk-console-users-go/cdkconsoleusers=${path.join(ROOT, 'dist', 'go', 'cdkconsoleusers')}`,
    );
    // WHEN it builds THEN the compiler names the field
    const build = go(probe, 'build', '-o', path.join(probe, 'app'), '.');
    expect(build.status).not.toBe(0);
    expect(build.output).toMatch(/unknown field Password in struct literal/);
  });
});
