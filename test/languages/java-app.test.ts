/**
 * A Java CDK app (test/languages/java, Maven) on the jar of `npm run package` (dist/java): the
 * jar and its pom are installed into the local Maven repository as docs/install.md says
 * (`mvn install:install-file`, which replaces what an earlier run installed), the app compiles
 * against it and aws-cdk-lib of the version its pom names, runs as `cdk synth` runs it, and its
 * template is the README's first stack, the same as the README's TypeScript. Dependencies come
 * from ~/.m2 (Maven Central for what it lacks): CONTRIBUTING.md says what a cold cache adds.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { itSynthesizesTheReadmeStack, ROOT, synthesizeReadmeStack } from './readme-stack';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const APP_DIR = path.join(__dirname, 'java');
const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const ARTIFACT = path.join(
  ROOT,
  'dist',
  'java',
  'io',
  'github',
  'cdk-console-users',
  'cdk-console-users',
  VERSION,
  `cdk-console-users-${VERSION}`,
);
const env = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' };

/** Runs Maven (batch mode, quiet) in `dir`; its exit status, output and wall time. */
const mvn = (dir: string, ...args: string[]) => {
  const started = process.hrtime.bigint();
  const run = spawnSync('mvn', ['-B', '-q', ...args], { cwd: dir, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { status: run.status, output: `${run.stdout}${run.stderr}`, ms };
};
const mustMvn = (dir: string, ...args: string[]) => {
  const run = mvn(dir, ...args);
  if (run.status !== 0) throw new Error(`mvn ${args.join(' ')} failed (${run.status}):\n${run.output}`);
  return run;
};

/** The aws-cdk-lib version the built pom depends on (pacmak resolves the peer range to a release). */
const awsCdkLibVersion = (): string => {
  const m =
    /<groupId>software\.amazon\.awscdk<\/groupId>\s*<artifactId>aws-cdk-lib<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(
      fs.readFileSync(`${ARTIFACT}.pom`, 'utf8'),
    );
  if (!m) throw new Error(`${ARTIFACT}.pom names no aws-cdk-lib version`);
  return m[1];
};

let work: string;
let template: Json;
let twin: Json;
let versions: string[];

/** Compiles the app in `dir` (the app or a copy) into dir/target and writes its classpath there. */
const compile = (dir: string) =>
  mvn(
    dir,
    ...versions,
    'compile',
    'dependency:build-classpath',
    `-Dmdep.outputFile=${path.join(dir, 'target', 'classpath.txt')}`,
  );

beforeAll(() => {
  if (!fs.existsSync(`${ARTIFACT}.jar`)) {
    throw new Error('dist/java does not exist: run `npm run package` (or `npm run package:java`) first');
  }
  versions = [`-Dcdk-console-users.version=${VERSION}`, `-Daws-cdk-lib.version=${awsCdkLibVersion()}`];
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-java-'));
  // GIVEN the jar installed into the local Maven repository, as docs/install.md says
  const install = mustMvn(APP_DIR, 'install:install-file', `-Dfile=${ARTIFACT}.jar`, `-DpomFile=${ARTIFACT}.pom`);
  // WHEN the app compiles with Maven
  const target = path.join(APP_DIR, 'target');
  const build = compile(APP_DIR);
  if (build.status !== 0) throw new Error(`mvn compile failed (${build.status}):\n${build.output}`);
  // AND runs as `cdk synth` runs it
  const classpath = [path.join(target, 'classes'), fs.readFileSync(path.join(target, 'classpath.txt'), 'utf8').trim()];
  const started = process.hrtime.bigint();
  const run = spawnSync('java', ['-cp', classpath.join(path.delimiter), 'example.ConsoleUsersApp'], {
    env: { ...env, CDK_OUTDIR: path.join(work, 'java.out') },
    encoding: 'utf8',
  });
  const synthMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`the Java app failed (${run.status}):\n${run.stderr}`);
  template = JSON.parse(fs.readFileSync(path.join(work, 'java.out', 'ConsoleUsers.template.json'), 'utf8'));
  twin = synthesizeReadmeStack(path.join(work, 'typescript.out'));
  console.log(
    `mvn install:install-file: ${install.ms.toFixed(0)} ms, mvn compile: ${build.ms.toFixed(0)} ms, Java app synth: ${synthMs.toFixed(0)} ms`,
  );
}, 900_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the Java app', () => {
  it('runs on the jar of dist/java (the one installed into the local Maven repository)', () => {
    const classpath = fs.readFileSync(path.join(APP_DIR, 'target', 'classpath.txt'), 'utf8').split(path.delimiter);
    const jar = classpath.find((e) => e.endsWith(`cdk-console-users-${VERSION}.jar`));
    expect(jar).toBeDefined();
    expect(fs.readFileSync(jar!).equals(fs.readFileSync(`${ARTIFACT}.jar`))).toBe(true);
  });

  itSynthesizesTheReadmeStack(
    'Java',
    () => template,
    () => twin,
  );
});

describe('a Java consumer of the jar', () => {
  it('does not compile when it sets a password on a ConsoleUser (the builder has no such method)', () => {
    // GIVEN a copy of the app whose ConsoleUser builder sets password
    const probe = path.join(work, 'probe');
    fs.cpSync(APP_DIR, probe, { recursive: true, filter: (src) => !src.includes(`${path.sep}target`) });
    const source = path.join(probe, 'src', 'main', 'java', 'example', 'ConsoleUsersApp.java');
    const code = fs.readFileSync(source, 'utf8');
    const withPassword = code.replace('.userName("alice")', '.userName("alice").password("x")');
    expect(withPassword).not.toBe(code);
    fs.writeFileSync(source, withPassword);
    // WHEN it compiles THEN javac names the missing method
    const build = compile(probe);
    expect(build.status).not.toBe(0);
    expect(build.output).toMatch(/cannot find symbol[\s\S]*method password\(java\.lang\.String\)/);
  });
});
