/** The parts of CloudFormation custom-resource events the handlers use (provider framework shape). */

export interface CustomResourceEventBase {
  readonly RequestType: string;
  readonly RequestId: string;
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
  readonly PhysicalResourceId?: string;
}

/** What an `onEvent` handler returns to the provider framework. */
export interface CustomResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** The part of the Lambda context the handlers use. */
export interface LambdaContext {
  readonly invokedFunctionArn?: string;
  getRemainingTimeInMillis?(): number;
}
