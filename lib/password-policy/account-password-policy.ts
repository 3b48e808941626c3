/** `AccountPasswordPolicy`: the IAM account password policy, set by a custom resource (CloudFormation has no resource for it). */
import {
  AspectPriority,
  Aspects,
  CfnResource,
  Duration,
  IAspect,
  Stack,
  Stage,
  Token,
  Tokenization,
} from 'aws-cdk-lib';
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

/**
 * A compliance standard's password-policy criteria, as AWS Security Hub checks them: one preset per
 * standard where the criteria differ. Each sets exactly what its controls check, and nothing more;
 * add to it with the other props (docs/security.md, "Controls auditors run").
 */
export enum PasswordPolicyPreset {
  /**
   * AWS Foundational Security Best Practices, control IAM.7 with its default parameters: at least
   * one uppercase letter, one lowercase letter, one symbol and one number, and at least 8 characters.
   */
  AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES = 'AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES',

  /**
   * CIS AWS Foundations Benchmark v1.2.0, controls IAM.11 to IAM.17: at least one uppercase letter
   * (IAM.11), one lowercase letter (IAM.12), one symbol (IAM.13) and one number (IAM.14), at least
   * 14 characters (IAM.15), the last 24 passwords not reused (IAM.16), and passwords that expire
   * within 90 days (IAM.17). It also meets every other preset.
   */
  CIS_AWS_FOUNDATIONS_V1_2_0 = 'CIS_AWS_FOUNDATIONS_V1_2_0',

  /**
   * CIS AWS Foundations Benchmark v1.4.0 and v3.0.0, controls IAM.15 and IAM.16: at least 14
   * characters and the last 24 passwords not reused. These versions no longer ask for character
   * classes or expiry.
   */
  CIS_AWS_FOUNDATIONS_V1_4_0 = 'CIS_AWS_FOUNDATIONS_V1_4_0',

  /**
   * PCI DSS v3.2.1, control IAM.10: at least one uppercase letter, one lowercase letter and one
   * number, at least 7 characters, the last 4 passwords not reused, and passwords that expire within
   * 90 days.
   */
  PCI_DSS_V3_2_1 = 'PCI_DSS_V3_2_1',
}

/** Props of `AccountPasswordPolicy`: the fields of IAM's `UpdateAccountPasswordPolicy`, in camelCase, and an optional preset. */
export interface AccountPasswordPolicyProps {
  /**
   * A compliance standard's criteria to start from. The other props add to it (a longer minimum,
   * `hardExpiry`, `allowUsersToChangePassword`, a shorter `maxPasswordAge`); one that would weaken a
   * criterion of the standard (a shorter minimum, a required character class set to false, fewer
   * passwords remembered, a longer `maxPasswordAge`) is a synth error. The same settings as props:
   * `AccountPasswordPolicy.presetProps(preset)`.
   * @default - no preset: only the props given
   */
  readonly preset?: PasswordPolicyPreset;

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
 * stack's `HandlerSettings`. `preset` starts from a compliance standard's criteria
 * (`PasswordPolicyPreset`). With `maxPasswordAge`, every login profile deployed with it is checked
 * at synth against it: a user who cannot change their own password must be rotated strictly more
 * often (an error otherwise). Details: docs/lifecycle.md.
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

  /**
   * The settings of `preset` as props, a new object on each call: spread them and add to them
   * (`{ ...AccountPasswordPolicy.presetProps(preset), hardExpiry: true }`), or pass `preset` itself.
   */
  public static presetProps(preset: PasswordPolicyPreset): AccountPasswordPolicyProps {
    const settings = PRESETS[preset];
    if (settings === undefined) {
      throw new Error(
        `unknown PasswordPolicyPreset ${JSON.stringify(preset)}; one of ${Object.keys(PRESETS).join(', ')}`,
      );
    }
    return { ...settings.props };
  }

  constructor(scope: Construct, id: string, givenProps: AccountPasswordPolicyProps = {}) {
    super(scope, id);
    const props = withPreset(this, givenProps);
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

/** A preset: its settings, and the control each setting answers, for messages. */
interface PresetSettings {
  readonly props: AccountPasswordPolicyProps;
  readonly controls: Partial<Record<keyof AccountPasswordPolicyProps, string>>;
}

const PRESETS: Record<PasswordPolicyPreset, PresetSettings> = {
  [PasswordPolicyPreset.AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES]: {
    props: {
      requireUppercaseCharacters: true,
      requireLowercaseCharacters: true,
      requireSymbols: true,
      requireNumbers: true,
      minimumPasswordLength: 8,
    },
    controls: {
      requireUppercaseCharacters: 'IAM.7',
      requireLowercaseCharacters: 'IAM.7',
      requireSymbols: 'IAM.7',
      requireNumbers: 'IAM.7',
      minimumPasswordLength: 'IAM.7',
    },
  },
  [PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_2_0]: {
    props: {
      requireUppercaseCharacters: true,
      requireLowercaseCharacters: true,
      requireSymbols: true,
      requireNumbers: true,
      minimumPasswordLength: 14,
      passwordReusePrevention: 24,
      maxPasswordAge: Duration.days(90),
    },
    controls: {
      requireUppercaseCharacters: 'IAM.11',
      requireLowercaseCharacters: 'IAM.12',
      requireSymbols: 'IAM.13',
      requireNumbers: 'IAM.14',
      minimumPasswordLength: 'IAM.15',
      passwordReusePrevention: 'IAM.16',
      maxPasswordAge: 'IAM.17',
    },
  },
  [PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_4_0]: {
    props: { minimumPasswordLength: 14, passwordReusePrevention: 24 },
    controls: { minimumPasswordLength: 'IAM.15', passwordReusePrevention: 'IAM.16' },
  },
  [PasswordPolicyPreset.PCI_DSS_V3_2_1]: {
    props: {
      requireUppercaseCharacters: true,
      requireLowercaseCharacters: true,
      requireNumbers: true,
      minimumPasswordLength: 7,
      passwordReusePrevention: 4,
      maxPasswordAge: Duration.days(90),
    },
    controls: {
      requireUppercaseCharacters: 'IAM.10',
      requireLowercaseCharacters: 'IAM.10',
      requireNumbers: 'IAM.10',
      minimumPasswordLength: 'IAM.10',
      passwordReusePrevention: 'IAM.10',
      maxPasswordAge: 'IAM.10',
    },
  },
};

/**
 * `props` over its preset's settings; a prop that would weaken a criterion of the preset's
 * standard is an error naming the prop, the value, the preset and its control.
 */
function withPreset(policy: AccountPasswordPolicy, props: AccountPasswordPolicyProps): AccountPasswordPolicyProps {
  const { preset, ...given } = props;
  if (preset === undefined) return given;
  const settings = PRESETS[preset];
  if (settings === undefined) {
    throw new PropValidationError(
      policy,
      `'preset' must be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(preset)}`,
    );
  }
  const fail = (prop: keyof AccountPasswordPolicyProps, allowed: string, got: string) => {
    throw new PropValidationError(
      policy,
      `'${prop}' must be ${allowed} with preset ${preset} (Security Hub ${settings.controls[prop]}), got ${got}; leave it out to take the preset's value`,
    );
  };
  for (const key of Object.keys(settings.props) as (keyof AccountPasswordPolicyProps)[]) {
    const required = settings.props[key];
    const value = (given as AccountPasswordPolicyProps)[key];
    if (value === undefined) continue;
    if (typeof required === 'boolean' && value === false) fail(key, 'true', 'false');
    if (typeof required === 'number' && typeof value === 'number' && !Token.isUnresolved(value) && value < required) {
      fail(key, `at least ${required}`, String(value));
    }
    if (required instanceof Duration && value instanceof Duration && !value.isUnresolved()) {
      if (value.toMilliseconds() > required.toMilliseconds()) {
        fail(key, `at most ${required.toHumanString()}`, value.toHumanString());
      }
    }
  }
  return { ...settings.props, ...definedOnly(given) };
}

/** `props` without the keys whose value is undefined (so that they do not hide a preset's value). */
function definedOnly(props: AccountPasswordPolicyProps): AccountPasswordPolicyProps {
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as AccountPasswordPolicyProps;
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
