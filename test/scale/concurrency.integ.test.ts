/**
 * Concurrency: 150 Create events delivered at once to the BUNDLED handler against moto, with a
 * fraction of the AWS calls answered with throttling errors by the moto proxy (test/tooling/moto-proxy.ts).
 *
 * Each event runs in its own instance of the bundle (its own SDK clients and retry quota), as
 * 150 concurrent Lambda invocations would. The check of "nothing lost" compares, per user, the
 * password IAM accepted (recorded by the proxy from the CreateLoginProfile/UpdateLoginProfile
 * request, in memory) with the password in the secret's AWSCURRENT version. No password is
 * printed: mismatches are reported by user name only.
 *
 * CloudFormation's record of the stack (test/tooling/cloudformation.ts) shows each profile
 * CREATE_IN_PROGRESS with its properties in its Metadata, as during the stack's creation, and
 * answers the handlers' DescribeStackResource calls under its per-account throttling
 * (DEFAULT_CLOUDFORMATION_RATE), besides the proxy's injected faults.
 */
import { CreateUserCommand, GetLoginProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { BundledHandler, freshBundledHandler } from '../tooling/bundles';
import { CloudFormationService, DEFAULT_CLOUDFORMATION_RATE, StackModel } from '../tooling/cloudformation';
import { ATTESTED_PROPERTIES_KEY, deciding } from '../tooling/cloudformation-record';
import { resetMoto } from '../tooling/moto-server';
import { MotoProxy, ProxyService, startMotoProxy } from '../tooling/moto-proxy';

const USERS = 150;
/** The handler's Lambda timeout (LoginProfileProvider's default). */
const LAMBDA_TIMEOUT_MS = 120_000;
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:handler';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/Scale/00000000-0000-0000-0000-000000000000';
const STACK_ID_ENV = 'CDK_CONSOLE_USERS_STACK_ID';
const HANDOVER_BUS_ENV = 'CDK_CONSOLE_USERS_HANDOVER_BUS_ARN';

type Handler = BundledHandler<unknown, { PhysicalResourceId: string; Data?: Record<string, string> }>;

const motoEndpoint = () => {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: run with jest.integ.config.js');
  return endpoint;
};
// Clients for setting up and checking, straight to moto (not through the proxy).
const iam = () => new IAMClient({ endpoint: motoEndpoint() });
const secrets = () => new SecretsManagerClient({ endpoint: motoEndpoint() });

/** A fresh instance of the bundled handler, as a new Lambda container (see freshBundledHandler). */
const freshHandler = (): Handler => freshBundledHandler('login-profile-handler');

interface Declared {
  readonly userName: string;
  readonly secretArn: string;
}

async function declareUsers(prefix: string): Promise<Declared[]> {
  await resetMoto(motoEndpoint());
  const declared: Declared[] = [];
  const iamClient = iam();
  const smClient = secrets();
  for (let start = 0; start < USERS; start += 25) {
    const batch = Array.from({ length: Math.min(25, USERS - start) }, (_, k) => `${prefix}-${start + k}`);
    declared.push(
      ...(await Promise.all(
        batch.map(async (userName) => {
          await iamClient.send(new CreateUserCommand({ UserName: userName }));
          const secret = await smClient.send(new CreateSecretCommand({ Name: `${userName}-password` }));
          return { userName, secretArn: secret.ARN! };
        }),
      )),
    );
  }
  return declared;
}

interface Outcome {
  readonly userName: string;
  readonly ms: number;
  readonly response?: { PhysicalResourceId: string; Data?: Record<string, string> };
  readonly error?: string;
}

/** The Create event of the login profile of the `i`th declared user. */
function createEvent({ userName, secretArn }: Declared, i: number) {
  return {
    RequestType: 'Create',
    RequestId: `request-${i}`,
    StackId: STACK_ID,
    LogicalResourceId: `User${i}LoginProfile`,
    ResourceType: 'Custom::ConsoleLoginProfile',
    ResourceProperties: {
      UserName: userName,
      SecretArn: secretArn,
      PasswordLength: '24',
      PasswordResetRequired: 'true',
    },
  };
}

/** CloudFormation's record while the stack of the declared users is being created (every profile CREATE_IN_PROGRESS). */
function creatingStack(declared: Declared[]): StackModel {
  const stack = new StackModel(STACK_ID, 'Scale', '123456789012', 'us-east-1');
  stack.status = 'CREATE_IN_PROGRESS';
  declared.forEach((user, i) => {
    const event = createEvent(user, i);
    stack.put(event.LogicalResourceId, {
      type: event.ResourceType,
      status: 'CREATE_IN_PROGRESS',
      metadata: { [ATTESTED_PROPERTIES_KEY]: deciding(event.ResourceProperties) },
    });
  });
  return stack;
}

/** Delivers one Create event per user, all at once, each to its own handler instance. */
async function createAll(declared: Declared[]): Promise<Outcome[]> {
  return Promise.all(
    declared.map(async (user, i) => {
      const { userName } = user;
      const handler = freshHandler();
      const start = Date.now();
      const context = {
        invokedFunctionArn: FUNCTION_ARN,
        getRemainingTimeInMillis: () => LAMBDA_TIMEOUT_MS - (Date.now() - start),
      };
      const event = createEvent(user, i);
      try {
        const response = await handler(event, context);
        return { userName, ms: Date.now() - start, response };
      } catch (error) {
        return { userName, ms: Date.now() - start, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
}

/** What moto holds for a user: whether it has a login profile, and its AWSCURRENT secret version. */
async function stateOf(user: Declared) {
  let hasProfile = true;
  try {
    await iam().send(new GetLoginProfileCommand({ UserName: user.userName }));
  } catch (error) {
    if ((error as Error).name !== 'NoSuchEntityException' && (error as Error).name !== 'NoSuchEntity') throw error;
    hasProfile = false;
  }
  const described = await secrets().send(new DescribeSecretCommand({ SecretId: user.secretArn }));
  const stages = described.VersionIdsToStages ?? {};
  const currentVersion = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT'));
  let current: { username?: string; password?: string } | undefined;
  if (currentVersion) {
    const value = await secrets().send(new GetSecretValueCommand({ SecretId: user.secretArn }));
    current = JSON.parse(value.SecretString ?? '{}') as { username?: string; password?: string };
  }
  return { hasProfile, currentVersion, current };
}

/**
 * The moto proxy throttling `fraction` of the SDK operations (of `services`, default all) on their
 * first `attempts` attempts (the SDK makes up to 4), and answering CloudFormation for the declared
 * users' stack. Plain moto login profiles: the concurrency checks need no reset-flag emulation.
 */
async function startThrottlingProxy(
  throttling: { fraction: number; attempts: number },
  declared: Declared[],
  services?: ProxyService[],
): Promise<MotoProxy> {
  const proxy = await startMotoProxy({ target: motoEndpoint(), awsLoginProfiles: false });
  if (services === undefined) proxy.inject({ kind: 'Throttling', ...throttling });
  else for (const service of services) proxy.inject({ kind: 'Throttling', service, ...throttling });
  const cloudFormation = new CloudFormationService();
  cloudFormation.register(creatingStack(declared));
  proxy.answerCloudFormation(cloudFormation.responder);
  return proxy;
}

/** Runs `fn` with the handler's endpoints pointing at `proxy`, its log lines captured (not printed). */
async function throughProxy<T>(proxy: MotoProxy, logs: string[], fn: () => Promise<T>): Promise<T> {
  const variables = [
    'AWS_ENDPOINT_URL_IAM',
    'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    'AWS_ENDPOINT_URL_CLOUDFORMATION',
    STACK_ID_ENV,
    HANDOVER_BUS_ENV,
  ];
  const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]));
  for (const name of variables.slice(0, 3)) process.env[name] = proxy.endpoint;
  // The function's environment: its stack's ID, and the bus it announces passwords on (moto's
  // default bus, reached directly: EventBridge is not what this test throttles).
  process.env[STACK_ID_ENV] = STACK_ID;
  process.env[HANDOVER_BUS_ENV] = 'arn:aws:events:us-east-1:123456789012:event-bus/default';
  const capture = (...args: unknown[]) => {
    logs.push(args.map(String).join(' '));
  };
  // The handler's log lines, and the SDK's warnings (slow answers from a loaded moto).
  const spies = [
    jest.spyOn(console, 'log').mockImplementation(capture),
    jest.spyOn(console, 'warn').mockImplementation(capture),
  ];
  try {
    return await fn();
  } finally {
    for (const spy of spies) spy.mockRestore();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function leaked(texts: string[], passwords: Iterable<string>): number {
  let count = 0;
  for (const password of passwords) if (texts.some((t) => t.includes(password))) count++;
  return count;
}

describe('150 concurrent Create events under throttling', () => {
  let proxy: MotoProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  test('all succeed within the Lambda timeout, and every password IAM took is the one in AWSCURRENT', async () => {
    // GIVEN 150 users with empty secrets, and a proxy throttling 30% of the calls on their first
    // two attempts (the SDK makes up to 4)
    const declared = await declareUsers('scale');
    proxy = await startThrottlingProxy({ fraction: 0.3, attempts: 2 }, declared);
    const logs: string[] = [];

    // WHEN 150 Create events arrive at once, each in its own handler instance
    const outcomes = await throughProxy(proxy, logs, () => createAll(declared));

    // THEN throttling happened on both services, and the SDK's retries absorbed all of it
    const throttled = {
      iam: proxy.count('iam', 'Throttling'),
      secretsmanager: proxy.count('secretsmanager', 'Throttling'),
      cloudformation: proxy.count('cloudformation', 'Throttling'),
    };
    const forwarded = {
      iam: proxy.count('iam', undefined),
      secretsmanager: proxy.count('secretsmanager', undefined),
      cloudformation: proxy.count('cloudformation', undefined),
    };
    process.stdout.write(
      `throttled ${JSON.stringify(throttled)}, forwarded ${JSON.stringify(forwarded)}, ` +
        `slowest event ${Math.max(...outcomes.map((o) => o.ms))} ms, ` +
        `SDK slow-answer warnings ${logs.filter((l) => l.includes('requestTimeout')).length}\n`,
    );
    expect(throttled.iam).toBeGreaterThan(USERS * 0.3);
    // ...CloudFormation's rate (DEFAULT_CLOUDFORMATION_RATE) throttled the handlers' checks, which
    // retried until each got its one answer
    expect(throttled.cloudformation).toBeGreaterThan(USERS - DEFAULT_CLOUDFORMATION_RATE.burst);
    expect(forwarded.cloudformation).toBe(USERS);
    expect(throttled.secretsmanager).toBeGreaterThan(USERS * 0.1);
    expect(outcomes.filter((o) => o.error).map((o) => `${o.userName}: ${o.error}`)).toEqual([]);
    expect(outcomes.filter((o) => o.ms >= LAMBDA_TIMEOUT_MS).map((o) => o.userName)).toEqual([]);

    // AND nothing is lost: each user has a profile whose password is the secret's AWSCURRENT
    const mismatches: string[] = [];
    for (const [i, user] of declared.entries()) {
      const state = await stateOf(user);
      const set = proxy.passwordsAccepted.get(user.userName);
      const outcome = outcomes[i];
      if (!state.hasProfile) mismatches.push(`${user.userName}: no login profile`);
      else if (set === undefined) mismatches.push(`${user.userName}: IAM accepted no password`);
      else if (state.current?.password !== set)
        mismatches.push(`${user.userName}: AWSCURRENT is not the password IAM took`);
      if (state.current?.username !== user.userName) mismatches.push(`${user.userName}: wrong username in the secret`);
      if (outcome.response?.PhysicalResourceId !== user.userName)
        mismatches.push(`${user.userName}: wrong physical ID`);
      if (outcome.response?.Data?.SecretVersionId !== state.currentVersion) {
        mismatches.push(`${user.userName}: SecretVersionId is not the AWSCURRENT version`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(proxy.passwordsAccepted.size).toBe(USERS);

    // AND no password reached a log line or a response
    expect(leaked([...logs, JSON.stringify(outcomes)], proxy.passwordsAccepted.values())).toBe(0);
  });

  test('fails when throttling outlasts the SDK retries, and still loses no password', async () => {
    // GIVEN a proxy that throttles 20% of the IAM and Secrets Manager calls on every attempt
    // (CloudFormation's calls only at its rate, which the handler outlasts)
    const declared = await declareUsers('throttled');
    proxy = await startThrottlingProxy({ fraction: 0.2, attempts: 99 }, declared, ['iam', 'secretsmanager']);
    const logs: string[] = [];

    // WHEN 150 Create events arrive at once
    const outcomes = await throughProxy(proxy, logs, () => createAll(declared));

    // THEN the events whose calls were always throttled fail, saying so, before the timeout
    const failed = outcomes.filter((o) => o.error);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(USERS);
    for (const o of failed)
      expect(o.error).toMatch(
        /^Create of login profile User\d+LoginProfile failed: Throttling(Exception)?: Rate exceeded/,
      );
    expect(outcomes.filter((o) => o.ms >= LAMBDA_TIMEOUT_MS).map((o) => o.userName)).toEqual([]);

    // AND every profile that exists has its password in AWSCURRENT; a failed event left none behind
    const lost: string[] = [];
    for (const [i, user] of declared.entries()) {
      const state = await stateOf(user);
      if (!state.hasProfile) {
        if (!outcomes[i].error) lost.push(`${user.userName}: succeeded without a profile`);
        continue;
      }
      if (state.current?.password !== proxy.passwordsAccepted.get(user.userName)) {
        lost.push(`${user.userName}: profile password not in AWSCURRENT`);
      }
      if (outcomes[i].error) lost.push(`${user.userName}: failed but left a profile`);
    }
    expect(lost).toEqual([]);
    expect(leaked([...logs, JSON.stringify(outcomes)], proxy.passwordsAccepted.values())).toBe(0);
  });
});
