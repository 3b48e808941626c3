/** `SignInAlerts` and `SignInAlertsForwarder` as constructs: topic, key, rule, forwarders, bad input, cdk-nag. */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Rule } from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BreakGlassUser, ConsoleUser, SignInAlerts, SignInAlertsForwarder } from '../../lib';
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
