/**
 * CloudFormation: the reads that attest a custom-resource event (see `../runtime/attestation.ts`),
 * with the errors that have a meaning for the handler translated. The caller adds a named retry
 * policy on top of the SDK's (`RETRY.cloudFormation`).
 */
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { isAwsError } from '../runtime/errors';
import type { Deadline } from '../runtime/invocation';
import { call, clientOf } from './call';

/** The CloudFormation client (created once per Lambda container). */
export function cloudFormation(): CloudFormationClient {
  return clientOf(CloudFormationClient);
}

/** What `DescribeStackResource` says of one resource of a stack (the fields the handlers decide on). */
export interface StackResourceRecord {
  readonly resourceType?: string;
  readonly status?: string;
  /** Absent while CloudFormation has none yet (a Create in progress). */
  readonly physicalResourceId?: string;
  /** The resource's whole `Metadata` attribute, resolved, as JSON text. */
  readonly metadata?: string;
}

/**
 * CloudFormation's record of `logicalResourceId` in `stackId`, or `undefined` when the stack has
 * no such resource, or there is no such stack (`ValidationError`, CloudFormation's answer to both).
 */
export async function describeStackResource(
  deadline: Deadline,
  stackId: string,
  logicalResourceId: string,
): Promise<StackResourceRecord | undefined> {
  try {
    const response = await call(
      deadline,
      cloudFormation(),
      new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: logicalResourceId }),
    );
    const detail = response.StackResourceDetail;
    if (detail === undefined) return undefined;
    return {
      resourceType: detail.ResourceType,
      status: detail.ResourceStatus,
      physicalResourceId: detail.PhysicalResourceId,
      metadata: detail.Metadata,
    };
  } catch (error) {
    if (isAwsError(error, 'ValidationError')) return undefined;
    throw error;
  }
}

/** The status of stack `stackId`, or `undefined` when there is no such stack (`ValidationError`). */
export async function stackStatus(deadline: Deadline, stackId: string): Promise<string | undefined> {
  try {
    const response = await call(deadline, cloudFormation(), new DescribeStacksCommand({ StackName: stackId }));
    return response.Stacks?.[0]?.StackStatus;
  } catch (error) {
    if (isAwsError(error, 'ValidationError')) return undefined;
    throw error;
  }
}
