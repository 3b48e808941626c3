/**
 * Scenarios over whole stacks: an imported user, ten profiles in one stack, a construct that moves
 * (new logical ID, same user), an AccountPasswordPolicy beside a login profile, and the sample app
 * of bin/sample-stack.ts.
 */
import { CreateUserCommand, GetAccountPasswordPolicyCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { Stack } from 'aws-cdk-lib';
import { ConsoleUsersSampleStack } from '../../bin/sample-stack';
import { AccountPasswordPolicy, ConsoleUser } from '../../lib';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { DEFAULT_PASSWORD_POLICY } from '../../lambda/password/generator';
import { cfnLint, savedTemplates } from '../tooling/templates';
import { ACCOUNT, synthesize } from '../tooling/driver';
import { MotoHarness, StoredSecret, useMoto } from '../tooling/moto-harness';
import { consoleUsersStack, importedUserStack } from '../tooling/stacks';

const moto: MotoHarness = useMoto();

describe('an imported user', () => {
  test('gets a profile on create and loses it on delete; the user itself stays', async () => {
    // GIVEN a user created outside the stack
    await moto.iam.send(new CreateUserCommand({ UserName: 'outside' }));
    const driver = moto.driver({ stackName: 'IntegImported' });

    // WHEN a stack that imports it by name is created
    await driver.deploy(synthesize('imported', (app) => importedUserStack(app, 'outside')));

    // THEN the user has a profile whose password is in the stack's secret
    const { secretArn } = driver.loginProfile('outside');
    expect(await moto.profile('outside')).toEqual({ exists: true, passwordResetRequired: true });
    const secret = await moto.readSecret(secretArn);
    expect(secret.username).toBe('outside');
    expect(moto.lastPasswordSet('outside')).toBe(secret.passwordDigest());

    // WHEN the stack is deleted THEN the profile is gone and the user is still there
    await driver.destroy();
    expect((await moto.profile('outside')).exists).toBe(false);
    expect(await moto.userTags('outside')).toBeDefined();
  });

  test('fails when the imported user does not exist, and writes no password anywhere', async () => {
    // GIVEN no user "nobody", and a handler with 21 s left (10 s are its safety margin, 8 s the time
    // a Create keeps for its undo), so that its wait for IAM's eventual consistency gives up after
    // about 3 s instead of retrying for 15
    const driver = moto.driver({ stackName: 'IntegImported', handlerTimeoutSeconds: 21 });
    const template = synthesize('imported-missing', (app) => importedUserStack(app, 'nobody'));

    // WHEN the stack is created THEN the Create fails naming the user
    await expect(driver.deploy(template)).rejects.toThrow(/IAM user "nobody" does not exist/);
    // ...and the secret holds no version: no password was generated for a user that is not there
    const secretArn = String(driver.resources('AWS::SecretsManager::Secret').map((r) => r.physicalId)[0]);
    expect(await moto.versions(secretArn)).toEqual({});
    expect(moto.calls('iam', 'CreateLoginProfile', 'UpdateLoginProfile')).toEqual([]);
  });
});

test('ten profiles in one stack: ten users, ten secrets, ten different passwords, all removed on delete', async () => {
  // GIVEN a stack with ten console users (one provider)
  const names = Array.from({ length: 10 }, (_, i) => `team-${i}`);
  const template = synthesize('ten-profiles', (app) => consoleUsersStack(app, names));
  expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').length).toBe(1);
  const driver = moto.driver();

  // WHEN the stack is created
  await driver.deploy(template);

  // THEN each user has a profile and its own secret, with its own name and a distinct password
  const secrets: StoredSecret[] = [];
  for (const name of names) {
    const { secretArn } = driver.loginProfile(name);
    expect((await moto.profile(name)).exists).toBe(true);
    const secret = await moto.readSecret(secretArn);
    expect(secret.username).toBe(name);
    expect(secret.violations(DEFAULT_PASSWORD_POLICY)).toEqual([]);
    expect(moto.lastPasswordSet(name)).toBe(secret.passwordDigest());
    expect((await moto.userTags(name))?.[OWNER_TAG_KEY]).toBe(secretArn);
    secrets.push(secret);
  }
  expect(new Set(driver.resources('Custom::ConsoleLoginProfile').map((r) => r.properties.SecretArn)).size).toBe(10);
  for (let i = 0; i < secrets.length; i++) {
    for (let j = i + 1; j < secrets.length; j++) expect(secrets[i].samePasswordAs(secrets[j])).toBe(false);
  }

  // WHEN the stack is deleted THEN every profile went before its user (driver check) and all users are gone
  await driver.destroy();
  expect(moto.calls('iam', 'DeleteLoginProfile').filter((c) => c.status === 200).length).toBe(10);
  for (const name of names) expect(await moto.userTags(name)).toBeUndefined();
});

test('a login profile that moves to a new construct id keeps the user signed-in-able, with the new secret', async () => {
  // GIVEN an imported user with a profile under construct id "Before"
  await moto.iam.send(new CreateUserCommand({ UserName: 'mover' }));
  const driver = moto.driver({ stackName: 'IntegImported' });
  await driver.deploy(synthesize('moved-v1', (app) => importedUserStack(app, 'mover', 'Before')));

  // WHEN the construct is renamed to "After" (CloudFormation creates the new resource, then deletes the old)
  await driver.deploy(synthesize('moved-v2', (app) => importedUserStack(app, 'mover', 'After')));

  // THEN the old resource's Delete left the successor's profile alone: the profile exists and
  // IAM's password is the one in the NEW secret, which owns the user now
  expect(
    driver.deliveries.map((d) => [d.event.RequestType, d.event.LogicalResourceId.replace(/[0-9A-F]{8}$/, '')]),
  ).toEqual([
    ['Create', 'Before'],
    ['Create', 'After'],
    ['Delete', 'Before'],
  ]);
  const { secretArn } = driver.loginProfile('mover');
  expect((await moto.profile('mover')).exists).toBe(true);
  const secret = await moto.readSecret(secretArn);
  expect(moto.lastPasswordSet('mover')).toBe(secret.passwordDigest());
  expect((await moto.userTags('mover'))?.[OWNER_TAG_KEY]).toBe(secretArn);
});

test('an AccountPasswordPolicy in the same stack is set first, and the login profile honours it', async () => {
  // GIVEN a stack with a strict AccountPasswordPolicy and a console user asking for 24 characters
  const template = synthesize('policy-and-user', (app) => {
    const stack = new Stack(app, 'IntegPolicy');
    new AccountPasswordPolicy(stack, 'PasswordPolicy', {
      minimumPasswordLength: 36,
      requireSymbols: true,
      requireNumbers: true,
      requireUppercaseCharacters: true,
      requireLowercaseCharacters: true,
    });
    new ConsoleUser(stack, 'User', { userName: 'nina', passwordLength: 24 });
    return stack;
  });
  const driver = moto.driver({ stackName: 'IntegPolicy' });

  // WHEN the stack is created
  await driver.deploy(template);

  // THEN the policy handler ran before the login profile, and the password follows the policy
  expect(driver.deliveries.map((d) => d.event.ResourceType)).toEqual([
    'Custom::AccountPasswordPolicy',
    'Custom::ConsoleLoginProfile',
  ]);
  const policy = (await moto.iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy!;
  expect(policy.MinimumPasswordLength).toBe(36);
  const secret = await moto.readSecret(driver.loginProfile('nina').secretArn);
  expect(secret.passwordLength).toBe(36);
  expect(secret.violations(policy)).toEqual([]);
  expect(moto.lastPasswordSet('nina')).toBe(secret.passwordDigest());

  // WHEN the stack is deleted THEN the profile is gone and the account has no policy again (as before)
  await driver.destroy();
  expect(await moto.userTags('nina')).toBeUndefined();
  await expect(moto.iam.send(new GetAccountPasswordPolicyCommand({}))).rejects.toBeInstanceOf(NoSuchEntityException);
});

test('the sample app (bin/sample-stack.ts): three profiles, the break-glass one of 32 characters', async () => {
  // GIVEN the vendor user the sample imports
  await moto.iam.send(new CreateUserCommand({ UserName: 'sample-vendor' }));
  const template = synthesize('sample-app', (app) => new ConsoleUsersSampleStack(app, 'ConsoleUsersSample') as Stack);
  const driver = moto.driver({ stackName: 'ConsoleUsersSample' });

  // WHEN it is created
  await driver.deploy(template);

  // THEN every user has a profile, and each secret names its user and the account's sign-in URL
  const lengths: Record<string, number> = {};
  for (const name of ['sample-auditor', 'sample-break-glass', 'sample-vendor']) {
    expect((await moto.profile(name)).exists).toBe(true);
    const secret = await moto.readSecret(driver.loginProfile(name).secretArn);
    expect(secret.username).toBe(name);
    expect(secret.signInUrl).toBe(`https://${ACCOUNT}.signin.aws.amazon.com/console`);
    expect(moto.lastPasswordSet(name)).toBe(secret.passwordDigest());
    lengths[name] = secret.passwordLength;
  }
  expect(lengths).toEqual({ 'sample-auditor': 24, 'sample-break-glass': 32, 'sample-vendor': 24 });

  // WHEN it is deleted THEN no profile remains and the imported vendor user still exists
  await driver.destroy();
  for (const name of ['sample-auditor', 'sample-break-glass']) expect(await moto.userTags(name)).toBeUndefined();
  expect((await moto.profile('sample-vendor')).exists).toBe(false);
  expect(await moto.userTags('sample-vendor')).toBeDefined();
});

test('every template synthesized here passes cfn-lint', () => {
  expect(cfnLint(savedTemplates())).toEqual([]);
});
