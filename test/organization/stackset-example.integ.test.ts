/**
 * The organization-wide example's StackSet template (bin/organization-stack.ts), as the StackSet
 * deploys it: the same template in account A's home region, A's us-east-1 (a forwarding region)
 * and account B's home region, on one moto_server, each by the suite's driver exactly as a regular
 * stack is deployed (its inline handlers run; see test/tooling/driver.ts). cfn-lint passes both
 * templates of the example.
 */
import { GetAccountPasswordPolicyCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { Driver } from '../tooling/driver';
import { MotoHarness, StoredSecret, loginProfileOf, useMoto } from '../tooling/moto-harness';
import { cfnLint, saveTemplate } from '../tooling/templates';
import { EXAMPLE, synthesizeExample } from './stackset-example';

const moto: MotoHarness = useMoto();

const A = '333333333333';
const B = '444444444444';
const HOME = EXAMPLE.homeRegion;
const FORWARDING = 'us-east-1';
const USERS = ['auditor', 'break-glass'];

async function hasProfile(iam: IAMClient, userName: string): Promise<boolean> {
  return (await loginProfileOf(iam, userName)).exists;
}

async function minimumPasswordLength(iam: IAMClient): Promise<number | undefined> {
  try {
    return (await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy?.MinimumPasswordLength;
  } catch (error) {
    if (error instanceof NoSuchEntityException) return undefined;
    throw error;
  }
}

test('the example templates pass cfn-lint', () => {
  const { admin, members } = synthesizeExample();
  const files = [saveTemplate('organization-admin', admin), saveTemplate('organization-members', members)];
  expect(cfnLint(files)).toEqual([]);
});

test('the StackSet template in two accounts and two regions of one: users, passwords and policy once per account, in its home region', async () => {
  const { members } = synthesizeExample();
  const stackName = 'StackSet-OrganizationConsoleUsers';
  const drivers: Record<string, Driver> = {
    aHome: moto.driver({ account: A, region: HOME, stackName }),
    aForwarding: moto.driver({ account: A, region: FORWARDING, stackName }),
    bHome: moto.driver({ account: B, region: HOME, stackName }),
  };
  // The StackSet deploys region by region; the forwarding region first shows it does not depend on the home one.
  for (const name of ['aForwarding', 'aHome', 'bHome']) await drivers[name].deploy(members);

  // The forwarding region: the forwarder only, nothing of IAM, no secret, no function.
  const forwarding = drivers.aForwarding;
  expect(forwarding.resources('AWS::Events::Rule')).toHaveLength(1);
  for (const type of [
    'AWS::IAM::User',
    'AWS::SecretsManager::Secret',
    'AWS::Lambda::Function',
    'Custom::ConsoleLoginProfile',
  ]) {
    expect(forwarding.resources(type)).toEqual([]);
  }
  expect(forwarding.deliveries).toEqual([]);

  // Each home region: both users with a login profile whose password is in the account's own secret,
  // after the account's password policy, which it satisfies.
  const secrets: StoredSecret[] = [];
  for (const [driver, account] of [
    [drivers.aHome, A],
    [drivers.bHome, B],
  ] as const) {
    const { iam, secrets: sm, accessKeyId } = await driver.clients();
    expect(
      driver
        .resources('Custom::ConsoleLoginProfile')
        .map((r) => r.physicalId)
        .sort(),
    ).toEqual(USERS);
    expect(await minimumPasswordLength(iam)).toBe(16);
    const requestTypes = driver.deliveries.map((d) => `${d.event.ResourceType} ${d.event.RequestType}`);
    expect(requestTypes[0]).toBe('Custom::AccountPasswordPolicy Create');
    expect(requestTypes.slice(1).sort()).toEqual([
      'Custom::ConsoleLoginProfile Create',
      'Custom::ConsoleLoginProfile Create',
    ]);
    for (const userName of USERS) {
      expect(await hasProfile(iam, userName)).toBe(true);
      const { secretArn } = driver.loginProfile(userName);
      expect(secretArn).toMatch(new RegExp(`^arn:aws:secretsmanager:${HOME}:${account}:secret:`));
      const value = await sm.send(new GetSecretValueCommand({ SecretId: secretArn }));
      const secret = new StoredSecret(value.SecretString ?? '{}');
      expect([secret.username, secret.signInUrl]).toEqual([
        userName,
        `https://${account}.signin.aws.amazon.com/console`,
      ]);
      expect(secret.passwordLength).toBeGreaterThanOrEqual(16);
      const sets = moto
        .calls('iam', 'CreateLoginProfile')
        .filter((c) => c.accessKeyId === accessKeyId && c.params.UserName === userName);
      expect(sets.map((c) => c.params.Password)).toEqual([secret.passwordDigest()]);
      secrets.push(secret);
    }
    expect((await sm.send(new ListSecretsCommand({}))).SecretList).toHaveLength(2);
  }
  // Four passwords, all different; A's forwarding region holds no secret.
  for (const [i, secret] of secrets.entries()) {
    for (const other of secrets.slice(i + 1)) expect(secret.samePasswordAs(other)).toBe(false);
  }
  const inForwarding = await forwarding.clients();
  expect((await inForwarding.secrets.send(new ListSecretsCommand({}))).SecretList).toEqual([]);

  // Never a password in what the handlers answered or logged, or in what AWS was sent.
  const printed = Object.values(drivers).flatMap((d) => [...d.logs, JSON.stringify(d.deliveries)]);
  printed.push(JSON.stringify(moto.calls('iam')), JSON.stringify(moto.calls('secretsmanager')));
  for (const secret of secrets) expect(printed.filter((text) => secret.passwordIn(text))).toEqual([]);

  // Removing A's stacks (an account leaving the OU) removes A's users' profiles and restores A's policy; B keeps its own.
  await drivers.aForwarding.destroy();
  await drivers.aHome.destroy();
  const a = await drivers.aHome.clients();
  const b = await drivers.bHome.clients();
  for (const userName of USERS) {
    expect(await hasProfile(a.iam, userName)).toBe(false);
    expect(await hasProfile(b.iam, userName)).toBe(true);
  }
  expect(await minimumPasswordLength(a.iam)).toBeUndefined();
  expect(await minimumPasswordLength(b.iam)).toBe(16);
});
