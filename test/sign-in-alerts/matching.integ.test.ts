/**
 * The synthesized sign-in alert rules, matched by EventBridge's own matching as moto_server
 * implements it: each rule's pattern (resolved from the template) is put in moto with an SQS queue
 * as target, AWS's documented console sign-in events are put on the bus, and the queue shows which
 * events would have raised an alert. With forwarders, the events of other regions travel through
 * moto's cross-region delivery to the home region's bus and its rule.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsoleUser, HomeRegion, SignInAlerts, SignInAlertsForwarder } from '../../lib';
import { presentIn } from '../organization/home-region-stacks';
import { MotoEvents } from '../tooling/events-moto';
import { FakeAws } from '../tooling/fake-aws';
import { resetMoto } from '../tooling/moto-server';
import { TemplateJson, TemplateWorld } from '../tooling/template-world';
import { cfnLint, saveTemplate, savedTemplates } from '../tooling/templates';
import {
  ACCOUNT,
  SIGN_IN_DETAIL_TYPE,
  SIGN_IN_SOURCE,
  SignInCase,
  assumedRoleSignIn,
  checkMfa,
  iamUserFailure,
  iamUserSuccess,
  rootSignIn,
  unknownUserFailure,
} from './console-login-events';

const endpoint = process.env.MOTO_ENDPOINT!;
const HOME = 'eu-west-1';
beforeEach(() => resetMoto(endpoint));

/**
 * An app with a home stack (alice; bob with a path; dave added later with `addUser`; carol without
 * alerts) and a forwarder stack for each default forwarding region.
 */
function app(): { home: TemplateJson; forwarders: Record<string, TemplateJson> } {
  const cdkApp = new App();
  const env = (region: string) => ({ account: ACCOUNT, region });
  const home = new Stack(cdkApp, 'Home', { env: env(HOME) });
  const alice = new ConsoleUser(home, 'Alice', { userName: 'alice', requireMfa: true });
  const bob = new ConsoleUser(home, 'Bob', { userName: 'bob', path: '/ops/', requireMfa: true });
  new ConsoleUser(home, 'Carol', { userName: 'carol' });
  const alerts = new SignInAlerts(home, 'SignInAlerts', { users: [alice, bob] });
  alerts.addUser(iam.User.fromUserName(home, 'Dave', 'dave'));
  const forwarders: Record<string, Stack> = {};
  for (const region of SignInAlerts.forwardingRegions(HOME)) {
    forwarders[region] = new Stack(cdkApp, `Forwarder-${region}`, { env: env(region) });
    new SignInAlertsForwarder(forwarders[region], 'SignInForwarder', { alerts });
  }
  const json = (stack: Stack) => {
    const template = Template.fromStack(stack).toJSON() as TemplateJson;
    saveTemplate(`sign-in-alerts-${stack.stackName}`, template);
    return template;
  };
  return {
    home: json(home),
    forwarders: Object.fromEntries(Object.entries(forwarders).map(([r, s]) => [r, json(s)])),
  };
}

/**
 * The one rule of `template` that matches sign-ins (of those CloudFormation creates in `region`,
 * when given): its pattern and target ARNs, resolved as CloudFormation would. The home template's
 * other rule (IAM calls) is `takeover-matching.integ.test.ts`'s.
 */
function ruleOf(template: TemplateJson, stackName: string, region?: string): { pattern: unknown; targets: string[] } {
  const world = new TemplateWorld(template, new FakeAws(), stackName, region);
  const present = region === undefined ? undefined : presentIn(template, region);
  const rules = Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === 'AWS::Events::Rule' && (present === undefined || present.has(id)))
    .filter(([, r]) => ((r.Properties!.EventPattern as { source: string[] }).source ?? []).includes('aws.signin'))
    .map(([, r]) => r);
  expect(rules).toHaveLength(1);
  const props = rules[0].Properties!;
  return {
    pattern: world.resolve(props.EventPattern),
    targets: (props.Targets as { Arn: unknown }[]).map((t) => String(world.resolve(t.Arn))),
  };
}

/** Puts the home rule (to a queue) and each forwarder rule (to its target bus) into moto. */
async function deployRules(): Promise<{ home: MotoEvents; queueUrl: string }> {
  const { home: homeTemplate, forwarders } = app();
  const home = new MotoEvents(endpoint, HOME);
  const queue = await home.createQueue('alerts');
  await home.putRule('sign-in-alerts', ruleOf(homeTemplate, 'Home').pattern, [queue.arn]);
  for (const [region, template] of Object.entries(forwarders)) {
    const rule = ruleOf(template, `Forwarder-${region}`);
    expect(rule.targets).toEqual([`arn:aws:events:${HOME}:${ACCOUNT}:event-bus/default`]);
    await new MotoEvents(endpoint, region).putRule('sign-in-forwarder', rule.pattern, rule.targets);
  }
  return { home, queueUrl: queue.url };
}

/**
 * The rules of one env-agnostic template with a HomeRegion (as a StackSet deploys it to the home
 * region and every forwarding region), each region's taken from the resources its conditions keep.
 */
async function deployStackSetRules(): Promise<{ home: MotoEvents; queueUrl: string }> {
  const cdkApp = new App();
  const stack = new Stack(cdkApp, 'StackSet');
  new HomeRegion(stack, 'HomeRegion', { region: HOME });
  const alice = new ConsoleUser(stack, 'Alice', { userName: 'alice', requireMfa: true });
  const bob = new ConsoleUser(stack, 'Bob', { userName: 'bob', path: '/ops/', requireMfa: true });
  new ConsoleUser(stack, 'Carol', { userName: 'carol' });
  const alerts = new SignInAlerts(stack, 'SignInAlerts', { users: [alice, bob] });
  alerts.addUser(iam.User.fromUserName(stack, 'Dave', 'dave'));
  const template = Template.fromStack(stack).toJSON() as TemplateJson;
  saveTemplate('sign-in-alerts-stack-set', template);

  const home = new MotoEvents(endpoint, HOME);
  const queue = await home.createQueue('alerts');
  await home.putRule('sign-in-alerts', ruleOf(template, 'StackSet', HOME).pattern, [queue.arn]);
  for (const region of SignInAlerts.forwardingRegions(HOME)) {
    const rule = ruleOf(template, 'StackSet', region);
    expect(rule.targets).toEqual([`arn:aws:events:${HOME}:${ACCOUNT}:event-bus/default`]);
    await new MotoEvents(endpoint, region).putRule('sign-in-forwarder', rule.pattern, rule.targets);
  }
  return { home, queueUrl: queue.url };
}

/** For each case put in `region`: whether an alert arrived in the home region's queue. */
async function alertsFor(cases: SignInCase[], region = HOME, deploy = deployRules): Promise<Record<string, boolean>> {
  const { home, queueUrl } = await deploy();
  const bus = new MotoEvents(endpoint, region);
  const result: Record<string, boolean> = {};
  for (const c of cases) {
    await bus.putEvent(SIGN_IN_SOURCE, SIGN_IN_DETAIL_TYPE, c.detail);
    const delivered = await home.drain(queueUrl);
    expect(delivered.length).toBeLessThanOrEqual(1);
    if (delivered.length === 1) expect(delivered[0].detail).toEqual(c.detail);
    result[c.name] = delivered.length === 1;
  }
  return result;
}

/** The documented events and whether each must raise an alert. */
const CASES: [SignInCase, boolean][] = [
  [iamUserSuccess('alice', '/', false), true],
  [iamUserSuccess('alice', '/', true), true],
  [iamUserFailure('alice'), true],
  [iamUserSuccess('bob', '/ops/', true), true],
  [iamUserSuccess('bob', '/ops/', false), true],
  [iamUserFailure('bob'), true],
  [iamUserSuccess('dave', '/', true), true],
  [iamUserFailure('dave'), true],
  [rootSignIn(true), false],
  [rootSignIn(false), false],
  [iamUserSuccess('carol', '/', true), false],
  [iamUserFailure('carol'), false],
  [unknownUserFailure(), false],
  [iamUserSuccess('alice2', '/', false), false],
  [checkMfa('alice'), false],
  [assumedRoleSignIn('alice'), false],
];
const EXPECTED = Object.fromEntries(CASES.map(([c, alert]) => [c.name, alert]));

test('in the home region: alerts for exactly the declared users, success and failure, MFA or not', async () => {
  expect(await alertsFor(CASES.map(([c]) => c))).toEqual(EXPECTED);
});

test.each(SignInAlerts.forwardingRegions(HOME))(
  'recorded in %s: forwarded to the home region, the same alerts',
  async (region) => {
    const cases = CASES.map(([c]) => ({ ...c, detail: { ...c.detail, awsRegion: region } }));
    expect(await alertsFor(cases, region)).toEqual(EXPECTED);
  },
);

describe('one template with a HomeRegion, deployed to the home region and every forwarding region', () => {
  test('in the home region: the same alerts', async () => {
    expect(
      await alertsFor(
        CASES.map(([c]) => c),
        HOME,
        deployStackSetRules,
      ),
    ).toEqual(EXPECTED);
  });

  test.each(SignInAlerts.forwardingRegions(HOME))(
    "recorded in %s: forwarded by that region's forwarder to the home region, the same alerts",
    async (region) => {
      const cases = CASES.map(([c]) => ({ ...c, detail: { ...c.detail, awsRegion: region } }));
      expect(await alertsFor(cases, region, deployStackSetRules)).toEqual(EXPECTED);
    },
  );
});

test('fails without a forwarder: a sign-in recorded in a region that has none raises no alert', async () => {
  // GIVEN the same rules; WHEN alice signs in through a region with no forwarder (sa-east-1)
  const result = await alertsFor([iamUserSuccess('alice', '/', false, 'sa-east-1')], 'sa-east-1');
  // THEN nothing reaches the home region
  expect(Object.values(result)).toEqual([false]);
});

test('the home and forwarder templates pass cfn-lint', () => {
  app();
  expect(savedTemplates().filter((f) => !f.includes('stack-set'))).toHaveLength(
    1 + SignInAlerts.forwardingRegions(HOME).length,
  );
  expect(cfnLint(savedTemplates())).toEqual([]);
});
