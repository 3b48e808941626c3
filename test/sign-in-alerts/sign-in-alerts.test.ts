/** `SignInAlerts` and `SignInAlertsForwarder` as constructs: topic, key, rule, forwarders, bad input, cdk-nag. */
import { App, Annotations as CoreAnnotations, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Rule } from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StackSetStack } from 'cdk-stacksets';
import { BreakGlassUser, ConsoleUser, HomeRegion, SignInAlerts, SignInAlertsForwarder } from '../../lib';
import { SECRET_CALLS, secretDetail, takeoverDetail, withCallerExclusion } from '../../lib/sign-in-alerts/patterns';

const ACCOUNT = '123456789012';
const env = (region: string) => ({ account: ACCOUNT, region });

describe('SignInAlerts', () => {
  test('creates a topic under a customer managed key that EventBridge may use, and a rule publishing to it', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Alerts');
    const user = new ConsoleUser(stack, 'Alice', { userName: 'alice' });

    // WHEN
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [user] });

    // THEN the topic is encrypted with the construct's own key, which EventBridge may use
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SignInAlertsTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          }),
        ]),
      },
    });
    // ...the rule matches ConsoleLogin of the IAM user by name, and publishes a message saying what happened
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.signin'],
        'detail-type': ['AWS Console Sign In via CloudTrail'],
        'detail': { eventName: ['ConsoleLogin'], userIdentity: { type: ['IAMUser'], userName: ['alice'] } },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^SignInAlertsTopic') },
          InputTransformer: Match.objectLike({
            InputPathsMap: Match.objectLike({
              'detail-userIdentity-userName': '$.detail.userIdentity.userName',
              'detail-responseElements-ConsoleLogin': '$.detail.responseElements.ConsoleLogin',
              'detail-additionalEventData-MFAUsed': '$.detail.additionalEventData.MFAUsed',
            }),
          }),
        }),
      ],
    });
    // ...and EventBridge may publish to the topic
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } }),
        ]),
      },
    });
    expect(alerts.topicKey).toBeDefined();
  });

  test('publishes to a given topic and creates none', () => {
    const stack = new Stack(new App(), 'Given');
    const topic = new sns.Topic(stack, 'Mine', { masterKey: new kms.Key(stack, 'MyKey') });
    const alerts = new SignInAlerts(stack, 'SignInAlerts', {
      users: [iam.User.fromUserName(stack, 'V', 'vendor')],
      topic,
    });
    expect(alerts.topic).toBe(topic);
    expect(alerts.topicKey).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 1);
  });

  test('a user without a name in the template is matched by its reference; a user with a path by name', () => {
    const stack = new Stack(new App(), 'Names');
    const unnamed = new ConsoleUser(stack, 'Unnamed');
    const withPath = new ConsoleUser(stack, 'WithPath', { userName: 'bob', path: '/ops/' });
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [unnamed] });
    alerts.addUser(withPath);
    alerts.addUser(iam.User.fromUserArn(stack, 'Imported', `arn:aws:iam::${ACCOUNT}:user/partners/carol`));
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        detail: {
          userIdentity: {
            userName: [{ Ref: stack.getLogicalId(unnamed.node.defaultChild as iam.CfnUser) }, 'bob', 'carol'],
          },
        },
      },
    });
  });

  test('fails at synth when it has no user', () => {
    const app = new App();
    const stack = new Stack(app, 'Empty');
    new SignInAlerts(stack, 'SignInAlerts');
    expect(() => app.synth()).toThrow(
      /\[Empty\/SignInAlerts\] 'users' is empty; a SignInAlerts needs at least one user/,
    );
  });

  test('fails when a user is added twice, naming it', () => {
    const stack = new Stack(new App(), 'Twice');
    const user = new ConsoleUser(stack, 'Alice', { userName: 'alice' });
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [user] });
    expect(() => alerts.addUser(user)).toThrow(
      /^Twice\/SignInAlerts: user Twice\/Alice \(alice\) already raises alerts here$/,
    );
    expect(() => alerts.addUser(iam.User.fromUserName(stack, 'Again', 'alice'))).toThrow(/already raises alerts here/);
  });

  test('fails when a user name breaks IAM rules, naming the user, the value and what is allowed', () => {
    const stack = new Stack(new App(), 'BadName');
    const alerts = new SignInAlerts(stack, 'SignInAlerts');
    expect(() => alerts.addUser(iam.User.fromUserName(stack, 'Bad', 'no spaces'))).toThrow(
      /^BadName\/SignInAlerts: the user name of BadName\/Bad must be 1-64 characters of letters, digits and \+=,\.@_- \(IAM user name rules\), got "no spaces"$/,
    );
  });

  test('forwardingRegions: the defaults and the regions in use, once each, without the home region', () => {
    expect(SignInAlerts.DEFAULT_FORWARDING_REGIONS).toEqual(['us-east-1', 'us-east-2', 'eu-north-1', 'ap-southeast-2']);
    expect(SignInAlerts.forwardingRegions('eu-west-1', ['eu-west-1', 'eu-central-1', 'us-east-2'])).toEqual([
      'us-east-1',
      'us-east-2',
      'eu-north-1',
      'ap-southeast-2',
      'eu-central-1',
    ]);
    expect(SignInAlerts.forwardingRegions('us-east-1')).toEqual(['us-east-2', 'eu-north-1', 'ap-southeast-2']);
  });
});

describe('SignInAlerts: takeover attempts and secrets', () => {
  /** The resolved event pattern of `rule`. */
  const patternOf = (rule: Rule) => {
    const stack = Stack.of(rule);
    return Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(rule.node.defaultChild as never)].Properties
      .EventPattern;
  };
  const roleArn = (prefix: string) =>
    ({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${prefix}`)), 'Arn'] }) as unknown as string;

  test("the takeover rule matches IAM calls on the users by anyone but the stack's handler and rotation roles", () => {
    // GIVEN a rotated console user and an imported user
    const stack = new Stack(new App(), 'Takeover');
    const alice = new ConsoleUser(stack, 'Alice', {
      userName: 'alice',
      rotation: { automaticallyAfter: Duration.days(30) },
    });
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [alice] });
    alerts.addUser(iam.User.fromUserName(stack, 'Dave', 'dave'));

    // THEN IAM's CloudTrail records of the calls on them, from everyone but the library's roles
    expect(patternOf(alerts.takeoverRule)).toEqual({
      'source': ['aws.iam'],
      'detail-type': ['AWS API Call via CloudTrail'],
      'detail': withCallerExclusion(takeoverDetail(['alice', 'dave']), [
        roleArn('CdkConsoleUsersLoginProfileProviderHandlerServiceRole'),
        roleArn('CdkConsoleUsersRotationHandlerServiceRole'),
      ]),
    });
    // ...which names both ways a user can be the subject of a call, and the library's tag keys
    const detail = takeoverDetail(['alice']);
    expect(JSON.stringify(detail)).toContain('"equals-ignore-case":"cdk-console-users:"');
    expect(detail.$or).toEqual([
      expect.objectContaining({ requestParameters: { userName: ['alice'] } }),
      expect.objectContaining({
        requestParameters: { userName: [{ exists: false }] },
        userIdentity: { type: ['IAMUser'], userName: ['alice'] },
      }),
    ]);
    // ...and the alert says which call, on whom, by whom
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.iam'] },
      Targets: [
        Match.objectLike({
          InputTransformer: Match.objectLike({
            InputPathsMap: Match.objectLike({
              'detail-eventName': '$.detail.eventName',
              'detail-requestParameters-userName': '$.detail.requestParameters.userName',
              'detail-userIdentity-arn': '$.detail.userIdentity.arn',
            }),
          }),
        }),
      ],
    });
    // ...and no secret rule without a secret
    expect(alerts.secretRule).toBeUndefined();
  });

  test('without a function of the library in the stack, the takeover rule excludes nobody', () => {
    const stack = new Stack(new App(), 'NoFunctions');
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [iam.User.fromUserName(stack, 'V', 'vendor')] });
    expect(patternOf(alerts.takeoverRule).detail).toEqual(takeoverDetail(['vendor']));
  });

  test('a secret: its full ARN, partial ARN and name, read-only events included, callers but the library', () => {
    // GIVEN a named secret and one whose name CloudFormation generates
    const stack = new Stack(new App(), 'Secrets', { env: env('eu-west-1') });
    const alerts = new SignInAlerts(stack, 'SignInAlerts', {
      users: [new ConsoleUser(stack, 'Alice', { userName: 'alice' })],
      secrets: [new secretsmanager.Secret(stack, 'Named', { secretName: 'break-glass-password' })],
    });
    const generated = new secretsmanager.Secret(stack, 'Generated');
    alerts.addSecret(generated);

    // THEN one rule, enabled for read-only management events (GetSecretValue)
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.secretsmanager'] },
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
    });
    const partial = (name: unknown) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:eu-west-1:${ACCOUNT}:secret:`, name]],
    });
    const generatedName = stack.resolve(generated.secretName);
    expect(JSON.stringify(generatedName)).toContain('Fn::Split');
    expect(patternOf(alerts.secretRule!)).toEqual({
      'source': ['aws.secretsmanager'],
      'detail-type': ['AWS API Call via CloudTrail'],
      'detail': withCallerExclusion(
        secretDetail([
          {
            fullArn: { Ref: expect.stringMatching(/^Named/) } as never,
            partialArn: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:eu-west-1:${ACCOUNT}:secret:break-glass-password`],
              ],
            } as never,
            name: 'break-glass-password',
          },
          {
            fullArn: { Ref: expect.stringMatching(/^Generated/) } as never,
            partialArn: partial(generatedName) as never,
            name: generatedName,
          },
        ]),
        [roleArn('CdkConsoleUsersLoginProfileProviderHandlerServiceRole')],
      ),
    });
    expect(SECRET_CALLS).toEqual(expect.arrayContaining(['GetSecretValue', 'PutSecretValue', 'PutResourcePolicy']));
  });

  test('fails when a secret is in another region, or added twice, naming it', () => {
    const app = new App();
    const stack = new Stack(app, 'Home', { env: env('eu-west-1') });
    const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [iam.User.fromUserName(stack, 'V', 'vendor')] });
    const elsewhere = new secretsmanager.Secret(new Stack(app, 'Other', { env: env('us-east-2') }), 'Secret');
    expect(() => alerts.addSecret(elsewhere)).toThrow(
      /^Home\/SignInAlerts: secret Other\/Secret is in us-east-2, this SignInAlerts in eu-west-1: Secrets Manager records/,
    );
    const here = new secretsmanager.Secret(stack, 'Secret');
    alerts.addSecret(here);
    expect(() => alerts.addSecret(here)).toThrow(
      /^Home\/SignInAlerts: secret Home\/Secret already raises alerts here$/,
    );
  });

  test("a break-glass user of another stack in the same environment joins: its secret, and its stack's functions left out", () => {
    const app = new App();
    const shared = new Stack(app, 'Shared');
    const alerts = new SignInAlerts(shared, 'SignInAlerts', {
      users: [iam.User.fromUserName(shared, 'V', 'vendor')],
    });
    const other = new Stack(app, 'Other');
    const user = new BreakGlassUser(other, 'BreakGlass', { userName: 'break-glass', signInAlerts: alerts });
    const pattern = patternOf(alerts.secretRule!);
    // the secret, and the other stack's handler and rotation roles, imported from it
    expect(JSON.stringify(pattern.detail.requestParameters.secretId[0])).toBe(
      JSON.stringify(Stack.of(alerts).resolve(user.secret.secretArn)),
    );
    expect(JSON.stringify(pattern.detail.requestParameters.secretId[0])).toMatch(
      /Fn::ImportValue.*Other:ExportsOutputRef/,
    );
    const roles = JSON.stringify(pattern.detail.userIdentity);
    expect(roles).toMatch(/ExportsOutputFnGetAttCdkConsoleUsersLoginProfileProviderHandlerServiceRole/);
    expect(roles).toMatch(/ExportsOutputFnGetAttCdkConsoleUsersRotationHandlerServiceRole/);
  });

  test("warns when a pattern may exceed EventBridge's default size quota, and only then", () => {
    const build = (count: number) => {
      const app = new App();
      const stack = new Stack(app, 'Many', { env: env('eu-west-1') });
      const users = [...Array(count).keys()].map((i) =>
        iam.User.fromUserName(stack, `U${i}`, `a-rather-long-user-name-${i}`),
      );
      new SignInAlerts(stack, 'SignInAlerts', { users });
      return Annotations.fromStack(stack);
    };
    const warning = Match.stringLikeRegexp(
      "the event pattern of this rule is about \\d+ characters, over EventBridge's default event-pattern size quota of 2048",
    );
    expect(build(3).findWarning('*', warning)).toEqual([]);
    const many = build(40).findWarning('*', warning);
    // 40 names of ~27 characters: the takeover rule (each name twice) is over, the sign-in rule is not
    expect(many.map((w) => w.id)).toEqual(['/Many/SignInAlerts/TakeoverRule']);
  });
});

describe('SignInAlertsForwarder', () => {
  function homeAndAlerts(app: App) {
    const home = new Stack(app, 'Home', { env: env('eu-west-1') });
    const alerts = new SignInAlerts(home, 'SignInAlerts', {
      users: [new ConsoleUser(home, 'Alice', { userName: 'alice' })],
    });
    return { home, alerts };
  }

  test("forwards the same events to the home region's default bus, with a role that may only put events there", () => {
    // GIVEN
    const app = new App();
    const { alerts } = homeAndAlerts(app);
    const stack = new Stack(app, 'Forwarder', { env: env('us-east-2') });

    // WHEN
    new SignInAlertsForwarder(stack, 'Forwarder', { alerts });
    alerts.addUser(iam.User.fromUserName(alerts, 'Later', 'later'));

    // THEN the rule matches what the home rules match (users added later included): the sign-ins,
    // and the IAM calls on the users whoever makes them (the home rule leaves out the library's
    // functions, whose roles a forwarder in another region cannot name); it targets the home bus
    const template = Template.fromStack(stack);
    const homeBus = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:eu-west-1:${ACCOUNT}:event-bus/default`]],
    };
    const homeRules = Template.fromStack(alerts.rule.stack).findResources('AWS::Events::Rule');
    const homePattern = (rule: Rule) =>
      homeRules[rule.stack.getLogicalId(rule.node.defaultChild as never)].Properties.EventPattern;
    const { userIdentity: exclusion, ...takeoverWithoutExclusion } = homePattern(alerts.takeoverRule).detail;
    expect(exclusion).toEqual({
      sessionContext: {
        sessionIssuer: {
          $or: [
            {
              arn: [
                {
                  'anything-but': [
                    {
                      'Fn::GetAtt': [
                        expect.stringMatching(/^CdkConsoleUsersLoginProfileProviderHandlerServiceRole/),
                        'Arn',
                      ],
                    },
                  ],
                },
              ],
            },
            { arn: [{ exists: false }] },
          ],
        },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.signin', 'aws.iam'],
        'detail-type': ['AWS Console Sign In via CloudTrail', 'AWS API Call via CloudTrail'],
        'detail': { $or: [homePattern(alerts.rule).detail, takeoverWithoutExclusion] },
      },
      Targets: [Match.objectLike({ Arn: homeBus, RoleArn: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        detail: { $or: [{ userIdentity: { userName: ['alice', 'later'] } }, takeoverDetail(['alice', 'later'])] },
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: homeBus }] },
    });
  });

  test.each([
    ['in the home region', 'eu-west-1', ACCOUNT, /'alerts' is in eu-west-1, this forwarder's own region/],
    [
      'in another account',
      'us-east-2',
      '210987654321',
      /'alerts' is in account 123456789012, this forwarder in 210987654321/,
    ],
  ])('fails %s', (_, region, account, message) => {
    const app = new App();
    const { alerts } = homeAndAlerts(app);
    const stack = new Stack(app, 'Forwarder', { env: { account, region } });
    expect(() => new SignInAlertsForwarder(stack, 'Forwarder', { alerts })).toThrow(message);
  });

  test('fails in an env-agnostic stack', () => {
    const app = new App();
    const { alerts } = homeAndAlerts(app);
    const stack = new Stack(app, 'Agnostic');
    expect(() => new SignInAlertsForwarder(stack, 'Forwarder', { alerts })).toThrow(
      /^Agnostic\/Forwarder: this stack's region must be explicit \(env: \{ account, region \}\)/,
    );
  });

  test('fails at synth when a user has no literal name, naming the user and the forwarder', () => {
    const app = new App();
    const { home, alerts } = homeAndAlerts(app);
    alerts.addUser(new ConsoleUser(home, 'Unnamed'));
    new SignInAlertsForwarder(new Stack(app, 'Forwarder', { env: env('us-east-2') }), 'Forwarder', { alerts });
    expect(() => app.synth()).toThrow(
      /\[Forwarder\/Forwarder\] user Home\/Unnamed has no literal user name; a forwarder in another region needs one: set 'userName'/,
    );
  });
});

describe('warnings of regions a SignInAlerts does not watch', () => {
  const US_EAST_1 = SignInAlerts.WARNING_US_EAST_1_NOT_WATCHED;
  const SIGN_INS = SignInAlerts.WARNING_SIGN_IN_REGIONS_NOT_WATCHED;

  interface Warning {
    readonly path: string;
    readonly id: string;
    readonly message: string;
  }

  /** The warnings of `app` with one of the two ids, from the cloud assembly as `cdk synth` shows them. */
  function regionWarnings(app: App): Warning[] {
    return app
      .synth()
      .stacks.flatMap((stack) => stack.messages)
      .filter((m) => m.level === 'warning')
      .map((m) => {
        const data = String(m.entry.data);
        const ack = /^(.*) \[ack: ([^\]]+)\]$/s.exec(data)!;
        return { path: m.id, id: ack[2], message: ack[1] };
      })
      .filter((w) => w.id === US_EAST_1 || w.id === SIGN_INS);
  }

  /** An app with a SignInAlerts in `region` (env-agnostic if undefined) and forwarders from `forwarders`. */
  function alertsIn(region: string | undefined, forwarders: string[] = []) {
    const app = new App();
    const home = new Stack(app, 'Home', { env: region === undefined ? undefined : env(region) });
    const alerts = new SignInAlerts(home, 'SignInAlerts', { users: [iam.User.fromUserName(home, 'Alice', 'alice')] });
    for (const from of forwarders) {
      new SignInAlertsForwarder(new Stack(app, `Forwarder-${from}`, { env: env(from) }), 'Forwarder', { alerts });
    }
    return { app, home, alerts };
  }

  test('a stack in another region than us-east-1, without forwarders: both, naming the regions and the fix', () => {
    const warnings = regionWarnings(alertsIn('eu-west-1').app);
    expect(warnings).toEqual([
      {
        path: '/Home/SignInAlerts',
        id: US_EAST_1,
        message:
          "this SignInAlerts watches eu-west-1, and no SignInAlertsForwarder in us-east-1 forwards to it: CloudTrail records IAM's calls in us-east-1 only, so its takeover alerts never fire, and console sign-ins through the global endpoint without an account-alias cookie (recorded in us-east-1) raise no alert. Add a SignInAlertsForwarder for it in a stack in us-east-1, in the same account.",
      },
      {
        path: '/Home/SignInAlerts',
        id: SIGN_INS,
        message:
          "console sign-ins recorded in us-east-2, eu-north-1, ap-southeast-2 raise no alert: CloudTrail records an IAM user's sign-in through the global endpoint with an account-alias cookie in us-east-2, eu-north-1 or ap-southeast-2 (by latency), and through a regional endpoint in that endpoint's region, and this SignInAlerts watches eu-west-1. Add a SignInAlertsForwarder for it in a stack in each of us-east-2, eu-north-1, ap-southeast-2, in the same account. SignInAlerts.forwardingRegions(home, regionsInUse) lists the regions to forward, with those your account uses.",
      },
    ]);
  });

  test('a forwarder from us-east-1 only: the regions of regional sign-ins are left', () => {
    const warnings = regionWarnings(alertsIn('eu-west-1', ['us-east-1']).app);
    expect(warnings.map((w) => w.id)).toEqual([SIGN_INS]);
    expect(warnings[0].message).toMatch(
      /^console sign-ins recorded in us-east-2, eu-north-1, ap-southeast-2 raise no alert: .* this SignInAlerts watches eu-west-1 and what its forwarders in us-east-1 send it\./,
    );
  });

  test('forwarders from the regional sign-in regions but not us-east-1: us-east-1 is left', () => {
    const warnings = regionWarnings(alertsIn('eu-west-1', ['us-east-2', 'eu-north-1', 'ap-southeast-2']).app);
    expect(warnings.map((w) => w.id)).toEqual([US_EAST_1]);
  });

  test('a forwarder from each of forwardingRegions: no warning', () => {
    expect(regionWarnings(alertsIn('eu-west-1', SignInAlerts.forwardingRegions('eu-west-1')).app)).toEqual([]);
    expect(regionWarnings(alertsIn('us-east-2', SignInAlerts.forwardingRegions('us-east-2')).app)).toEqual([]);
  });

  test('a stack in us-east-1 sees IAM and the global endpoint: only the regional sign-in regions, without its own', () => {
    const warnings = regionWarnings(alertsIn('us-east-1', ['eu-north-1']).app);
    expect(warnings.map((w) => [w.id, w.message.split(' raise no alert')[0]])).toEqual([
      [SIGN_INS, 'console sign-ins recorded in us-east-2, ap-southeast-2'],
    ]);
    // A stack in one of those regions does not name its own
    expect(regionWarnings(alertsIn('us-east-2', ['us-east-1']).app).map((w) => w.message.split(' raise')[0])).toEqual([
      'console sign-ins recorded in eu-north-1, ap-southeast-2',
    ]);
  });

  test('an env-agnostic stack: both, since no forwarder can reach it, saying how to fix it', () => {
    const warnings = regionWarnings(alertsIn(undefined).app);
    expect(warnings.map((w) => w.id)).toEqual([US_EAST_1, SIGN_INS]);
    expect(warnings[0].message).toMatch(
      /^this SignInAlerts watches only the region its env-agnostic stack is deployed to, and no SignInAlertsForwarder in us-east-1 forwards to it \(a forwarder needs explicit regions\): .* takeover alerts never fire unless the stack is deployed to us-east-1, .* Give the stack an explicit env \(\{ account, region \}\) and add a SignInAlertsForwarder in a stack in us-east-1, in the same account; or, for one template deployed to several regions \(a StackSet\), give it a HomeRegion and deploy it to us-east-1 too\.$/,
    );
    expect(warnings[1].message).toMatch(
      /^console sign-ins recorded in us-east-2, eu-north-1, ap-southeast-2 raise no alert \(except in the one the stack is deployed to\): /,
    );
  });

  test('a stack with a HomeRegion, made before or after the SignInAlerts: no warning (it forwards itself)', () => {
    const before = new App();
    const first = new Stack(before, 'Template');
    new HomeRegion(first, 'HomeRegion', { region: 'eu-west-1' });
    new BreakGlassUser(first, 'BreakGlass', { userName: 'break-glass' });
    expect(regionWarnings(before)).toEqual([]);

    const after = alertsIn(undefined);
    new HomeRegion(after.home, 'HomeRegion', { region: 'eu-west-1' });
    expect(regionWarnings(after.app)).toEqual([]);
  });

  test("a stack of another partition: no warning (the known regions are the commercial partition's)", () => {
    expect(regionWarnings(alertsIn('cn-north-1').app)).toEqual([]);
  });

  test('a BreakGlassUser warns on its SignInAlerts, once for a shared one', () => {
    const app = new App();
    const stack = new Stack(app, 'Home', { env: env('eu-west-1') });
    const first = new BreakGlassUser(stack, 'First', { userName: 'bg-1' });
    new BreakGlassUser(stack, 'Second', { userName: 'bg-2', signInAlerts: first.signInAlerts });
    expect(regionWarnings(app).map((w) => [w.path, w.id])).toEqual([
      ['/Home/First/SignInAlerts', US_EAST_1],
      ['/Home/First/SignInAlerts', SIGN_INS],
    ]);
  });

  test('acknowledged on the SignInAlerts or on the BreakGlassUser, each id alone', () => {
    // GIVEN the warnings acknowledged on the SignInAlerts, one id at a time
    const one = alertsIn('eu-west-1');
    CoreAnnotations.of(one.alerts).acknowledgeWarning(SIGN_INS, 'our users sign in through the global endpoint only');
    expect(regionWarnings(one.app).map((w) => w.id)).toEqual([US_EAST_1]);
    const other = alertsIn('eu-west-1');
    CoreAnnotations.of(other.alerts).acknowledgeWarning(US_EAST_1, 'IAM is watched by another team');
    expect(regionWarnings(other.app).map((w) => w.id)).toEqual([SIGN_INS]);

    // ...and on a BreakGlassUser, before or after it is made (read at synth)
    const app = new App();
    const stack = new Stack(app, 'Home', { env: env('eu-west-1') });
    CoreAnnotations.of(stack).acknowledgeWarning(US_EAST_1, 'a forwarder stack is deployed by another app');
    const user = new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass' });
    CoreAnnotations.of(user).acknowledgeWarning(SIGN_INS, 'the global endpoint only');
    expect(regionWarnings(app)).toEqual([]);
  });

  test("in a template stack (a StackSet's), also on the parent stack that cdk synth reports", () => {
    const app = new App();
    const parent = new Stack(app, 'Admin', { env: env('eu-west-1') });
    const template = new StackSetStack(parent, 'Members');
    new SignInAlerts(template, 'SignInAlerts', { users: [iam.User.fromUserName(template, 'Alice', 'alice')] });
    const warnings = regionWarnings(app);
    expect(warnings.map((w) => [w.path, w.id])).toEqual([
      ['/Admin', US_EAST_1],
      ['/Admin', SIGN_INS],
    ]);
    expect(warnings[0].message).toMatch(/^Admin\/Members\/SignInAlerts: this SignInAlerts watches only the region/);
  });
});

test('cdk-nag: no unacknowledged AwsSolutions finding in the home and forwarder stacks', () => {
  const app = new App();
  const home = new Stack(app, 'Home', { env: env('eu-west-1') });
  const alerts = new SignInAlerts(home, 'SignInAlerts', {
    users: [new ConsoleUser(home, 'Alice', { userName: 'alice', requireMfa: true })],
  });
  new SignInAlertsForwarder(new Stack(app, 'Fwd', { env: env('us-east-1') }), 'Forwarder', { alerts });
  app.synth();
  const report = new AwsSolutionsChecks().validateScope(app);
  expect(
    report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
  ).toEqual([]);
});
