/**
 * The driver's CloudFormation record through every genuine sequence: at each event the driver
 * sends, what DescribeStackResource and DescribeStacks answer on the wire (through the moto proxy,
 * read by the real SDK, as a handler reads them) must be the contract's table
 * (cloudformation-record.ts MOMENTS). A run in a real account records the same observations;
 * `compareRecording` tells the two apart.
 */
import { CreateUserCommand } from '@aws-sdk/client-iam';
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AccountPasswordPolicy, ConsoleUser, LoginProfile } from '../../lib';
import { synthesizeExample, EXAMPLE } from '../organization/stackset-example';
import {
  ATTESTED_PROPERTIES_KEY,
  CloudFormationObservation,
  ExpectedObservation,
  MOMENTS,
  compareRecording,
  deciding,
  expectAt,
} from './cloudformation-record';
import { Driver, TemplateJson, synthesize } from './driver';
import { MotoHarness, useMoto } from './moto-harness';
import { consoleUsersStack, importedUserStack } from './stacks';

const moto: MotoHarness = useMoto();
// The record is under test here, not the rate: no throttling (cloudformation.integ.test.ts tests it).
beforeEach(() => moto.cloudFormation.setRate(false));

/**
 * `template` with each custom resource's deciding properties in its Metadata, as the library's
 * resources carry them (values as strings, as in Properties); a resource that has them is kept.
 */
function attested(template: TemplateJson): TemplateJson {
  const strings = (value: unknown): unknown => {
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) return value.map(strings);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    // An intrinsic function's arguments stay as they are.
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) return value;
    return Object.fromEntries(entries.map(([k, v]) => [k, strings(v)]));
  };
  const resources = Object.fromEntries(
    Object.entries(template.Resources).map(([id, resource]) => {
      if (!resource.Type.startsWith('Custom::') || resource.Metadata?.[ATTESTED_PROPERTIES_KEY]) return [id, resource];
      const properties = strings(deciding(resource.Properties ?? {}));
      return [id, { ...resource, Metadata: { ...resource.Metadata, [ATTESTED_PROPERTIES_KEY]: properties } }];
    }),
  );
  return { ...template, Resources: resources };
}

function build(name: string, stack: (app: App) => Stack): TemplateJson {
  return attested(synthesize(name, stack));
}

/** The logical ID of the one resource of `type` whose logical ID starts with `prefix`. */
function logicalId(template: TemplateJson, type: string, prefix: string): string {
  const ids = Object.keys(template.Resources).filter(
    (id) => template.Resources[id].Type === type && id.startsWith(prefix),
  );
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ')}`);
  return ids[0];
}
const profileOf = (template: TemplateJson, prefix: string) =>
  logicalId(template, 'Custom::ConsoleLoginProfile', prefix);

function expectRecording(driver: Driver, expected: ExpectedObservation[]): void {
  expect(compareRecording(expected, driver.cloudFormationRecording)).toEqual([]);
}

/** What CloudFormation answers about the stack and `logical` now, over the wire. */
async function describeNow(driver: Driver, logical: string): Promise<{ stack: string; resource: string }> {
  const client = new CloudFormationClient({ endpoint: moto.proxy.endpoint, region: driver.pseudo.region });
  const code = (error: unknown) => (error instanceof Error ? error.name : String(error));
  const stack = await client
    .send(new DescribeStacksCommand({ StackName: driver.stackId }))
    .then((a) => String(a.Stacks?.[0].StackStatus), code);
  const resource = await client
    .send(new DescribeStackResourceCommand({ StackName: driver.stackId, LogicalResourceId: logical }))
    .then((a) => String(a.StackResourceDetail?.ResourceStatus), code);
  return { stack, resource };
}

describe('compareRecording', () => {
  const observed: CloudFormationObservation = {
    requestType: 'Update',
    logicalId: 'P',
    stackStatus: 'UPDATE_IN_PROGRESS',
    resourceStatus: 'UPDATE_IN_PROGRESS',
    physicalIdMatches: true,
    metadataIs: 'old',
  };
  test('accepts any of the values allowed, and names each field that differs', () => {
    expect(compareRecording([expectAt('Update', 'P', MOMENTS.update)], [observed])).toEqual([]);
    expect(compareRecording([expectAt('Update', 'P', { ...MOMENTS.update, metadataIs: 'new' })], [observed])).toEqual([
      '#1 Update P: metadataIs is "old", expected "new"',
    ]);
  });
  test('fails on a missing or an extra observation', () => {
    expect(compareRecording([], [observed])).toEqual([`#1 Update P: not expected (${JSON.stringify(observed)})`]);
    expect(compareRecording([expectAt('Delete', 'Q', MOMENTS.stackDelete)], [])).toEqual([
      '#1 Delete Q: expected, not recorded',
    ]);
  });
});

test('create, update (new Metadata shown), duplicate deliveries during and after, stack delete', async () => {
  // GIVEN a driver delivering each event twice and recording CloudFormation's answers
  const driver = moto.driver({ deliveries: 2, recordCloudFormation: true });
  const v1 = build('record-create', (app) => consoleUsersStack(app, ['ann']));
  const profile = profileOf(v1, 'User0');

  // WHEN the stack is created, the reset token changes, the Create is delivered late, and the stack is deleted
  await driver.deploy(v1);
  expect(await describeNow(driver, profile)).toEqual({ stack: 'CREATE_COMPLETE', resource: 'CREATE_COMPLETE' });
  await driver.deploy(build('record-update', (app) => consoleUsersStack(app, ['ann'], { resetToken: 't1' })));
  expect(await describeNow(driver, profile)).toEqual({ stack: 'UPDATE_COMPLETE', resource: 'UPDATE_COMPLETE' });
  const create = driver.deliveries[0].event;
  await expect(driver.redeliver(create)).rejects.toThrow(/^Create of \S+ failed: Refused: /);
  await driver.destroy();

  // THEN both deliveries of each event saw the same record; the late one saw it as it is now
  const late = {
    stackStatus: 'UPDATE_COMPLETE',
    resourceStatus: 'UPDATE_COMPLETE',
    physicalIdMatches: false,
    metadataIs: 'other',
  } as const;
  expectRecording(driver, [
    expectAt('Create', profile, MOMENTS.createFirstDeploy),
    expectAt('Create', profile, MOMENTS.createFirstDeploy),
    expectAt('Update', profile, { ...MOMENTS.update, metadataIs: 'new' }),
    expectAt('Update', profile, { ...MOMENTS.update, metadataIs: 'new' }),
    expectAt('Create', profile, late),
    expectAt('Delete', profile, MOMENTS.stackDelete),
    expectAt('Delete', profile, MOMENTS.stackDelete),
  ]);
  // ...every genuine delivery succeeded with verification on; only the late one was refused
  expect(driver.deliveries.filter((d) => d.error).map((d) => [d.event.RequestId, d.delivery])).toEqual([
    [create.RequestId, 3],
  ]);
  // ...and the deleted stack answers DELETE_COMPLETE by its ID, its resources too
  expect(await describeNow(driver, profile)).toEqual({ stack: 'DELETE_COMPLETE', resource: 'DELETE_COMPLETE' });
  expect(moto.calls('cloudformation').filter((c) => c.status !== 200)).toEqual([]);
});

test("an Update with metadataDuringUpdate 'old' shows the previous Metadata; a Create delivered late after a stack delete finds DELETE_COMPLETE", async () => {
  const driver = moto.driver({ metadataDuringUpdate: 'old', recordCloudFormation: true });
  const v1 = build('record-old-v1', (app) => consoleUsersStack(app, ['bob']));
  const profile = profileOf(v1, 'User0');
  await driver.deploy(v1);
  await driver.deploy(
    build('record-old-v2', (app) => consoleUsersStack(app, ['bob'], { passwordResetRequired: false })),
  );
  await driver.destroy();
  await expect(driver.redeliver(driver.deliveries[0].event)).rejects.toThrow(/Refused: /);
  expect(driver.deliveries.filter((d) => d.error)).toHaveLength(1);
  expectRecording(driver, [
    expectAt('Create', profile, MOMENTS.createFirstDeploy),
    expectAt('Update', profile, { ...MOMENTS.update, metadataIs: 'old' }),
    expectAt('Delete', profile, MOMENTS.stackDelete),
    expectAt('Create', profile, {
      stackStatus: 'DELETE_COMPLETE',
      resourceStatus: 'DELETE_COMPLETE',
      physicalIdMatches: false,
      metadataIs: 'other',
    }),
  ]);
});

test('rename: the Update keeps the old physical ID in the record, the cleanup Delete of the old one finds the new one', async () => {
  const driver = moto.driver({ recordCloudFormation: true });
  const v1 = build('record-rename-v1', (app) => consoleUsersStack(app, ['cleo']));
  const profile = profileOf(v1, 'User0');
  await driver.deploy(v1);
  await driver.deploy(build('record-rename-v2', (app) => consoleUsersStack(app, ['cleo2'])));
  expect(driver.deliveries.map((d) => [d.event.RequestType, d.event.PhysicalResourceId, d.error])).toEqual([
    ['Create', undefined, undefined],
    ['Update', 'cleo', undefined],
    ['Delete', 'cleo', undefined],
  ]);
  expectRecording(driver, [
    expectAt('Create', profile, MOMENTS.createFirstDeploy),
    expectAt('Update', profile, { ...MOMENTS.update, metadataIs: 'new' }),
    expectAt('Delete', profile, MOMENTS.deleteReplaced),
  ]);
  expect(driver.deliveries.filter((d) => d.error)).toEqual([]);
  expect(driver.stackRecord.record(profile)).toMatchObject({ status: 'UPDATE_COMPLETE', physicalId: 'cleo2' });
});

test('construct move: a Create of the new logical ID during the update, a Delete of the old one in the cleanup', async () => {
  await moto.iam.send(new CreateUserCommand({ UserName: 'dora' }));
  const driver = moto.driver({ stackName: 'IntegImported', recordCloudFormation: true });
  const v1 = build('record-move-v1', (app) => importedUserStack(app, 'dora', 'Before'));
  const v2 = build('record-move-v2', (app) => importedUserStack(app, 'dora', 'After'));
  const [before, after] = [profileOf(v1, 'Before'), profileOf(v2, 'After')];
  await driver.deploy(v1);
  await driver.deploy(v2);
  expectRecording(driver, [
    expectAt('Create', before, MOMENTS.createFirstDeploy),
    expectAt('Create', after, MOMENTS.createInUpdate),
    expectAt('Delete', before, MOMENTS.deleteRemoved),
  ]);
  expect(driver.deliveries.filter((d) => d.error)).toEqual([]);
  expect((await moto.profile('dora')).exists).toBe(true);
  // The removed logical ID is unknown to CloudFormation afterwards.
  expect(await describeNow(driver, before)).toEqual({ stack: 'UPDATE_COMPLETE', resource: 'ValidationError' });
});

/** A console user `name`, optionally a second one, then a login profile for an existing user `imported`. */
function mixedStack(app: App, name: string, imported: string, second?: string): Stack {
  const stack = new Stack(app, 'IntegMixed');
  new ConsoleUser(stack, 'User0', { userName: name });
  if (second) new ConsoleUser(stack, 'User1', { userName: second });
  new LoginProfile(stack, 'Imported', { user: iam.User.fromUserName(stack, 'ImportedUser', imported) });
  return stack;
}

test('failed update and its rollback: Updates back, then the Deletes of what it created and of its replacement', async () => {
  // GIVEN a stack with user "lena" and a profile for the existing user "outside"
  await moto.iam.send(new CreateUserCommand({ UserName: 'outside' }));
  const driver = moto.driver({ handlerTimeoutSeconds: 21, recordCloudFormation: true });
  const v1 = build('record-rollback-v1', (app) => mixedStack(app, 'lena', 'outside'));
  await driver.deploy(v1);

  // WHEN an update renames lena (a replacement), adds a user, and points the imported profile at a
  // user that does not exist (which fails), and CloudFormation rolls back
  const v2 = build('record-rollback-v2', (app) => mixedStack(app, 'lena2', 'ghost', 'newbie'));
  await expect(driver.deploy(v2)).rejects.toThrow(/ghost/);
  expect(driver.stackRecord.status).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
  await driver.rollback();

  // THEN each event found the record of the contract's table
  const [lena, added, imported] = [profileOf(v2, 'User0'), profileOf(v2, 'User1'), profileOf(v2, 'Imported')];
  expect(
    driver.deliveries.map((d) => [d.event.RequestType, d.event.LogicalResourceId, d.event.PhysicalResourceId]),
  ).toEqual([
    ['Create', lena, undefined],
    ['Create', imported, undefined],
    ['Update', lena, 'lena'],
    ['Create', added, undefined],
    ['Update', imported, 'outside'],
    ['Update', lena, 'lena2'],
    ['Update', imported, 'outside'],
    ['Delete', added, 'newbie'],
    ['Delete', lena, 'lena2'],
  ]);
  expectRecording(driver, [
    expectAt('Create', lena, MOMENTS.createFirstDeploy),
    expectAt('Create', imported, MOMENTS.createFirstDeploy),
    expectAt('Update', lena, { ...MOMENTS.update, metadataIs: 'new' }),
    expectAt('Create', added, MOMENTS.createInUpdate),
    expectAt('Update', imported, { ...MOMENTS.update, metadataIs: 'new' }),
    expectAt('Update', lena, { ...MOMENTS.rollbackUpdate, metadataIs: 'new' }),
    expectAt('Update', imported, { ...MOMENTS.rollbackUpdate, metadataIs: 'new' }),
    expectAt('Delete', added, MOMENTS.rollbackDeleteCreated),
    expectAt('Delete', lena, MOMENTS.rollbackDeleteReplacement),
  ]);
  // ...only the Update to the missing user failed (for the user, not for the record)
  expect(
    driver.deliveries.filter((d) => d.error).map((d) => [d.event.LogicalResourceId, d.error?.startsWith('Refused')]),
  ).toEqual([[imported, false]]);
  // ...and afterwards the stack is UPDATE_ROLLBACK_COMPLETE, the profiles back as they were
  expect(await describeNow(driver, lena)).toEqual({ stack: 'UPDATE_ROLLBACK_COMPLETE', resource: 'UPDATE_COMPLETE' });
  expect(await describeNow(driver, added)).toEqual({ stack: 'UPDATE_ROLLBACK_COMPLETE', resource: 'ValidationError' });
  expect(driver.stackRecord.record(lena)).toMatchObject({ physicalId: 'lena' });
  expect(driver.stackRecord.record(imported)).toMatchObject({ status: 'UPDATE_COMPLETE', physicalId: 'outside' });
  for (const [user, exists] of [
    ['lena', true],
    ['outside', true],
    ['lena2', false],
    ['newbie', false],
  ] as const) {
    expect([user, (await moto.profile(user)).exists]).toEqual([user, exists]);
  }
}, 90_000);

test("failed Create on the first deploy: the rollback's Delete finds the FAILED answer's physical ID, DELETE_IN_PROGRESS", async () => {
  const driver = moto.driver({ stackName: 'IntegImported', handlerTimeoutSeconds: 21, recordCloudFormation: true });
  const template = build('record-failed-create', (app) => importedUserStack(app, 'nobody'));
  const profile = profileOf(template, 'ImportedProfile');
  await expect(driver.deploy(template)).rejects.toThrow(/nobody/);
  expect(await describeNow(driver, profile)).toEqual({ stack: 'ROLLBACK_IN_PROGRESS', resource: 'CREATE_FAILED' });
  await driver.rollback();
  expectRecording(driver, [
    expectAt('Create', profile, MOMENTS.createFirstDeploy),
    expectAt('Delete', profile, MOMENTS.rollbackDeleteFailedCreate),
  ]);
  // ...the Create failed for the user, not for the record; the rollback's Delete was accepted
  expect(driver.deliveries.map((d) => [d.event.RequestType, d.error?.startsWith('Refused')])).toEqual([
    ['Create', false],
    ['Delete', undefined],
  ]);
  expect(await describeNow(driver, profile)).toEqual({ stack: 'ROLLBACK_COMPLETE', resource: 'ValidationError' });
}, 90_000);

test('a StackSet instance in another account and its home region: its stack, seen with its own credentials', async () => {
  // GIVEN the organization example's StackSet template, with attested Metadata on its custom resources
  const members = attested(synthesizeExample().members);
  const driver = moto.driver({
    account: '333333333333',
    region: EXAMPLE.homeRegion,
    stackName: 'StackSet-OrganizationConsoleUsers',
    recordCloudFormation: true,
  });

  // WHEN it is deployed and removed
  await driver.deploy(members);
  await driver.destroy();

  // THEN each Create and Delete found its record in that account and region
  expect(driver.deliveries.filter((d) => d.error)).toEqual([]);
  const customs = driver.deliveries.map((d) => d.event.LogicalResourceId);
  const creates = customs.slice(0, customs.length / 2);
  expect(creates.length).toBeGreaterThanOrEqual(3);
  expectRecording(driver, [
    ...creates.map((id) => expectAt('Create', id, MOMENTS.createFirstDeploy)),
    ...[...creates].reverse().map((id) => expectAt('Delete', id, MOMENTS.stackDelete)),
  ]);
  // ...asked with the account's assumed credentials, which the default account cannot use
  const { accessKeyId } = await driver.clients();
  const asked = moto.calls('cloudformation');
  expect(asked.length).toBeGreaterThan(0);
  expect(asked.every((c) => c.accessKeyId === accessKeyId && c.region === EXAMPLE.homeRegion)).toBe(true);
  expect(await describeNow(driver, creates[0])).toEqual({ stack: 'ValidationError', resource: 'ValidationError' });
});

test('the account password policy alongside: its Create and Delete are recorded like the profiles', async () => {
  const driver = moto.driver({ recordCloudFormation: true });
  const template = build('record-policy', (app) => {
    const stack = new Stack(app, 'IntegPolicy');
    new AccountPasswordPolicy(stack, 'Policy', { minimumPasswordLength: 16 });
    return stack;
  });
  const policy = logicalId(template, 'Custom::AccountPasswordPolicy', 'Policy');
  await driver.deploy(template);
  await driver.destroy();
  expectRecording(driver, [
    expectAt('Create', policy, MOMENTS.createFirstDeploy),
    expectAt('Delete', policy, MOMENTS.stackDelete),
  ]);
  expect(driver.deliveries.filter((d) => d.error)).toEqual([]);
});

test("with the previous Metadata shown during an Update (metadataDuringUpdate 'old'), a new reset token passes and a rename is refused unwritten", async () => {
  // GIVEN a deployed user, and CloudFormation showing the previous Metadata while a resource updates
  const driver = moto.driver({ metadataDuringUpdate: 'old' });
  await driver.deploy(build('record-old-token-v1', (app) => consoleUsersStack(app, ['eve'])));
  const { secretArn } = driver.loginProfile('eve');

  // WHEN the reset token changes THEN the unattested new side may change it: a new password in place
  await driver.deploy(build('record-old-token-v2', (app) => consoleUsersStack(app, ['eve'], { resetToken: 't1' })));
  expect(Object.values(await moto.versions(secretArn)).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
  expect(moto.lastPasswordSet('eve')).toBe((await moto.readSecret(secretArn)).passwordDigest());

  // WHEN the user is renamed: the record never shows the new user, the handler reads again, and refuses
  const from = moto.proxy.calls.length;
  const versions = await moto.versions(secretArn);
  await expect(
    driver.deploy(build('record-old-rename', (app) => consoleUsersStack(app, ['eve2'], { resetToken: 't1' }))),
  ).rejects.toThrow(/Refused: /);
  expect(driver.logs.some((line) => line.includes('"reason":"record-not-current"'))).toBe(true);
  expect(moto.proxy.calls.slice(from).filter((c) => c.service === 'iam' && c.action !== 'CreateUser')).toEqual([]);
  expect(moto.proxy.calls.slice(from).filter((c) => c.service === 'secretsmanager')).toEqual([]);
  expect(await moto.versions(secretArn)).toEqual(versions);
  expect((await moto.profile('eve2')).exists).toBe(false);
  expect((await moto.profile('eve')).exists).toBe(true);

  // AND the rollback's Update back to eve (the record showing the abandoned eve2) is refused too:
  // the stack ends UPDATE_ROLLBACK_FAILED, eve keeps her profile and password
  await expect(driver.rollback()).rejects.toThrow(/Refused: /);
  expect(driver.stackRecord.status).toBe('UPDATE_ROLLBACK_FAILED');
  expect(await moto.versions(secretArn)).toEqual(versions);
  expect(moto.lastPasswordSet('eve')).toBe((await moto.readSecret(secretArn)).passwordDigest());
}, 90_000);
