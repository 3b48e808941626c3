/** `HomeRegion`: a stack's resources in one region of each account, the sign-in forwarders in every other one. */
import { App, Aws, CfnCondition, CfnOutput, CfnParameter, CfnResource, Fn, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  AccountPasswordPolicy,
  BreakGlassUser,
  ConsoleUser,
  HomeRegion,
  SignInAlerts,
  SignInAlertsForwarder,
} from '../../lib';
import { guardedStack, presentIn, danglingReferences, HOME } from './home-region-stacks';

const IS_HOME = { 'Fn::Equals': [{ Ref: 'AWS::Region' }, HOME] };

/** The logical ID of the condition of `template` whose expression is `expression`. */
function conditionId(template: Template, expression: unknown): string {
  const ids = Object.entries(template.toJSON().Conditions ?? {})
    .filter(([, e]) => JSON.stringify(e) === JSON.stringify(expression))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('HomeRegion in a stack of console users, a break-glass user and the account password policy', () => {
  const { stack, alerts } = guardedStack();
  const template = Template.fromStack(stack);
  const json = template.toJSON();
  const home = conditionId(template, IS_HOME);
  const others = conditionId(template, { 'Fn::Not': [{ Condition: home }] });
  const forwarderIds = new Set(Object.keys(json.Resources).filter((id) => id.startsWith('AlarmsForwarder')));

  test('every resource and output is conditioned on the home region, but the forwarder and CDK metadata', () => {
    const conditions = Object.entries(json.Resources as Record<string, { Type: string; Condition?: string }>)
      .filter(([id]) => !forwarderIds.has(id))
      .map(([id, r]): [string, string, string | undefined] => [id, r.Type, r.Condition]);
    // all of what makes the stack IAM: users, login profiles, secrets, policies, the account password policy
    const types = new Set(conditions.map(([, type]) => type));
    for (const type of [
      'AWS::IAM::User',
      'AWS::IAM::ManagedPolicy',
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
      'AWS::SecretsManager::Secret',
      'AWS::Lambda::Function',
      'AWS::KMS::Key',
      'AWS::SNS::Topic',
      'AWS::Events::Rule',
      'AWS::CDK::Metadata',
    ]) {
      expect(types).toContain(type);
    }
    expect(conditions.filter(([, type]) => type.startsWith('Custom::')).length).toBeGreaterThanOrEqual(3);
    expect(conditions).toEqual(
      conditions.map(([id, type]) => [id, type, type === 'AWS::CDK::Metadata' ? 'CDKMetadataAvailable' : home]),
    );
    expect(Object.values(json.Outputs).map((o) => (o as { Condition?: string }).Condition)).toEqual([home, home]);
  });

  test('the forwarder (rule, role, policy) exists in every other region, forwarding to the home region', () => {
    expect([...forwarderIds].map((id) => [json.Resources[id].Type, json.Resources[id].Condition]).sort()).toEqual([
      ['AWS::Events::Rule', others],
      ['AWS::IAM::Policy', others],
      ['AWS::IAM::Role', others],
    ]);
    const homeBus = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:events:${HOME}:`, { Ref: 'AWS::AccountId' }, ':event-bus/default'],
      ],
    };
    template.hasResource('AWS::Events::Rule', {
      Condition: others,
      Properties: {
        EventPattern: {
          detail: { $or: [{ userIdentity: { userName: ['operator', 'breakglass', 'vendor'] } }, Match.anyValue()] },
        },
        Targets: [Match.objectLike({ Arn: homeBus })],
      },
    });
    template.hasResource('AWS::IAM::Policy', {
      Condition: others,
      Properties: {
        PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: homeBus }] },
      },
    });
    expect(alerts.forwardingRule).toBeDefined();
  });

  test('cdk-nag: no unacknowledged AwsSolutions finding', () => {
    const { app } = guardedStack();
    app.synth();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(
      report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
    ).toEqual([]);
  });

  test.each([
    [HOME, 'all but the forwarder'],
    ['us-east-1', 'the forwarder and CDK metadata only'],
  ])('in %s: %s, and nothing present references what is absent', (region) => {
    const present = presentIn(json, region);
    const expected = Object.keys(json.Resources).filter((id) =>
      json.Resources[id].Type === 'AWS::CDK::Metadata' ? true : forwarderIds.has(id) !== (region === HOME),
    );
    expect([...present].sort()).toEqual(expected.sort());
    expect(danglingReferences(json, region)).toEqual([]);
  });
});

describe('HomeRegion', () => {
  test('a SignInAlerts made before the HomeRegion gets its forwarder too', () => {
    const stack = new Stack(new App(), 'Late');
    const alerts = new SignInAlerts(stack, 'Alerts', { users: [new ConsoleUser(stack, 'A', { userName: 'a' })] });
    expect(alerts.forwardingRule).toBeUndefined();
    new HomeRegion(stack, 'HomeRegion', { region: HOME });
    expect(alerts.forwardingRule).toBeDefined();
    const template = Template.fromStack(stack);
    const others = conditionId(template, { 'Fn::Not': [{ Condition: conditionId(template, IS_HOME) }] });
    template.hasResource('AWS::Events::Rule', {
      Condition: others,
      Properties: { EventPattern: { detail: { $or: [{ userIdentity: { userName: ['a'] } }, Match.anyValue()] } } },
    });
  });

  test('a resource or output with a condition of its own gets both, with Fn::And; a shared condition is combined once', () => {
    const stack = new Stack(new App(), 'Own');
    const mine = new CfnCondition(stack, 'Mine', { expression: Fn.conditionEquals(Aws.ACCOUNT_ID, '111111111111') });
    for (const id of ['A', 'B']) {
      new CfnResource(stack, id, { type: 'AWS::SNS::Topic' }).cfnOptions.condition = mine;
    }
    new CfnOutput(stack, 'Out', { value: 'x', condition: mine });
    new HomeRegion(stack, 'HomeRegion', { region: HOME });
    const template = Template.fromStack(stack);
    const both = conditionId(template, {
      'Fn::And': [{ Condition: conditionId(template, IS_HOME) }, { Condition: 'Mine' }],
    });
    expect(template.toJSON().Resources).toEqual({
      A: { Type: 'AWS::SNS::Topic', Condition: both },
      B: { Type: 'AWS::SNS::Topic', Condition: both },
    });
    template.hasOutput('Out', { Condition: both });
  });

  test("resources other aspects add get the condition too (a role's overflow policies)", () => {
    const stack = new Stack(new App(), 'Overflow');
    const homeRegion = new HomeRegion(stack, 'HomeRegion', { region: HOME });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    for (let i = 0; i < 400; i++) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [`arn:aws:s3:::bucket-with-a-long-name-${i}/some/long/prefix/*`],
        }),
      );
    }
    const resources = Object.values(Template.fromStack(stack).toJSON().Resources) as {
      Type: string;
      Condition?: string;
    }[];
    expect(resources.filter((r) => r.Type === 'AWS::IAM::ManagedPolicy').length).toBeGreaterThan(1);
    expect(new Set(resources.map((r) => r.Condition))).toEqual(
      new Set([stack.resolve(homeRegion.condition.logicalId)]),
    );
  });

  test('everyRegion keeps a construct and its children out of the condition', () => {
    const stack = new Stack(new App(), 'Every');
    const homeRegion = new HomeRegion(stack, 'HomeRegion', { region: HOME });
    const everywhere = new sns.Topic(stack, 'Everywhere');
    new sns.Topic(stack, 'HomeOnly');
    homeRegion.everyRegion(everywhere);
    const resources = Template.fromStack(stack).toJSON().Resources;
    expect(Object.entries(resources).map(([id, r]) => [id, (r as { Condition?: string }).Condition])).toEqual([
      [expect.stringMatching(/^Everywhere/), undefined],
      [expect.stringMatching(/^HomeOnly/), stack.resolve(homeRegion.condition.logicalId)],
    ]);
  });

  test('the consistency check finds an element of every region that references a home-only resource', () => {
    const stack = new Stack(new App(), 'Dangling');
    const homeRegion = new HomeRegion(stack, 'HomeRegion', { region: HOME });
    const topic = new sns.Topic(stack, 'Topic');
    homeRegion.everyRegion(new CfnOutput(stack, 'TopicArn', { value: topic.topicArn }));
    const json = Template.fromStack(stack).toJSON();
    expect(danglingReferences(json, HOME)).toEqual([]);
    expect(danglingReferences(json, 'us-east-1')).toEqual([
      `Outputs.TopicArn -> ${stack.resolve((topic.node.defaultChild as CfnResource).logicalId)}`,
    ]);
  });

  test("aws-cdk-lib's CDK metadata keeps its own condition, even when declared before synthesis", () => {
    const app = new App({ analyticsReporting: true });
    const stack = new Stack(app, 'Meta');
    new CfnResource(stack, 'CDKMetadata', { type: 'AWS::CDK::Metadata' });
    new sns.Topic(stack, 'Topic');
    new HomeRegion(stack, 'HomeRegion', { region: HOME });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::CDK::Metadata', { Condition: Match.absent() });
    template.hasResource('AWS::SNS::Topic', { Condition: Match.anyValue() });
  });

  test('accepts a region given as a parameter', () => {
    const stack = new Stack(new App(), 'Param');
    const region = new CfnParameter(stack, 'HomeRegionName', { type: 'String' });
    new HomeRegion(stack, 'HomeRegion', { region: region.valueAsString });
    new sns.Topic(stack, 'Topic');
    const template = Template.fromStack(stack);
    conditionId(template, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'HomeRegionName' }] });
  });

  test('warns when the stack is for another region, where it creates only the forwarders', () => {
    const stack = new Stack(new App(), 'Elsewhere', { env: { region: 'us-east-1' } });
    new HomeRegion(stack, 'HomeRegion', { region: HOME });
    Annotations.fromStack(stack).hasWarning(
      '/Elsewhere/HomeRegion',
      Match.stringLikeRegexp(`this stack is for us-east-1, its home region is ${HOME}`),
    );
  });

  test.each(['', 'eu-west', 'EU-WEST-1', 'eu_west_1', 'euwest1', ' eu-west-1', 'eu-west-1a'])(
    "fails when 'region' is %j, naming the construct, the prop, the value and what is allowed",
    (region) => {
      const stack = new Stack(new App(), 'Bad');
      expect(() => new HomeRegion(stack, 'HomeRegion', { region })).toThrow(
        `Bad/HomeRegion: 'region' must be a region name such as eu-west-1 (two letters, then words and a number, separated by hyphens) or a token, got ${JSON.stringify(region)}`,
      );
    },
  );

  test.each(['us-east-1', 'us-gov-west-1', 'cn-northwest-1', 'us-isob-east-1', 'ap-southeast-5', 'il-central-1'])(
    'accepts the region name %s',
    (region) => {
      expect(new HomeRegion(new Stack(new App(), 'Ok'), 'HomeRegion', { region }).region).toBe(region);
    },
  );

  test('fails when the stack has a HomeRegion already, naming both', () => {
    const stack = new Stack(new App(), 'Twice');
    new HomeRegion(stack, 'HomeRegion', { region: HOME });
    expect(() => new HomeRegion(stack, 'Again', { region: 'us-east-1' })).toThrow(
      'Twice/Again: stack Twice has a HomeRegion already (Twice/HomeRegion); one per stack',
    );
  });

  test('fails when everyRegion is given a construct of another stack', () => {
    const app = new App();
    const homeRegion = new HomeRegion(new Stack(app, 'Here'), 'HomeRegion', { region: HOME });
    const topic = new sns.Topic(new Stack(app, 'There'), 'Topic');
    expect(() => homeRegion.everyRegion(topic)).toThrow(
      "Here/HomeRegion: There/Topic is in stack There, not in this HomeRegion's stack Here",
    );
  });

  test('fails when a SignInAlertsForwarder is added in the stack of its SignInAlerts', () => {
    const stack = new Stack(new App(), 'Same', { env: { account: '123456789012', region: HOME } });
    new HomeRegion(stack, 'HomeRegion', { region: HOME });
    const alerts = new SignInAlerts(stack, 'Alerts', { users: [iam.User.fromUserName(stack, 'V', 'vendor')] });
    expect(() => new SignInAlertsForwarder(stack, 'Forwarder', { alerts })).toThrow(
      "Same/Forwarder: 'alerts' is in this stack, which has a HomeRegion: that SignInAlerts forwards the other regions' events itself (its forwardingRule)",
    );
  });

  test('fails at synth when an alerted user has no literal name (the forwarder cannot name it)', () => {
    const app = new App();
    const stack = new Stack(app, 'Unnamed');
    new HomeRegion(stack, 'HomeRegion', { region: HOME });
    new BreakGlassUser(stack, 'BreakGlass');
    expect(() => app.synth()).toThrow(
      "[Unnamed/BreakGlass/SignInAlerts] user Unnamed/BreakGlass has no literal user name; a forwarder in another region needs one: set 'userName'",
    );
  });

  test('a stack without a HomeRegion is left as it was: no condition, no forwarder', () => {
    const stack = new Stack(new App(), 'Plain');
    new AccountPasswordPolicy(stack, 'Policy');
    const alerts = new SignInAlerts(stack, 'Alerts', { users: [iam.User.fromUserName(stack, 'V', 'vendor')] });
    const json = Template.fromStack(stack).toJSON();
    expect(json.Conditions).toBeUndefined();
    expect(Object.values(json.Resources).filter((r) => (r as { Condition?: string }).Condition)).toEqual([]);
    expect(alerts.forwardingRule).toBeUndefined();
    expect(HomeRegion.of(stack)).toBeUndefined();
  });
});
