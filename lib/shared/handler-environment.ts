/**
 * The environment variables the library's functions read. No aws-cdk-lib imports here: the
 * handlers' bundles include this file, so the construct that sets a variable and the handler that
 * reads it share one name.
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
