/**
 * `SignInAlerts` and `SignInAlertsForwarder`: an alert for every console sign-in event of the
 * given IAM users that reaches the home region's default event bus, and forwarders that bring the
 * events of other regions there.
 */
import { Lazy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { HomeRegion, IHomeRegionAware } from '../organization/home-region';
import { PropValidationError, validateUserName } from '../shared/validation';

/** Props of `SignInAlerts`. */
export interface SignInAlertsProps {
  /**
   * The IAM users whose console sign-ins (successful or not) raise an alert: users of this app or
   * imported ones, with or without a path. More can be added with `addUser`.
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
}

/**
 * Publishes an alert to an SNS topic whenever one of the given IAM users signs in to the console,
 * successfully or not, with or without MFA: an EventBridge rule on the default event bus of this
 * stack's region, for CloudTrail's `ConsoleLogin` events (`aws.signin`, "AWS Console Sign In via
 * CloudTrail") whose `userIdentity` is an `IAMUser` of one of those names.
 *
 * The user is matched by name: a failed sign-in's event carries no ARN, and IAM user names are
 * unique in an account whatever the path. The root user and every other user raise no alert.
 *
 * CloudTrail records an IAM user's sign-in in us-east-1 for the global endpoint, but in another
 * region for a regional endpoint or an account-alias cookie (for example us-east-2, eu-north-1,
 * ap-southeast-2). Put a `SignInAlertsForwarder` in each other region
 * (`SignInAlerts.forwardingRegions`) to bring those events here. In a stack with a `HomeRegion`
 * (one template deployed to several regions, a StackSet), the alerts exist in the home region and
 * this construct adds the forwarder itself (`forwardingRule`), which exists in every other region.
 * EventBridge delivers CloudTrail's
 * events on a best-effort basis: alerts are for the events that arrive, not a promise of every
 * sign-in; CloudTrail itself remains the record.
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

  /** The topic the alerts are published to. */
  public readonly topic: sns.ITopic;
  /** The customer managed key of the topic, when this construct created the topic. */
  public readonly topicKey?: kms.IKey;
  /** The EventBridge rule on the default event bus of this stack's region. */
  public readonly rule: events.Rule;

  private readonly users: { readonly user: iam.IUser; readonly name: string }[] = [];
  private forwarder?: events.Rule;

  constructor(scope: Construct, id: string, props: SignInAlertsProps = {}) {
    super(scope, id);
    if (props.topic) {
      this.topic = props.topic;
    } else {
      const key = new kms.Key(this, 'TopicKey', {
        description: `Encrypts the console sign-in alerts of ${this.node.path}`,
        enableKeyRotation: true,
      });
      // EventBridge publishes with its own service principal, which needs the key: a topic under
      // the AWS managed aws/sns key, whose policy cannot be changed, drops EventBridge's messages.
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'EventBridgePublishesSignInAlerts',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
        }),
      );
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
    this.node.addValidation({
      validate: () =>
        this.users.length === 0 ? [`'users' is empty; a SignInAlerts needs at least one user (props or addUser)`] : [],
    });

    for (const user of props.users ?? []) this.addUser(user);

    const home = HomeRegion.of(this);
    if (home !== undefined) this._joinHomeRegion(home);
  }

  /**
   * In a stack with a `HomeRegion`: the rule that forwards the sign-in events of every other region
   * to the home region's default event bus (it exists in every region but the home region).
   * @default - none: the stack has no `HomeRegion`
   */
  public get forwardingRule(): events.Rule | undefined {
    return this.forwarder;
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

  /** Raises alerts for the console sign-ins of `user` too (here and in every forwarder). */
  public addUser(user: iam.IUser): void {
    const cfn = user.node.defaultChild;
    const name = cfn instanceof iam.CfnUser && cfn.userName !== undefined ? cfn.userName : user.userName;
    validateUserName(this, `the user name of ${user.node.path}`, name);
    if (this.users.some((u) => u.user === user || (!Token.isUnresolved(name) && u.name === name))) {
      throw new PropValidationError(this, `user ${user.node.path} (${name}) already raises alerts here`);
    }
    // A declared user's name as written (a literal when given), so that forwarders in other
    // regions' stacks can name it; the user's reference otherwise, usable in this stack only.
    this.users.push({ user, name: Token.isUnresolved(name) ? user.userName : name });
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

/** The event pattern of the console sign-ins (success and failure) of the IAM users `userNames`. */
function signInPattern(userNames: string[]): events.EventPattern {
  return {
    source: ['aws.signin'],
    detailType: ['AWS Console Sign In via CloudTrail'],
    detail: {
      eventName: ['ConsoleLogin'],
      userIdentity: { type: ['IAMUser'], userName: userNames },
    },
  };
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
 * Forwards the console sign-in events of the users of a `SignInAlerts` from this stack's region to
 * the default event bus of the `SignInAlerts`' region, where they raise the same alert. One per
 * other region (see `SignInAlerts.forwardingRegions`), each in a stack of the same account with an
 * explicit region. Within one account the receiving bus needs no resource policy: the rule's role
 * may `events:PutEvents` on that bus, and nothing else.
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
  }
}

/**
 * A rule in `scope`'s region that forwards the sign-in events of the users of `alerts` to the
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
    description: `cdk-console-users: forwards console sign-ins of the declared IAM users to ${homeRegion}`,
    eventPattern: signInPattern(Lazy.list({ produce: () => alerts._literalUserNames() })),
    targets: [new targets.EventBus(homeBus)],
  });
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
