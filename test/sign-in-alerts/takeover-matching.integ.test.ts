/**
 * The synthesized takeover and secret-access rules, matched by EventBridge's own matching as
 * moto_server implements it (rules matched on `PutEvents`; moto's `TestEventPattern` is a stub): each
 * rule's pattern (resolved from the template) is put in moto with an SQS queue as target, CloudTrail
 * records of IAM and Secrets Manager calls in AWS's documented shapes are put on the bus of the
 * region CloudTrail records them in (IAM: us-east-1; Secrets Manager: the secret's region), and the
 * queue shows which would have raised an alert. IAM records reach a home region other than
 * us-east-1 through the us-east-1 forwarder, as in AWS.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BreakGlassUser, ConsoleUser, HomeRegion, SignInAlerts, SignInAlertsForwarder } from '../../lib';
import { REQUIRE_MFA_GROUP_ID } from '../../lib/login-profile/policy-groups';
import {
  GROUP_NAMED_IAM_CALLS,
  LIBRARY_TAG_KEYS,
  LIBRARY_TAG_PREFIX,
  SECRET_CALLS,
  SELF_IAM_CALLS,
  USER_NAMED_IAM_CALLS,
} from '../../lib/sign-in-alerts/patterns';
import * as loginProfileContract from '../../lib/login-profile/contract';
import * as rotationContract from '../../lib/rotation/contract';
import { presentIn } from '../organization/home-region-stacks';
import { MotoEvents } from '../tooling/events-moto';
import { FakeAws } from '../tooling/fake-aws';
import { resetMoto } from '../tooling/moto-server';
import { TemplateJson, TemplateWorld } from '../tooling/template-world';
import { cfnLint, saveTemplate, savedTemplates } from '../tooling/templates';
import {
  ACCOUNT,
  API_CALL_DETAIL_TYPE,
  CallCase,
  Caller,
  ROOT,
  groupEvent,
  iamEvent,
  iamUserInConsole,
  iamUserWithKeys,
  roleSession,
  secretEvent,
} from './takeover-events';

const endpoint = process.env.MOTO_ENDPOINT!;
beforeEach(() => resetMoto(endpoint));

/** The regions of the stacks: IAM records arrive in us-east-1; the secrets' region is the home region. */
const IAM_REGION = 'us-east-1';

interface Deployed {
  readonly home: MotoEvents;
  readonly queueUrl: string;
  /** The ARNs of the login-profile handler's and the rotation function's roles. */
  readonly handlerRole: string;
  readonly rotationRole: string;
  /** The name of the stack's require-MFA group (`bg-2`'s policies come through groups). */
  readonly mfaGroup: string;
  /** The forms of each break-glass secret's ID, by user name. */
  readonly secrets: Record<string, { fullArn: string; partialArn: string; name: string }>;
  /** The resolved event patterns, by rule description. */
  readonly patterns: Record<string, unknown>;
}

/**
 * A home stack (break-glass users `break-glass`, with a secret named `break-glass-password` and a
 * reader, and `bg-2`, with a generated secret name and its policies through the stack's groups
 * (`policiesThroughGroups`), sharing the first one's alerts; `carol`, a
 * console user without alerts) and, unless `forwarders` is false, a forwarder stack in each
 * forwarding region; their rules put into moto.
 */
function homeStack(stack: Stack): BreakGlassUser[] {
  const reader = new iam.Role(stack, 'Reader', {
    roleName: 'security-oncall',
    assumedBy: new iam.AccountRootPrincipal(),
  });
  const first = new BreakGlassUser(stack, 'BreakGlass', {
    userName: 'break-glass',
    secretName: 'break-glass-password',
    readers: [reader],
  });
  const second = new BreakGlassUser(stack, 'Second', {
    userName: 'bg-2',
    signInAlerts: first.signInAlerts,
    policiesThroughGroups: true,
  });
  new ConsoleUser(stack, 'Carol', { userName: 'carol' });
  return [first, second];
}

/** The function role ARN (resolved) of the function whose description matches `description`. */
function functionRoleArn(template: TemplateJson, world: TemplateWorld, description: RegExp): string {
  const functions = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && description.test(String(r.Properties?.Description)),
  );
  expect(functions).toHaveLength(1);
  return String(world.resolve(functions[0].Properties!.Role));
}

/** Puts the rules CloudFormation creates in `region` from `template` into moto, with `target`. */
async function putRules(
  template: TemplateJson,
  stackName: string,
  region: string,
  target: (props: Record<string, unknown>) => string[],
  present?: Set<string>,
): Promise<Record<string, unknown>> {
  const world = new TemplateWorld(template, new FakeAws(), stackName, region);
  const events = new MotoEvents(endpoint, region);
  const patterns: Record<string, unknown> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule' || (present !== undefined && !present.has(id))) continue;
    const props = resource.Properties!;
    const pattern = world.resolve(props.EventPattern);
    patterns[`${region}: ${String(props.Description)}`] = pattern;
    await events.putRule(id.slice(0, 64), pattern, target(props));
  }
  return patterns;
}

async function deploy(options: { home: string; forwarders: boolean; stackSet?: boolean }): Promise<Deployed> {
  const app = new App();
  const homeStackName = options.stackSet ? 'StackSet' : 'Home';
  const stack = options.stackSet
    ? new Stack(app, homeStackName)
    : new Stack(app, homeStackName, { env: { account: ACCOUNT, region: options.home } });
  if (options.stackSet) new HomeRegion(stack, 'HomeRegion', { region: options.home });
  const [first, second] = homeStack(stack);
  const alerts = first.signInAlerts;
  const forwarderStacks: Record<string, Stack> = {};
  if (options.forwarders && !options.stackSet) {
    for (const region of SignInAlerts.forwardingRegions(options.home)) {
      forwarderStacks[region] = new Stack(app, `Forwarder-${region}`, { env: { account: ACCOUNT, region } });
      new SignInAlertsForwarder(forwarderStacks[region], 'Forwarder', { alerts });
    }
  }
  const template = Template.fromStack(stack).toJSON() as TemplateJson;
  saveTemplate(`takeover-${homeStackName}-${options.home}`, template);

  const home = new MotoEvents(endpoint, options.home);
  const queue = await home.createQueue('alerts');
  const homeBus = `arn:aws:events:${options.home}:${ACCOUNT}:event-bus/default`;
  const patterns = await putRules(
    template,
    homeStackName,
    options.home,
    () => [queue.arn],
    options.stackSet ? presentIn(template, options.home) : undefined,
  );
  if (options.stackSet && options.forwarders) {
    for (const region of SignInAlerts.forwardingRegions(options.home)) {
      Object.assign(
        patterns,
        await putRules(template, homeStackName, region, () => [homeBus], presentIn(template, region)),
      );
    }
  }
  for (const [region, forwarder] of Object.entries(forwarderStacks)) {
    const forwarderTemplate = Template.fromStack(forwarder).toJSON() as TemplateJson;
    saveTemplate(`takeover-forwarder-${region}`, forwarderTemplate);
    Object.assign(
      patterns,
      await putRules(forwarderTemplate, forwarder.stackName, region, (props) => {
        const arns = (props.Targets as { Arn: unknown }[]).map((t) =>
          String(new TemplateWorld(forwarderTemplate, new FakeAws(), forwarder.stackName, region).resolve(t.Arn)),
        );
        expect(arns).toEqual([homeBus]);
        return arns;
      }),
    );
  }

  const world = new TemplateWorld(template, new FakeAws(), homeStackName, options.home);
  const secretArn = (user: BreakGlassUser) => String(world.resolve(stack.resolve(user.secret.secretArn)));
  const forms = (fullArn: string) => {
    const partialArn = fullArn.slice(0, -7);
    return { fullArn, partialArn, name: partialArn.split(':secret:')[1] };
  };
  return {
    home,
    queueUrl: queue.url,
    handlerRole: functionRoleArn(template, world, /login profile/i),
    rotationRole: functionRoleArn(template, world, /rotates console passwords/i),
    mfaGroup: String(world.resolve(stack.resolve((stack.node.findChild(REQUIRE_MFA_GROUP_ID) as iam.Group).groupName))),
    secrets: { 'break-glass': forms(secretArn(first)), 'bg-2': forms(secretArn(second)) },
    patterns,
  };
}

/** For each case put on the bus of `region`: whether an alert arrived in the home region's queue. */
async function alertsFor(deployed: Deployed, cases: CallCase[], region: string): Promise<Record<string, boolean>> {
  const bus = new MotoEvents(endpoint, region);
  const result: Record<string, boolean> = {};
  for (const c of cases) {
    expect(result[c.name]).toBeUndefined();
    await bus.putEvent(c.source, API_CALL_DETAIL_TYPE, c.detail);
    const delivered = await deployed.home.drain(deployed.queueUrl);
    expect(delivered.length).toBeLessThanOrEqual(1);
    if (delivered.length === 1) expect(delivered[0].detail).toEqual(c.detail);
    result[c.name] = delivered.length === 1;
  }
  return result;
}

const ATTACKER: Caller = roleSession(`arn:aws:iam::${ACCOUNT}:role/attacker`);
const LIBRARY_KEY = LIBRARY_TAG_KEYS[1];

/** The IAM cases and whether each must raise an alert. */
function iamCases(d: Deployed): [CallCase, boolean][] {
  const others: Caller[] = [ATTACKER, iamUserWithKeys('mallory'), iamUserInConsole('mallory', '/ops/'), ROOT];
  const library: Caller[] = [roleSession(d.handlerRole, 'handler'), roleSession(d.rotationRole, 'rotation')];
  const calls: [string, { tagKeys?: string[] }][] = [
    ...USER_NAMED_IAM_CALLS.map((name): [string, { tagKeys?: string[] }] => [name, {}]),
    ['UntagUser', { tagKeys: [LIBRARY_KEY] }],
  ];
  const cases: [CallCase, boolean][] = [];
  for (const [eventName, options] of calls) {
    for (const user of ['break-glass', 'bg-2']) {
      for (const caller of others) cases.push([iamEvent(caller, eventName, user, options), true]);
      for (const caller of library) cases.push([iamEvent(caller, eventName, user, options), false]);
    }
    // another user's
    cases.push([iamEvent(ATTACKER, eventName, 'carol', options), false]);
  }
  // tags: only the library's keys, in any case
  cases.push([iamEvent(ATTACKER, 'UntagUser', 'break-glass', { tagKeys: ['team'] }), false]);
  cases.push([iamEvent(ATTACKER, 'UntagUser', 'break-glass', { tagKeys: ['team', LIBRARY_TAG_KEYS[0]] }), true]);
  cases.push([iamEvent(ATTACKER, 'UntagUser', 'break-glass', { tagKeys: [LIBRARY_KEY.toUpperCase()] }), true]);
  cases.push([iamEvent(ATTACKER, 'UntagUser', 'break-glass', { tagKeys: ['cdk-console-users'] }), false]);
  cases.push([iamEvent(ATTACKER, 'TagUser', 'break-glass', { tagKeys: ['team'] }), false]);
  // calls naming no user act on the caller: the user itself
  for (const eventName of SELF_IAM_CALLS) {
    cases.push([iamEvent(iamUserInConsole('break-glass'), eventName, undefined), true]);
    cases.push([iamEvent(iamUserWithKeys('bg-2'), eventName, undefined), true]);
    cases.push([iamEvent(iamUserInConsole('carol'), eventName, undefined), false]);
    cases.push([iamEvent(ATTACKER, eventName, undefined), false]);
  }
  // calls naming the group that carries bg-2's RequireMfaPolicy (and no user); another group's; a read
  for (const eventName of GROUP_NAMED_IAM_CALLS) {
    for (const caller of others) cases.push([groupEvent(caller, eventName, d.mfaGroup), true]);
    for (const caller of library) cases.push([groupEvent(caller, eventName, d.mfaGroup), false]);
    cases.push([groupEvent(ATTACKER, eventName, 'admins'), false]);
    cases.push([groupEvent(ATTACKER, eventName, `${d.mfaGroup}-2`), false]);
  }
  cases.push([groupEvent(ATTACKER, 'GetGroup', d.mfaGroup), false]);
  // the user naming itself, and naming someone else
  cases.push([iamEvent(iamUserInConsole('break-glass'), 'CreateAccessKey', 'break-glass'), true]);
  cases.push([iamEvent(iamUserInConsole('break-glass'), 'CreateAccessKey', 'carol'), false]);
  // the root user's own access key; a read-only call; a name that starts with a declared one
  cases.push([iamEvent(ROOT, 'CreateAccessKey', undefined), false]);
  cases.push([iamEvent(ATTACKER, 'GetUser', 'break-glass'), false]);
  cases.push([iamEvent(ATTACKER, 'CreateLoginProfile', 'break-glass2'), false]);
  return cases;
}

/** Sends every case's call through the deployed rules in `region`: exactly the cases marked `true` alert. */
async function expectAlerts(d: Deployed, cases: [CallCase, boolean][], region: string): Promise<void> {
  const expected = Object.fromEntries(cases.map(([c, alert]) => [c.name, alert]));
  expect(
    await alertsFor(
      d,
      cases.map(([c]) => c),
      region,
    ),
  ).toEqual(expected);
}

describe('IAM calls on the users (recorded in us-east-1)', () => {
  test('home region eu-west-1: through the us-east-1 forwarder, alerts exactly for others than the library', async () => {
    const d = await deploy({ home: 'eu-west-1', forwarders: true });
    const cases = iamCases(d);
    expect(cases.filter(([, alert]) => alert).length).toBeGreaterThan(150);
    await expectAlerts(d, cases, IAM_REGION);
  }, 120_000);

  test('home region us-east-1: the same alerts, without a forwarder', async () => {
    const d = await deploy({ home: 'us-east-1', forwarders: false });
    const cases = iamCases(d);
    await expectAlerts(d, cases, IAM_REGION);
  }, 120_000);

  test('one template with a HomeRegion (eu-west-1): the us-east-1 stack forwards, the same alerts', async () => {
    const d = await deploy({ home: 'eu-west-1', forwarders: true, stackSet: true });
    const cases = iamCases(d);
    await expectAlerts(d, cases, IAM_REGION);
  }, 120_000);

  test('fails without the us-east-1 forwarder: no IAM call reaches a home region elsewhere', async () => {
    const d = await deploy({ home: 'eu-west-1', forwarders: false });
    const cases = iamCases(d).filter(([, alert]) => alert);
    const result = await alertsFor(
      d,
      cases.map(([c]) => c),
      IAM_REGION,
    );
    expect(Object.values(result).filter(Boolean)).toEqual([]);
  }, 120_000);

  test("moto difference: TagUser's tags are objects in an array, which moto does not match into (AWS does)", async () => {
    // AWS (event-ruler) flattens requestParameters.tags[].key, so the takeover rule's
    // `requestParameters.tags.key` prefix matches a TagUser of a library key; moto 5.2.5 keeps an
    // array of objects whole and matches nothing inside it. The construct test asserts the pattern;
    // this test fails once moto matches arrays of objects, to turn the case into a positive one.
    const d = await deploy({ home: 'us-east-1', forwarders: false });
    const tagged = iamEvent(ATTACKER, 'TagUser', 'break-glass', { tagKeys: [LIBRARY_KEY] });
    expect(await alertsFor(d, [tagged], IAM_REGION)).toEqual({ [tagged.name]: false });
  }, 60_000);
});

describe('calls on the break-glass secrets (recorded in their region)', () => {
  // The fake names secrets' full ARNs in us-east-1: the secrets' stack is deployed there.
  const REGION = 'us-east-1';

  test('every read, write and policy change, by any form of its ID, by others than the library: an alert', async () => {
    const d = await deploy({ home: REGION, forwarders: false });
    const cases: [CallCase, boolean][] = [];
    for (const user of ['break-glass', 'bg-2']) {
      const secret = d.secrets[user];
      for (const eventName of SECRET_CALLS) {
        for (const id of [secret.fullArn, secret.partialArn, secret.name]) {
          cases.push([secretEvent(ATTACKER, eventName, id, secret.fullArn, REGION), true]);
        }
        cases.push([
          secretEvent(roleSession(d.handlerRole, 'handler'), eventName, secret.fullArn, secret.fullArn, REGION),
          false,
        ]);
        cases.push([
          secretEvent(roleSession(d.rotationRole, 'rotation'), eventName, secret.fullArn, secret.fullArn, REGION),
          false,
        ]);
      }
      // readers and every other caller without the library's roles
      for (const caller of [
        roleSession(`arn:aws:iam::${ACCOUNT}:role/security-oncall`, 'oncall'),
        iamUserWithKeys('mallory'),
        iamUserInConsole('break-glass'),
        ROOT,
      ]) {
        cases.push([secretEvent(caller, 'GetSecretValue', secret.name, secret.fullArn, REGION), true]);
      }
    }
    const named = d.secrets['break-glass'];
    expect(named.name).toBe('break-glass-password');
    // other secrets, including names that start with or extend this one's, and calls not listed
    for (const id of [
      'break-glass-password-old',
      `${named.partialArn}-old`,
      `${named.partialArn}-old-AbCdEf`,
      'break-glass-passwor',
      named.partialArn.replace(`:${ACCOUNT}:`, ':210987654321:'),
    ]) {
      cases.push([secretEvent(ATTACKER, 'GetSecretValue', id, id, REGION), false]);
    }
    cases.push([secretEvent(ATTACKER, 'DescribeSecret', named.fullArn, named.fullArn, REGION), false]);
    await expectAlerts(d, cases, REGION);
  }, 120_000);

  test('the library tag prefix names every tag key the library uses', () => {
    // every tag key the contracts declare, except the one CloudFormation writes (aws:, nobody else can)
    const declared = Object.entries({ ...loginProfileContract, ...rotationContract })
      .filter(([name, value]) => name.endsWith('_TAG_KEY') && !String(value).startsWith('aws:'))
      .map(([, value]) => String(value));
    expect(declared).toEqual(expect.arrayContaining([...LIBRARY_TAG_KEYS]));
    for (const key of declared) expect(key.startsWith(LIBRARY_TAG_PREFIX)).toBe(true);
  });
});

test('every rule fits EventBridge’s default event-pattern size (2,048 characters) as CloudFormation resolves it', async () => {
  const d = await deploy({ home: 'eu-west-1', forwarders: true });
  const sizes = Object.fromEntries(Object.entries(d.patterns).map(([rule, p]) => [rule, JSON.stringify(p).length]));
  expect(Object.keys(sizes)).toHaveLength(3 + SignInAlerts.forwardingRegions('eu-west-1').length);
  for (const size of Object.values(sizes)) expect(size).toBeLessThanOrEqual(2048);
}, 60_000);

test('the templates pass cfn-lint', async () => {
  await deploy({ home: 'eu-west-1', forwarders: true });
  await deploy({ home: 'eu-west-1', forwarders: true, stackSet: true });
  expect(savedTemplates().filter((f) => f.includes('takeover')).length).toBeGreaterThanOrEqual(2);
  expect(cfnLint(savedTemplates())).toEqual([]);
}, 120_000);
