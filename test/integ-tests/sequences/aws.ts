/**
 * The sequences runner's AWS calls (beside `run.ts` so that tests can load them without the CLI):
 * a stack's status and log groups, the attestation lines of log groups, deleting a stack, the IAM
 * users a run left behind.
 */
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  paginateListStackResources,
  waitUntilStackDeleteComplete,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchLogsClient,
  paginateDescribeLogGroups,
  paginateFilterLogEvents,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient, paginateListUsers } from '@aws-sdk/client-iam';
import { TimedObservation, parseAttestation } from './recording';

/** The stack named `name` (its ID and status), or undefined when there is none. */
export async function stackOf(
  cfn: CloudFormationClient,
  name: string,
): Promise<{ id: string; status: string } | undefined> {
  try {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
    return stack?.StackId && stack.StackStatus ? { id: stack.StackId, status: stack.StackStatus } : undefined;
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) return undefined;
    throw error;
  }
}

/** The log groups of stack `stackId` (their names: the log groups' physical IDs). */
export async function logGroupsOf(cfn: CloudFormationClient, stackId: string): Promise<string[]> {
  const groups: string[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackId })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType === 'AWS::Logs::LogGroup' && r.PhysicalResourceId) groups.push(r.PhysicalResourceId);
    }
  }
  return groups;
}

/** The attestation lines logged to `groups` from `startTime` to `endTime`, in time order; a missing group has none. */
export async function readAttestations(
  logs: CloudWatchLogsClient,
  groups: readonly string[],
  startTime: number,
  endTime: number,
): Promise<TimedObservation[]> {
  const found: TimedObservation[] = [];
  for (const group of groups) {
    try {
      for await (const page of paginateFilterLogEvents(
        { client: logs },
        { logGroupName: group, startTime, endTime, filterPattern: '"attestation"' },
      )) {
        for (const event of page.events ?? []) {
          const observation = parseAttestation(event);
          if (observation) found.push(observation);
        }
      }
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
  return found.sort((a, b) => a.timestamp - b.timestamp);
}

/** Deletes stack `name` if it exists and waits; returns its final status (DELETE_COMPLETE when there is none). */
export async function deleteStack(cfn: CloudFormationClient, name: string): Promise<string> {
  const stack = await stackOf(cfn, name);
  if (!stack || stack.status === 'DELETE_COMPLETE') return 'DELETE_COMPLETE';
  await cfn.send(new DeleteStackCommand({ StackName: stack.id }));
  // The waiter throws when the delete fails (DELETE_FAILED); the status below says so.
  await waitUntilStackDeleteComplete({ client: cfn, maxWaitTime: 1800 }, { StackName: stack.id }).catch(
    () => undefined,
  );
  return (await cfn.send(new DescribeStacksCommand({ StackName: stack.id }))).Stacks?.[0]?.StackStatus ?? 'UNKNOWN';
}

/** The names of the IAM users whose name starts with `prefix` (those of one run), sorted. */
export async function usersNamed(iam: IAMClient, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListUsers({ client: iam }, {})) {
    for (const user of page.Users ?? []) if (user.UserName?.startsWith(prefix)) names.push(user.UserName);
  }
  return names.sort();
}

/**
 * The log groups whose name starts with `prefix` and that were created at `createdSince` or later.
 * CloudFormation names a log group without a name `<stack name>-<logical ID>-<suffix>`: this finds
 * a stack's log groups also when the stack no longer lists them.
 */
export async function logGroupsNamed(
  logs: CloudWatchLogsClient,
  prefix: string,
  createdSince: number,
): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateDescribeLogGroups({ client: logs }, { logGroupNamePrefix: prefix })) {
    for (const group of page.logGroups ?? []) {
      if (group.logGroupName && (group.creationTime ?? 0) >= createdSince) names.push(group.logGroupName);
    }
  }
  return names.sort();
}
