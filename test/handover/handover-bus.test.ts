/**
 * The stack's handover bus and `onPasswordIssued`, as synthesized: one bus per stack whose resource
 * policy, evaluated as AWS evaluates it (iam-simulate, test/tooling/policy-simulator.ts), refuses
 * `events:PutEvents` to any other principal of the account, even one allowed it on `*`, while the
 * library's handler and rotation roles may publish on that bus and no other; the rule on that bus
 * filtered to one user; an SNS target under a customer managed key; and the errors for bad input.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AccountPasswordPolicy, BreakGlassUser, ConsoleUser, LoginProfile } from '../../lib';
import { HANDOVER_BUS_ENV } from '../../lib/handler/contract';
import { HANDOVER_DETAIL_TYPE, HANDOVER_SOURCE } from '../../lib/handover/contract';
import { WARNING_TOPIC_KEY_NOT_MANAGED } from '../../lib/handover/on-password-issued';
import { ACCOUNT, FakeAws, HANDOVER_BUS_ARN, REGION } from '../tooling/fake-aws';
import {
  PolicyDocument,
  PrincipalPolicies,
  handlerRolePolicies,
  isAllowed as simulate,
} from '../tooling/policy-simulator';
import { TemplateJson, TemplateWorld } from '../tooling/template-world';

/**
 * AWS's decision for the principal of `policies`, with `aws:PrincipalArn` in the request context as
 * AWS sets it on every request signed by an IAM principal (the role's ARN for a role's session).
 */
const isAllowed = (policies: PrincipalPolicies, action: string, resource: string) =>
  simulate(policies, action, resource, { 'aws:PrincipalArn': policies.principal });

const ofType = (t: TemplateJson, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

/** The logical ID of the role of the library function whose description matches `what`. */
function roleOf(t: TemplateJson, what: RegExp): string {
  const [fn] = Object.values(t.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && what.test(String(r.Properties?.Description)),
  );
  return (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

describe('the handover bus, evaluated', () => {
  let world: TemplateWorld;
  let busArn: string;
  let busPolicy: PolicyDocument;
  let template: TemplateJson;

  beforeAll(async () => {
    // GIVEN a stack (named 'app', as the fake deploys it) with a rotating user and a plain one
    const stack = new Stack(new App(), 'app');
    new ConsoleUser(stack, 'Operator', {
      userName: 'operator',
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(30) },
    });
    new ConsoleUser(stack, 'Auditor', { userName: 'auditor' });
    template = Template.fromStack(stack).toJSON() as TemplateJson;
    world = new TemplateWorld(template, new FakeAws());
    const [[busId, bus]] = ofType(template, 'AWS::Events::EventBus');
    busArn = String(world.resolve({ 'Fn::GetAtt': [busId, 'Arn'] }));
    busPolicy = world.resolve(bus.Properties!.Policy) as PolicyDocument;
    // The simulator reads its IAM data files on first use.
    await isAllowed(
      { principal: `arn:aws:iam::${ACCOUNT}:role/x`, identityPolicies: [], resourcePolicies: {} },
      'events:PutEvents',
      busArn,
    );
  }, 120_000);

  /** `policies` with the bus's resource policy in force, as AWS evaluates a PutEvents on it. */
  const withBusPolicy = (policies: PrincipalPolicies): PrincipalPolicies => ({
    ...policies,
    resourcePolicies: { ...policies.resourcePolicies, [busArn]: busPolicy },
  });

  /** A principal of the account allowed events:PutEvents on every bus (PowerUserAccess allows it). */
  const putEventsAnywhere = (principal: string): PrincipalPolicies => ({
    principal,
    identityPolicies: [
      {
        name: 'PutEventsEverywhere',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }] },
      },
    ],
    resourcePolicies: {},
  });

  test('is the bus the functions are told about, one per stack, named after the stack', () => {
    expect(ofType(template, 'AWS::Events::EventBus')).toHaveLength(1);
    expect(busArn).toBe(HANDOVER_BUS_ARN);
    for (const [, fn] of ofType(template, 'AWS::Lambda::Function').filter(([, f]) =>
      /login profiles|rotates/.test(String(f.Properties?.Description)),
    )) {
      const variables = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(world.resolve(variables[HANDOVER_BUS_ENV])).toBe(busArn);
    }
  });

  test.each([
    ['the login-profile handler', /login profiles/],
    ['the rotation function', /rotates/],
  ])('lets %s publish on it, and on no other bus', async (_name, what) => {
    const policies = withBusPolicy(handlerRolePolicies(world, roleOf(template, what)));
    expect(await isAllowed(policies, 'events:PutEvents', busArn)).toBe(true);
    // identity grant on this bus only: not the default bus, not another stack's
    expect(await isAllowed(policies, 'events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`)).toBe(
      false,
    );
    expect(
      await isAllowed(
        policies,
        'events:PutEvents',
        `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/cdk-console-users-handover-other`,
      ),
    ).toBe(false);
  });

  test.each([
    ['a role of the account', `arn:aws:iam::${ACCOUNT}:role/PowerUser`],
    ['a user of the account', `arn:aws:iam::${ACCOUNT}:user/mallory`],
    ['a role named like the handler under another path', `arn:aws:iam::${ACCOUNT}:role/other/app-HandlerServiceRole`],
    ['the account root', `arn:aws:iam::${ACCOUNT}:root`],
  ])('refuses %s allowed events:PutEvents on "*"', async (_name, principal) => {
    // WITHOUT the bus policy the principal may put events on the bus (so the refusal below is the policy's)
    expect(await isAllowed(putEventsAnywhere(principal), 'events:PutEvents', busArn)).toBe(true);
    // WITH it: refused
    expect(await isAllowed(withBusPolicy(putEventsAnywhere(principal)), 'events:PutEvents', busArn)).toBe(false);
  });

  test('refuses a library role’s own ARN only for that exact role: a lookalike ARN is refused', async () => {
    const handler = String(world.resolve({ 'Fn::GetAtt': [roleOf(template, /login profiles/), 'Arn'] }));
    expect(await isAllowed(withBusPolicy(putEventsAnywhere(handler)), 'events:PutEvents', busArn)).toBe(true);
    expect(await isAllowed(withBusPolicy(putEventsAnywhere(`${handler}x`)), 'events:PutEvents', busArn)).toBe(false);
  });

  test('the policy is one Deny naming exactly the two library roles', () => {
    expect(busPolicy.Statement).toHaveLength(1);
    const [deny] = busPolicy.Statement as (PolicyDocument['Statement'][number] & { Principal: unknown })[];
    expect(deny.Effect).toBe('Deny');
    expect(deny.Action).toBe('events:PutEvents');
    expect(deny.Resource).toBe(busArn);
    const allowed = (deny.Condition as { ArnNotEquals: { 'aws:PrincipalArn': string[] } }).ArnNotEquals[
      'aws:PrincipalArn'
    ];
    expect(new Set(allowed)).toEqual(
      new Set(
        [/login profiles/, /rotates/].map((w) => String(world.resolve({ 'Fn::GetAtt': [roleOf(template, w), 'Arn'] }))),
      ),
    );
  });
});

test('a stack without a login profile (only an AccountPasswordPolicy) has no handover bus; one with two has one', () => {
  const app = new App();
  const policyOnly = new Stack(app, 'PolicyOnly');
  new AccountPasswordPolicy(policyOnly, 'Policy', { minimumPasswordLength: 14 });
  const users = new Stack(app, 'Users');
  new ConsoleUser(users, 'A', { userName: 'a' });
  new ConsoleUser(users, 'B', { userName: 'b' });
  Template.fromStack(policyOnly).resourceCountIs('AWS::Events::EventBus', 0);
  Template.fromStack(users).resourceCountIs('AWS::Events::EventBus', 1);
});

describe('onPasswordIssued', () => {
  let stack: Stack;
  beforeEach(() => {
    stack = new Stack(new App(), 'app', { env: { account: ACCOUNT, region: REGION } });
  });

  test('a rule on the stack’s handover bus, for that user’s handover events only, to the target', () => {
    // GIVEN a user and a queue
    const user = new ConsoleUser(stack, 'Alice', { userName: 'alice' });
    const queue = new sqs.Queue(stack, 'Helpdesk', { enforceSSL: true });
    // WHEN
    const rule = user.onPasswordIssued('Handover', { target: new targets.SqsQueue(queue) });
    // THEN
    expect(rule).toBeInstanceOf(events.Rule);
    const t = Template.fromStack(stack);
    const [busId] = Object.keys(t.findResources('AWS::Events::EventBus'));
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: {
        'source': [HANDOVER_SOURCE],
        'detail-type': [HANDOVER_DETAIL_TYPE],
        'detail': {
          userName: [{ Ref: Match.stringLikeRegexp('^Alice') }],
          secretArn: [{ Ref: Match.stringLikeRegexp('^AliceLoginProfileSecret') }],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Helpdesk'), 'Arn'] } })],
    });
  });

  test('on a LoginProfile of an imported user, and narrowed by detail', () => {
    const profile = new LoginProfile(stack, 'Bob', { user: iam.User.fromUserName(stack, 'BobUser', 'bob') });
    profile.onPasswordIssued('Rotations', { eventPattern: { detail: { reason: ['rotation'] } } });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { userName: ['bob'], reason: ['rotation'] } },
    });
  });

  test('a BreakGlassUser has it too (inherited from ConsoleUser)', () => {
    const user = new BreakGlassUser(stack, 'Glass', { userName: 'glass' });
    user.onPasswordIssued('Handover');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { userName: [{ Ref: Match.stringLikeRegexp('^Glass') }] } },
    });
  });

  test('an SNS topic under a kms.Key of the app: the key lets EventBridge use it, once', () => {
    const key = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key, enforceSSL: true });
    const a = new ConsoleUser(stack, 'A', { userName: 'a' });
    const b = new ConsoleUser(stack, 'B', { userName: 'b' });
    a.onPasswordIssued('Handover', { target: new targets.SnsTopic(topic) });
    b.onPasswordIssued('Handover', { target: new targets.SnsTopic(topic) });
    const t = Template.fromStack(stack);
    const keyPolicy = Object.values(t.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement as {
      Sid?: string;
    }[];
    const eventBridge = keyPolicy.filter((s) => s.Sid === 'EventBridgePublishesHandoverEvents');
    expect(eventBridge).toEqual([
      {
        Sid: 'EventBridgePublishesHandoverEvents',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        Resource: '*',
      },
    ]);
  });

  test('an SNS topic under an imported key: a warning says what its key policy needs', () => {
    const key = kms.Key.fromKeyArn(
      stack,
      'Imported',
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    );
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key, enforceSSL: true });
    const user = new ConsoleUser(stack, 'A', { userName: 'a' });
    user.onPasswordIssued('Handover', { target: new targets.SnsTopic(topic) });
    Annotations.fromStack(stack).hasWarning(
      '/app/A',
      Match.stringLikeRegexp(
        `events.amazonaws.com kms:GenerateDataKey\\* and kms:Decrypt.*\\[ack: ${WARNING_TOPIC_KEY_NOT_MANAGED}\\]`,
      ),
    );
  });

  describe('fails on bad input, naming the construct, the prop, the value and what is allowed', () => {
    test.each([
      ['source', { source: ['aws.iam'] }],
      ['detailType', { detailType: ['AWS API Call via CloudTrail'] }],
      ['account', { account: ['210987654321'] }],
    ])('options.eventPattern.%s', (field, eventPattern) => {
      const user = new ConsoleUser(stack, 'A', { userName: 'a' });
      expect(() => user.onPasswordIssued('Handover', { eventPattern })).toThrow(
        new RegExp(
          `^app/A: onPasswordIssued: 'options\\.eventPattern\\.${field}' cannot be set, got .*; the rule matches the handover events \\(source 'cdk-console-users', detail-type 'Console Password Issued'\\) of this user only`,
        ),
      );
    });

    test('options.eventPattern.detail.userName (another user)', () => {
      const user = new ConsoleUser(stack, 'A', { userName: 'a' });
      expect(() => user.onPasswordIssued('Handover', { eventPattern: { detail: { userName: ['root'] } } })).toThrow(
        /^app\/A: onPasswordIssued: 'options\.eventPattern\.detail\.userName' cannot be set, got \["root"\]/,
      );
    });

    test('options.target that is not a rule target', () => {
      const user = new ConsoleUser(stack, 'A', { userName: 'a' });
      expect(() =>
        user.onPasswordIssued('Handover', { target: { arn: 'x' } as unknown as events.IRuleTarget }),
      ).toThrow(
        /'options\.target' must be an events\.IRuleTarget \(such as new targets\.SnsTopic\(topic\)\), got \{"arn":"x"\}/,
      );
    });

    test('an empty id', () => {
      const profile = new LoginProfile(stack, 'Bob', { user: iam.User.fromUserName(stack, 'BobUser', 'bob') });
      expect(() => profile.onPasswordIssued('')).toThrow(
        /^app\/Bob: onPasswordIssued: 'id' must be a non-empty string .*got ""/,
      );
    });
  });
});
