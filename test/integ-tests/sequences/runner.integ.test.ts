/**
 * The sequences runner's AWS calls against moto (the suite's moto_server): finding a stack's log
 * groups, reading the attestation lines from several log groups within a time range, deleting a
 * stack. The deployments themselves need a real account (`npm run integ:deploy`).
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { deleteStack, logGroupsNamed, logGroupsOf, readAttestations, stackOf, usersNamed } from './aws';

const endpoint = () => {
  const e = process.env.MOTO_ENDPOINT;
  if (!e) throw new Error('MOTO_ENDPOINT is not set: run with jest -c jest.integ.config.js');
  return e;
};
const clientConfig = () => ({
  endpoint: endpoint(),
  region: 'eu-west-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

const attestation = (fields: Record<string, string>) =>
  JSON.stringify({ message: 'attestation', physicalIdMatches: 'true', metadataIs: 'new', ...fields });

describe('the sequences runner against moto', () => {
  const cfn = new CloudFormationClient(clientConfig());
  const logs = new CloudWatchLogsClient(clientConfig());
  const stackName = `RunnerTest${Date.now()}`;
  let groups: string[] = [];

  beforeAll(async () => {
    await cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify({
          Resources: {
            HandlerLogGroup: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', Properties: {} },
            PolicyLogGroup: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', Properties: {} },
            Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
          },
        }),
      }),
    );
  });

  test("finds the stack's log groups by its resources", async () => {
    const stack = await stackOf(cfn, stackName);
    expect(stack?.status).toBe('CREATE_COMPLETE');
    groups = await logGroupsOf(cfn, stack!.id);
    expect(groups).toHaveLength(2);
    expect(await stackOf(cfn, `${stackName}Missing`)).toBeUndefined();
  });

  test('reads the attestation lines of every group within the time range, in time order, and nothing else', async () => {
    const t0 = Date.now() - 60_000;
    const put = async (group: string, events: { timestamp: number; message: string }[]) => {
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
      await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 's', logEvents: events }));
    };
    const text = (line: string) => `2026-12-07T00:00:00.000Z\tabc\tINFO\t${line}\n`;
    await put(groups[0], [
      {
        timestamp: t0 - 5_000,
        message: text(
          attestation({ requestType: 'Create', logicalResourceId: 'Before', resourceStatus: 'CREATE_IN_PROGRESS' }),
        ),
      },
      {
        timestamp: t0 + 1_000,
        message: text(
          attestation({ requestType: 'Create', logicalResourceId: 'A', resourceStatus: 'CREATE_IN_PROGRESS' }),
        ),
      },
      {
        timestamp: t0 + 2_000,
        message: text(JSON.stringify({ message: 'applied', action: 'UpdateAccountPasswordPolicy' })),
      },
      {
        timestamp: t0 + 3_000,
        message: text(
          attestation({
            requestType: 'Delete',
            logicalResourceId: 'A',
            resourceStatus: 'UPDATE_COMPLETE',
            stackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
            physicalIdMatches: 'false',
            metadataIs: 'other',
          }),
        ),
      },
    ]);
    await put(groups[1], [
      {
        timestamp: t0 + 2_500,
        message: text(
          attestation({
            requestType: 'Update',
            logicalResourceId: 'B',
            resourceStatus: 'UPDATE_IN_PROGRESS',
            metadataIs: 'old',
          }),
        ),
      },
      { timestamp: t0 + 30_000, message: 'END RequestId: abc\n' },
    ]);
    const found = await readAttestations(logs, [...groups, 'no-such-log-group'], t0, t0 + 20_000);
    expect(found).toEqual([
      {
        timestamp: t0 + 1_000,
        requestType: 'Create',
        logicalId: 'A',
        resourceStatus: 'CREATE_IN_PROGRESS',
        physicalIdMatches: true,
        metadataIs: 'new',
      },
      {
        timestamp: t0 + 2_500,
        requestType: 'Update',
        logicalId: 'B',
        resourceStatus: 'UPDATE_IN_PROGRESS',
        physicalIdMatches: true,
        metadataIs: 'old',
      },
      {
        timestamp: t0 + 3_000,
        requestType: 'Delete',
        logicalId: 'A',
        stackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
        resourceStatus: 'UPDATE_COMPLETE',
        physicalIdMatches: false,
        metadataIs: 'other',
      },
    ]);
  });

  test('deletes the stack and reports DELETE_COMPLETE, also for a stack that is already gone', async () => {
    expect(await deleteStack(cfn, stackName)).toBe('DELETE_COMPLETE');
    expect(await deleteStack(cfn, stackName)).toBe('DELETE_COMPLETE');
  });

  test("lists only the run's IAM users", async () => {
    const iam = new IAMClient(clientConfig());
    for (const name of ['cdkcu-seq-r1-plain', 'cdkcu-seq-r1-held', 'cdkcu-seq-r10-plain', 'someone-else']) {
      await iam.send(new CreateUserCommand({ UserName: name }));
    }
    expect(await usersNamed(iam, 'cdkcu-seq-r1-')).toEqual(['cdkcu-seq-r1-held', 'cdkcu-seq-r1-plain']);
    expect(await usersNamed(iam, 'cdkcu-seq-r2-')).toEqual([]);
  });

  test('finds log groups by the stack-name prefix CloudFormation gives them, created since a time', async () => {
    const since = Date.now() - 1_000;
    for (const name of ['FailedStack-HandlerLogGroup-AB12', 'FailedStackOther-LogGroup-CD34', 'Unrelated-LogGroup']) {
      await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
    }
    expect(await logGroupsNamed(logs, 'FailedStack-', since)).toEqual(['FailedStack-HandlerLogGroup-AB12']);
    expect(await logGroupsNamed(logs, 'FailedStack-', Date.now() + 60_000)).toEqual([]);
  });
});
