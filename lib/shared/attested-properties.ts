/**
 * How a custom resource of the library carries its deciding properties where CloudFormation keeps
 * them for the handler to read back (`cloudformation:DescribeStackResource`). No aws-cdk-lib
 * imports here: the handlers' bundles include this file.
 *
 * CloudFormation resolves `Ref` and `Fn::GetAtt` inside a resource's `Metadata` attribute and
 * returns the resolved attribute from `DescribeStackResource` (CloudFormation User Guide,
 * "Metadata attribute"). A handler that takes the user, the secret and the policy from there, not
 * from the event, acts only on what the stack declares, whoever invokes it.
 */

/** Metadata key under which a resource carries its properties (all of them except the service token and timeout). */
export const PROPERTIES_METADATA_KEY = 'cdk-console-users:properties';

/** Properties of a custom resource that are not the resource's own: the handler ignores them when comparing. */
export const NON_DECIDING_PROPERTIES: readonly string[] = ['ServiceToken', 'ServiceTimeout'];
