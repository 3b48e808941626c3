/** `HandlerSettings`: the settings of a stack's library functions, given once, in any order. */
import { AspectPriority, Aspects, Duration, IAspect, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { stackSingleton } from '../core/stack-singleton';
import { PropValidationError } from '../core/validation';
import { HandlerCode } from './handler-code';
import {
  DEFAULT_LOG_RETENTION,
  validatedHandlerCode,
  validatedLogEncryptionKey,
  validatedLogRetention,
  validatedRuntime,
  validatedTimeout,
} from './validation';

/** Props of `HandlerSettings.configure`: the settings of every library function of a stack. */
export interface HandlerSettingsProps {
  /**
   * Lambda runtime of the functions (a Node.js runtime).
   * @default - the newest Node.js runtime that aws-cdk-lib knows for the stack's region
   */
  readonly runtime?: lambda.Runtime;

  /**
   * How long a function may run for one event: 30 seconds to 15 minutes. The handlers keep 10
   * seconds to answer and, during a Create, 8 more to undo what a failed call may have done, and
   * bound each AWS call at 8 seconds, so less than 30 seconds is refused. A custom resource's
   * `ServiceTimeout` (how long CloudFormation waits for an answer) follows it.
   * @default - 2 minutes for the login-profile and rotation functions, 1 minute for the
   * account-password-policy function
   */
  readonly timeout?: Duration;

  /**
   * How long the functions' log groups keep their events. Each function logs to a log group of
   * its own, deleted with the stack.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Customer managed KMS key that encrypts the functions' log groups. A key defined in the app gets
   * a statement letting CloudWatch Logs in the stack's region use it for this account's log groups;
   * an imported key's policy must allow that already. The functions never log a password: this is
   * your choice, for key control.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Where the functions take their code from: `HandlerCode.ASSET`, a CDK file asset that
   * `cdk deploy` uploads to the bootstrap bucket, or `HandlerCode.INLINE`, the bundled code written
   * into the template (17 to 29 KB per function), for stacks that cannot use file assets, such as
   * CloudFormation StackSets. The code in the template is the published handler: it holds no
   * secret, but anyone who can read the template can read it.
   * @default HandlerCode.ASSET
   */
  readonly handlerCode?: HandlerCode;
}

/**
 * The settings of the library's Lambda functions in a stack: the login-profile handler, the
 * rotation function and the account-password-policy function.
 *
 * A stack without a `configure` call gets the defaults. The functions are built when the app is
 * synthesized, so `configure` may come before or after the users, login profiles and password
 * policy of the stack. See docs/design.md ("Handler settings") for how.
 */
export class HandlerSettings {
  /**
   * Sets the settings of every library function of `scope`'s stack (`scope` is the stack or any
   * construct in it). Call it at most once per stack: a second call fails, naming both.
   */
  public static configure(scope: IConstruct, props: HandlerSettingsProps = {}): void {
    if (!scope.node.scopes.some((s) => Stack.isStack(s))) {
      throw new PropValidationError(
        scope,
        `HandlerSettings.configure needs a stack, or a construct in one, as its scope; got ${scope.node.path || 'the app'}, which is in no stack`,
      );
    }
    StackHandlerSettings.of(scope)._configure(scope, props);
  }

  private constructor() {}
}

/** The validated settings of a stack's functions. */
export interface ResolvedHandlerSettings {
  readonly runtime?: lambda.Runtime;
  readonly timeout?: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly logEncryptionKey?: kms.IKey;
  readonly handlerCode: HandlerCode;
}

/**
 * The settings of one stack and the functions waiting for them: one per stack, created on first
 * use (by `HandlerSettings.configure` or by a construct with a function).
 *
 * A `lambda.Function` binds its code, runtime, role and log group when it is constructed, and a
 * file asset registers itself with the stack when it is created, so a function cannot be built
 * before the settings are known, and `configure` may come last. An aspect at the start of
 * synthesis is the last point where constructs may still be added (validation runs after
 * references and dependencies are resolved: too late): this
 * one, registered on the stack with `AspectPriority.MUTATING`, builds every waiting function when
 * it visits the stack, before any read-only aspect (such as cdk-nag's) visits their resources.
 */
export class StackHandlerSettings extends Construct {
  /** The settings of `scope`'s stack, created if it has none yet. */
  public static of(scope: IConstruct): StackHandlerSettings {
    return stackSingleton(scope, 'CdkConsoleUsersHandlerSettings', StackHandlerSettings, (stack, id) => {
      return new StackHandlerSettings(stack, id);
    });
  }

  private resolved: ResolvedHandlerSettings = {
    logRetention: DEFAULT_LOG_RETENTION,
    handlerCode: HandlerCode.ASSET,
  };
  /** Path of the scope `configure` was called on, once it was. */
  private configuredOn?: string;
  private readonly waiting: Array<(settings: ResolvedHandlerSettings) => void> = [];
  private built = false;

  private constructor(stack: Stack, id: string) {
    super(stack, id);
    Aspects.of(stack).add(new BuildFunctions(stack, () => this.build()), { priority: AspectPriority.MUTATING });
  }

  /** Sets the settings (`HandlerSettings.configure` on `scope`). @internal */
  public _configure(scope: IConstruct, props: HandlerSettingsProps): void {
    const stack = Stack.of(this);
    if (this.configuredOn !== undefined) {
      throw new PropValidationError(
        scope,
        `HandlerSettings.configure was already called for stack ${stack.node.path}, on ${this.configuredOn}; the settings apply to every library function of the stack: call it once`,
      );
    }
    if (this.built) {
      throw new PropValidationError(
        scope,
        `HandlerSettings.configure is too late for stack ${stack.node.path}: its functions were built when synthesis started; call it while defining the app`,
      );
    }
    const prop = (name: string) => `HandlerSettings.configure: '${name}'`;
    this.resolved = {
      runtime: validatedRuntime(scope, prop('runtime'), props.runtime),
      timeout: validatedTimeout(scope, prop('timeout'), props.timeout),
      logRetention: validatedLogRetention(scope, prop('logRetention'), props.logRetention),
      logEncryptionKey: validatedLogEncryptionKey(scope, prop('logEncryptionKey'), props.logEncryptionKey),
      handlerCode: validatedHandlerCode(scope, prop('handlerCode'), props.handlerCode) ?? HandlerCode.ASSET,
    };
    this.configuredOn = scope.node.path || '(app root)';
  }

  /** Calls `build` with the final settings: when synthesis starts, or now if it has started. */
  public whenFinal(build: (settings: ResolvedHandlerSettings) => void): void {
    if (this.built) build(this.resolved);
    else this.waiting.push(build);
  }

  private build(): void {
    if (this.built) return;
    this.built = true;
    for (const build of this.waiting.splice(0)) build(this.resolved);
  }
}

/** Builds a stack's waiting functions when it visits the stack itself (a no-op on every other construct). */
class BuildFunctions implements IAspect {
  constructor(
    private readonly stack: Stack,
    private readonly build: () => void,
  ) {}

  public visit(node: IConstruct): void {
    if (node === this.stack) this.build();
  }
}
