/**
 * Forged events on the wire: someone allowed `lambda:InvokeFunction` on a handler sends it events
 * CloudFormation did not send. The bundled handlers run against moto through the moto proxy, and
 * check each event with CloudFormation, whose record the suite's driver keeps and answers as
 * CloudFormation would (test/tooling/driver.ts, cloudformation.ts). Each forged event must be
 * refused before any IAM or Secrets Manager call (the proxy records none), and leave moto as it
 * was; the genuine deployment around it keeps working.
 */
import { GetAccountPasswordPolicyCommand, ListUsersCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { Duration, Stack } from 'aws-cdk-lib';
import { AccountPasswordPolicy, BreakGlassUser, ConsoleUser } from '../../lib';
import { CustomResourceEvent, Delivery, Driver, TemplateJson, synthesize } from '../tooling/driver';
import { MotoHarness, useMoto } from '../tooling/moto-harness';
import { ProxiedCall } from '../tooling/moto-proxy';
import { cfnLint, savedTemplates } from '../tooling/templates';

const moto: MotoHarness = useMoto();

const RESET = 'reset-user';
const ORDINARY = 'ordinary';
const BREAK_GLASS = 'break-glass';
const ATTACKER_URL = 'https://attacker.example/console';

/** A stack with an account password policy, a reset-required user, an ordinary user and a break-glass user. */
function template(name: string, ordinary = ORDINARY, resetToken?: string): TemplateJson {
  return synthesize(name, (app) => {
    const stack = new Stack(app, 'IntegForged');
    new AccountPasswordPolicy(stack, 'Policy', { minimumPasswordLength: 14, maxPasswordAge: Duration.days(90) });
    new ConsoleUser(stack, 'Reset', { userName: RESET, resetToken });
    new ConsoleUser(stack, 'Ordinary', { userName: ordinary, passwordResetRequired: false, grantChangePassword: true });
    new BreakGlassUser(stack, 'BreakGlass', { userName: BREAK_GLASS });
    return stack;
  });
}

/** Everything moto holds that a forged event could change: users, profiles, tags, secrets, policy. */
async function state(driver: Driver): Promise<unknown> {
  const users = ((await moto.iam.send(new ListUsersCommand({}))).Users ?? []).map((u) => u.UserName!).sort();
  const perUser: Record<string, unknown> = {};
  for (const user of users) perUser[user] = { profile: await moto.profile(user), tags: await moto.userTags(user) };
  const secrets: Record<string, unknown> = {};
  for (const secret of driver.resources('AWS::SecretsManager::Secret')) {
    const arn = secret.physicalId;
    const current = (await moto.secretExists(arn)) ? await moto.readSecret(arn) : undefined;
    secrets[secret.logicalId] = {
      versions: (await moto.secretExists(arn)) ? await moto.versions(arn) : 'gone',
      username: current?.username,
      signInUrl: current?.signInUrl,
      password: current?.passwordDigest(),
    };
  }
  let policy: unknown;
  try {
    policy = (await moto.iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) throw error;
    policy = 'none';
  }
  return { users, perUser, secrets, policy };
}

/** The genuine Create event the driver sent for `logicalIdPrefix`'s resource of `type`. */
function genuineCreate(driver: Driver, type: string, logicalIdPrefix: string): CustomResourceEvent {
  const found = driver.deliveries.filter(
    (d) =>
      d.event.RequestType === 'Create' &&
      d.event.ResourceType === type &&
      d.event.LogicalResourceId.startsWith(logicalIdPrefix),
  );
  if (found.length !== 1) throw new Error(`expected one Create of ${logicalIdPrefix}, found ${found.length}`);
  return found[0].event;
}

/** Delivers `event` as a forged one; returns the delivery and the AWS calls it made (CloudFormation's aside). */
async function forge(
  driver: Driver,
  event: CustomResourceEvent,
): Promise<{ delivery: Delivery; calls: ProxiedCall[] }> {
  const from = moto.proxy.calls.length;
  const delivery = await driver.invokeForged({ ...event, RequestId: `forged-${Math.random().toString(36).slice(2)}` });
  const calls = moto.proxy.calls.slice(from).filter((c) => c.service === 'iam' || c.service === 'secretsmanager');
  return { delivery, calls };
}

/** Asserts that the forged delivery was refused, with no IAM or Secrets Manager call. */
function expectRefused(attack: string, { delivery, calls }: { delivery: Delivery; calls: ProxiedCall[] }): string {
  expect([attack, calls.map((c) => `${c.service}:${c.action}`)]).toEqual([attack, []]);
  expect([attack, delivery.response]).toEqual([attack, undefined]);
  expect(delivery.error).toEqual(expect.any(String));
  return delivery.error!;
}

test('forged events change nothing: cross-paired user and secret, a reset outside any operation, Deletes, a foreign stack, an attacker sign-in URL, a weakened policy', async () => {
  // GIVEN the stack deployed by CloudFormation (the driver), and another stack with a user of its own
  const driver = moto.driver({ stackName: 'IntegForged' });
  await driver.deploy(template('forged-v1'));
  const other = moto.driver({ stackName: 'IntegOther' });
  await other.deploy(
    synthesize('forged-other', (app) => {
      const stack = new Stack(app, 'IntegOther');
      new ConsoleUser(stack, 'Other', { userName: 'other-user' });
      return stack;
    }),
  );
  const breakGlass = genuineCreate(driver, 'Custom::ConsoleLoginProfile', 'BreakGlass');
  const ordinary = genuineCreate(driver, 'Custom::ConsoleLoginProfile', 'Ordinary');
  const reset = genuineCreate(driver, 'Custom::ConsoleLoginProfile', 'Reset');
  const policy = genuineCreate(driver, 'Custom::AccountPasswordPolicy', 'Policy');
  const before = await state(driver);
  const calledBefore = moto.proxy.calls.length;

  // WHEN each forged event is delivered to the stack's handlers
  const weakPolicy = {
    ...policy.ResourceProperties,
    MinimumPasswordLength: '6',
    MaxPasswordAge: '1',
    HardExpiry: 'true',
  };
  const attacks: Record<string, CustomResourceEvent> = {
    "Create pairing the break-glass user with the ordinary user's secret": {
      ...breakGlass,
      ResourceProperties: { ...breakGlass.ResourceProperties, SecretArn: ordinary.ResourceProperties.SecretArn },
    },
    'Update of the ordinary profile to the break-glass user': {
      ...ordinary,
      RequestType: 'Update',
      PhysicalResourceId: ORDINARY,
      ResourceProperties: { ...ordinary.ResourceProperties, UserName: BREAK_GLASS },
      OldResourceProperties: ordinary.ResourceProperties,
    },
    'Update with a new ResetToken outside any operation': {
      ...reset,
      RequestType: 'Update',
      PhysicalResourceId: RESET,
      ResourceProperties: { ...reset.ResourceProperties, ResetToken: 'forged' },
      OldResourceProperties: reset.ResourceProperties,
    },
    'Delete of the break-glass profile': { ...breakGlass, RequestType: 'Delete', PhysicalResourceId: BREAK_GLASS },
    'Create with an attacker sign-in URL': {
      ...ordinary,
      ResourceProperties: { ...ordinary.ResourceProperties, SignInUrl: ATTACKER_URL },
    },
    'Update of the password policy to 6 characters, 1 day, hard expiry': {
      ...policy,
      RequestType: 'Update',
      PhysicalResourceId: String(driver.physicalId(policy.LogicalResourceId)),
      ResourceProperties: weakPolicy,
      OldResourceProperties: policy.ResourceProperties,
    },
    'Delete of the password policy': {
      ...policy,
      RequestType: 'Delete',
      PhysicalResourceId: String(driver.physicalId(policy.LogicalResourceId)),
    },
    "Create with another stack's StackId": {
      ...breakGlass,
      StackId: other.stackId,
      ResourceProperties: { ...breakGlass.ResourceProperties, SecretArn: ordinary.ResourceProperties.SecretArn },
    },
  };
  const reasons: string[] = [];
  for (const [attack, event] of Object.entries(attacks))
    reasons.push(expectRefused(attack, await forge(driver, event)));

  // THEN every one was refused with the same reason, which names nothing of the stack
  expect(new Set(reasons).size).toBe(1);
  for (const name of [BREAK_GLASS, ORDINARY, RESET, driver.stackId, other.stackId])
    expect(reasons[0]).not.toContain(name);
  // ...no IAM or Secrets Manager call was made, only CloudFormation was asked
  const during = moto.proxy.calls.slice(calledBefore);
  expect(during.filter((c) => c.service !== 'cloudformation')).toEqual([]);
  expect(during.length).toBeGreaterThan(0);
  // ...and moto is as it was
  expect(await state(driver)).toEqual(before);
  for (const line of driver.logs) expect(line).not.toContain(ATTACKER_URL);

  // AND the genuine stack still updates (a new password for the reset user) and deletes
  await driver.deploy(template('forged-v2-token', ORDINARY, 'genuine'));
  const resetSecret = await moto.readSecret(String(reset.ResourceProperties.SecretArn));
  expect(moto.lastPasswordSet(RESET)).toBe(resetSecret.passwordDigest());
  expect(Object.values(await moto.versions(String(reset.ResourceProperties.SecretArn))).sort()).toEqual([
    ['AWSCURRENT'],
    ['AWSPREVIOUS'],
  ]);
  await driver.destroy();
  await other.destroy();
  expect((await moto.iam.send(new ListUsersCommand({}))).Users ?? []).toEqual([]);
});

test('a forged OldResourceProperties during a genuine rename changes nothing; the rename completes', async () => {
  // GIVEN the stack deployed
  const driver = moto.driver({ stackName: 'IntegForged' });
  await driver.deploy(template('forged-rename-v1'));
  const breakGlass = genuineCreate(driver, 'Custom::ConsoleLoginProfile', 'BreakGlass');
  const breakGlassSecret = await moto.readSecret(String(breakGlass.ResourceProperties.SecretArn));

  // WHEN the ordinary user is renamed, and while CloudFormation sends the genuine Update, a copy
  // arrives whose old properties name the break-glass user (whose profile the rename would remove)
  let forged: { delivery: Delivery; calls: ProxiedCall[] } | undefined;
  let stateBefore: unknown;
  let stateAfter: unknown;
  driver.beforeDelivery = async (event) => {
    if (forged || event.RequestType !== 'Update' || !event.LogicalResourceId.startsWith('Ordinary')) return;
    stateBefore = await state(driver);
    forged = await forge(driver, {
      ...event,
      OldResourceProperties: {
        ...event.OldResourceProperties,
        UserName: BREAK_GLASS,
        SecretArn: breakGlass.ResourceProperties.SecretArn,
      },
      PhysicalResourceId: BREAK_GLASS,
    });
    stateAfter = await state(driver);
  };
  await driver.deploy(template('forged-rename-v2', 'ordinary2'));

  // THEN the forged copy was refused before any IAM or Secrets Manager call, and changed nothing
  expect(forged).toBeDefined();
  expectRefused('forged OldResourceProperties', forged!);
  expect(stateAfter).toEqual(stateBefore);
  // ...the genuine rename went through: the new user has a profile, the old one is gone, the
  // break-glass user kept its profile and password
  expect((await moto.profile('ordinary2')).exists).toBe(true);
  expect(await moto.userTags(ORDINARY)).toBeUndefined();
  expect(await moto.profile(BREAK_GLASS)).toEqual({ exists: true, passwordResetRequired: false });
  const after = await moto.readSecret(String(breakGlass.ResourceProperties.SecretArn));
  expect(after.samePasswordAs(breakGlassSecret)).toBe(true);
  expect(moto.lastPasswordSet(BREAK_GLASS)).toBe(after.passwordDigest());
  expect(driver.deliveries.filter((d) => d.error && !d.event.RequestId.startsWith('forged-'))).toEqual([]);
});

test('every template synthesized here passes cfn-lint', () => {
  expect(cfnLint(savedTemplates())).toEqual([]);
});
