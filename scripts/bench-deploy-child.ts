/**
 * One process of the deploy-path bench (scripts/bench-deploy.ts starts it; not run by hand): a
 * fresh Node.js process is a fresh Lambda container, so its first invocation is a cold start with
 * the module load included, and the invocations after it are warm.
 *
 * It receives a job over the IPC channel, runs it, and sends the result back. Its stdout (the
 * handlers' log lines) goes nowhere. It loads the fake AWS (`fake.js`, bundled beside it with
 * `@aws-sdk/*` external) only after timing the handler's module load, so that the load includes
 * the SDK clients the handler requires, as in a Lambda container.
 */
import * as https from 'node:https';
import Module from 'node:module';
import * as path from 'node:path';
import type { LoggedCall } from './bench-calls';

/** What the fake module (`fake.js`) exports: the test support the bench needs. */
interface FakeModule {
  readonly FakeAws: typeof import('../test/tooling/fake-aws').FakeAws;
  readonly installFakeInSdk: typeof import('../test/tooling/fake-aws').installFakeInSdk;
  readonly withLatency: typeof import('../test/tooling/latency').withLatency;
  readonly lambdaContext: typeof import('../test/tooling/lambda-fixtures').lambdaContext;
  readonly loginProfileProperties: typeof import('../test/tooling/lambda-fixtures').loginProfileProperties;
  readonly createEventOf: typeof import('../test/tooling/lambda-fixtures').createEventOf;
  readonly updateEventOf: typeof import('../test/tooling/lambda-fixtures').updateEventOf;
  readonly deleteEventOf: typeof import('../test/tooling/lambda-fixtures').deleteEventOf;
}
type Fake = InstanceType<FakeModule['FakeAws']>;
type Properties = ReturnType<FakeModule['loginProfileProperties']>;

/** How the handler gives CloudFormation its answer. */
export type AnswerShape = 'returns' | 'puts';

/** A user with its login profile and tags, as the fake holds it (the password stays in the IPC channel). */
export interface WorldSnapshot {
  readonly users: {
    name: string;
    path: string;
    tags: Record<string, string>;
    profile?: { password: string; resetRequired: boolean };
  }[];
  readonly secrets: {
    arn: string;
    name: string;
    tags: Record<string, string>;
    deleted: boolean;
    versions: { id: string; secretString: string | undefined; stages: string[] }[];
  }[];
}

export interface Job {
  /**
   * sequence: one life cycle (Create, Update reset flag, Update reset token, Update rename with its
   * cleanup Delete, Delete), calls per event, no latency.
   * create: a cold Create, then `warm` warm Creates and as many warm Deletes, with latency.
   * delete: a cold Delete in `world`, with latency.
   * hop: aws-cdk-lib's provider-framework `onEvent` (cold, then `warm` warm) in front of a user
   * function that answers at once.
   */
  readonly mode: 'sequence' | 'create' | 'delete' | 'hop';
  /** The handler bundle; for `hop`, aws-cdk-lib's provider-framework runtime/framework.js. */
  readonly entry: string;
  readonly fakeModule: string;
  /**
   * Where the answers go: an HTTPS server of the parent on loopback. The ResponseURL names
   * CloudFormation's response bucket (`RESPONSE_BUCKET_HOST`/RequestId), the one host the handler
   * answers; the child's HTTPS connections are taken to this server instead.
   */
  readonly responseUrlBase: string;
  readonly latency?: { readonly iam: number; readonly secretsmanager: number; readonly cloudformation?: number };
  readonly warm?: number;
  readonly world?: WorldSnapshot;
}

/** One timed invocation: the answer's arrival minus the invocation's start. */
export interface Timing {
  readonly loadMs: number;
  readonly runMs: number;
  readonly shape: AnswerShape;
}

export interface SequenceResult {
  readonly events: Record<SequenceEvent, { calls: LoggedCall[]; shape: AnswerShape }>;
  /** The world after the Create: what the cold Deletes start from. */
  readonly afterCreate: WorldSnapshot;
}
export type SequenceEvent =
  'create' | 'resetFlagUpdate' | 'resetTokenUpdate' | 'renameUpdate' | 'renameCleanupDelete' | 'delete';

export interface TimingResult {
  readonly cold: Timing;
  readonly warm: Timing[];
  readonly warmDelete: Timing[];
}

/** Messages from the parent. */
export type ToChild = { type: 'job'; job: Job } | { type: 'answer'; requestId: string; answer: Answer | null };
/** Messages to the parent. */
export type FromChild =
  | { type: 'result'; result: SequenceResult | TimingResult }
  | { type: 'error'; message: string }
  | { type: 'answer?'; requestId: string };

/** An answer the parent's server received for a request: when (hrtime ns, system-wide monotonic clock) and what. */
export interface Answer {
  readonly arrivedNs: string;
  readonly status: string;
  readonly reason?: string;
  readonly physicalResourceId?: string;
}

const now = () => process.hrtime.bigint();
const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;

function send(message: FromChild): void {
  process.send!(message);
}

const pendingAnswers = new Map<string, (answer: Answer | null) => void>();

/** Asks the parent whether the answer to `requestId` reached its server. */
function answerOf(requestId: string): Promise<Answer | null> {
  return new Promise((resolve) => {
    pendingAnswers.set(requestId, resolve);
    send({ type: 'answer?', requestId });
  });
}

type Entry = (event: unknown, context?: unknown) => Promise<unknown>;

/** Loads `file` (CommonJS) and returns its export `name`, with the load time. */
function load(file: string, name: string): { entry: Entry; loadMs: number } {
  const start = now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(file) as Record<string, unknown>;
  const loadMs = ms(start, now());
  if (typeof exported[name] !== 'function') throw new Error(`${file} exports no ${name}`);
  return { entry: exported[name] as Entry, loadMs };
}

let requestCounter = 0;

/**
 * CloudFormation's response bucket for a function in us-east-1 (the bench's region): the handler
 * answers no other host. The parent's certificate names it (scripts/bench-deploy.ts).
 */
const RESPONSE_BUCKET_HOST = 'cloudformation-custom-resource-response-useast1.s3.amazonaws.com';

/** Takes every HTTPS connection of this process (the global agent's) to the server at `base`. */
function routeAnswersTo(base: string): void {
  const port = Number(new URL(base).port);
  const connect = https.globalAgent.createConnection.bind(https.globalAgent);
  // The TLS servername stays the URL's host: the certificate is checked against it.
  https.globalAgent.createConnection = (options, callback) =>
    connect({ ...options, host: '127.0.0.1', port }, callback);
}

/**
 * Invokes `entry` with `event` (given a fresh RequestId and a ResponseURL answered by the parent's server)
 * and times it until the answer exists: the value it returns, or the response it PUT to the
 * ResponseURL if it did (then CloudFormation has it, whatever the function does after).
 */
/**
 * The fake's CloudFormation, when its support module has one (a build from before attested events
 * has none, and its handler asks CloudFormation nothing).
 */
function cloudFormationOf(fake: Fake | undefined): CloudFormationModel | undefined {
  return (fake as { cloudFormation?: CloudFormationModel } | undefined)?.cloudFormation;
}

/** The part of the fake's CloudFormation the bench drives: it is sending an event, then has its answer. */
interface CloudFormationModel {
  sending(event: unknown): void;
  answered(event: unknown, answer: { Status: string; PhysicalResourceId: string } | undefined): void;
}

async function timed(
  entry: Entry,
  event: Record<string, unknown>,
  context: unknown,
  fake?: Fake,
): Promise<{ runMs: number; shape: AnswerShape; physicalResourceId: string }> {
  const requestId = `bench-${process.pid}-${++requestCounter}`;
  const sent = {
    ...event,
    RequestId: requestId,
    ResponseURL: `https://${RESPONSE_BUCKET_HOST}/${requestId}?X-Amz-Signature=bench`,
  };
  // CloudFormation sends the event: its record shows it while the handler runs (not timed).
  const cloudFormation = cloudFormationOf(fake);
  cloudFormation?.sending(sent);
  const start = now();
  let returned: unknown;
  let failure: unknown;
  try {
    returned = await entry(sent, context);
  } catch (error) {
    failure = error;
  }
  const returnedAt = now();
  const answer = await answerOf(requestId);
  const returnedId = (returned as { PhysicalResourceId?: unknown } | undefined)?.PhysicalResourceId;
  cloudFormation?.answered(
    sent,
    answer
      ? { Status: answer.status, PhysicalResourceId: answer.physicalResourceId ?? '' }
      : typeof returnedId === 'string'
        ? { Status: 'SUCCESS', PhysicalResourceId: returnedId }
        : undefined,
  );
  if (answer) {
    if (answer.status !== 'SUCCESS')
      throw new Error(`the answer was ${answer.status}: ${answer.reason ?? '(no reason)'}`);
    return {
      runMs: ms(start, BigInt(answer.arrivedNs)),
      shape: 'puts',
      physicalResourceId: answer.physicalResourceId ?? '',
    };
  }
  if (failure !== undefined) throw failure;
  const physicalResourceId = (returned as { PhysicalResourceId?: unknown } | undefined)?.PhysicalResourceId;
  if (typeof physicalResourceId !== 'string') {
    throw new Error('the handler neither PUT an answer to the ResponseURL nor returned a PhysicalResourceId');
  }
  return { runMs: ms(start, returnedAt), shape: 'returns', physicalResourceId };
}

function snapshot(fake: Fake): WorldSnapshot {
  return {
    users: [...fake.users.values()].map((u) => ({
      name: u.name,
      path: u.arn.slice(u.arn.indexOf(':user') + ':user'.length, u.arn.length - u.name.length),
      tags: Object.fromEntries(u.tags),
      profile: u.profile && { ...u.profile },
    })),
    secrets: [...fake.secrets.values()].map((s) => ({
      arn: s.arn,
      name: s.name,
      tags: Object.fromEntries(s.tags),
      deleted: s.deleted,
      versions: [...s.versions.values()].map((v) => ({
        id: v.id,
        secretString: v.secretString,
        stages: [...v.stages],
      })),
    })),
  };
}

function restore(fake: Fake, world: WorldSnapshot): void {
  for (const u of world.users) {
    fake.createUser(u.name, u.path, u.tags);
    if (u.profile) fake.setProfileByHand(u.name, u.profile.password, u.profile.resetRequired);
  }
  for (const s of world.secrets) {
    fake.createSecret(s.name, { tags: s.tags, arn: s.arn });
    for (const v of s.versions) fake.putVersionByHand(s.arn, v.id, v.secretString, v.stages);
    if (s.deleted) fake.deleteSecret(s.arn);
  }
}

/** The account password policy of every run (the bench's figures assume one exists). */
const POLICY = {
  MinimumPasswordLength: 14,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
};

function newFake(support: FakeModule): Fake {
  const fake = new support.FakeAws();
  fake.passwordPolicy = { ...POLICY };
  support.installFakeInSdk(fake);
  return fake;
}

/** The login-profile events of user `name` (its own secret), as CloudFormation sends them. */
function events(support: FakeModule, fake: Fake, name: string, secretArn = fake.createSecret(`${name}-password`)) {
  // A build older than the computed sign-in URL requires a SignInUrl property; the current handler
  // ignores it (and its record carries the same properties, so attestation is unaffected).
  const properties = {
    ...support.loginProfileProperties({ UserName: name, SecretArn: secretArn }),
    SignInUrl: 'https://123456789012.signin.aws.amazon.com/console',
  };
  const source = (props: Properties) => ({
    logicalResourceId: `${name}LoginProfile`,
    resourceType: 'Custom::ConsoleLoginProfile',
    properties: props,
  });
  return {
    properties,
    secretArn,
    create: () => support.createEventOf(source(properties)) as unknown as Record<string, unknown>,
    update: (props: Properties, physicalId: string, old: Properties) =>
      support.updateEventOf(source(props), physicalId, old) as unknown as Record<string, unknown>,
    delete: (physicalId: string, props = properties) =>
      support.deleteEventOf(source(props), physicalId) as unknown as Record<string, unknown>,
  };
}

/**
 * The calls of one event, in order: the CloudFormation reads that attest it (a log of their own in
 * the fake; they come before any other call of the event), then the IAM and Secrets Manager calls.
 */
function callLog(fake: Fake): LoggedCall[] {
  const attesting = (fake as { cloudFormationCalls?: Fake['calls'] }).cloudFormationCalls ?? [];
  return [...attesting, ...fake.calls].map(({ service, command, outcome }) => ({ service, command, outcome }));
}

async function sequence(job: Job): Promise<SequenceResult> {
  const { entry } = load(job.entry, 'handler');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const support = require(job.fakeModule) as FakeModule;
  const fake = newFake(support);
  fake.createUser('alice');
  fake.createUser('bob');
  const alice = events(support, fake, 'alice');
  const context = support.lambdaContext();
  const result: Partial<SequenceResult['events']> = {};
  const run = async (name: SequenceEvent, event: Record<string, unknown>, physicalId: string) => {
    fake.forgetCalls();
    const { shape, physicalResourceId } = await timed(entry, event, context, fake);
    if (physicalResourceId !== physicalId) {
      throw new Error(`${name}: the physical ID is '${physicalResourceId}', expected '${physicalId}'`);
    }
    result[name] = { calls: callLog(fake), shape };
  };
  const flag = { ...alice.properties, PasswordResetRequired: 'false' };
  const token = { ...flag, ResetToken: '2' };
  const renamed = { ...token, UserName: 'bob' };
  await run('create', alice.create(), 'alice');
  const afterCreate = snapshot(fake);
  await run('resetFlagUpdate', alice.update(flag, 'alice', alice.properties), 'alice');
  await run('resetTokenUpdate', alice.update(token, 'alice', flag), 'alice');
  await run('renameUpdate', alice.update(renamed, 'alice', token), 'bob');
  await run('renameCleanupDelete', alice.delete('alice', token), 'alice');
  await run('delete', alice.delete('bob', renamed), 'bob');
  return { events: result as SequenceResult['events'], afterCreate };
}

async function createAndDelete(job: Job): Promise<TimingResult> {
  const { entry, loadMs } = load(job.entry, 'handler');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const support = require(job.fakeModule) as FakeModule;
  const fake = newFake(support);
  support.withLatency(fake, job.latency!);
  const context = support.lambdaContext();
  const users = Array.from({ length: 1 + (job.warm ?? 0) }, (_, i) => {
    fake.createUser(`user${i}`);
    return events(support, fake, `user${i}`);
  });
  const run = async (event: Record<string, unknown>, load = 0): Promise<Timing> => {
    const { runMs, shape } = await timed(entry, event, context, fake);
    return { loadMs: load, runMs, shape };
  };
  const cold = await run(users[0].create(), loadMs);
  const warm: Timing[] = [];
  for (const user of users.slice(1)) warm.push(await run(user.create()));
  const warmDelete: Timing[] = [];
  for (const [i, user] of users.slice(1).entries()) warmDelete.push(await run(user.delete(`user${i + 1}`)));
  return { cold, warm, warmDelete };
}

async function coldDelete(job: Job): Promise<TimingResult> {
  const { entry, loadMs } = load(job.entry, 'handler');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const support = require(job.fakeModule) as FakeModule;
  const fake = newFake(support);
  restore(fake, job.world!);
  support.withLatency(fake, job.latency!);
  const secretArn = job.world!.secrets.find((s) => s.name === 'alice-password')?.arn;
  if (!secretArn) throw new Error('the world has no secret of alice');
  const alice = events(support, fake, 'alice', secretArn);
  const { runMs, shape } = await timed(entry, alice.delete('alice'), support.lambdaContext(), fake);
  return { cold: { loadMs, runMs, shape }, warm: [], warmDelete: [] };
}

/**
 * aws-cdk-lib's provider framework (`onEvent` of runtime/framework.js, the code its function runs),
 * with the Lambda Invoke of the user function replaced by a function that answers at once, and
 * the HTTPS PUT of the answer sent to the parent's server. The framework requires
 * `@aws-sdk/client-lambda` and `@aws-sdk/client-sfn` (from the Lambda runtime; not installed
 * here): `@aws-sdk/client-iam` and `@aws-sdk/client-secrets-manager` are loaded in their place,
 * two SDK v3 clients of the same kind, so the cold load includes two clients as in Lambda.
 */
async function hop(job: Job): Promise<TimingResult> {
  const standIns: Record<string, string> = {
    '@aws-sdk/client-lambda': '@aws-sdk/client-iam',
    '@aws-sdk/client-sfn': '@aws-sdk/client-secrets-manager',
  };
  const moduleInternals = Module as unknown as {
    _resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string;
  };
  const resolve = moduleInternals._resolveFilename;
  moduleInternals._resolveFilename = (request, parent, ...rest) =>
    standIns[request]
      ? require.resolve(standIns[request], { paths: [path.dirname(job.fakeModule)] })
      : resolve(request, parent, ...rest);
  const { entry, loadMs } = load(job.entry, 'onEvent');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const outbound = require(path.join(path.dirname(job.entry), 'outbound.js')) as {
    invokeFunction: (req: { FunctionName: string; Payload: string }) => Promise<unknown>;
    httpRequest: (options: Record<string, unknown>, body: string) => Promise<void>;
  };
  outbound.invokeFunction = async (req) => {
    const event = JSON.parse(req.Payload) as { LogicalResourceId: string };
    const answer = {
      PhysicalResourceId: 'alice',
      Data: { UserName: 'alice', SecretVersionId: event.LogicalResourceId },
    };
    return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: new TextEncoder().encode(JSON.stringify(answer)) };
  };
  process.env.USER_ON_EVENT_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:app-LoginProfileHandler';
  const event = {
    RequestType: 'Create',
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/app/11111111-2222-3333-4444-555555555555',
    LogicalResourceId: 'aliceLoginProfile',
    ResourceType: 'Custom::ConsoleLoginProfile',
    ResourceProperties: { ServiceToken: 'framework', UserName: 'alice' },
  };
  const run = async (load = 0): Promise<Timing> => {
    const { runMs, shape } = await timed(entry, event, undefined);
    if (shape !== 'puts') throw new Error('the provider framework did not PUT its answer');
    return { loadMs: load, runMs, shape };
  };
  const cold = await run(loadMs);
  const warm: Timing[] = [];
  for (let i = 0; i < (job.warm ?? 0); i++) warm.push(await run());
  return { cold, warm, warmDelete: [] };
}

async function runJob(job: Job): Promise<SequenceResult | TimingResult> {
  switch (job.mode) {
    case 'sequence':
      return sequence(job);
    case 'create':
      return createAndDelete(job);
    case 'delete':
      return coldDelete(job);
    case 'hop':
      return hop(job);
  }
}

process.on('message', (message: ToChild) => {
  if (message.type === 'answer') {
    pendingAnswers.get(message.requestId)?.(message.answer);
    pendingAnswers.delete(message.requestId);
    return;
  }
  routeAnswersTo(message.job.responseUrlBase);
  runJob(message.job).then(
    (result) => send({ type: 'result', result }),
    (error: unknown) =>
      send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
