/**
 * The driver deploys one template, as a StackSet does, into several accounts and several regions of
 * one account, against the suite's one moto_server (test/tooling/driver.ts): moto keeps accounts
 * apart by the credentials the driver assumes, IAM is global within an account, Secrets Manager
 * is regional, and a function with inline code (`Code.ZipFile`) runs that code.
 */
import * as fs from 'node:fs';
import { CreateUserCommand, GetUserCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PROPERTIES_METADATA_KEY } from '../../lib/handler/contract';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { bundlePath } from './bundles';
import { ACCOUNT, Driver, TemplateJson } from './driver';
import { MotoHarness, StoredSecret, loginProfileOf, useMoto } from './moto-harness';
import { resetMoto } from './moto-server';

const moto: MotoHarness = useMoto();

const A = '111111111111';
const B = '222222222222';
const HOME = 'eu-west-1';
const OTHER = 'us-east-2';

async function userArn(iam: IAMClient, userName: string): Promise<string | undefined> {
  try {
    return (await iam.send(new GetUserCommand({ UserName: userName }))).User?.Arn;
  } catch (error) {
    if (error instanceof NoSuchEntityException) return undefined;
    throw error;
  }
}

async function hasProfile(iam: IAMClient, userName: string): Promise<boolean> {
  return (await loginProfileOf(iam, userName)).exists;
}

async function secretNames(secrets: SecretsManagerClient): Promise<string[]> {
  return ((await secrets.send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => s.Name!).sort();
}

async function readSecret(secrets: SecretsManagerClient, secretArn: string): Promise<StoredSecret> {
  const response = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSCURRENT' }));
  return new StoredSecret(response.SecretString ?? '{}');
}

test('accounts are apart; two regions of one account share IAM users but not secrets', async () => {
  const template: TemplateJson = {
    Resources: {
      User: { Type: 'AWS::IAM::User', Properties: { UserName: 'shared' } },
      Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'regional' } },
    },
  };
  const aHome = moto.driver({ account: A, region: HOME });
  await aHome.deploy(template);
  const secretArn = aHome.physicalId('Secret');
  expect(secretArn).toMatch(new RegExp(`^arn:aws:secretsmanager:${HOME}:${A}:secret:regional-`));

  const aOther = await moto.driver({ account: A, region: OTHER }).clients();
  const b = await moto.driver({ account: B, region: HOME }).clients();
  // IAM is global within account A, and A's alone.
  expect(await userArn((await aHome.clients()).iam, 'shared')).toBe(`arn:aws:iam::${A}:user/shared`);
  expect(await userArn(aOther.iam, 'shared')).toBe(`arn:aws:iam::${A}:user/shared`);
  expect(await userArn(b.iam, 'shared')).toBeUndefined();
  expect(await userArn(moto.iam, 'shared')).toBeUndefined();
  // Secrets Manager is regional: the secret is in A's home region only.
  expect(await secretNames((await aHome.clients()).secrets)).toEqual(['regional']);
  expect(await secretNames(aOther.secrets)).toEqual([]);
  expect(await secretNames(b.secrets)).toEqual([]);
  await expect(readSecret(aOther.secrets, secretArn)).rejects.toThrow(ResourceNotFoundException);

  // The same template in a second region of A fights over the user (why StackSets need a home region);
  // in account B it deploys beside A's.
  await expect(moto.driver({ account: A, region: OTHER }).deploy(template)).rejects.toThrow(/already exists/);
  const inB = moto.driver({ account: B, region: HOME });
  await inB.deploy(template);
  expect(await userArn(b.iam, 'shared')).toBe(`arn:aws:iam::${B}:user/shared`);
  await aHome.destroy();
  expect(await userArn(aOther.iam, 'shared')).toBeUndefined();
  expect(await userArn(b.iam, 'shared')).toBe(`arn:aws:iam::${B}:user/shared`);
});

/** A StackSet-like template: the IAM part in the home region only, the handler inline, a topic in every region. */
function stackSetTemplate(zipFile: string): TemplateJson {
  const profileProperties = {
    UserName: { Ref: 'User' },
    SecretArn: { Ref: 'Secret' },
    PasswordLength: '20',
    PasswordResetRequired: 'true',
  };
  return {
    Conditions: { IsHome: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, HOME] } },
    Resources: {
      User: { Type: 'AWS::IAM::User', Condition: 'IsHome', Properties: { UserName: 'alice' } },
      Secret: { Type: 'AWS::SecretsManager::Secret', Condition: 'IsHome', Properties: { Name: 'alice-console' } },
      HandlerRole: { Type: 'AWS::IAM::Role', Properties: {} },
      Handler: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Code: { ZipFile: zipFile },
          Handler: 'index.handler',
          Runtime: 'nodejs22.x',
          Role: { 'Fn::GetAtt': ['HandlerRole', 'Arn'] },
          Environment: { Variables: { [STACK_ID_ENV]: { Ref: 'AWS::StackId' } } },
        },
      },
      Profile: {
        Type: 'Custom::ConsoleLoginProfile',
        Condition: 'IsHome',
        Properties: { ServiceToken: { 'Fn::GetAtt': ['Handler', 'Arn'] }, ...profileProperties },
        // The handler takes its properties from CloudFormation's record (the resource's Metadata).
        Metadata: { [PROPERTIES_METADATA_KEY]: profileProperties },
      },
      Everywhere: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::Sub': 'alerts-${AWS::Region}' } } },
    },
    Outputs: {
      SecretArn: { Condition: 'IsHome', Value: { Ref: 'Secret' } },
      Topic: { Value: { Ref: 'Everywhere' } },
    },
  };
}

test('inline code in accounts A and B and two regions of A: the login profile in each home region only, no password leaked', async () => {
  const template = stackSetTemplate(fs.readFileSync(bundlePath('login-profile-handler'), 'utf8'));
  const aHome = moto.driver({ account: A, region: HOME, stackName: 'StackSet-members' });
  const aOther = moto.driver({ account: A, region: OTHER, stackName: 'StackSet-members' });
  const bHome = moto.driver({ account: B, region: HOME, stackName: 'StackSet-members' });
  for (const driver of [aHome, aOther, bHome]) await driver.deploy(template);

  // Home regions: the user, the secret and the login profile; elsewhere only what every region has.
  expect(aHome.resources('Custom::ConsoleLoginProfile').map((r) => r.physicalId)).toEqual(['alice']);
  expect(bHome.resources('Custom::ConsoleLoginProfile').map((r) => r.physicalId)).toEqual(['alice']);
  expect(aOther.resources('Custom::ConsoleLoginProfile')).toEqual([]);
  expect(aOther.resources('AWS::IAM::User')).toEqual([]);
  expect(Object.keys(aOther.outputs())).toEqual(['Topic']);
  expect(aOther.resources('AWS::SNS::Topic')[0].properties.TopicName).toBe(`alerts-${OTHER}`);

  const clients = {
    aHome: await aHome.clients(),
    aOther: await aOther.clients(),
    bHome: await bHome.clients(),
  };
  const secrets: StoredSecret[] = [];
  for (const [driver, { iam, secrets: sm, accessKeyId }, account] of [
    [aHome, clients.aHome, A],
    [bHome, clients.bHome, B],
  ] as const) {
    const secretArn = String(driver.outputs().SecretArn);
    expect(secretArn).toMatch(new RegExp(`^arn:aws:secretsmanager:${HOME}:${account}:secret:alice-console-`));
    expect(driver.loginProfile('alice').secretArn).toBe(secretArn);
    expect(await hasProfile(iam, 'alice')).toBe(true);
    const secret = await readSecret(sm, secretArn);
    expect([secret.username, secret.signInUrl, secret.passwordLength]).toEqual([
      'alice',
      // The handler's own account's URL (of the account its credentials are in).
      `https://${account}.signin.aws.amazon.com/console`,
      20,
    ]);
    // IAM of this account got the password that is in this account's secret (the proxy's record of the caller).
    const sets = moto
      .calls('iam', 'CreateLoginProfile')
      .filter((c) => c.accessKeyId === accessKeyId && c.params.UserName === 'alice');
    expect(sets.map((c) => c.params.Password)).toEqual([secret.passwordDigest()]);
    // Every event of the stack went to the inline code, as that account's function.
    expect(driver.deliveries.map((d) => [d.event.RequestType, d.response?.PhysicalResourceId])).toEqual([
      ['Create', 'alice'],
    ]);
    secrets.push(secret);
  }
  expect(secrets[0].samePasswordAs(secrets[1])).toBe(false);
  // A's other region sees A's user (IAM is global) and its profile, but holds no secret.
  expect(await hasProfile(clients.aOther.iam, 'alice')).toBe(true);
  expect(await secretNames(clients.aOther.secrets)).toEqual([]);
  expect(await userArn(moto.iam, 'alice')).toBeUndefined();

  // Never a password in what the handlers answered or logged, or in the drivers' records.
  const printed = [aHome, aOther, bHome].flatMap((d) => [...d.logs, JSON.stringify(d.deliveries)]);
  printed.push(JSON.stringify(moto.calls('iam')), JSON.stringify(moto.calls('secretsmanager')));
  for (const secret of secrets) expect(printed.filter((text) => secret.passwordIn(text))).toEqual([]);

  // Deleting A's home stack removes A's profile only.
  await aHome.destroy();
  expect(await userArn(clients.aOther.iam, 'alice')).toBeUndefined();
  expect(await hasProfile(clients.bHome.iam, 'alice')).toBe(true);
  expect(aHome.deliveries.map((d) => d.event.RequestType)).toEqual(['Create', 'Delete']);
});

test('the inline code runs with the region, account and environment of its function; S3 code runs the bundle', async () => {
  // A stand-in handler that answers what it was run with.
  const probe = [
    'exports.handler = async (event, context) => ({',
    '  PhysicalResourceId: "inline-" + event.LogicalResourceId,',
    '  Data: { Region: process.env.AWS_REGION, Function: context.invokedFunctionArn, Greeting: process.env.GREETING },',
    '});',
  ].join('\n');
  const bundleProperties = {
    UserName: { Ref: 'User' },
    SecretArn: { Ref: 'Secret' },
    PasswordLength: '20',
    PasswordResetRequired: 'false',
  };
  const template: TemplateJson = {
    Resources: {
      Inline: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: 'probe',
          Code: { ZipFile: probe },
          Handler: 'index.handler',
          Environment: { Variables: { GREETING: 'hello' } },
        },
      },
      FromS3: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Code: { S3Bucket: 'assets', S3Key: 'login-profile.zip' },
          Handler: 'index.handler',
          Environment: { Variables: { [STACK_ID_ENV]: { Ref: 'AWS::StackId' } } },
        },
      },
      User: { Type: 'AWS::IAM::User', Properties: { UserName: 'bob' } },
      Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'bob-console' } },
      ByInline: {
        Type: 'Custom::ConsoleLoginProfile',
        Properties: { ServiceToken: { 'Fn::GetAtt': ['Inline', 'Arn'] }, UserName: { Ref: 'User' } },
      },
      ByBundle: {
        Type: 'Custom::ConsoleLoginProfile',
        Properties: { ServiceToken: { 'Fn::GetAtt': ['FromS3', 'Arn'] }, ...bundleProperties },
        // The handler takes its properties from CloudFormation's record (the resource's Metadata).
        Metadata: { [PROPERTIES_METADATA_KEY]: bundleProperties },
      },
    },
  };
  const driver = moto.driver({ account: B, region: OTHER });
  await driver.deploy(template);
  expect(driver.physicalId('ByInline')).toBe('inline-ByInline');
  expect(driver.resources('Custom::ConsoleLoginProfile').find((r) => r.logicalId === 'ByInline')?.attributes).toEqual({
    Region: OTHER,
    Function: `arn:aws:lambda:${OTHER}:${B}:function:probe`,
    Greeting: 'hello',
  });
  // The bundle by custom resource type, in account B: its login profile is there, not in the default account.
  expect(driver.physicalId('ByBundle')).toBe('bob');
  expect(await hasProfile((await driver.clients()).iam, 'bob')).toBe(true);
  expect(await userArn(moto.iam, 'bob')).toBeUndefined();
  expect(process.env.GREETING).toBeUndefined();
});

test('the default driver still deploys in moto default account and us-east-1', async () => {
  const driver: Driver = moto.driver();
  await driver.deploy({ Resources: { User: { Type: 'AWS::IAM::User', Properties: { UserName: 'carol' } } } });
  expect(await userArn(moto.iam, 'carol')).toBe(`arn:aws:iam::${ACCOUNT}:user/carol`);
  expect((await driver.clients()).accessKeyId).toBeUndefined();
});

test('after a moto reset forgets the assumed credentials, the driver assumes the role again', async () => {
  const driver = moto.driver({ account: A, region: HOME });
  const before = await driver.clients();
  await resetMoto(moto.endpoint);
  // Unknown to moto now, the old key would count as the default account.
  const after = await driver.clients();
  expect(after.accessKeyId).not.toBe(before.accessKeyId);
  const created = await after.iam.send(new CreateUserCommand({ UserName: 'dave' }));
  expect(created.User?.Arn).toBe(`arn:aws:iam::${A}:user/dave`);
});
