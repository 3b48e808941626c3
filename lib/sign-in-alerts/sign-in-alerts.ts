/**
 * `SignInAlerts` and `SignInAlertsForwarder`: an alert for every console sign-in event of the
 * given IAM users, every takeover attempt on them (IAM calls giving someone a way in as the user)
 * and every access to their break-glass secrets, that reaches the home region's default event bus,
 * and forwarders that bring the events of other regions there.
 */
import { ArnFormat, Aspects, Lazy, Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { CHANGE_PASSWORD_GROUP_ID, REQUIRE_MFA_GROUP_ID } from '../login-profile/policy-groups';
import { LoginProfileProvider } from '../login-profile/provider';
import { HomeRegion, IHomeRegionAware } from '../organization/home-region';
import { LoginProfileRotation } from '../rotation/rotation';
import { addWarning } from '../core/deployment';
import { PropValidationError, validateUserName } from '../core/validation';
import { userNameOf } from '../core/user-name';
import { allowEventBridgeToEncryptWith } from '../permissions/event-bridge-key';
import {
  API_CALL_DETAIL_TYPE,
  SIGN_IN_DETAIL_TYPE,
  SecretIdForms,
  anyGroupCallDetail,
  secretDetail,
  signInDetail,
  takeoverDetail,
  withCallerExclusion,
} from './patterns';

/** Props of `SignInAlerts`. */
export interface SignInAlertsProps {
  /**
   * The IAM users whose console sign-ins (successful or not) and takeover attempts raise an alert:
   * users of this app or imported ones, with or without a path. More can be added with `addUser`.
   * @default - none yet; add at least one with `addUser` before synthesis
   */
  readonly users?: iam.IUser[];

  /**
   * The topic the alerts are published to. If it is encrypted, its key policy must let
   * `events.amazonaws.com` use the key (`kms:GenerateDataKey*`, `kms:Decrypt`): EventBridge cannot
   * publish to a topic under the AWS managed key `aws/sns`.
   * @default - a new topic, encrypted with a new customer managed key that EventBridge may use
   */
  readonly topic?: sns.ITopic;

  /**
   * Secrets whose reads, writes and resource-policy changes raise an alert (a `BreakGlassUser` adds
   * its own). Each must be in this construct's region: Secrets Manager records its calls there.
   * More can be added with `addSecret`.
   * @default - none
   */
  readonly secrets?: secretsmanager.ISecret[];
}

/**
 * Publishes an alert to an SNS topic when one of the given IAM users signs in to the console
 * (`rule`: CloudTrail's `ConsoleLogin`, successful or not, users matched by name), when anyone but
 * the library's own functions attempts a takeover of them (`takeoverRule`: their password, access
 * keys, MFA, policies, groups, boundary or `cdk-console-users:` tags, and the policies, name or
 * existence of the library's `policiesThroughGroups` groups they are in), and when anyone but those
 * functions reads or changes a given secret (`secretRule`, once a secret is added).
 *
 * EventBridge sees these events in the region CloudTrail records them in: IAM's calls and
 * global-endpoint sign-ins in us-east-1, some sign-ins in other regions. Add a
 * `SignInAlertsForwarder` in each other region (`forwardingRegions`); synth warns of the regions
 * left unwatched (`WARNING_US_EAST_1_NOT_WATCHED`, `WARNING_SIGN_IN_REGIONS_NOT_WATCHED`). In a
 * stack with a `HomeRegion` it forwards from every other region itself (`forwardingRule`). The
 * takeover and secret rules need a trail that logs management events (read events too, for
 * `GetSecretValue`). Delivery is best effort: CloudTrail remains the record.
 * See docs/break-glass.md.
 */
export class SignInAlerts extends Construct implements IHomeRegionAware {
  /**
   * Regions where CloudTrail is known to record IAM users' console sign-ins: us-east-1 for the
   * global endpoint, and the regions some sign-ins through regional endpoints or an account-alias
   * cookie land in. Add the regions your account uses.
   */
  public static readonly DEFAULT_FORWARDING_REGIONS: string[] = [
    'us-east-1',
    'us-east-2',
    'eu-north-1',
    'ap-southeast-2',
  ];

  /**
   * The regions that need a `SignInAlertsForwarder` for alerts in `homeRegion`:
   * `DEFAULT_FORWARDING_REGIONS` and `additionalRegions` (the regions your account uses), each
   * once, without `homeRegion`.
   */
  public static forwardingRegions(homeRegion: string, additionalRegions?: string[]): string[] {
    const regions = [...SignInAlerts.DEFAULT_FORWARDING_REGIONS, ...(additionalRegions ?? [])];
    return [...new Set(regions)].filter((region) => region !== homeRegion);
  }

  /**
   * Warning id: an event pattern of one of the rules (or of a forwarder's) is estimated to exceed
   * EventBridge's default event-pattern size quota, 2,048 characters (an adjustable quota).
   * Acknowledge with `Annotations.of(rule).acknowledgeWarning(id, reason)`.
   */
  public static readonly WARNING_EVENT_PATTERN_SIZE = 'cdk-console-users:event-pattern-size';

  /**
   * Warning id: this `SignInAlerts` does not watch us-east-1, where CloudTrail records IAM's calls
   * (the takeover attempts) and the sign-ins through the global endpoint. Raised at synth for a
   * stack in another region without a `SignInAlertsForwarder` in us-east-1 for it, and for an
   * env-agnostic stack (no forwarder can reach it), unless the stack has a `HomeRegion`.
   * Acknowledge with `Annotations.of(alerts).acknowledgeWarning(id, reason)` (or on a
   * `BreakGlassUser` that made it).
   */
  public static readonly WARNING_US_EAST_1_NOT_WATCHED = 'cdk-console-users:us-east-1-not-watched';

  /**
   * Warning id: one of the other regions where CloudTrail is known to record IAM users' console
   * sign-ins (`DEFAULT_FORWARDING_REGIONS`) is neither this `SignInAlerts`' region nor forwarded
   * to it by a `SignInAlertsForwarder`. Raised at synth (for an env-agnostic stack too), unless
   * the stack has a `HomeRegion`. Acknowledge with
   * `Annotations.of(alerts).acknowledgeWarning(id, reason)` (or on a `BreakGlassUser` that made it).
   */
  public static readonly WARNING_SIGN_IN_REGIONS_NOT_WATCHED = 'cdk-console-users:sign-in-regions-not-watched';

  /** The topic the alerts are published to. */
  public readonly topic: sns.ITopic;
  /** The customer managed key of the topic, when this construct created the topic. */
  public readonly topicKey?: kms.IKey;
  /** The EventBridge rule of the console sign-ins, on the default event bus of this stack's region. */
  public readonly rule: events.Rule;
  /**
   * The EventBridge rule of the takeover attempts (IAM calls on the users, and on the library's
   * `policiesThroughGroups` groups they are members of), on the same bus.
   */
  public readonly takeoverRule: events.Rule;

  private readonly users: { readonly user: iam.IUser; readonly name: string }[] = [];
  private readonly secrets: secretsmanager.ISecret[] = [];
  private forwarder?: events.Rule;
  private secretAccessRule?: events.Rule;
  /** The regions of the `SignInAlertsForwarder`s that forward to this construct. */
  private readonly forwardedRegions = new Set<string>();

  constructor(scope: Construct, id: string, props: SignInAlertsProps = {}) {
    super(scope, id);
    if (props.topic) {
      this.topic = props.topic;
    } else {
      const key = new kms.Key(this, 'TopicKey', {
        description: `Encrypts the console sign-in alerts of ${this.node.path}`,
        enableKeyRotation: true,
      });
      allowEventBridgeToEncryptWith(key, 'EventBridgePublishesSignInAlerts');
      this.topicKey = key;
      this.topic = new sns.Topic(this, 'Topic', {
        displayName: 'Console sign-in alerts',
        masterKey: key,
        enforceSSL: true,
      });
    }

    this.rule = new events.Rule(this, 'Rule', {
      description: 'cdk-console-users: console sign-ins of the declared IAM users',
      eventPattern: signInPattern(Lazy.list({ produce: () => this.users.map((u) => u.name) })),
    });
    this.rule.addTarget(
      new targets.SnsTopic(this.topic, {
        message: events.RuleTargetInput.fromText(
          [
            `Console sign-in by IAM user ${events.EventField.fromPath('$.detail.userIdentity.userName')}`,
            `in account ${events.EventField.account}:`,
            `${events.EventField.fromPath('$.detail.responseElements.ConsoleLogin')},`,
            `MFA used: ${events.EventField.fromPath('$.detail.additionalEventData.MFAUsed')},`,
            `from ${events.EventField.fromPath('$.detail.sourceIPAddress')}`,
            `at ${events.EventField.time}, recorded in ${events.EventField.region}.`,
          ].join(' '),
        ),
      }),
    );
    this.takeoverRule = new events.Rule(this, 'TakeoverRule', {
      description: 'cdk-console-users: takeover attempts on the declared IAM users (IAM calls by others)',
      eventPattern: {
        source: ['aws.iam'],
        detailType: [API_CALL_DETAIL_TYPE],
        // Read at synth, so that users added later and the stack's functions made later count.
        detail: Lazy.any({
          produce: () =>
            withCallerExclusion(
              takeoverDetail(
                this.users.map((u) => u.name),
                this.policyGroups().map((g) => g.groupName),
              ),
              this.libraryRoleArns(),
            ),
        }) as unknown as Record<string, unknown>,
      },
    });
    this.takeoverRule.addTarget(new targets.SnsTopic(this.topic, { message: takeoverMessage(false) }));
    this.node.addValidation({
      validate: () =>
        this.users.length === 0 ? [`'users' is empty; a SignInAlerts needs at least one user (props or addUser)`] : [],
    });
    warnOfLargePattern(this.rule);
    warnOfLargePattern(this.takeoverRule);
    this.nameGroupsInTakeoverAlerts();
    // At synth, when the forwarders of other stacks and a HomeRegion added later are known.
    Aspects.of(this).add({
      visit: (node) => {
        if (node === this) this.warnOfUnwatchedRegions();
      },
    });

    for (const user of props.users ?? []) this.addUser(user);
    for (const secret of props.secrets ?? []) this.addSecret(secret);

    const home = HomeRegion.of(this);
    if (home !== undefined) this._joinHomeRegion(home);
  }

  /**
   * In a stack with a `HomeRegion`: the rule that forwards the sign-in events and the IAM calls on
   * the users of every other region to the home region's default event bus (it exists in every
   * region but the home region; IAM's calls are recorded in us-east-1 only).
   * @default - none: the stack has no `HomeRegion`
   */
  public get forwardingRule(): events.Rule | undefined {
    return this.forwarder;
  }

  /**
   * The EventBridge rule of the accesses to the secrets (`addSecret`), on the default event bus of
   * this stack's region. It is enabled for read-only management events
   * (`ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`), so that `GetSecretValue` reaches it.
   * @default - none: no secret was added
   */
  public get secretRule(): events.Rule | undefined {
    return this.secretAccessRule;
  }

  /**
   * Raises alerts for reads (`GetSecretValue`), writes (`PutSecretValue`, `UpdateSecret`,
   * `UpdateSecretVersionStage`, `RotateSecret`, `CancelRotateSecret`, `DeleteSecret`,
   * `RestoreSecret`) and resource-policy changes (`PutResourcePolicy`, `DeleteResourcePolicy`) of
   * `secret` by anyone but the library's own functions. `secret` must be in this construct's region
   * (Secrets Manager records its calls in the secret's region, where no forwarder reaches).
   */
  public addSecret(secret: secretsmanager.ISecret): void {
    const here = Stack.of(this);
    const there = Stack.of(secret);
    // Env-agnostic stacks share one region token: comparing the strings compares what is known.
    if (there.region !== here.region) {
      const region = (stack: Stack) =>
        Token.isUnresolved(stack.region) ? 'the region it is deployed to (env-agnostic)' : stack.region;
      throw new PropValidationError(
        this,
        `secret ${secret.node.path} is in ${region(there)}, this SignInAlerts in ${region(here)}: Secrets Manager records a secret's calls in its own region, so the alerts must be there (a SignInAlerts in the secret's stack)`,
      );
    }
    if (this.secrets.includes(secret)) {
      throw new PropValidationError(this, `secret ${secret.node.path} already raises alerts here`);
    }
    this.secrets.push(secret);
    if (this.secretAccessRule === undefined) this.secretAccessRule = this.newSecretRule();
  }

  /**
   * Adds the forwarder of the other regions, which exists wherever the alerts do not.
   * @internal
   */
  public _joinHomeRegion(home: HomeRegion): void {
    if (this.forwarder !== undefined) return;
    this.forwarder = forwardingRule(this, 'Forwarder', this, home.region, Stack.of(this).account);
    home._otherRegionsOnly(this.forwarder);
  }

  /**
   * Records a `SignInAlertsForwarder` that forwards `region`'s events here.
   * @internal
   */
  public _forwardedFrom(region: string): void {
    this.forwardedRegions.add(region);
  }

  /**
   * Warns when events of the users can be recorded in a region this construct neither is in nor
   * gets forwarded: IAM is a global service whose CloudTrail records are delivered in us-east-1
   * (CloudTrail User Guide, "Global service events"; IAM User Guide, "Logging IAM and AWS STS API
   * calls with AWS CloudTrail"), and an IAM user's console sign-in through the global sign-in
   * endpoint is recorded in us-east-1, or with an account-alias cookie in us-east-2, eu-north-1 or
   * ap-southeast-2, and one through a regional endpoint in that endpoint's region (CloudTrail User
   * Guide, "AWS Management Console sign-in events"). Nothing to warn of in a stack with a `HomeRegion`,
   * whose forwarder exists in every region the template is deployed to. The regions known here are
   * the commercial partition's (`DEFAULT_FORWARDING_REGIONS`): a stack in another partition gets
   * no warning.
   */
  private warnOfUnwatchedRegions(): void {
    if (HomeRegion.of(this) !== undefined) return;
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? undefined : stack.region;
    if (region !== undefined && (RegionInfo.get(region).partition ?? 'aws') !== 'aws') return;
    const agnostic = region === undefined;
    const watched = agnostic ? 'only the region its env-agnostic stack is deployed to' : region;
    /** What to do about `regions`: forwarders, and for a template of several regions a HomeRegion. */
    const fix = (regionList: string[]) => {
      const regions = regionList.join(', ');
      const inEach = regionList.length === 1 ? `in ${regions}` : `in each of ${regions}`;
      return agnostic
        ? `Give the stack an explicit env ({ account, region }) and add a SignInAlertsForwarder in a stack ${inEach}, in the same account; or, for one template deployed to several regions (a StackSet), give it a HomeRegion and deploy it to ${regions} too.`
        : `Add a SignInAlertsForwarder for it in a stack ${inEach}, in the same account.`;
    };

    if (region !== GLOBAL_EVENTS_REGION && !this.forwardedRegions.has(GLOBAL_EVENTS_REGION)) {
      addWarning(
        this,
        SignInAlerts.WARNING_US_EAST_1_NOT_WATCHED,
        [
          `this SignInAlerts watches ${watched}, and no SignInAlertsForwarder in us-east-1 forwards to it${agnostic ? ' (a forwarder needs explicit regions)' : ''}:`,
          `CloudTrail records IAM's calls in us-east-1 only, so its takeover alerts never fire${agnostic ? ' unless the stack is deployed to us-east-1' : ''},`,
          'and console sign-ins through the global endpoint without an account-alias cookie (recorded in us-east-1) raise no alert.',
          fix([GLOBAL_EVENTS_REGION]),
        ].join(' '),
      );
    }

    const unwatched = SignInAlerts.DEFAULT_FORWARDING_REGIONS.filter(
      (r) => r !== GLOBAL_EVENTS_REGION && r !== region && !this.forwardedRegions.has(r),
    );
    if (unwatched.length > 0) {
      const forwarded = [...this.forwardedRegions].sort();
      const regions = unwatched.join(', ');
      addWarning(
        this,
        SignInAlerts.WARNING_SIGN_IN_REGIONS_NOT_WATCHED,
        [
          `console sign-ins recorded in ${regions} raise no alert${agnostic ? ' (except in the one the stack is deployed to)' : ''}:`,
          "CloudTrail records an IAM user's sign-in through the global endpoint with an account-alias cookie in us-east-2, eu-north-1 or ap-southeast-2 (by latency), and through a regional endpoint in that endpoint's region,",
          `and this SignInAlerts watches ${watched}${forwarded.length > 0 ? ` and what its forwarders in ${forwarded.join(', ')} send it` : ''}.`,
          fix(unwatched),
          'SignInAlerts.forwardingRegions(home, regionsInUse) lists the regions to forward, with those your account uses.',
        ].join(' '),
      );
    }
  }

  /** Raises alerts for the console sign-ins of and takeover attempts on `user` too (here and in every forwarder). */
  public addUser(user: iam.IUser): void {
    const name = userNameOf(user) ?? user.userName;
    validateUserName(this, `the user name of ${user.node.path}`, name);
    if (this.users.some((u) => u.user === user || (!Token.isUnresolved(name) && u.name === name))) {
      throw new PropValidationError(this, `user ${user.node.path} (${name}) already raises alerts here`);
    }
    // A declared user's name as written (a literal when given), so that forwarders in other
    // regions' stacks can name it; the user's reference otherwise, usable in this stack only.
    this.users.push({ user, name: Token.isUnresolved(name) ? user.userName : name });
  }

  /**
   * The ARNs of the roles of the library's own functions (login-profile handler, rotation) in this
   * stack and in the stacks of its users and secrets that share its account and region: the
   * callers whose IAM and Secrets Manager calls raise no alert. Read at synth; nothing is created.
   */
  private libraryRoleArns(): string[] {
    const arns: string[] = [];
    for (const stack of this.stacksHere([...this.users.map((u) => u.user), ...this.secrets])) {
      for (const id of [LoginProfileProvider.ID, LoginProfileRotation.ID]) {
        const found = stack.node.tryFindChild(id);
        if (found instanceof LoginProfileProvider || found instanceof LoginProfileRotation) {
          if (found.handler.role !== undefined) arns.push(found.handler.role.roleArn);
        }
      }
    }
    return arns;
  }

  /** This stack and the stacks of `scopes` that share its account and region. */
  private stacksHere(scopes: IConstruct[]): Set<Stack> {
    const here = Stack.of(this);
    const stacks = new Set<Stack>([here]);
    for (const scope of scopes) {
      const stack = Stack.of(scope);
      // Env-agnostic stacks share the region and account tokens, and may reference each other.
      if (stack.region === here.region && stack.account === here.account) stacks.add(stack);
    }
    return stacks;
  }

  /**
   * The library's policy groups (`policiesThroughGroups`: `CdkConsoleUsersChangePasswordGroup`,
   * `CdkConsoleUsersRequireMfaGroup`) that one of the users is a member of, in this stack and the
   * users' stacks of the same account and region: a call naming one of them changes what the user
   * may do without naming the user. Read at synth; nothing is created.
   */
  private policyGroups(): iam.Group[] {
    const groups: iam.Group[] = [];
    for (const stack of this.stacksHere(this.users.map((u) => u.user))) {
      for (const id of [CHANGE_PASSWORD_GROUP_ID, REQUIRE_MFA_GROUP_ID]) {
        const group = stack.node.tryFindChild(id);
        if (group instanceof iam.Group && this.users.some((u) => isMemberOf(u.user, group))) groups.push(group);
      }
    }
    return groups;
  }

  /**
   * Whether the takeover rule watches policy groups of the users (so its forwarders send on calls
   * naming a group).
   * @internal
   */
  public _watchesPolicyGroups(): boolean {
    return this.policyGroups().length > 0;
  }

  /**
   * At synth, when the takeover rule watches policy groups: its alert names the group too (a call
   * naming a group names no user). The alert of a stack without them stays as it is.
   */
  private nameGroupsInTakeoverAlerts(): void {
    const rule = this.takeoverRule;
    Aspects.of(rule).add({
      visit: (node) => {
        if (node !== rule || !this._watchesPolicyGroups()) return;
        const input = takeoverMessage(true).bind(rule);
        (rule.node.defaultChild as events.CfnRule).addPropertyOverride('Targets.0.InputTransformer', {
          InputPathsMap: input.inputPathsMap,
          InputTemplate: input.inputTemplate,
        });
      },
    });
  }

  private newSecretRule(): events.Rule {
    const rule = new events.Rule(this, 'SecretRule', {
      description: 'cdk-console-users: reads, writes and policy changes of break-glass secrets by others',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: [API_CALL_DETAIL_TYPE],
        detail: Lazy.any({
          produce: () =>
            withCallerExclusion(
              secretDetail(this.secrets.map((secret) => secretIdForms(secret))),
              this.libraryRoleArns(),
            ),
        }) as unknown as Record<string, unknown>,
      },
    });
    // A rule in the ENABLED state receives no read-only management event (GetSecretValue): EventBridge
    // User Guide, "Receiving read-only management events from AWS services".
    (rule.node.defaultChild as events.CfnRule).state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
    warnOfLargePattern(rule);
    rule.addTarget(
      new targets.SnsTopic(this.topic, {
        message: apiCallMessage([
          `Secrets Manager call ${events.EventField.fromPath('$.detail.eventName')}`,
          `on secret ${events.EventField.fromPath('$.detail.requestParameters.secretId')}`,
        ]),
      }),
    );
    return rule;
  }

  /**
   * The user names that are literal strings, for a forwarder in another stack.
   * @internal
   */
  public _literalUserNames(): string[] {
    return this.users.map((u) => u.name).filter((name) => !Token.isUnresolved(name));
  }

  /**
   * Paths of the users whose names are known only at deploy time (a forwarder cannot name them).
   * @internal
   */
  public _usersWithoutLiteralName(): string[] {
    return this.users.filter((u) => Token.isUnresolved(u.name)).map((u) => u.user.node.path);
  }
}

/**
 * Whether `user` is a member of `group` in the template: a user of this app by its `Groups`, an
 * imported one by an `AWS::IAM::UserToGroupAddition` (which `addToGroup` puts in the group's stack).
 */
function isMemberOf(user: iam.IUser, group: iam.Group): boolean {
  if (user instanceof iam.User) {
    const stack = Stack.of(user);
    const cfn = user.node.defaultChild as iam.CfnUser;
    const groupName = JSON.stringify(stack.resolve(group.groupName));
    const groups: unknown = stack.resolve(cfn.groups);
    return Array.isArray(groups) && groups.some((g) => JSON.stringify(g) === groupName);
  }
  const stack = Stack.of(group);
  const groupName = JSON.stringify(stack.resolve(group.groupName));
  const userName = JSON.stringify(stack.resolve(user.userName));
  return stack.node.findAll().some((c) => {
    if (!(c instanceof iam.CfnUserToGroupAddition)) return false;
    const users: unknown = stack.resolve(c.users);
    return (
      JSON.stringify(stack.resolve(c.groupName)) === groupName &&
      Array.isArray(users) &&
      users.some((u) => JSON.stringify(u) === userName)
    );
  });
}

/**
 * The alert text of the takeover rule: the call, the user it names, and with `groups` the group it
 * names (empty when the call names none).
 */
function takeoverMessage(groups: boolean): events.RuleTargetInput {
  return apiCallMessage([
    `IAM call ${events.EventField.fromPath('$.detail.eventName')}`,
    `naming user "${events.EventField.fromPath('$.detail.requestParameters.userName')}"`,
    ...(groups ? [`group "${events.EventField.fromPath('$.detail.requestParameters.groupName')}"`] : []),
    '(a call naming no user acts on its caller)',
  ]);
}

/** The event pattern of the console sign-ins (success and failure) of the IAM users `userNames`. */
function signInPattern(userNames: string[]): events.EventPattern {
  return { source: ['aws.signin'], detailType: [SIGN_IN_DETAIL_TYPE], detail: signInDetail(userNames) };
}

/**
 * The event pattern of a forwarder: the console sign-ins and the IAM calls on the users
 * `userNames` (whoever makes them: the home region's rule leaves out the library's own functions,
 * whose roles a forwarder in another region cannot name), and with `groupCalls` the calls naming
 * any group (the home region's rule keeps those naming the users' policy groups, whose names
 * CloudFormation generates at deploy time in the home region's stack).
 */
function forwardedPattern(userNames: string[], groupCalls: boolean): events.EventPattern {
  return {
    source: ['aws.signin', 'aws.iam'],
    detailType: [SIGN_IN_DETAIL_TYPE, API_CALL_DETAIL_TYPE],
    detail: {
      $or: [signInDetail(userNames), takeoverDetail(userNames), ...(groupCalls ? [anyGroupCallDetail()] : [])],
    },
  };
}

/**
 * The forms a caller may name `secret` by in `SecretId` (Secrets Manager API Reference: "the ARN or
 * name of the secret"; a partial ARN, without the 6-character suffix, is accepted too): its full
 * ARN (when known), its ARN without the suffix, and its name. Matched exactly, so another secret
 * whose name starts with this one's raises no alert.
 */
function secretIdForms(secret: secretsmanager.ISecret): SecretIdForms {
  const cfn = secret.node.defaultChild;
  // Called at synth: a name CDK generates for a cross-environment reference is there by then.
  const literal = cfn instanceof secretsmanager.CfnSecret && Stack.of(cfn).resolve(cfn.name) !== undefined;
  // Otherwise aws-cdk-lib's own reading of the name from the full ARN (for a secret of this app,
  // the name CloudFormation generated, without Secrets Manager's suffix).
  const name = literal ? (cfn as secretsmanager.CfnSecret).name! : secret.secretName;
  const partialArn = Stack.of(secret).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  return { fullArn: secret.secretFullArn, partialArn, name };
}

/** Props of `SignInAlertsForwarder`. */
export interface SignInAlertsForwarderProps {
  /**
   * The `SignInAlerts` of the home region, in a stack of the same app and account with an explicit
   * region. Its users must have literal names (`userName`).
   */
  readonly alerts: SignInAlerts;
}

/**
 * Forwards the console sign-in events of the users of a `SignInAlerts`, and the IAM calls on them,
 * from this stack's region to the default event bus of the `SignInAlerts`' region, where they
 * raise the same alerts. One per other region (`SignInAlerts.forwardingRegions`), each in a stack
 * of the same account with an explicit region; the one in us-east-1 carries IAM's calls. Its
 * rule's role may only `events:PutEvents` on that bus. See docs/break-glass.md.
 */
export class SignInAlertsForwarder extends Construct {
  /** The rule that forwards the events. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SignInAlertsForwarderProps) {
    super(scope, id);
    if (!props || !props.alerts) {
      throw new PropValidationError(this, "'alerts' is required: the SignInAlerts of the home region");
    }
    const here = Stack.of(this);
    const home = Stack.of(props.alerts);
    if (here === home && HomeRegion.of(here) !== undefined) {
      throw new PropValidationError(
        this,
        `'alerts' is in this stack, which has a HomeRegion: that SignInAlerts forwards the other regions' events itself (its forwardingRule)`,
      );
    }
    for (const [what, value] of [
      ["this stack's region", here.region],
      ["the region of 'alerts'", home.region],
      ["this stack's account", here.account],
      ["the account of 'alerts'", home.account],
    ]) {
      if (Token.isUnresolved(value)) {
        throw new PropValidationError(
          this,
          `${what} must be explicit (env: { account, region }) to forward sign-in events between regions`,
        );
      }
    }
    if (here.region === home.region) {
      throw new PropValidationError(
        this,
        `'alerts' is in ${home.region}, this forwarder's own region: the SignInAlerts rule sees these events already`,
      );
    }
    if (here.account !== home.account) {
      throw new PropValidationError(
        this,
        `'alerts' is in account ${home.account}, this forwarder in ${here.account}: forward within one account`,
      );
    }
    this.rule = forwardingRule(this, 'Rule', props.alerts, home.region, home.account);
    props.alerts._forwardedFrom(here.region);
  }
}

/**
 * A rule in `scope`'s region that forwards the sign-in events of and IAM calls on the users of `alerts` to the
 * default event bus of `homeRegion` in `homeAccount`, with a role that may only put events there.
 */
function forwardingRule(
  scope: Construct,
  id: string,
  alerts: SignInAlerts,
  homeRegion: string,
  homeAccount: string,
): events.Rule {
  const here = Stack.of(scope);
  const homeBus = events.EventBus.fromEventBusArn(
    scope,
    `${id}HomeEventBus`,
    here.formatArn({
      service: 'events',
      region: homeRegion,
      account: homeAccount,
      resource: 'event-bus',
      resourceName: 'default',
    }),
  );
  const rule = new events.Rule(scope, id, {
    description: `cdk-console-users: forwards console sign-ins of and IAM calls on the declared IAM users to ${homeRegion}`,
    // Read at synth, when the users and their groups are known.
    eventPattern: {
      ...forwardedPattern([], false),
      detail: Lazy.any({
        produce: () => forwardedPattern(alerts._literalUserNames(), alerts._watchesPolicyGroups()).detail,
      }) as unknown as Record<string, unknown>,
    },
    targets: [new targets.EventBus(homeBus)],
  });
  warnOfLargePattern(rule);
  // A user named by its reference exists in the home region only: the forwarder cannot name it.
  scope.node.addValidation({
    validate: () =>
      alerts
        ._usersWithoutLiteralName()
        .map(
          (path) => `user ${path} has no literal user name; a forwarder in another region needs one: set 'userName'`,
        ),
  });
  return rule;
}

/**
 * Where CloudTrail records the calls of global services such as IAM, in the commercial partition
 * (CloudTrail User Guide, "Global service events").
 */
const GLOBAL_EVENTS_REGION = 'us-east-1';

/** EventBridge's default event-pattern size quota, in characters (EventBridge User Guide, "Amazon EventBridge quotas"). */
const EVENT_PATTERN_SIZE_QUOTA = 2048;

/**
 * The length a value CloudFormation resolves at deploy time is counted as: an IAM role ARN or a
 * secret's ARN with a name of typical length (a user name is at most 64).
 */
const RESOLVED_VALUE_ESTIMATE = 100;

/**
 * Warns at synth when `rule`'s event pattern, as CloudFormation will resolve it, is estimated to
 * exceed EventBridge's default size quota: literal parts counted exactly, each value resolved at
 * deploy time as `RESOLVED_VALUE_ESTIMATE` characters.
 */
function warnOfLargePattern(rule: events.Rule): void {
  Aspects.of(rule).add({
    visit: (node) => {
      if (node !== rule) return;
      const pattern = Stack.of(rule).resolve((rule.node.defaultChild as events.CfnRule).eventPattern);
      const length = JSON.stringify(pattern, (_key, value: unknown) =>
        isIntrinsic(value) ? 'x'.repeat(RESOLVED_VALUE_ESTIMATE) : value,
      ).length;
      if (length <= EVENT_PATTERN_SIZE_QUOTA) return;
      addWarning(
        rule,
        SignInAlerts.WARNING_EVENT_PATTERN_SIZE,
        `the event pattern of this rule is about ${length} characters, over EventBridge's default event-pattern size quota of ${EVENT_PATTERN_SIZE_QUOTA} (adjustable): CloudFormation will fail to create it unless the account's quota is raised. Raise the quota, or spread the users over several SignInAlerts.`,
      );
    },
  });
}

/** A CloudFormation intrinsic function or reference, as `Stack.resolve` renders it. */
function isIntrinsic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** The alert text of a CloudTrail API call: `what` was called, then who called it, from where, when, and its error. */
function apiCallMessage(what: string[]): events.RuleTargetInput {
  return events.RuleTargetInput.fromText(
    [
      ...what,
      `by ${events.EventField.fromPath('$.detail.userIdentity.type')}`,
      `${events.EventField.fromPath('$.detail.userIdentity.arn')}`,
      `in account ${events.EventField.account},`,
      `from ${events.EventField.fromPath('$.detail.sourceIPAddress')}`,
      `at ${events.EventField.time}, recorded in ${events.EventField.region};`,
      `error code (empty if it succeeded): ${events.EventField.fromPath('$.detail.errorCode')}.`,
    ].join(' '),
  );
}
