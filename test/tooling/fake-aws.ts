/**
 * A stateful in-memory fake of the IAM and Secrets Manager APIs the three handlers use (login
 * profile, rotation, account password policy), with a fault-injection layer and a log of every
 * call with its exact input, in order (tests assert the whole list: an unexpected call fails them).
 * EventBridge's `PutEvents` (the handover event) is answered too, logged in a list of its own
 * (`eventCalls`), with the events each bus received (`published`).
 * It also answers the two CloudFormation reads that attest a custom-resource event
 * (`DescribeStackResource`, `DescribeStacks`) from a model of the stacks (`FakeCloudFormation`),
 * logged in a list of their own (`cloudFormationCalls`), so the IAM and Secrets Manager list stays
 * what each event does to the account.
 *
 * Why not `aws-sdk-client-mock`: it stubs `Client#send`, so the SDK's middleware stack (and with it
 * the standard retry strategy the handler relies on for throttling, 5xx and timeouts) never runs.
 * This fake is installed as a middleware in the `deserialize` step instead: that step runs inside
 * the retry middleware, once per attempt, so every injected transient error is retried (or not) by
 * the SDK's real retry strategy with the handler's real `maxAttempts`, exactly as on the wire.
 */
import {
  IAMClient,
  PasswordPolicy as IamPasswordPolicy,
  ConcurrentModificationException,
  DeleteConflictException,
  EntityAlreadyExistsException,
  EntityTemporarilyUnmodifiableException,
  IAMServiceException,
  InvalidInputException,
  LimitExceededException as IamLimitExceededException,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PasswordPolicyViolationException,
  ServiceFailureException,
} from '@aws-sdk/client-iam';
import {
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  LimitExceededException as SmLimitExceededException,
  SecretsManagerClient,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { CloudFormationClient, CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, EventBridgeServiceException } from '@aws-sdk/client-eventbridge';
import { eventBridge } from '../../lambda/aws/events';
import { HANDOVER_BUS_ENV } from '../../lib/handler/contract';
import type { MetadataBearer } from '@aws-sdk/types';
import type { CloudFormationResponse } from '../../lambda/runtime/responder';
import { resetClients } from '../../lambda/aws/call';
import { cloudFormation } from '../../lambda/aws/cloudformation';
import { iam } from '../../lambda/aws/iam';
import { secrets } from '../../lambda/aws/secrets';
import { NON_DECIDING_PROPERTIES, PROPERTIES_METADATA_KEY } from '../../lib/handler/contract';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { policyViolations } from '../../lambda/password/generator';
import { ACCOUNT, REGION, STACK_ID, userArn } from './lambda-fixtures';

export { ACCOUNT, REGION } from './lambda-fixtures';
/**
 * How long an injected `Timeout` hangs before failing: the clients' `connectionTimeout`, the one
 * timeout the SDK's Node.js HTTP handler turns into an error whatever its version and options.
 */
export const TIMEOUT_FAULT_MS = 2_000;

export type Service = 'iam' | 'secretsmanager' | 'cloudformation';

/** The services the fake answers: `Service`, and EventBridge (logged apart, in `eventCalls`). */
export type AnsweredService = Service | 'events';

/** The bus the fake's handlers publish handover events on (`HANDOVER_BUS_ENV`): the stack `app`'s, as TemplateWorld deploys it. */
export const HANDOVER_BUS_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/cdk-console-users-handover-app`;

/**
 * Failures the fault layer can inject: AWS error names, plus a connection timeout, a call that is
 * applied and never answered, and a Lambda crash.
 */
export type FaultKind =
  | 'Throttling'
  | 'ServiceFailure'
  /**
   * No connection within `connectionTimeout`: after `TIMEOUT_FAULT_MS` the attempt fails with a
   * `TimeoutError` (the SDK retries it). The request never reached the service, so it cannot be
   * injected `afterApply` (a call applied and then unanswered is `AppliedNoAnswer`).
   */
  | 'Timeout'
  /**
   * The service applies the call and never answers (the connection stays open: no reset, no
   * error). The attempt ends only when the request's abort signal fires, with the `AbortError`
   * the SDK's HTTP handler raises; without an abort signal it never ends. Always applied first.
   */
  | 'AppliedNoAnswer'
  | 'EntityTemporarilyUnmodifiable'
  | 'NoSuchEntity'
  | 'PasswordPolicyViolation'
  | 'LimitExceeded'
  | 'ConcurrentModification'
  | 'InternalServiceError'
  | 'ResourceNotFound'
  | 'AccessDenied'
  | 'MalformedPolicyDocument'
  /** The Lambda dies during this call (its answer never comes): models a crash or a kill at timeout. */
  | 'Crash'
  /** `PutEvents` answers 200 with `FailedEntryCount: 1` (EventBridge refused the entry): nothing is published. */
  | 'FailedEntry';

/** One fault rule: fail calls `from`..`from+count-1` (1-based, counting every SDK attempt) of `command`. */
export interface Fault {
  readonly command: string;
  readonly kind: FaultKind;
  /** First call (1-based) to fail. @default 1 */
  readonly from?: number;
  /** How many consecutive calls fail. @default 1 */
  readonly count?: number;
  /** Apply the call's effect on the server first, then fail (a lost response). @default false (`AppliedNoAnswer`: always) */
  readonly afterApply?: boolean;
  /** Echo the request (password included) in the error message, as a careless service might. @default false */
  readonly echoInput?: boolean;
}

/** Decides whether `action` on `resource` is allowed (least-privilege tests evaluate the role's policies). */
export type Authorizer = (action: string, resource: string) => boolean | Promise<boolean>;

export interface LoginProfileState {
  password: string;
  resetRequired: boolean;
}

interface UserState {
  readonly name: string;
  readonly arn: string;
  readonly tags: Map<string, string>;
  profile?: LoginProfileState;
}

interface VersionState {
  readonly id: string;
  /** Undefined for a version that has stages but no value yet (RotateSecret's AWSPENDING before createSecret). */
  secretString: string | undefined;
  readonly stages: Set<string>;
}

interface SecretState {
  readonly arn: string;
  readonly name: string;
  readonly tags: Map<string, string>;
  readonly versions: Map<string, VersionState>;
  deleted: boolean;
  /** The rotation configuration DescribeSecret shows (`RotationEnabled`, `RotationLambdaARN`), once set. */
  rotation?: { enabled: boolean; lambdaArn?: string };
}

/** One SDK attempt the fake received (input kept in memory only; never printed). */
export interface CallRecord<S extends AnsweredService = Service> {
  readonly service: S;
  readonly command: string;
  /** A copy of the input as the SDK sent it. */
  readonly input: Record<string, unknown>;
  /** 'ok', or the name of the error the call failed with. */
  readonly outcome: 'ok' | string;
}

const SERVICE_OF: Record<string, AnsweredService> = {
  GetUser: 'iam',
  TagUser: 'iam',
  CreateUser: 'iam',
  DeleteUser: 'iam',
  CreateLoginProfile: 'iam',
  UpdateLoginProfile: 'iam',
  DeleteLoginProfile: 'iam',
  GetLoginProfile: 'iam',
  GetAccountPasswordPolicy: 'iam',
  UpdateAccountPasswordPolicy: 'iam',
  DeleteAccountPasswordPolicy: 'iam',
  PutSecretValue: 'secretsmanager',
  GetSecretValue: 'secretsmanager',
  DescribeSecret: 'secretsmanager',
  UpdateSecretVersionStage: 'secretsmanager',
  DescribeStackResource: 'cloudformation',
  DescribeStacks: 'cloudformation',
  PutEvents: 'events',
};

/** One event a bus received through `PutEvents`. */
export interface PublishedEvent {
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  /** The detail as sent (a JSON string). */
  readonly detail: string;
  readonly resources: readonly string[];
}

/** Secrets Manager keeps at most this many versions without staging labels, then refuses new ones. */
const MAX_UNLABELED_VERSIONS = 100;

export class FakeAws {
  readonly users = new Map<string, UserState>();
  readonly secrets = new Map<string, SecretState>();
  /** The account's password policy as GetAccountPasswordPolicy answers it; undefined: none (NoSuchEntity). */
  passwordPolicy: IamPasswordPolicy | undefined;
  /** Every password IAM was given or Secrets Manager stored: what the leak detector looks for. */
  readonly passwordsEverSeen = new Set<string>();
  /** Every IAM and Secrets Manager attempt, in order. */
  readonly calls: CallRecord[] = [];
  /** Every CloudFormation attempt, in order (a list of its own: `calls` stays what events do to the account). */
  readonly cloudFormationCalls: CallRecord[] = [];
  /** Every EventBridge attempt, in order (a list of its own, as CloudFormation's). */
  readonly eventCalls: CallRecord<'events'>[] = [];
  /** The events the buses accepted, in order. */
  readonly published: PublishedEvent[] = [];
  /** The stacks CloudFormation answers about, and the hooks that move them as CloudFormation sends events. */
  readonly cloudFormation = new FakeCloudFormation();
  authorize: Authorizer | undefined;
  /** How many calls an injected fault failed. */
  faultsHit = 0;
  /** Runs before every call (to change the world between two calls, e.g. the password policy). */
  beforeCall: ((command: string, n: number) => void) | undefined;
  private faults: { fault: Fault; base: number }[] = [];
  private readonly callCounts = new Map<string, number>();
  private secretCounter = 0;

  // ---------------------------------------------------------------- setup helpers (not API calls)

  createUser(name: string, path = '/', tags: Record<string, string> = {}): string {
    const arn = userArn(name, path);
    this.users.set(name, { name, arn, tags: new Map(Object.entries(tags)) });
    return arn;
  }

  /**
   * Creates an empty secret (like the construct's secret: no version until the handler writes one),
   * with `tags`; `arn` when the test needs a fixed one (default: a new ARN for `name`).
   */
  createSecret(
    name: string,
    options: { tags?: Record<string, string>; arn?: string; rotation?: SecretState['rotation'] } = {},
  ): string {
    const suffix = (++this.secretCounter).toString(36).padStart(6, 'x').slice(-6);
    const arn = options.arn ?? `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`;
    this.secrets.set(arn, {
      arn,
      name,
      tags: new Map(Object.entries(options.tags ?? {})),
      versions: new Map(),
      deleted: false,
      rotation: options.rotation,
    });
    return arn;
  }

  /**
   * Adds version `versionId` holding `secretString` (undefined: no value yet, as RotateSecret leaves
   * the AWSPENDING version before createSecret) with exactly `stages` (moved from other versions).
   */
  putVersionByHand(arn: string, versionId: string, secretString: string | undefined, stages: string[]): void {
    const secret = this.secrets.get(arn);
    if (!secret) throw new Error(`no secret ${arn}`);
    if (secretString !== undefined) this.rememberPassword(secretString);
    secret.versions.set(versionId, { id: versionId, secretString, stages: new Set() });
    for (const stage of stages) {
      for (const v of secret.versions.values()) v.stages.delete(stage);
      secret.versions.get(versionId)!.stages.add(stage);
    }
  }

  /** What CloudFormation does to a `Secret` it deletes. */
  deleteSecret(arn: string): void {
    const secret = this.secrets.get(arn);
    if (secret) secret.deleted = true;
  }

  /** DeleteUser as CloudFormation calls it: IAM refuses while the user still has a login profile. */
  deleteUser(name: string): void {
    const user = this.users.get(name);
    if (!user) throw new NoSuchEntityException({ message: `user ${name} not found`, $metadata: meta(404) });
    if (user.profile) {
      throw new DeleteConflictException({
        message: `Cannot delete entity, must delete login profile first.`,
        $metadata: meta(409),
      });
    }
    this.users.delete(name);
  }

  /** Sets a profile directly (a profile that existed before the stack, or one set by hand). */
  setProfileByHand(name: string, password: string, resetRequired = false): void {
    this.passwordsEverSeen.add(password);
    this.user(name).profile = { password, resetRequired };
  }

  profileOf(name: string): LoginProfileState | undefined {
    return this.users.get(name)?.profile;
  }

  tagsOf(name: string): Record<string, string> {
    return Object.fromEntries(this.users.get(name)?.tags ?? []);
  }

  /** The parsed JSON of the version holding `stage`, if the secret is live and has one. */
  valueAt(arn: string, stage: string): { username?: string; password?: string } | undefined {
    const secret = this.secrets.get(arn);
    if (!secret || secret.deleted) return undefined;
    for (const version of secret.versions.values()) {
      if (version.stages.has(stage) && version.secretString !== undefined) {
        return JSON.parse(version.secretString) as { password?: string };
      }
    }
    return undefined;
  }

  versionIdAt(arn: string, stage: string): string | undefined {
    for (const version of this.secrets.get(arn)?.versions.values() ?? []) {
      if (version.stages.has(stage)) return version.id;
    }
    return undefined;
  }

  versionCount(arn: string): number {
    return this.secrets.get(arn)?.versions.size ?? 0;
  }

  stagesOf(arn: string): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    for (const version of this.secrets.get(arn)?.versions.values() ?? []) result[version.id] = [...version.stages];
    return result;
  }

  /** Forgets the call logs (e.g. after setting a world up through the handler); fault counts go on. */
  forgetCalls(): void {
    this.calls.splice(0);
    this.cloudFormationCalls.splice(0);
    this.eventCalls.splice(0);
  }

  /** The commands of every CloudFormation attempt the fake answered, in order. */
  cloudFormationCommands(): string[] {
    return this.cloudFormationCalls.map((c) => c.command);
  }

  /** How many SDK attempts of `command` the fake received. */
  callCount(command: string): number {
    return this.callCounts.get(command) ?? 0;
  }

  /** The commands of every SDK attempt the fake answered, in order (what the whole-list assertions compare). */
  commands(): string[] {
    return this.calls.map((c) => c.command);
  }

  /**
   * The inputs of every attempt of `command`, in order, with every password the fake has seen
   * replaced by its name in `names` (password -> name), or by `<password>`: a failing assertion on
   * them prints no password.
   */
  inputsOf(command: string, names: Record<string, string> = {}): Record<string, unknown>[] {
    const known = new Map(Object.entries(names).map(([password, name]) => [password, name]));
    for (const password of this.passwordsEverSeen) if (!known.has(password)) known.set(password, '<password>');
    // Longest first, so that a password containing another is replaced whole.
    const ordered = [...known].filter(([p]) => p.length > 0).sort(([a], [b]) => b.length - a.length);
    const scrub = (value: unknown): unknown => {
      if (typeof value === 'string') return ordered.reduce((text, [p, name]) => text.split(p).join(name), value);
      if (Array.isArray(value)) return value.map(scrub);
      if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
      }
      return value;
    };
    return this.calls.filter((c) => c.command === command).map((c) => scrub(c.input) as Record<string, unknown>);
  }

  // ---------------------------------------------------------------- fault injection

  /** Adds fault rules; `from` counts the command's calls made after this point. */
  inject(...faults: Fault[]): this {
    for (const fault of faults) {
      if (fault.kind === 'Timeout' && fault.afterApply) {
        throw new Error('a connection timeout never reaches the service: inject AppliedNoAnswer instead');
      }
      this.faults.push({ fault, base: this.callCount(fault.command) });
    }
    return this;
  }

  clearFaults(): void {
    this.faults = [];
  }

  // ---------------------------------------------------------------- the API

  /**
   * Handles one SDK attempt of `command` (called by the middleware once per attempt, with the
   * abort signal the caller passed to `send`, if any).
   */
  async call(
    command: string,
    sent: Record<string, unknown>,
    abortSignal?: AbortSignalLike,
  ): Promise<Record<string, unknown>> {
    const input = structuredClone(sent);
    const service = SERVICE_OF[command];
    if (!service) throw new Error(`the fake does not implement ${command}`);
    const n = (this.callCounts.get(command) ?? 0) + 1;
    this.callCounts.set(command, n);
    this.beforeCall?.(command, n);
    const fault = this.faults.find(({ fault: f, base }) => {
      const first = base + (f.from ?? 1);
      return f.command === command && n >= first && n < first + (f.count ?? 1);
    })?.fault;
    try {
      if (this.authorize) await this.checkAccess(this.authorize, service, command, input);
      if (fault?.kind === 'AppliedNoAnswer') {
        // The service handles the call (whatever it answers, error or not, never arrives).
        try {
          this.apply(command, input);
        } catch {
          // The answer would have been this error; it is lost like any other.
        }
        this.faultsHit++;
        throw echo(await faultError(service, fault.kind, abortSignal), fault, input);
      }
      if (fault?.kind === 'FailedEntry') {
        // EventBridge answers, refusing the entry: a failure only the caller's reading of the answer sees.
        this.faultsHit++;
        this.logOf(service).push({ service, command, input, outcome: 'FailedEntry' });
        return {
          FailedEntryCount: 1,
          Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'refused by the fake' }],
        };
      }
      if (fault && !fault.afterApply) {
        this.faultsHit++;
        throw echo(await faultError(service, fault.kind, abortSignal), fault, input);
      }
      const output = this.apply(command, input);
      if (fault) {
        this.faultsHit++;
        throw echo(await faultError(service, fault.kind, abortSignal), fault, input);
      }
      this.logOf(service).push({ service, command, input, outcome: 'ok' });
      return output;
    } catch (error) {
      this.logOf(service).push({ service, command, input, outcome: (error as Error).name });
      throw error;
    }
  }

  private logOf(service: AnsweredService): CallRecord<AnsweredService>[] {
    if (service === 'events') return this.eventCalls as CallRecord<AnsweredService>[];
    return service === 'cloudformation' ? this.cloudFormationCalls : this.calls;
  }

  private async checkAccess(
    authorize: Authorizer,
    service: AnsweredService,
    command: string,
    input: Record<string, unknown>,
  ): Promise<void> {
    let resource = '*';
    if (service === 'iam' && typeof input.UserName === 'string') {
      resource = this.users.get(input.UserName)?.arn ?? `arn:aws:iam::${ACCOUNT}:user/${input.UserName}`;
    }
    if (service === 'secretsmanager') resource = this.findSecret(input.SecretId, false)?.arn ?? String(input.SecretId);
    if (service === 'cloudformation') resource = this.cloudFormation.stackArnOf(input.StackName);
    if (service === 'events') {
      resource = String((input.Entries as { EventBusName?: string }[] | undefined)?.[0]?.EventBusName ?? 'default');
    }
    if (!(await authorize(`${service}:${command}`, resource))) {
      if (service === 'events') {
        throw new EventBridgeServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          message: `not authorized to perform: events:PutEvents on resource: ${resource}`,
          $metadata: meta(400),
        });
      }
      const message = `User: arn:aws:sts::${ACCOUNT}:assumed-role/handler is not authorized to perform: ${service}:${command} on resource: ${resource}`;
      if (service === 'cloudformation') {
        throw new CloudFormationServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          message,
          $metadata: meta(403),
        });
      }
      throw service === 'iam'
        ? new IAMServiceException({ name: 'AccessDenied', $fault: 'client', message, $metadata: meta(403) })
        : new SecretsManagerServiceException({
            name: 'AccessDeniedException',
            $fault: 'client',
            message,
            $metadata: meta(400),
          });
    }
  }

  private apply(command: string, input: Record<string, unknown>): Record<string, unknown> {
    switch (command) {
      case 'DescribeStackResource':
        return this.cloudFormation.describeStackResource(input);
      case 'DescribeStacks':
        return this.cloudFormation.describeStacks(input);
      case 'PutEvents':
        return this.putEvents(input);
      case 'GetAccountPasswordPolicy':
        if (!this.passwordPolicy) {
          throw new NoSuchEntityException({
            message: `The Password Policy with domain name ${ACCOUNT} cannot be found.`,
            $metadata: meta(404),
          });
        }
        return { PasswordPolicy: { ...this.passwordPolicy } };
      case 'UpdateAccountPasswordPolicy': {
        // No partial updates: every field left out takes its default (the API reference's).
        const given = input as IamPasswordPolicy;
        const maxAge = given.MaxPasswordAge ?? 0;
        this.passwordPolicy = {
          MinimumPasswordLength: given.MinimumPasswordLength ?? 6,
          RequireSymbols: given.RequireSymbols ?? false,
          RequireNumbers: given.RequireNumbers ?? false,
          RequireUppercaseCharacters: given.RequireUppercaseCharacters ?? false,
          RequireLowercaseCharacters: given.RequireLowercaseCharacters ?? false,
          AllowUsersToChangePassword: given.AllowUsersToChangePassword ?? false,
          ExpirePasswords: maxAge > 0,
          ...(maxAge > 0 ? { MaxPasswordAge: maxAge } : {}),
          ...(given.PasswordReusePrevention !== undefined
            ? { PasswordReusePrevention: given.PasswordReusePrevention }
            : {}),
          HardExpiry: given.HardExpiry ?? false,
        };
        return {};
      }
      case 'DeleteAccountPasswordPolicy':
        if (!this.passwordPolicy) {
          throw new NoSuchEntityException({
            message: `The account policy with name PasswordPolicy cannot be found.`,
            $metadata: meta(404),
          });
        }
        this.passwordPolicy = undefined;
        return {};
      case 'GetLoginProfile': {
        const user = this.user(input.UserName);
        if (!user.profile) {
          throw new NoSuchEntityException({
            message: `Login Profile for User ${user.name} cannot be found.`,
            $metadata: meta(404),
          });
        }
        return {
          LoginProfile: {
            UserName: user.name,
            CreateDate: new Date(0),
            PasswordResetRequired: user.profile.resetRequired,
          },
        };
      }
      case 'GetUser': {
        const user = this.user(input.UserName);
        return {
          User: {
            UserName: user.name,
            Arn: user.arn,
            Tags: [...user.tags].map(([Key, Value]) => ({ Key, Value })),
          },
        };
      }
      case 'TagUser': {
        const user = this.user(input.UserName);
        const tags = (input.Tags as { Key: string; Value: string }[]) ?? [];
        if (tags.some((t) => t.Value.length > 256)) {
          throw new InvalidInputException({ message: 'tag value longer than 256 characters', $metadata: meta(400) });
        }
        for (const tag of tags) user.tags.set(tag.Key, tag.Value);
        if (user.tags.size > 50)
          throw new IamLimitExceededException({ message: 'too many tags', $metadata: meta(409) });
        return {};
      }
      case 'CreateLoginProfile': {
        const user = this.user(input.UserName);
        if (user.profile) {
          throw new EntityAlreadyExistsException({
            message: `Login Profile for user ${user.name} already exists.`,
            $metadata: meta(409),
          });
        }
        const password = this.checkPassword(input.Password);
        user.profile = { password, resetRequired: input.PasswordResetRequired === true };
        return { LoginProfile: { UserName: user.name, PasswordResetRequired: user.profile.resetRequired } };
      }
      case 'UpdateLoginProfile': {
        const user = this.user(input.UserName);
        if (!user.profile) {
          throw new NoSuchEntityException({
            message: `Login Profile for User ${user.name} cannot be found.`,
            $metadata: meta(404),
          });
        }
        const password = input.Password === undefined ? undefined : this.checkPassword(input.Password);
        if (password !== undefined) user.profile.password = password;
        if (input.PasswordResetRequired !== undefined)
          user.profile.resetRequired = input.PasswordResetRequired === true;
        return {};
      }
      case 'DeleteLoginProfile': {
        const user = this.user(input.UserName);
        if (!user.profile) {
          throw new NoSuchEntityException({
            message: `Login Profile for User ${user.name} cannot be found.`,
            $metadata: meta(404),
          });
        }
        user.profile = undefined;
        return {};
      }
      case 'PutSecretValue':
        return this.putSecretValue(input);
      case 'GetSecretValue': {
        const secret = this.findSecret(input.SecretId, true)!;
        const stage = (input.VersionStage as string | undefined) ?? (input.VersionId ? undefined : 'AWSCURRENT');
        const version = [...secret.versions.values()].find(
          (v) =>
            (input.VersionId === undefined || v.id === input.VersionId) && (stage === undefined || v.stages.has(stage)),
        );
        if (!version || version.secretString === undefined) {
          throw new ResourceNotFoundException({
            message: "Secrets Manager can't find the specified secret value for staging label or version",
            $metadata: meta(400),
          });
        }
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.id,
          SecretString: version.secretString,
          VersionStages: [...version.stages],
        };
      }
      case 'DescribeSecret': {
        const secret = this.findSecret(input.SecretId, true)!;
        const stages: Record<string, string[]> = {};
        // Real DescribeSecret lists only versions that have staging labels.
        for (const v of secret.versions.values()) if (v.stages.size > 0) stages[v.id] = [...v.stages];
        const tags = [...secret.tags].map(([Key, Value]) => ({ Key, Value }));
        return {
          ARN: secret.arn,
          Name: secret.name,
          ...(tags.length > 0 ? { Tags: tags } : {}),
          VersionIdsToStages: stages,
          // Only secrets with a rotation configuration have these fields (aws: tags are in Tags).
          ...(secret.rotation
            ? { RotationEnabled: secret.rotation.enabled, RotationLambdaARN: secret.rotation.lambdaArn }
            : {}),
        };
      }
      case 'UpdateSecretVersionStage':
        return this.updateSecretVersionStage(input);
      default:
        throw new Error(`the fake does not implement ${command}`);
    }
  }

  private putEvents(input: Record<string, unknown>): Record<string, unknown> {
    const entries = (input.Entries as Record<string, unknown>[] | undefined) ?? [];
    const results = entries.map((entry, i) => {
      const event: PublishedEvent = {
        eventBusName: String(entry.EventBusName ?? 'default'),
        source: String(entry.Source),
        detailType: String(entry.DetailType),
        detail: String(entry.Detail),
        resources: (entry.Resources as string[] | undefined) ?? [],
      };
      this.published.push(event);
      return { EventId: `fake-event-${this.published.length}-${i}` };
    });
    return { FailedEntryCount: 0, Entries: results };
  }

  /** The parsed details of the events `bus` accepted (every bus when not given), in order. */
  publishedDetails(bus?: string): Record<string, unknown>[] {
    return this.published
      .filter((e) => bus === undefined || e.eventBusName === bus)
      .map((e) => JSON.parse(e.detail) as Record<string, unknown>);
  }

  private putSecretValue(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.findSecret(input.SecretId, true)!;
    const token = input.ClientRequestToken;
    if (typeof token !== 'string' || token.length < 32 || token.length > 64) {
      throw new InvalidParameterException({
        message: 'ClientRequestToken must be 32-64 characters',
        $metadata: meta(400),
      });
    }
    const secretString = input.SecretString;
    if (typeof secretString !== 'string') {
      throw new InvalidRequestException({ message: 'SecretString is required here', $metadata: meta(400) });
    }
    const existing = secret.versions.get(token);
    if (existing && existing.secretString === undefined) {
      // The version RotateSecret staged without a value: this call gives it one.
      this.rememberPassword(secretString);
      existing.secretString = secretString;
      const stages = (input.VersionStages as string[] | undefined) ?? ['AWSCURRENT'];
      for (const stage of stages) this.attachStage(secret, stage, token);
      return { ARN: secret.arn, VersionId: token, VersionStages: [...existing.stages] };
    }
    if (existing) {
      // Idempotency: same token and same value is a no-op (staging labels untouched).
      if (existing.secretString === secretString)
        return { ARN: secret.arn, VersionId: token, VersionStages: [...existing.stages] };
      throw new ResourceExistsException({
        message: `A resource with the ID you requested already exists.`,
        $metadata: meta(400),
      });
    }
    const unlabeled = [...secret.versions.values()].filter((v) => v.stages.size === 0).length;
    if (unlabeled >= MAX_UNLABELED_VERSIONS) {
      throw new SmLimitExceededException({ message: 'too many versions', $metadata: meta(400) });
    }
    this.rememberPassword(secretString);
    const version: VersionState = { id: token, secretString, stages: new Set() };
    secret.versions.set(token, version);
    const stages = (input.VersionStages as string[] | undefined) ?? ['AWSCURRENT'];
    for (const stage of stages) this.attachStage(secret, stage, token);
    return { ARN: secret.arn, VersionId: token, VersionStages: [...version.stages] };
  }

  private updateSecretVersionStage(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.findSecret(input.SecretId, true)!;
    const stage = input.VersionStage as string;
    const moveTo = input.MoveToVersionId as string | undefined;
    const removeFrom = input.RemoveFromVersionId as string | undefined;
    const holder = [...secret.versions.values()].find((v) => v.stages.has(stage));
    if (removeFrom !== undefined && holder?.id !== removeFrom) {
      throw new InvalidParameterException({
        message: `The staging label ${stage} is not attached to version ${removeFrom}`,
        $metadata: meta(400),
      });
    }
    if (moveTo === undefined) {
      if (stage === 'AWSCURRENT') {
        throw new InvalidParameterException({
          message: 'AWSCURRENT cannot be removed, only moved',
          $metadata: meta(400),
        });
      }
      holder?.stages.delete(stage);
      return { ARN: secret.arn, Name: secret.name };
    }
    if (!secret.versions.has(moveTo)) {
      throw new ResourceNotFoundException({ message: `version ${moveTo} not found`, $metadata: meta(400) });
    }
    if (holder && holder.id !== moveTo && removeFrom === undefined) {
      throw new InvalidParameterException({
        message: `The staging label ${stage} is attached to version ${holder.id}; specify RemoveFromVersionId`,
        $metadata: meta(400),
      });
    }
    this.attachStage(secret, stage, moveTo);
    return { ARN: secret.arn, Name: secret.name };
  }

  /** Puts `stage` on `versionId` only; moving AWSCURRENT gives the old holder AWSPREVIOUS. */
  private attachStage(secret: SecretState, stage: string, versionId: string): void {
    for (const v of secret.versions.values()) {
      if (v.id !== versionId && v.stages.has(stage)) {
        v.stages.delete(stage);
        if (stage === 'AWSCURRENT') {
          for (const w of secret.versions.values()) w.stages.delete('AWSPREVIOUS');
          v.stages.add('AWSPREVIOUS');
        }
      }
    }
    const target = secret.versions.get(versionId)!;
    if (stage === 'AWSCURRENT') target.stages.delete('AWSPREVIOUS');
    target.stages.add(stage);
  }

  private findSecret(secretId: unknown, required: boolean): SecretState | undefined {
    const id = String(secretId);
    const secret = this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.name === id);
    if (secret?.deleted) {
      if (!required) return secret;
      throw new InvalidRequestException({
        message: 'You tried to perform the operation on a secret that is currently marked deleted.',
        $metadata: meta(400),
      });
    }
    if (!secret && required) {
      throw new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: meta(400),
      });
    }
    return secret;
  }

  private user(name: unknown): UserState {
    const user = this.users.get(String(name));
    if (!user) {
      throw new NoSuchEntityException({
        message: `The user with name ${String(name)} cannot be found.`,
        $metadata: meta(404),
      });
    }
    return user;
  }

  private checkPassword(value: unknown): string {
    if (typeof value !== 'string' || value.length < 1 || value.length > 128) {
      throw new InvalidInputException({ message: 'Password must be 1-128 characters', $metadata: meta(400) });
    }
    this.passwordsEverSeen.add(value);
    const policy = this.passwordPolicy ?? { MinimumPasswordLength: 8 };
    const violations = policyViolations(value, policy);
    if (!this.passwordPolicy) {
      // AWS's default: at least 8 characters and at least three of the four classes.
      const classes = [/[A-Z]/, /[a-z]/, /\d/, /[!@#$%^&*()_+\-=[\]{}|']/].filter((r) => r.test(value)).length;
      if (classes < 3) violations.push('three of four classes');
    }
    if (violations.length > 0) {
      throw new PasswordPolicyViolationException({
        message: 'Password does not conform to the account password policy.',
        $metadata: meta(400),
      });
    }
    return value;
  }

  private rememberPassword(secretString: string): void {
    try {
      const password = (JSON.parse(secretString) as { password?: unknown }).password;
      if (typeof password === 'string') this.passwordsEverSeen.add(password);
    } catch {
      this.passwordsEverSeen.add(secretString);
    }
  }
}

function echo(error: Error, fault: Fault, input: Record<string, unknown>): Error {
  if (fault.echoInput) error.message = `${error.message} (request: ${JSON.stringify(input)})`;
  return error;
}

function meta(httpStatusCode: number): MetadataBearer['$metadata'] {
  return { httpStatusCode, requestId: 'fake-request', attempts: 1, totalRetryDelay: 0 };
}

/** The part of an `AbortSignal` the fake observes (the SDK passes the caller's signal down). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** The error the SDK's Node.js HTTP handler rejects an attempt with when its abort signal fires. */
function abortError(): Error {
  return Object.assign(new Error('Request aborted'), { name: 'AbortError' });
}

/**
 * Resolves with the abort error when `signal` fires, or after `ms` (if given) with `timeout()`;
 * never settles without a signal and `ms` (nothing ends a call nobody answers).
 */
function waitForAbort(signal: AbortSignalLike | undefined, ms?: number, timeout?: () => Error): Promise<Error> {
  return new Promise<Error>((resolve) => {
    if (signal?.aborted) return resolve(abortError());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      if (timer !== undefined) clearTimeout(timer);
      resolve(abortError());
    };
    signal?.addEventListener('abort', onAbort);
    if (ms !== undefined && timeout) {
      timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(timeout());
      }, ms);
    }
  });
}

/** The error a real call would raise for `kind`, shaped as the SDK shapes it. */
async function faultError(service: AnsweredService, kind: FaultKind, abortSignal?: AbortSignalLike): Promise<Error> {
  if (service === 'cloudformation') {
    // CloudFormation's query protocol: unmodelled errors keep their bare code as the name.
    const error = (name: string, status: number, message: string) =>
      new CloudFormationServiceException({
        name,
        $fault: status >= 500 ? 'server' : 'client',
        message,
        $metadata: meta(status),
      });
    switch (kind) {
      case 'Throttling':
        return error('Throttling', 400, 'Rate exceeded');
      case 'ServiceFailure':
      case 'InternalServiceError':
        return error('InternalFailure', 500, 'An internal error occurred.');
      case 'AccessDenied':
        return error('AccessDenied', 403, 'denied');
      default:
        break;
    }
  }
  if (service === 'events') {
    const error = (name: string, status: number, message: string) =>
      new EventBridgeServiceException({
        name,
        $fault: status >= 500 ? 'server' : 'client',
        message,
        $metadata: meta(status),
      });
    switch (kind) {
      case 'Throttling':
        return error('ThrottlingException', 400, 'Rate exceeded');
      case 'ServiceFailure':
      case 'InternalServiceError':
        return error('InternalException', 500, 'An internal error occurred.');
      case 'AccessDenied':
        return error('AccessDeniedException', 400, 'denied');
      case 'ResourceNotFound':
        return error('ResourceNotFoundException', 400, 'Event bus not found.');
      default:
        break;
    }
  }
  switch (kind) {
    case 'FailedEntry':
      throw new Error('FailedEntry is an answer of PutEvents, not an error');
    case 'AppliedNoAnswer':
      // The call was applied (see `call`); the answer never comes. Only an abort ends the wait.
      return waitForAbort(abortSignal);
    case 'Crash':
      // No timer: a dead invocation must not resume when a later test advances the clock.
      return new Promise<Error>(() => undefined);
    case 'Throttling':
      return service === 'iam'
        ? new IAMServiceException({
            name: 'Throttling',
            $fault: 'client',
            message: 'Rate exceeded',
            $metadata: meta(400),
          })
        : new SecretsManagerServiceException({
            name: 'ThrottlingException',
            $fault: 'client',
            message: 'Rate exceeded',
            $metadata: meta(400),
          });
    case 'ServiceFailure':
      return service === 'iam'
        ? new ServiceFailureException({ message: 'Service failure', $metadata: meta(500) })
        : new InternalServiceError({ message: 'An error occurred on the server side.', $metadata: meta(500) });
    case 'InternalServiceError':
      return new InternalServiceError({ message: 'An error occurred on the server side.', $metadata: meta(500) });
    case 'Timeout':
      // The Node.js HTTP handler's connectionTimeout: no socket, then a TimeoutError (or the abort).
      return waitForAbort(abortSignal, TIMEOUT_FAULT_MS, () =>
        Object.assign(
          new Error(
            `the request socket did not establish a connection with the server within the configured timeout of ${TIMEOUT_FAULT_MS} ms.`,
          ),
          { name: 'TimeoutError', $metadata: {} },
        ),
      );
    case 'EntityTemporarilyUnmodifiable':
      return new EntityTemporarilyUnmodifiableException({
        message: 'Login Profile for user cannot be modified while login profile is being created.',
        $metadata: meta(409),
      });
    case 'NoSuchEntity':
      return new NoSuchEntityException({ message: 'The user cannot be found.', $metadata: meta(404) });
    case 'PasswordPolicyViolation':
      return new PasswordPolicyViolationException({
        message: 'Password does not conform to the account password policy.',
        $metadata: meta(400),
      });
    case 'LimitExceeded':
      return service === 'iam'
        ? new IamLimitExceededException({ message: 'Limit exceeded', $metadata: meta(409) })
        : new SmLimitExceededException({ message: 'Limit exceeded', $metadata: meta(400) });
    case 'ConcurrentModification':
      return new ConcurrentModificationException({ message: 'Concurrent modification', $metadata: meta(409) });
    case 'ResourceNotFound':
      return new ResourceNotFoundException({
        message: "Secrets Manager can't find the resource",
        $metadata: meta(400),
      });
    case 'MalformedPolicyDocument':
      return new MalformedPolicyDocumentException({
        message: 'The policy document is malformed.',
        $metadata: meta(400),
      });
    case 'AccessDenied':
      return service === 'iam'
        ? new IAMServiceException({ name: 'AccessDenied', $fault: 'client', message: 'denied', $metadata: meta(403) })
        : new SecretsManagerServiceException({
            name: 'AccessDeniedException',
            $fault: 'client',
            message: 'denied',
            $metadata: meta(400),
          });
  }
}

/** SDK calls sent but not yet at the fake: the SDK is resolving config or credentials (maybe real I/O). */
let preparing = 0;

/**
 * How many SDK calls are between `send` and the fake (the harness gives them real time before it
 * moves the fake clock on: the abort timer of a call is pending while the SDK does real I/O).
 */
export function sdkCallsPreparing(): number {
  return preparing;
}

/** Adds the middleware that answers every attempt of `client` from `fake` (below the SDK retry). */
function answerFrom(
  fake: FakeAws,
  client: IAMClient | SecretsManagerClient | CloudFormationClient | EventBridgeClient,
): void {
  const stack = client.middlewareStack as IAMClient['middlewareStack'];
  const reached = new WeakMap<object, () => void>();
  stack.add(
    (next, context) => async (args) => {
      preparing++;
      let done = false;
      const reach = () => {
        if (!done) {
          done = true;
          preparing--;
        }
      };
      reached.set(context, reach);
      try {
        return await next(args);
      } finally {
        reach();
      }
    },
    { step: 'initialize', priority: 'high', name: 'fakeAwsPreparingMiddleware' },
  );
  stack.add(
    (_next, context) => async (args) => {
      reached.get(context)?.();
      const command = String(context.commandName ?? '').replace(/Command$/, '');
      // The `abortSignal` given to `send` reaches the middleware stack in the smithy context.
      const smithy = (context as { __smithy_context?: { abortSignal?: AbortSignalLike } }).__smithy_context;
      const output = await fake.call(command, args.input as Record<string, unknown>, smithy?.abortSignal);
      return { output: { $metadata: meta(200), ...output }, response: {} };
    },
    { step: 'deserialize', priority: 'high', name: 'fakeAwsMiddleware' },
  );
}

/**
 * Routes the handler's SDK clients to `fake`: resets the cached clients, then adds a
 * `deserialize`-step middleware that answers every attempt from the fake (below the SDK retry).
 */
export function installFake(fake: FakeAws): void {
  resetClients();
  answerFrom(fake, iam());
  answerFrom(fake, secrets());
  answerFrom(fake, cloudFormation());
  answerFrom(fake, eventBridge());
  installed = fake;
  // The handlers act only on events of their own stack: the one the fixtures' events name.
  process.env[STACK_ID_ENV] = STACK_ID;
  // And announce what they issue on the stack's handover bus.
  process.env[HANDOVER_BUS_ENV] = HANDOVER_BUS_ARN;
}

let installed: FakeAws | undefined;

/** The fake `installFake` routed the handler's clients to last (the harness tells its CloudFormation what is sent). */
export function installedFake(): FakeAws | undefined {
  return installed;
}

/**
 * Routes every IAM and Secrets Manager client to `fake`, also those a bundled handler creates
 * itself (from the same `@aws-sdk/*` packages): each client gets the fake's middleware before its
 * first call. Returns the function that undoes it.
 */
export function installFakeInSdk(fake: FakeAws): () => void {
  const routed = new WeakSet<object>();
  process.env[STACK_ID_ENV] = STACK_ID;
  process.env[HANDOVER_BUS_ENV] = HANDOVER_BUS_ARN;
  installed = fake;
  const undo = [IAMClient, SecretsManagerClient, CloudFormationClient, EventBridgeClient].map((Client) => {
    const prototype = Client.prototype as { send: (...args: unknown[]) => unknown };
    const own = Object.getOwnPropertyDescriptor(prototype, 'send');
    const send = prototype.send;
    prototype.send = function (
      this: IAMClient | SecretsManagerClient | CloudFormationClient | EventBridgeClient,
      ...args: unknown[]
    ) {
      if (!routed.has(this)) {
        routed.add(this);
        answerFrom(fake, this);
      }
      return send.apply(this, args);
    };
    return () => {
      if (own) Object.defineProperty(prototype, 'send', own);
      else delete (prototype as { send?: unknown }).send;
    };
  });
  return () => undo.forEach((restore) => restore());
}

/** CloudFormation's record of one resource of a stack (what `DescribeStackResource` answers). */
export interface FakeStackResource {
  resourceType: string;
  status: string;
  /** Absent while CloudFormation has none (a Create it still waits for). */
  physicalResourceId?: string;
  /** The properties the resource carries in its metadata (`PROPERTIES_METADATA_KEY`); absent: no such metadata. */
  properties?: Record<string, unknown>;
  /** The whole `Metadata` text, when a test wants something else than `properties` there. */
  metadataText?: string;
  /** Physical IDs an Update replaced (CloudFormation deletes each in the cleanup phase). */
  replaced?: string[];
}

/** A stack as `DescribeStacks` answers it, with its resources by logical ID. */
export interface FakeStack {
  readonly stackId: string;
  readonly name: string;
  status: string;
  readonly resources: Map<string, FakeStackResource>;
}

/** The fields of a custom-resource event CloudFormation's model moves on. */
export interface SentEvent {
  readonly RequestType: string;
  readonly RequestId: string;
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties?: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/** The states of a resource after its event, by request type and outcome. */
const AFTER: Record<string, { ok: string; failed: string }> = {
  Create: { ok: 'CREATE_COMPLETE', failed: 'CREATE_FAILED' },
  Update: { ok: 'UPDATE_COMPLETE', failed: 'UPDATE_FAILED' },
  Delete: { ok: 'DELETE_COMPLETE', failed: 'DELETE_FAILED' },
};

/**
 * CloudFormation as the handlers see it: stacks, their status, and the record of each resource.
 * `sending(event)` moves a stack and the event's resource to the states CloudFormation gives them
 * while it waits for the handler's answer; `answered(event, answer)` to the states after it (the
 * moments of `MOMENTS` in cloudformation-record.ts). Tests also set states directly (`setResource`,
 * `setStackStatus`) to show what a forged event finds.
 */
export class FakeCloudFormation {
  readonly stacks = new Map<string, FakeStack>();
  /**
   * What the record shows during an Update: the new properties, or the old ones (AWS does not
   * document which; the handler must cope with both). @default 'new'
   */
  updateShows: 'new' | 'old' = 'new';
  /** Per request ID: whether the Delete CloudFormation is sending is of a replaced physical resource. */
  private readonly replacedDeletes = new Set<string>();

  /** The stack `stackId` (a stack ARN), created (empty, no status yet) when it does not exist. */
  stack(stackId: string): FakeStack {
    let stack = this.stacks.get(stackId);
    if (!stack) {
      stack = { stackId, name: stackId.split('/')[1] ?? stackId, status: 'CREATE_IN_PROGRESS', resources: new Map() };
      this.stacks.set(stackId, stack);
    }
    return stack;
  }

  /** The record of `logicalResourceId` in `stackId` (default: the fixtures' stack), if there is one. */
  resource(logicalResourceId: string, stackId = STACK_ID): FakeStackResource | undefined {
    return this.stacks.get(stackId)?.resources.get(logicalResourceId);
  }

  /** Sets the record of `logicalResourceId` in `stackId` (the stack is created if needed). */
  setResource(logicalResourceId: string, record: FakeStackResource, stackId = STACK_ID): void {
    this.stack(stackId).resources.set(logicalResourceId, { ...record });
  }

  /** Sets the status of `stackId`. */
  setStackStatus(status: string, stackId = STACK_ID): void {
    this.stack(stackId).status = status;
  }

  /** CloudFormation is about to send `event`: the stack and the resource move to their in-progress states. */
  sending(event: SentEvent): void {
    const stack = this.stack(event.StackId);
    const existing = stack.resources.get(event.LogicalResourceId);
    const properties = decidingProperties(event.ResourceProperties);
    switch (event.RequestType) {
      case 'Create':
        // A Create of the stack's first deploy, or of a resource an update adds.
        stack.status = stack.status === 'CREATE_IN_PROGRESS' ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
        stack.resources.set(event.LogicalResourceId, {
          resourceType: event.ResourceType,
          status: 'CREATE_IN_PROGRESS',
          properties,
        });
        return;
      case 'Update': {
        // After a failed Update, the next one is its rollback (old and new properties swapped).
        stack.status = existing?.status === 'UPDATE_FAILED' ? 'UPDATE_ROLLBACK_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
        stack.resources.set(event.LogicalResourceId, {
          resourceType: event.ResourceType,
          status: 'UPDATE_IN_PROGRESS',
          physicalResourceId: event.PhysicalResourceId,
          properties: this.updateShows === 'old' ? decidingProperties(event.OldResourceProperties) : properties,
          replaced: existing?.replaced,
        });
        return;
      }
      case 'Delete': {
        const replaced =
          event.PhysicalResourceId !== undefined &&
          existing?.physicalResourceId !== event.PhysicalResourceId &&
          (existing?.replaced ?? []).includes(event.PhysicalResourceId);
        if (replaced) {
          // The Delete of a replaced physical resource: in the cleanup phase, the record shows its successor.
          this.replacedDeletes.add(event.RequestId);
          stack.status = stack.status.startsWith('UPDATE_ROLLBACK')
            ? 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'
            : 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
          return;
        }
        this.replacedDeletes.delete(event.RequestId);
        stack.status = existing?.status === 'CREATE_FAILED' ? 'ROLLBACK_IN_PROGRESS' : 'DELETE_IN_PROGRESS';
        stack.resources.set(event.LogicalResourceId, {
          resourceType: event.ResourceType,
          status: 'DELETE_IN_PROGRESS',
          physicalResourceId: event.PhysicalResourceId,
          properties,
        });
        return;
      }
    }
  }

  /** CloudFormation got `answer` to `event` (undefined: none came before it gave up). */
  answered(event: SentEvent, answer: Pick<CloudFormationResponse, 'Status' | 'PhysicalResourceId'> | undefined): void {
    const stack = this.stack(event.StackId);
    const record = stack.resources.get(event.LogicalResourceId);
    const ok = answer?.Status === 'SUCCESS';
    if (event.RequestType === 'Delete' && this.replacedDeletes.has(event.RequestId)) {
      this.replacedDeletes.delete(event.RequestId);
      stack.status = stack.status.startsWith('UPDATE_ROLLBACK') ? 'UPDATE_ROLLBACK_COMPLETE' : 'UPDATE_COMPLETE';
      return;
    }
    const after = AFTER[event.RequestType];
    if (!record || !after) return;
    const rollback = stack.status.includes('ROLLBACK');
    if (event.RequestType === 'Delete' && ok) {
      stack.resources.delete(event.LogicalResourceId);
      if (stack.status === 'ROLLBACK_IN_PROGRESS') stack.status = 'ROLLBACK_COMPLETE';
      else if (stack.resources.size === 0) stack.status = 'DELETE_COMPLETE';
      return;
    }
    record.status = ok ? after.ok : after.failed;
    if (answer !== undefined && event.RequestType !== 'Delete' && (ok || event.RequestType === 'Create')) {
      const before = record.physicalResourceId;
      record.physicalResourceId = answer.PhysicalResourceId;
      if (event.RequestType === 'Update' && before !== undefined && before !== answer.PhysicalResourceId) {
        record.replaced = [...(record.replaced ?? []), before];
      }
    }
    if (event.RequestType === 'Update' && ok) record.properties = decidingProperties(event.ResourceProperties);
    if (ok) stack.status = rollback ? 'UPDATE_ROLLBACK_COMPLETE' : stack.status.replace('_IN_PROGRESS', '_COMPLETE');
    else if (event.RequestType === 'Create') stack.status = rollback ? stack.status : 'ROLLBACK_IN_PROGRESS';
    else if (event.RequestType === 'Update')
      stack.status = rollback ? 'UPDATE_ROLLBACK_FAILED' : 'UPDATE_ROLLBACK_IN_PROGRESS';
    else stack.status = 'DELETE_FAILED';
  }

  /** The stack ARN `stackName` (a stack ID or name) stands for, for the authorizer. */
  stackArnOf(stackName: unknown): string {
    const name = String(stackName);
    return this.find(name)?.stackId ?? name;
  }

  describeStackResource(input: Record<string, unknown>): Record<string, unknown> {
    const stack = this.existing(input.StackName);
    const logicalId = String(input.LogicalResourceId);
    const record = stack.resources.get(logicalId);
    if (!record) throw validationError(`Resource ${logicalId} does not exist for stack ${stack.name}`);
    const metadata =
      record.metadataText ??
      (record.properties === undefined ? undefined : JSON.stringify({ [PROPERTIES_METADATA_KEY]: record.properties }));
    return {
      StackResourceDetail: {
        StackName: stack.name,
        StackId: stack.stackId,
        LogicalResourceId: logicalId,
        ...(record.physicalResourceId === undefined ? {} : { PhysicalResourceId: record.physicalResourceId }),
        ResourceType: record.resourceType,
        LastUpdatedTimestamp: new Date(0),
        ResourceStatus: record.status,
        ...(metadata === undefined ? {} : { Metadata: metadata }),
      },
    };
  }

  describeStacks(input: Record<string, unknown>): Record<string, unknown> {
    const stack = this.existing(input.StackName);
    return {
      Stacks: [{ StackName: stack.name, StackId: stack.stackId, StackStatus: stack.status, CreationTime: new Date(0) }],
    };
  }

  private find(name: string): FakeStack | undefined {
    return (
      this.stacks.get(name) ?? [...this.stacks.values()].find((s) => s.name === name && s.status !== 'DELETE_COMPLETE')
    );
  }

  private existing(stackName: unknown): FakeStack {
    const stack = this.find(String(stackName));
    if (!stack) throw validationError(`Stack with id ${String(stackName)} does not exist`);
    return stack;
  }
}

/** The deciding properties of an event's properties, as the construct records them in the metadata. */
function decidingProperties(properties: Record<string, unknown> | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties ?? {})) {
    if (!NON_DECIDING_PROPERTIES.includes(key) && value !== undefined) result[key] = structuredClone(value);
  }
  return result;
}

/** CloudFormation's answer about a stack or resource it does not have. */
function validationError(message: string): Error {
  return new CloudFormationServiceException({
    name: 'ValidationError',
    $fault: 'client',
    message,
    $metadata: meta(400),
  });
}
