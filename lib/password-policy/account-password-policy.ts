/** `AccountPasswordPolicy`: the IAM account password policy, set by a custom resource (CloudFormation has no resource for it). */
import {
  AspectPriority,
  Aspects,
  CfnResource,
  CustomResource,
  Duration,
  IAspect,
  Stack,
  Stage,
  Tokenization,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { LOGIN_PROFILE_RESOURCE_TYPE } from '../login-profile/contract';
import { LoginProfile } from '../login-profile/login-profile';
import { LoginProfileProvider, readOwnStackStatement } from '../login-profile/provider';
import { LoginProfileRotation } from '../rotation/rotation';
import { HandlerCode } from '../handler/handler-code';
import {
  customResourceServiceTimeout,
  handlerFunction,
  validatedHandlerCode,
  validatedLogEncryptionKey,
  validatedLogRetention,
} from '../handler/handler-function';
import { PROPERTIES_METADATA_KEY } from '../handler/contract';
import { NAG_REASONS, acknowledgeAccountWideActions, acknowledgeFunctionRole } from '../compliance/nag';
import { addWarning, deploymentUnit, templateStackParent } from '../core/deployment';
import { PropValidationError, validateWholeNumber } from '../core/validation';
import { ACCOUNT_PASSWORD_POLICY_RESOURCE_TYPE, AccountPasswordPolicyResourceProperties } from './contract';

/** Props of `AccountPasswordPolicy`: the fields of IAM's `UpdateAccountPasswordPolicy`, in camelCase. */
export interface AccountPasswordPolicyProps {
  /**
   * Minimum number of characters in a password, 6 to 128.
   * @default 6 (the API's default)
   */
  readonly minimumPasswordLength?: number;

  /**
   * Whether a password needs at least one of IAM's symbols `! @ # $ % ^ & * ( ) _ + - = [ ] { } | '`.
   * @default false
   */
  readonly requireSymbols?: boolean;

  /**
   * Whether a password needs at least one digit.
   * @default false
   */
  readonly requireNumbers?: boolean;

  /**
   * Whether a password needs at least one uppercase letter (A-Z).
   * @default false
   */
  readonly requireUppercaseCharacters?: boolean;

  /**
   * Whether a password needs at least one lowercase letter (a-z).
   * @default false
   */
  readonly requireLowercaseCharacters?: boolean;

  /**
   * Whether IAM users may change their own password (gives every user `iam:ChangePassword` on itself).
   * @default false
   */
  readonly allowUsersToChangePassword?: boolean;

  /**
   * How long a password is valid: whole days, 1 to 1095 (a `Duration`, so `Duration.days(90)`;
   * a `Duration` rather than a number of days so that units cannot be confused).
   * @default - passwords never expire
   */
  readonly maxPasswordAge?: Duration;

  /**
   * How many previous passwords a user may not reuse, 1 to 24.
   * @default - reuse is not checked
   */
  readonly passwordReusePrevention?: number;

  /**
   * Whether a user whose password expired is locked out until an administrator resets it
   * (otherwise they must choose a new one at sign-in).
   * @default false
   */
  readonly hardExpiry?: boolean;

  /**
   * How long the handler's log group keeps its events (a log group of its own, deleted with the stack).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Customer managed KMS key that encrypts the handler's log group. A key defined in the app gets a
   * statement letting CloudWatch Logs in the stack's region use it for this account's log groups;
   * an imported key's policy must allow that already. The handler logs no secret: this is your
   * choice, for key control.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Where the handler takes its code from: `HandlerCode.ASSET`, a CDK file asset that
   * `cdk deploy` uploads to the bootstrap bucket, or `HandlerCode.INLINE`, the bundled code
   * written into the template (about 10 KB), for stacks that cannot use file assets, such as
   * CloudFormation StackSets. Synth fails when this is `HandlerCode.ASSET` in a stack whose
   * `LoginProfileProvider` is `HandlerCode.INLINE` (the stack would still need a file asset).
   * @default - the `handlerCode` of the stack's `LoginProfileProvider` when the stack has one
   * (create the provider first), else `HandlerCode.ASSET`
   */
  readonly handlerCode?: HandlerCode;
}

/** Marks the deployment unit (stage, or template stack) that holds an `AccountPasswordPolicy`. */
const REGISTRY = Symbol.for('cdk-console-users.AccountPasswordPolicy');

/**
 * Sets the IAM account password policy, and puts back the previous one when it is deleted.
 *
 * At most one per app (per `Stage`), or per template stack such as a cdk-stacksets
 * `StackSetStack`, which deploys to accounts of its own: an account has one password policy. Every
 * login profile deployed with it is created after it (across the stage's stacks too, through a
 * stack dependency; within a StackSet's template, through a resource dependency), so their
 * passwords are generated for this policy.
 */
export class AccountPasswordPolicy extends Construct {
  /**
   * Id of the warning that login profiles in another template stack (another StackSet) of the
   * app are not ordered after this policy, which is itself in a template stack.
   */
  public static readonly WARNING_UNORDERED_LOGIN_PROFILES = 'cdk-console-users:login-profiles-unordered-with-policy';

  /** The custom resource; its physical ID records the policy in force before it was created. */
  public readonly resource: CustomResource;
  /**
   * The Lambda function that applies and restores the policy. CloudFormation invokes it directly
   * (its ARN is the service token) and it answers CloudFormation itself.
   */
  public readonly handler: lambda.Function;
  /** How long a password is valid, if the policy makes passwords expire. */
  public readonly maxPasswordAge?: Duration;
  /** Minimum password length of the policy. */
  public readonly minimumPasswordLength: number;
  /** Where the handler takes its code from. */
  public readonly handlerCode: HandlerCode;

  constructor(scope: Construct, id: string, props: AccountPasswordPolicyProps = {}) {
    super(scope, id);
    validateProps(this, props);
    const logRetention = validatedLogRetention(this, 'logRetention', props.logRetention);
    const logEncryptionKey = validatedLogEncryptionKey(this, 'logEncryptionKey', props.logEncryptionKey);
    const providerAtCreation = providerOf(Stack.of(this));
    this.handlerCode = validatedHandlerCode(
      this,
      'handlerCode',
      props.handlerCode,
      providerAtCreation?.handlerCode ?? HandlerCode.ASSET,
    );
    claimDeploymentUnit(this);
    this.maxPasswordAge = props.maxPasswordAge;
    this.minimumPasswordLength = props.minimumPasswordLength ?? 6;
    if (this.handlerCode === HandlerCode.ASSET) {
      this.node.addValidation({
        validate: () => assetInInlineStack(this, props.handlerCode === undefined, providerAtCreation),
      });
    }

    const timeout = Duration.minutes(1);
    this.handler = handlerFunction(this, 'Handler', {
      asset: 'account-password-policy-handler',
      code: this.handlerCode,
      description: 'sets the IAM account password policy and restores the previous one on delete',
      timeout,
      memorySize: 128,
      logRetention,
      logEncryptionKey,
      customResources: true,
    });
    const policy = new iam.Policy(this, 'HandlerPolicy', {
      roles: [this.handler.role!],
      statements: [
        new iam.PolicyStatement({
          sid: 'ManageAccountPasswordPolicy',
          // The account password policy has no resource type: IAM only accepts "*" for these.
          actions: [
            'iam:GetAccountPasswordPolicy',
            'iam:UpdateAccountPasswordPolicy',
            'iam:DeleteAccountPasswordPolicy',
          ],
          resources: ['*'],
        }),
        readOwnStackStatement(Stack.of(this)),
      ],
    });
    acknowledgeFunctionRole(this.handler);
    acknowledgeAccountWideActions(policy, NAG_REASONS.accountPasswordPolicy);

    const properties = resourceProperties(props);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.functionArn,
      serviceTimeout: customResourceServiceTimeout(timeout),
      resourceType: ACCOUNT_PASSWORD_POLICY_RESOURCE_TYPE,
      properties: { ...properties },
    });
    // The same properties where CloudFormation keeps them for the handler: it applies the policy of
    // CloudFormation's record, not an event's (anyone who may invoke the function can send it one).
    (this.resource.node.defaultChild as CfnResource).addMetadata(PROPERTIES_METADATA_KEY, { ...properties });
    // The permissions must outlive the resource: its Delete restores the previous policy. (The
    // function, referenced by the service token, is created before and deleted after it.)
    this.resource.node.addDependency(policy);

    Aspects.of(Stage.of(this) ?? this.node.root).add(new LoginProfilesAfterPolicy(this), {
      priority: AspectPriority.MUTATING,
    });
  }
}

/** The login-profile provider of `stack`, if it has one. */
function providerOf(stack: Stack): LoginProfileProvider | undefined {
  const child = stack.node.tryFindChild(LoginProfileProvider.ID);
  return child instanceof LoginProfileProvider ? child : undefined;
}

/**
 * The synth-time error of a policy whose handler is a file asset in a stack whose provider is
 * `HandlerCode.INLINE`: the stack would need a file asset after all. `defaulted` says the policy
 * took ASSET as its default (`providerAtCreation` being the provider it saw, if any).
 */
function assetInInlineStack(
  policy: AccountPasswordPolicy,
  defaulted: boolean,
  providerAtCreation: LoginProfileProvider | undefined,
): string[] {
  const provider = providerOf(Stack.of(policy));
  if (provider?.handlerCode !== HandlerCode.INLINE) return [];
  const byOrder = defaulted && providerAtCreation === undefined;
  const why = byOrder
    ? `its 'handlerCode' defaulted to HandlerCode.ASSET because the stack had no LoginProfileProvider yet when it was created`
    : `its 'handlerCode' is HandlerCode.ASSET`;
  const fix = byOrder
    ? 'Set handlerCode: HandlerCode.INLINE on this AccountPasswordPolicy, or create the LoginProfileProvider before it.'
    : 'Set handlerCode: HandlerCode.INLINE on this AccountPasswordPolicy, or leave it unset to follow the provider.';
  return [
    `${policy.node.path}: ${why}, but the stack's LoginProfileProvider (${provider.node.path}) has 'handlerCode' HandlerCode.INLINE, so the stack would still need a file asset. ${fix}`,
  ];
}

/**
 * Makes every login profile deployed with the policy depend on it, and checks rotation intervals
 * against it. "Deployed with" is the policy's deployment unit: its stage, or the template stack
 * (StackSet) it is in. Another template stack deploys with no order to it (each StackSet deploys
 * on its own, to each new account too): a login profile there is left unordered, with a warning
 * on the policy.
 */
class LoginProfilesAfterPolicy implements IAspect {
  private readonly unit: IConstruct;
  private readonly warned = new Set<IConstruct>();

  constructor(private readonly policy: AccountPasswordPolicy) {
    this.unit = deploymentUnit(policy);
  }

  public visit(node: IConstruct): void {
    if (node instanceof CfnResource && node.cfnResourceType === LOGIN_PROFILE_RESOURCE_TYPE) {
      this.order(node);
    }
    if (deploymentUnit(node) !== this.unit) return;
    const interval = node instanceof LoginProfile ? node.rotation?.automaticallyAfter : undefined;
    const maxAge = this.policy.maxPasswordAge;
    if (interval === undefined || maxAge === undefined || interval.isUnresolved() || maxAge.isUnresolved()) return;
    if (interval.toMilliseconds() > maxAge.toMilliseconds()) {
      addWarning(
        node,
        LoginProfileRotation.WARNING_EXCEEDS_MAX_PASSWORD_AGE,
        `rotation every ${interval.toHumanString()} is longer than the account password policy's maxPasswordAge of ${maxAge.toHumanString()} (${this.policy.node.path}): the password expires before it rotates. Rotate at most every ${maxAge.toHumanString()}, or acknowledge this warning.`,
      );
    }
  }

  private order(profile: CfnResource): void {
    const unit = deploymentUnit(profile);
    if (unit === this.unit) {
      // Across stacks this becomes a stack dependency: the policy's stack deploys first.
      profile.node.addDependency(this.policy.resource);
      return;
    }
    // A template stack of the policy's own stage: StackSets that may share accounts.
    if (Stage.of(unit) !== Stage.of(this.unit) || this.warned.has(unit)) return;
    if (templateStackParent(Stack.of(this.policy)) === undefined) return;
    this.warned.add(unit);
    addWarning(
      this.policy,
      AccountPasswordPolicy.WARNING_UNORDERED_LOGIN_PROFILES,
      `login profiles in ${unit.node.path} deploy with no order to this policy (${Stack.of(this.policy).node.path} is a template stack, as a StackSet's is, and each deploys on its own): their first passwords may be generated for the previous policy. Declare the AccountPasswordPolicy in the same template stack as the users, or acknowledge this warning.`,
    );
  }
}

function resourceProperties(props: AccountPasswordPolicyProps): AccountPasswordPolicyResourceProperties {
  const num = (n: number | undefined) => (n === undefined ? undefined : Tokenization.stringifyNumber(n));
  const bool = (b: boolean | undefined) => (b === undefined ? undefined : String(b));
  return {
    MinimumPasswordLength: num(props.minimumPasswordLength),
    RequireSymbols: bool(props.requireSymbols),
    RequireNumbers: bool(props.requireNumbers),
    RequireUppercaseCharacters: bool(props.requireUppercaseCharacters),
    RequireLowercaseCharacters: bool(props.requireLowercaseCharacters),
    AllowUsersToChangePassword: bool(props.allowUsersToChangePassword),
    MaxPasswordAge: props.maxPasswordAge === undefined ? undefined : num(props.maxPasswordAge.toDays()),
    PasswordReusePrevention: num(props.passwordReusePrevention),
    HardExpiry: bool(props.hardExpiry),
  };
}

function validateProps(policy: AccountPasswordPolicy, props: AccountPasswordPolicyProps): void {
  validateWholeNumber(policy, 'minimumPasswordLength', props.minimumPasswordLength, 6, 128);
  validateWholeNumber(policy, 'passwordReusePrevention', props.passwordReusePrevention, 1, 24);
  const age = props.maxPasswordAge;
  if (age !== undefined && !age.isUnresolved()) {
    const days = age.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1 || days > 1095) {
      throw new PropValidationError(
        policy,
        `'maxPasswordAge' must be whole days from 1 to 1095, got ${age.toHumanString()}`,
      );
    }
  }
}

/**
 * One per deployment unit (a stage, or a template stack such as a StackSet's): an account has one
 * password policy, and two resources deployed to the same accounts would undo each other.
 */
function claimDeploymentUnit(policy: AccountPasswordPolicy): void {
  const holder = deploymentUnit(policy) as unknown as Record<symbol, string | undefined>;
  const previous = holder[REGISTRY];
  if (previous !== undefined) {
    throw new PropValidationError(
      policy,
      `an AccountPasswordPolicy already exists in this ${templateStackParent(Stack.of(policy)) ? 'template stack' : 'app'} (${previous}); an account has one password policy, declare it once`,
    );
  }
  Object.defineProperty(holder, REGISTRY, { value: policy.node.path, enumerable: false });
}
