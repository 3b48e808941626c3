/**
 * The fake's CloudFormation (test/tooling/fake-aws.ts): what DescribeStackResource and
 * DescribeStacks answer as CloudFormation sends a resource's events (the attested-events contract),
 * through the real SDK client, in a call log of its own, with faults injected like any other call.
 */
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { cloudFormation } from '../../lambda/aws/cloudformation';
import { FakeAws, installFake } from './fake-aws';
import { STACK_ID, createEventOf, deleteEventOf, updateEventOf } from './lambda-fixtures';

const L = 'AliceLoginProfile';
const props = (user: string) => ({ UserName: user, SecretArn: 'arn:s', PasswordLength: '24' });
const source = (user: string) => ({
  logicalResourceId: L,
  resourceType: 'Custom::ConsoleLoginProfile',
  properties: props(user),
});

let fake: FakeAws;
let client: CloudFormationClient;
beforeEach(() => {
  fake = new FakeAws();
  installFake(fake);
  client = cloudFormation();
});

async function resource() {
  const { StackResourceDetail: d } = await client.send(
    new DescribeStackResourceCommand({ StackName: STACK_ID, LogicalResourceId: L }),
  );
  return {
    status: d!.ResourceStatus,
    physical: d!.PhysicalResourceId,
    metadata: d!.Metadata === undefined ? undefined : JSON.parse(d!.Metadata)['cdk-console-users:properties'],
  };
}
async function stackStatus() {
  return (await client.send(new DescribeStacksCommand({ StackName: STACK_ID }))).Stacks![0].StackStatus;
}

test('a life cycle: each event in progress while sent, then its outcome', async () => {
  const create = createEventOf(source('alice'));
  fake.cloudFormation.sending(create);
  expect(await resource()).toEqual({ status: 'CREATE_IN_PROGRESS', physical: undefined, metadata: props('alice') });
  expect(await stackStatus()).toBe('CREATE_IN_PROGRESS');
  fake.cloudFormation.answered(create, { Status: 'SUCCESS', PhysicalResourceId: 'alice' });
  expect(await resource()).toEqual({ status: 'CREATE_COMPLETE', physical: 'alice', metadata: props('alice') });
  expect(await stackStatus()).toBe('CREATE_COMPLETE');

  // a rename: the record shows the new properties and the current (old) physical ID
  const rename = updateEventOf(source('bob'), 'alice', props('alice'));
  fake.cloudFormation.sending(rename);
  expect(await resource()).toEqual({ status: 'UPDATE_IN_PROGRESS', physical: 'alice', metadata: props('bob') });
  expect(await stackStatus()).toBe('UPDATE_IN_PROGRESS');
  fake.cloudFormation.answered(rename, { Status: 'SUCCESS', PhysicalResourceId: 'bob' });

  // its cleanup Delete of the old physical ID: the record already shows the new one
  const cleanup = deleteEventOf(source('alice'), 'alice');
  fake.cloudFormation.sending(cleanup);
  expect(await resource()).toEqual({ status: 'UPDATE_COMPLETE', physical: 'bob', metadata: props('bob') });
  expect(await stackStatus()).toBe('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
  fake.cloudFormation.answered(cleanup, { Status: 'SUCCESS', PhysicalResourceId: 'alice' });
  expect(await stackStatus()).toBe('UPDATE_COMPLETE');

  // the stack delete
  const remove = deleteEventOf(source('bob'), 'bob');
  fake.cloudFormation.sending(remove);
  expect(await resource()).toEqual({ status: 'DELETE_IN_PROGRESS', physical: 'bob', metadata: props('bob') });
  fake.cloudFormation.answered(remove, { Status: 'SUCCESS', PhysicalResourceId: 'bob' });
  await expect(resource()).rejects.toMatchObject({
    name: 'ValidationError',
    message: `Resource ${L} does not exist for stack app`,
  });
  // a deleted stack still answers by its ID
  expect(await stackStatus()).toBe('DELETE_COMPLETE');
  // every call is in the CloudFormation log, none in the IAM/Secrets Manager one
  expect(fake.calls).toEqual([]);
  expect(new Set(fake.cloudFormationCommands())).toEqual(new Set(['DescribeStackResource', 'DescribeStacks']));
});

test('a failed Update, then its rollback: UPDATE_FAILED, then UPDATE_ROLLBACK_IN_PROGRESS with the rollback target', async () => {
  const create = createEventOf(source('alice'));
  fake.cloudFormation.sending(create);
  fake.cloudFormation.answered(create, { Status: 'SUCCESS', PhysicalResourceId: 'alice' });
  const failing = updateEventOf(source('bob'), 'alice', props('alice'));
  fake.cloudFormation.sending(failing);
  fake.cloudFormation.answered(failing, { Status: 'FAILED', PhysicalResourceId: 'bob' });
  expect(await resource()).toMatchObject({ status: 'UPDATE_FAILED', physical: 'alice' });
  const rollback = updateEventOf(source('alice'), 'alice', props('bob'));
  fake.cloudFormation.sending(rollback);
  expect(await resource()).toEqual({ status: 'UPDATE_IN_PROGRESS', physical: 'alice', metadata: props('alice') });
  expect(await stackStatus()).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
  // the driver option: the record shows the abandoned properties instead
  fake.cloudFormation.updateShows = 'old';
  fake.cloudFormation.sending(rollback);
  expect((await resource()).metadata).toEqual(props('bob'));
});

test('a failed Create, then its rollback Delete: the physical ID of the FAILED answer, ROLLBACK_IN_PROGRESS', async () => {
  const create = createEventOf(source('alice'));
  fake.cloudFormation.sending(create);
  fake.cloudFormation.answered(create, { Status: 'FAILED', PhysicalResourceId: 'alice' });
  expect(await resource()).toMatchObject({ status: 'CREATE_FAILED', physical: 'alice' });
  fake.cloudFormation.sending(deleteEventOf(source('alice'), 'alice'));
  expect(await resource()).toMatchObject({ status: 'DELETE_IN_PROGRESS', physical: 'alice' });
  expect(await stackStatus()).toBe('ROLLBACK_IN_PROGRESS');
});

test('an unknown stack: ValidationError for both calls', async () => {
  const other = STACK_ID.replace('/app/', '/nope/');
  await expect(
    client.send(new DescribeStackResourceCommand({ StackName: other, LogicalResourceId: L })),
  ).rejects.toMatchObject({ name: 'ValidationError', message: `Stack with id ${other} does not exist` });
  await expect(client.send(new DescribeStacksCommand({ StackName: other }))).rejects.toMatchObject({
    name: 'ValidationError',
  });
});

test('faults: Throttling is retried by the SDK (each attempt logged), AccessDenied is not', async () => {
  fake.cloudFormation.sending(createEventOf(source('alice')));
  fake.inject({ command: 'DescribeStackResource', kind: 'Throttling', count: 2 });
  expect((await resource()).status).toBe('CREATE_IN_PROGRESS');
  expect(fake.cloudFormationCalls.map((c) => c.outcome)).toEqual(['Throttling', 'Throttling', 'ok']);
  fake.inject({ command: 'DescribeStacks', kind: 'AccessDenied' });
  await expect(stackStatus()).rejects.toMatchObject({ name: 'AccessDenied' });
  expect(fake.callCount('DescribeStacks')).toBe(1);
});
