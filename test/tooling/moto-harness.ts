/**
 * Per-test-file setup of the moto suite, and read-only views of moto's state for assertions.
 *
 * `useMoto()` (call at the top of a test file) starts the moto proxy (moto-proxy.ts) in front of
 * the suite's moto_server, points the bundled handlers at it (AWS_ENDPOINT_URL_IAM /
 * _SECRETS_MANAGER / _CLOUDFORMATION), and resets moto (and the proxy's records and faults) before
 * each test. Tests read state straight from moto (not through the proxy). CloudFormation's calls
 * are answered by the file's `CloudFormationService` (cloudformation.ts), which knows the stacks
 * of the drivers `driver()` makes.
 *
 * Passwords never reach test output: `readSecret` returns a `StoredSecret` whose password is
 * private; tests compare and check it through methods that return booleans or rule names.
 */
import {
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  NoSuchEntityException,
  UpdateAccountPasswordPolicyCommand,
  UpdateAccountPasswordPolicyCommandInput,
} from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PasswordPolicy, policyViolations } from '../../lambda/password/generator';
import { HANDOVER_BUS_ENV, STACK_ID_ENV } from '../../lib/handler/contract';
import { CloudFormationService, StackModel } from './cloudformation';
import { ATTESTED_PROPERTIES_KEY } from './cloudformation-record';
import { ACCOUNT, Driver, DriverOptions, REGION } from './driver';
import { resetMoto } from './moto-server';
import { MotoProxy, ProxiedCall, secretDigest, startMotoProxy } from './moto-proxy';

/** A secret's JSON value, with the password kept out of reach of printing. */
export class StoredSecret {
  /** JSON keys of the value, sorted. */
  public readonly fields: string[];
  public readonly username: unknown;
  public readonly signInUrl: unknown;
  readonly #password: string;

  constructor(secretString: string) {
    const value = JSON.parse(secretString) as Record<string, unknown>;
    this.fields = Object.keys(value).sort();
    this.username = value.username;
    this.signInUrl = value.signInUrl;
    this.#password = typeof value.password === 'string' ? value.password : '';
  }

  /** Length of the password (0 when there is none). */
  public get passwordLength(): number {
    return this.#password.length;
  }

  /** Rules of `policy` the password breaks (names only). */
  public violations(policy: PasswordPolicy): string[] {
    return policyViolations(this.#password, policy);
  }

  /** Whether the password appears anywhere in `text` (an event, a log): a boolean, never the password. */
  public occursIn(text: string): boolean {
    return this.#password.length > 0 && text.includes(this.#password);
  }

  /** Whether both hold the same password. */
  public samePasswordAs(other: StoredSecret): boolean {
    return this.#password.length > 0 && this.#password === other.#password;
  }

  /** The proxy's digest of the password (compare with what IAM was sent). */
  public passwordDigest(): string {
    return secretDigest(this.#password);
  }

  /** Whether the password occurs in `text` (for "never logged" checks). */
  public passwordIn(text: string): boolean {
    return this.#password.length > 0 && text.includes(this.#password);
  }

  /** Printing a StoredSecret never shows the password. */
  public toJSON(): Record<string, unknown> {
    return { fields: this.fields, username: this.username, signInUrl: this.signInUrl, password: '(hidden)' };
  }
}

/** What moto reports about a user's login profile. */
export interface ProfileState {
  readonly exists: boolean;
  /** As moto reports it; see MOTO_DIFFERENCES for when it is meaningful. */
  readonly passwordResetRequired?: boolean;
}

/** The harness a test file uses. */
export interface MotoHarness {
  /** moto's endpoint (direct, not through the proxy). */
  readonly endpoint: string;
  /** The proxy the handlers talk through (calls since the last reset; inject faults here). */
  readonly proxy: MotoProxy;
  /** CloudFormation's record of the drivers' stacks, as the proxy answers it (throttling set here). */
  readonly cloudFormation: CloudFormationService;
  /** Clients straight to moto, for arranging and asserting. */
  readonly iam: IAMClient;
  readonly secrets: SecretsManagerClient;
  /** A driver for one stack deployment. */
  driver(options?: Omit<DriverOptions, 'endpoint'>): Driver;
  profile(userName: string): Promise<ProfileState>;
  userTags(userName: string): Promise<Record<string, string> | undefined>;
  /** versionId -> stages, including versions without a stage. */
  versions(secretArn: string): Promise<Record<string, string[]>>;
  /** The secret's value at `selector` (default: the version staged AWSCURRENT). */
  readSecret(secretArn: string, selector?: { stage?: string; versionId?: string }): Promise<StoredSecret>;
  /** Whether the secret exists (DescribeSecret succeeds). */
  secretExists(secretArn: string): Promise<boolean>;
  setPasswordPolicy(policy: UpdateAccountPasswordPolicyCommandInput): Promise<void>;
  /** Digest of the last password IAM accepted for `userName` through the proxy (Create/UpdateLoginProfile). */
  lastPasswordSet(userName: string): string | undefined;
  /** Calls through the proxy of `service` whose action is one of `actions` (all when empty). */
  calls(service: string, ...actions: string[]): ProxiedCall[];
}

/** CloudFormation's record of one stack for tests that send events straight to a bundled handler. */
export interface CloudFormationRecordHarness {
  readonly service: CloudFormationService;
  /** The stack (its ID is the function's CDK_CONSOLE_USERS_STACK_ID while the file runs). */
  readonly stack: StackModel;
  /** Sets the record as CloudFormation has it while it sends `event` (StackModel.sending), and returns the event. */
  sending<E extends Parameters<StackModel['sending']>[0]>(event: E): E;
}

/**
 * For a test file that sends events straight to a bundled handler (without the driver and without
 * useMoto's proxy): CloudFormation's answers for the stack `stackId` on the wire (a moto proxy
 * used for CloudFormation only: AWS_ENDPOINT_URL_CLOUDFORMATION), and the stack's ID in the
 * function's environment (CDK_CONSOLE_USERS_STACK_ID), restored after the file. No throttling.
 */
export function useCloudFormationRecord(stackId: string): CloudFormationRecordHarness {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: run with jest.integ.config.js');
  const service = new CloudFormationService({ rate: false });
  const [, , , region, account, ,] = stackId.split(':');
  const stackName = stackId.split('/')[1] ?? stackId;
  const stack = new StackModel(stackId, stackName, account, region);
  service.register(stack);
  let proxy: MotoProxy | undefined;
  const saved: Record<string, string | undefined> = {};
  const variables = ['AWS_ENDPOINT_URL_CLOUDFORMATION', STACK_ID_ENV, HANDOVER_BUS_ENV];
  beforeAll(async () => {
    proxy = await startMotoProxy({ target: endpoint });
    proxy.answerCloudFormation(service.responder);
    for (const name of variables) saved[name] = process.env[name];
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = proxy.endpoint;
    process.env[STACK_ID_ENV] = stackId;
    // The account's default bus, which moto always has: the handover events of these handlers.
    process.env[HANDOVER_BUS_ENV] = defaultBusArn(region, account);
  });
  afterAll(async () => {
    for (const name of variables) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await proxy?.close();
  });
  return {
    service,
    stack,
    sending: (event) => {
      stack.sending(event, ATTESTED_PROPERTIES_KEY);
      return event;
    },
  };
}

/** The login profile of `userName` as `iam` (an account's client) sees it. */
export async function loginProfileOf(iam: IAMClient, userName: string): Promise<ProfileState> {
  try {
    const response = await iam.send(new GetLoginProfileCommand({ UserName: userName }));
    return { exists: true, passwordResetRequired: response.LoginProfile?.PasswordResetRequired };
  } catch (error) {
    if (error instanceof NoSuchEntityException) return { exists: false };
    throw error;
  }
}

/** Sets up the harness for the current test file (beforeAll/beforeEach/afterAll). */
export function useMoto(): MotoHarness {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) {
    throw new Error('MOTO_ENDPOINT is not set: run the moto suite with `npm run test:integ` (jest.integ.config.js)');
  }
  const config = { endpoint, region: REGION };
  const iam = new IAMClient(config);
  const secrets = new SecretsManagerClient(config);
  let proxy: MotoProxy | undefined;
  const cloudFormation = new CloudFormationService();

  beforeAll(async () => {
    proxy = await startMotoProxy({ target: endpoint });
    proxy.answerCloudFormation(cloudFormation.responder);
    // The bundled handlers create their SDK clients once per module load, from these variables.
    process.env.AWS_ENDPOINT_URL_IAM = proxy.endpoint;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = proxy.endpoint;
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = proxy.endpoint;
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = proxy.endpoint;
    // A handler invoked without the driver (which sets the function's own environment) publishes
    // its handover events on the account's default bus, which moto always has.
    process.env[HANDOVER_BUS_ENV] ??= defaultBusArn(REGION, ACCOUNT);
  });
  beforeEach(async () => {
    await resetMoto(endpoint);
    proxy?.forget();
    cloudFormation.reset();
  });
  afterAll(async () => {
    await proxy?.close();
  });

  return {
    endpoint,
    get proxy(): MotoProxy {
      if (!proxy) throw new Error('the moto proxy is not started yet (use the harness inside tests)');
      return proxy;
    },
    cloudFormation,
    iam,
    secrets,
    driver: (options = {}) => new Driver({ ...options, endpoint, cloudFormation }),
    profile: (userName) => loginProfileOf(iam, userName),
    async userTags(userName) {
      try {
        const response = await iam.send(new GetUserCommand({ UserName: userName }));
        return Object.fromEntries((response.User?.Tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
      } catch (error) {
        if (error instanceof NoSuchEntityException) return undefined;
        throw error;
      }
    },
    async versions(secretArn) {
      const response = await secrets.send(
        new ListSecretVersionIdsCommand({ SecretId: secretArn, IncludeDeprecated: true }),
      );
      return Object.fromEntries(
        (response.Versions ?? []).map((v) => [v.VersionId!, [...(v.VersionStages ?? [])].sort()]),
      );
    },
    async readSecret(secretArn, selector = {}) {
      // Always name the stage or version: see MOTO_DIFFERENCES.defaultVersionAfterStageMove.
      const stage = selector.versionId === undefined ? (selector.stage ?? 'AWSCURRENT') : selector.stage;
      const response = await secrets.send(
        new GetSecretValueCommand({ SecretId: secretArn, VersionStage: stage, VersionId: selector.versionId }),
      );
      return new StoredSecret(response.SecretString ?? '{}');
    },
    async secretExists(secretArn) {
      try {
        await secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
        return true;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return false;
        throw error;
      }
    },
    async setPasswordPolicy(policy) {
      await iam.send(new UpdateAccountPasswordPolicyCommand(policy));
    },
    lastPasswordSet(userName) {
      const sets = (proxy?.calls ?? []).filter(
        (c) =>
          c.service === 'iam' &&
          (c.action === 'CreateLoginProfile' || c.action === 'UpdateLoginProfile') &&
          c.status === 200 &&
          c.params.UserName === userName &&
          typeof c.params.Password === 'string',
      );
      return sets.length === 0 ? undefined : String(sets[sets.length - 1].params.Password);
    },
    calls(service, ...actions) {
      return (proxy?.calls ?? []).filter(
        (c) => c.service === service && (actions.length === 0 || actions.includes(c.action)),
      );
    },
  };
}

/**
 * What moto 5.2.5 does differently from AWS, as met by this suite. Each entry says how the tests
 * allow for it; tests refer to these keys where they do.
 */
export const MOTO_DIFFERENCES = {
  resetFlagOnCreate:
    'CreateLoginProfile ignores PasswordResetRequired: GetLoginProfile answers false after a create with true. ' +
    'The moto proxy follows such a create with an UpdateLoginProfile setting the flag (moto-proxy.ts), and tests ' +
    'also check the flag the handler sent.',
  flagOnlyUpdateDropsPassword:
    'UpdateLoginProfile without Password (change only the reset flag) removes the password in moto, so the ' +
    'profile disappears (and a replay of that event then fails with NoSuchEntity); AWS keeps the password. ' +
    'The moto proxy forwards such a call with the password IAM last accepted (kept in memory only); tests ' +
    'check on the wire that the handler sent no Password.',
  noPasswordPolicyEnforcement:
    'moto never answers PasswordPolicyViolation: tests check compliance of the stored password with ' +
    'policyViolations() themselves.',
  deleteUserWithProfile:
    'moto deletes a user that still has a login profile; AWS answers DeleteConflict. The driver checks ' +
    'GetLoginProfile before DeleteUser and fails as AWS would.',
  defaultVersionAfterStageMove:
    'GetSecretValue without VersionId/VersionStage keeps returning the version that was AWSCURRENT before an ' +
    'UpdateSecretVersionStage moved the label (moto reads a cached default version); AWS returns the version ' +
    'now labelled AWSCURRENT. Tests always name the stage (VersionStage: AWSCURRENT).',
  putCurrentAfterStageMove:
    'PutSecretValue with VersionStages [AWSCURRENT] after an UpdateSecretVersionStage moved AWSCURRENT takes the ' +
    'label from the version that held it before the move, not from the one that holds it now: two versions then ' +
    'show AWSCURRENT. AWS moves the label to the new version (the old one becomes AWSPREVIOUS). Tests do not put ' +
    'AWSCURRENT after a rotation on moto (console access switched on after a rotation is tested on the fake).',
  noIamEvaluation:
    'moto does not evaluate IAM policies (any credentials may do anything): least privilege is tested on the ' +
    'template (construct tests, cdk-nag), not here.',
  kmsNotChecked:
    'Secrets Manager in moto accepts any KmsKeyId without a KMS key or permission: the driver passes a ' +
    'placeholder key ARN; KMS use is not tested here.',
  putSecretValueOverwrites:
    'PutSecretValue with the ClientRequestToken of a version that already holds another value replaces it; AWS ' +
    'answers ResourceExists (versions cannot change). Rotation tests that need that answer use the fake.',
  awsTagsFromAnyone:
    'CreateSecret/TagResource accept tags with the reserved aws: prefix; AWS refuses them. Tests and the driver ' +
    'use that to put the aws:cloudformation:* tags CloudFormation adds on the secrets they create.',
  rotateSecretWithoutLambda:
    'RotateSecret turns rotation on, records RotationLambdaARN and stages the token AWSPENDING, and only then ' +
    "looks the function up in moto's Lambda, answering ResourceNotFound for one it does not have (AWS checks " +
    "first and invokes the function). The suite keeps moto's Lambda empty (a function there makes " +
    '/moto-api/data.json fail without Docker): test/tooling/moto-rotation.ts expects exactly that answer. ' +
    'Without RotationLambdaARN, moto clears the recorded function; tests always pass it.',
  noEventualConsistency:
    'IAM in moto is immediately consistent: the NoSuchEntity-after-CreateUser retries are not exercised here ' +
    '(they are in the mocked handler tests).',
} as const;

/** The ARN of the default event bus of `account` in `region`. */
export function defaultBusArn(region: string, account: string): string {
  return `arn:aws:events:${region}:${account}:event-bus/default`;
}
