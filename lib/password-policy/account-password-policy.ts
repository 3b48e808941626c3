/** `AccountPasswordPolicy`: the IAM account password policy, set by a custom resource (CloudFormation has no resource for it). */
import { AspectPriority, Aspects, CfnResource, Duration, IAspect, Stack, Stage, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { LOGIN_PROFILE_RESOURCE_TYPE } from '../login-profile/contract';
import { LoginProfile } from '../login-profile/login-profile';
import { HandlerFunction, attestedCustomResource, readOwnStackStatement } from '../handler/handler-function';
import { NAG_REASONS, acknowledgeAccountWideActions } from '../compliance/nag';
import { addWarning, deploymentUnit, templateStackParent } from '../core/deployment';
import { checkRotationAgainstExpiry } from '../rotation/rotation';
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
}

/** Marks the deployment unit (stage, or template stack) that holds an `AccountPasswordPolicy`. */
const REGISTRY = Symbol.for('cdk-console-users.AccountPasswordPolicy');

/**
 * Sets the IAM account password policy, and puts back the previous one when it is deleted.
 *
 * At most one per app (per `Stage`), or per template stack such as a cdk-stacksets
 * `StackSetStack`: an account has one password policy. Every login profile deployed with it is
 * created after it, so its password is generated for this policy. Its function follows the
 * stack's `HandlerSettings`. Details: docs/lifecycle.md.
 */
export class AccountPasswordPolicy extends Construct {
  /**
   * Id of the warning that login profiles in another template stack (another StackSet) of the
   * app are not ordered after this policy, which is itself in a template stack.
   */
  public static readonly WARNING_UNORDERED_LOGIN_PROFILES = 'cdk-console-users:login-profiles-unordered-with-policy';

  /**
   * The custom resource; its physical ID records the policy in force before it was created.
   * @internal
   */
  public readonly _resource: CfnResource;
  /** How long a password is valid, if the policy makes passwords expire. */
  public readonly maxPasswordAge?: Duration;
  /** Minimum password length of the policy. */
  public readonly minimumPasswordLength: number;
  /** Whether the policy lets every IAM user change their own password. */
  public readonly allowUsersToChangePassword: boolean;

  constructor(scope: Construct, id: string, props: AccountPasswordPolicyProps = {}) {
    super(scope, id);
    validateProps(this, props);
    claimDeploymentUnit(this);
    this.maxPasswordAge = props.maxPasswordAge;
    this.minimumPasswordLength = props.minimumPasswordLength ?? 6;
    this.allowUsersToChangePassword = props.allowUsersToChangePassword ?? false;

    // Its settings (code, runtime, timeout, logs) are the stack's HandlerSettings.
    const handler = new HandlerFunction(this, 'Handler', {
      asset: 'account-password-policy-handler',
      description: 'sets the IAM account password policy and restores the previous one on delete',
      defaultTimeout: Duration.minutes(1),
      memorySize: 128,
      customResources: true,
    });
    const policy = new iam.Policy(this, 'HandlerPolicy', {
      roles: [handler.role],
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
    acknowledgeAccountWideActions(policy, NAG_REASONS.accountPasswordPolicy);

    const properties = resourceProperties(props);
    this._resource = attestedCustomResource(
      this,
      'Resource',
      handler,
      ACCOUNT_PASSWORD_POLICY_RESOURCE_TYPE,
      properties,
    );
    // The permissions must outlive the resource: its Delete restores the previous policy. (The
    // function, referenced by the service token, is created before and deleted after it.)
    this._resource.node.addDependency(policy);

    Aspects.of(Stage.of(this) ?? this.node.root).add(new LoginProfilesAfterPolicy(this), {
      priority: AspectPriority.MUTATING,
    });
  }
}

/**
 * Makes every login profile deployed with the policy depend on it, and checks each against its
 * maximum password age (`checkRotationAgainstExpiry`). "Deployed with" is the policy's deployment unit: its stage, or the template stack
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
    if (deploymentUnit(node) !== this.unit || !(node instanceof LoginProfile)) return;
    checkRotationAgainstExpiry(node, {
      policyPath: this.policy.node.path,
      maxPasswordAge: this.policy.maxPasswordAge,
      allowUsersToChangePassword: this.policy.allowUsersToChangePassword,
    });
  }

  private order(profile: CfnResource): void {
    const unit = deploymentUnit(profile);
    if (unit === this.unit) {
      // Across stacks this becomes a stack dependency: the policy's stack deploys first.
      profile.node.addDependency(this.policy._resource);
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
