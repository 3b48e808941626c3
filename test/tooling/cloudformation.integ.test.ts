/**
 * CloudFormation's answers on the wire (test/tooling/cloudformation.ts behind the moto proxy), read
 * by the real SDK client (@aws-sdk/client-cloudformation, the query protocol's XML parser): each
 * field of DescribeStackResource and DescribeStacks, each error code and message, the scope of a
 * stack (account and region), and throttling.
 */
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { StackModel } from './cloudformation';
import { MotoHarness, useMoto } from './moto-harness';

const moto: MotoHarness = useMoto();

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '111111111111';
const STACK_ID = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/Wire/0f9b6a40-0000-4000-8000-000000000001`;
const METADATA = {
  'cdk-console-users:properties': { UserName: 'jane', PasswordLength: '24' },
  'count': 3,
  'flag': true,
  'nothing': null,
  'list': ['a', 1],
  'text': `quotes " and ' and <tags> & ampersands, ünïcode`,
};

function client(options: { region?: string; accessKeyId?: string; maxAttempts?: number } = {}): CloudFormationClient {
  return new CloudFormationClient({
    endpoint: moto.proxy.endpoint,
    region: options.region ?? 'us-east-1',
    maxAttempts: options.maxAttempts ?? 1,
    credentials: { accessKeyId: options.accessKeyId ?? 'testing', secretAccessKey: 'testing' },
  });
}

/** A stack in the middle of an update: a resource being updated, one being created, one complete. */
function registerStack(): StackModel {
  const stack = new StackModel(STACK_ID, 'Wire', ACCOUNT, 'us-east-1');
  stack.status = 'UPDATE_IN_PROGRESS';
  stack.put('Profile', {
    type: 'Custom::ConsoleLoginProfile',
    status: 'UPDATE_IN_PROGRESS',
    physicalId: 'jane',
    metadata: METADATA,
  });
  stack.put('Added', { type: 'Custom::ConsoleLoginProfile', status: 'CREATE_IN_PROGRESS' });
  stack.put('User', { type: 'AWS::IAM::User', status: 'CREATE_COMPLETE', physicalId: 'jane' });
  moto.cloudFormation.register(stack);
  return stack;
}

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof CloudFormationServiceException)) throw error;
    return { name: error.name, message: error.message, status: error.$metadata.httpStatusCode };
  }
  throw new Error('expected an error');
}

beforeEach(() => moto.cloudFormation.setRate(false));

test('DescribeStackResource: every field of the detail, Metadata as a JSON string with its JSON types', async () => {
  // GIVEN a stack whose resource Profile is being updated
  const before = Date.now();
  registerStack();

  // WHEN the SDK asks for Profile by the stack's ID
  const { StackResourceDetail: detail } = await client().send(
    new DescribeStackResourceCommand({ StackName: STACK_ID, LogicalResourceId: 'Profile' }),
  );

  // THEN each field is CloudFormation's, and the Metadata parses back to the very object
  expect(detail).toMatchObject({
    StackName: 'Wire',
    StackId: STACK_ID,
    LogicalResourceId: 'Profile',
    PhysicalResourceId: 'jane',
    ResourceType: 'Custom::ConsoleLoginProfile',
    ResourceStatus: 'UPDATE_IN_PROGRESS',
  });
  expect(detail?.LastUpdatedTimestamp).toBeInstanceOf(Date);
  expect(detail!.LastUpdatedTimestamp!.getTime()).toBeGreaterThanOrEqual(before);
  expect(JSON.parse(detail!.Metadata!)).toEqual(METADATA);

  // AND the call is recorded as CloudFormation's, with its parameters
  expect(moto.calls('cloudformation').map((c) => [c.action, c.params.LogicalResourceId, c.status])).toEqual([
    ['DescribeStackResource', 'Profile', 200],
  ]);
  expect(moto.calls('iam')).toEqual([]);
});

test('DescribeStackResource: no PhysicalResourceId and no Metadata while a resource without them is being created', async () => {
  registerStack();
  const { StackResourceDetail: detail } = await client().send(
    new DescribeStackResourceCommand({ StackName: 'Wire', LogicalResourceId: 'Added' }),
  );
  expect(detail?.ResourceStatus).toBe('CREATE_IN_PROGRESS');
  expect(detail).not.toHaveProperty('PhysicalResourceId');
  expect(detail).not.toHaveProperty('Metadata');
});

test('DescribeStacks: StackName, StackId, StackStatus and CreationTime, by ID and by name', async () => {
  const stack = registerStack();
  for (const name of [STACK_ID, 'Wire']) {
    const { Stacks } = await client().send(new DescribeStacksCommand({ StackName: name }));
    expect(Stacks?.map((s) => [s.StackName, s.StackId, s.StackStatus])).toEqual([
      ['Wire', STACK_ID, 'UPDATE_IN_PROGRESS'],
    ]);
    expect(Stacks?.[0].CreationTime?.getTime()).toBe(stack.creationTime.getTime());
  }
  const all = await client().send(new DescribeStacksCommand({}));
  expect(all.Stacks?.map((s) => s.StackId)).toContain(STACK_ID);
});

test('fails with ValidationError for a stack or a resource CloudFormation does not know', async () => {
  registerStack();
  const unknownStack = 'arn:aws:cloudformation:us-east-1:123456789012:stack/Nope/00000000-0000-4000-8000-000000000000';
  expect(
    await errorOf(client().send(new DescribeStackResourceCommand({ StackName: unknownStack, LogicalResourceId: 'X' }))),
  ).toEqual({ name: 'ValidationError', message: `Stack with id ${unknownStack} does not exist`, status: 400 });
  expect(await errorOf(client().send(new DescribeStacksCommand({ StackName: 'Nope' })))).toEqual({
    name: 'ValidationError',
    message: 'Stack with id Nope does not exist',
    status: 400,
  });
  expect(
    await errorOf(client().send(new DescribeStackResourceCommand({ StackName: STACK_ID, LogicalResourceId: 'Gone' }))),
  ).toEqual({ name: 'ValidationError', message: `Resource Gone does not exist for stack ${STACK_ID}`, status: 400 });
});

test('a deleted stack answers DELETE_COMPLETE by its ID, and is unknown by its name', async () => {
  const stack = registerStack();
  stack.status = 'DELETE_COMPLETE';
  stack.patch('Profile', { status: 'DELETE_COMPLETE' });
  const { Stacks } = await client().send(new DescribeStacksCommand({ StackName: STACK_ID }));
  expect(Stacks?.map((s) => s.StackStatus)).toEqual(['DELETE_COMPLETE']);
  const { StackResourceDetail } = await client().send(
    new DescribeStackResourceCommand({ StackName: STACK_ID, LogicalResourceId: 'Profile' }),
  );
  expect(StackResourceDetail?.ResourceStatus).toBe('DELETE_COMPLETE');
  expect((await errorOf(client().send(new DescribeStacksCommand({ StackName: 'Wire' })))).name).toBe('ValidationError');
  expect((await client().send(new DescribeStacksCommand({}))).Stacks?.map((s) => s.StackId)).not.toContain(STACK_ID);
});

test('a stack is seen only from its own account and region', async () => {
  registerStack();
  moto.cloudFormation.noteCredentials('ASIAOTHERACCOUNT', OTHER_ACCOUNT);
  const ask = (c: CloudFormationClient) =>
    errorOf(c.send(new DescribeStackResourceCommand({ StackName: STACK_ID, LogicalResourceId: 'Profile' })));
  expect((await ask(client({ accessKeyId: 'ASIAOTHERACCOUNT' }))).message).toBe(
    `Stack with id ${STACK_ID} does not exist`,
  );
  expect((await ask(client({ region: 'eu-west-1' }))).message).toBe(`Stack with id ${STACK_ID} does not exist`);
  // An access key the service was not told about is moto's default account's (moto's own rule).
  const seen = await client({ accessKeyId: 'AKIAANYOTHERKEY' }).send(
    new DescribeStacksCommand({ StackName: STACK_ID }),
  );
  expect(seen.Stacks).toHaveLength(1);
});

test('throttles Describe* calls beyond the rate, per account and region, with Throttling: Rate exceeded', async () => {
  // GIVEN a rate of 1 per second with a burst of 2
  registerStack();
  moto.cloudFormation.setRate({ perSecond: 1, burst: 2 });
  const describe = (c: CloudFormationClient) => c.send(new DescribeStacksCommand({ StackName: STACK_ID }));

  // WHEN three calls come at once from the account, and one from another region
  await describe(client());
  await describe(client());
  const third = await errorOf(describe(client()));
  await client({ region: 'eu-west-1' }).send(new DescribeStacksCommand({}));

  // THEN the third is throttled (and recorded so), the other region's bucket is its own
  expect(third).toEqual({ name: 'Throttling', message: 'Rate exceeded', status: 400 });
  expect(moto.proxy.count('cloudformation', 'Throttling')).toBe(1);
  expect(moto.proxy.count('cloudformation', undefined)).toBe(3);

  // AND a second later the bucket holds a token again; the SDK's retries get through
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await describe(client());
  const retried = await client({ maxAttempts: 4 }).send(new DescribeStacksCommand({ StackName: STACK_ID }));
  expect(retried.Stacks).toHaveLength(1);
  expect(moto.proxy.count('cloudformation', 'Throttling')).toBeGreaterThanOrEqual(2);
});

test("a fault rule throttles CloudFormation's calls in its own protocol too", async () => {
  registerStack();
  moto.proxy.inject({ kind: 'Throttling', action: 'DescribeStackResource' });
  expect(
    await errorOf(client().send(new DescribeStackResourceCommand({ StackName: STACK_ID, LogicalResourceId: 'User' }))),
  ).toEqual({ name: 'Throttling', message: 'Rate exceeded', status: 400 });
  expect(moto.calls('cloudformation').map((c) => [c.action, c.fault])).toEqual([
    ['DescribeStackResource', 'Throttling'],
  ]);
});

test('fails with InvalidAction for a CloudFormation call the double does not answer', async () => {
  const response = await fetch(moto.proxy.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Authorization':
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: 'Action=DeleteStack&Version=2010-05-15&StackName=Wire',
  });
  expect(response.status).toBe(400);
  expect(await response.text()).toContain('<Code>InvalidAction</Code>');
});

test("a driver's record: the resource's Metadata with references resolved and JSON types kept, by the stack's ID", async () => {
  // GIVEN a template whose user carries Metadata with a number, a boolean, a list and references
  const driver = moto.driver({ stackName: 'WithMetadata' });
  await driver.deploy({
    Resources: {
      Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'typed' } },
      User: {
        Type: 'AWS::IAM::User',
        Properties: { UserName: 'typed-user' },
        Metadata: {
          count: 3,
          flag: false,
          list: [1, 'two', { Ref: 'Secret' }],
          secret: { Ref: 'Secret' },
          where: { 'Fn::Sub': '${AWS::Region}/${AWS::AccountId}' },
        },
      },
    },
  });

  // WHEN the SDK asks for the user's record
  const { StackResourceDetail: detail } = await client().send(
    new DescribeStackResourceCommand({ StackName: driver.stackId, LogicalResourceId: 'User' }),
  );

  // THEN the Metadata is resolved, numbers and booleans as JSON numbers and booleans
  const secretArn = driver.physicalId('Secret');
  expect(JSON.parse(detail!.Metadata!)).toEqual({
    count: 3,
    flag: false,
    list: [1, 'two', secretArn],
    secret: secretArn,
    where: `us-east-1/${ACCOUNT}`,
  });
  expect(detail).toMatchObject({ ResourceStatus: 'CREATE_COMPLETE', PhysicalResourceId: 'typed-user' });
  const secretRecord = await client().send(
    new DescribeStackResourceCommand({ StackName: driver.stackId, LogicalResourceId: 'Secret' }),
  );
  expect(secretRecord.StackResourceDetail).not.toHaveProperty('Metadata');

  // AND deleted, then deployed again, it is a new stack with a new ID; the old ID answers DELETE_COMPLETE
  const first = driver.stackId;
  await driver.destroy();
  await driver.deploy({ Resources: { User: { Type: 'AWS::IAM::User', Properties: { UserName: 'again' } } } });
  expect(driver.stackId).not.toBe(first);
  const status = async (stackId: string) =>
    (await client().send(new DescribeStacksCommand({ StackName: stackId }))).Stacks?.[0].StackStatus;
  expect([await status(first), await status(driver.stackId)]).toEqual(['DELETE_COMPLETE', 'CREATE_COMPLETE']);
  expect(driver.pseudo.stackId).toBe(driver.stackId);
  await driver.destroy();
});
