/**
 * What the library's constructs and every handler agree on: the environment variables a function
 * reads, and where a custom resource keeps its deciding properties. No aws-cdk-lib imports here:
 * the handlers' bundles include this file, so the construct that writes a name and the handler that
 * reads it share one definition.
 */

/**
 * The `ServiceTimeout` (seconds) of a custom-resource function's resources: how long
 * CloudFormation waits for an answer before it gives up on an event (and rolls back).
 */
export const SERVICE_TIMEOUT_ENV = 'CFN_SERVICE_TIMEOUT_SECONDS';

/**
 * The ID (ARN) of the stack the function belongs to (`AWS::StackId`: a nested stack's or a
 * StackSet instance's own). A handler acts only on events of this stack, as CloudFormation
 * records them, and the rotation function only on secrets this stack created.
 */
export const STACK_ID_ENV = 'CDK_CONSOLE_USERS_STACK_ID';

/**
 * The ARN of the stack's handover bus, where a function that issues passwords publishes the
 * handover event (`lib/handover/contract.ts`). A function without it refuses to issue a password:
 * it could not announce it.
 */
export const HANDOVER_BUS_ENV = 'CDK_CONSOLE_USERS_HANDOVER_BUS_ARN';

/*
 * How a custom resource of the library carries its deciding properties where CloudFormation keeps
 * them for the handler to read back (`cloudformation:DescribeStackResource`).
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
