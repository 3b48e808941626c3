/**
 * Custom-resource handler (provider framework `onEvent`) for `Custom::ConsoleLoginProfile`.
 * It only dispatches; the lifecycle decisions are in `lifecycle.ts`, the AWS calls in `../shared/aws.ts`.
 */
import { CustomResourceEventBase, CustomResourceResponse, LambdaContext } from '../runtime/cfn';
import { HandlerError, errorMessage, errorName, redact } from '../runtime/errors';
import { log } from '../runtime/log';
import { EventIdentity, createProfile, deleteProfile, passwordsSeen, updateProfile } from './lifecycle';
import { isUserName, parseProperties } from './properties';

/** Leave this much of the Lambda's time for answering CloudFormation. */
const SAFETY_MARGIN_MS = 10_000;

export async function handler(
  event: CustomResourceEventBase,
  context?: LambdaContext,
): Promise<CustomResourceResponse> {
  passwordsSeen.clear();
  const requestType = typeof event?.RequestType === 'string' ? event.RequestType : String(event?.RequestType);
  const logicalResourceId = typeof event?.LogicalResourceId === 'string' ? event.LogicalResourceId : undefined;
  log('received event', { requestType, logicalResourceId });
  try {
    const response = await dispatch(event, context);
    log('done', { requestType, logicalResourceId });
    return response;
  } catch (error) {
    // Whatever failed, the message CloudFormation shows must not carry a password.
    const message = redact(`${errorName(error)}: ${errorMessage(error)}`, passwordsSeen);
    log('failed', { requestType, logicalResourceId, error: message });
    throw new HandlerError(`${requestType} of login profile ${logicalResourceId ?? '(unknown)'} failed: ${message}`);
  } finally {
    passwordsSeen.clear();
  }
}

async function dispatch(event: CustomResourceEventBase, context?: LambdaContext): Promise<CustomResourceResponse> {
  if (typeof event !== 'object' || event === null) throw new HandlerError('the event is not an object');
  for (const field of ['RequestId', 'StackId', 'LogicalResourceId'] as const) {
    if (typeof event[field] !== 'string' || event[field].length === 0) {
      throw new HandlerError(`the event has no ${field}`);
    }
  }
  const requestType = event.RequestType;
  const logicalResourceId = event.LogicalResourceId;
  const account = accountOf(context?.invokedFunctionArn);
  const deadline = () => (context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY) - SAFETY_MARGIN_MS;
  const identity: EventIdentity = {
    stackId: event.StackId,
    logicalResourceId: event.LogicalResourceId,
    requestId: event.RequestId,
    requestType: event.RequestType,
  };

  switch (event.RequestType) {
    case 'Create': {
      const settings = parseProperties(event.ResourceProperties, account);
      const versionId = await createProfile(settings, identity, deadline);
      return respond(settings.userName, versionId);
    }
    case 'Update': {
      const settings = parseProperties(event.ResourceProperties, account);
      const old = parseOldProperties(event.OldResourceProperties);
      const versionId = await updateProfile(settings, old ?? settings, identity, deadline);
      return respond(settings.userName, versionId);
    }
    case 'Delete': {
      // Deletes must not get stuck on properties a later version would reject: only the user
      // name and the secret ARN matter. The physical ID is the user this resource gave a
      // profile to; after a rename it differs from the properties, and its profile must go.
      const props = event.ResourceProperties ?? {};
      const userName = event.PhysicalResourceId || (typeof props.UserName === 'string' ? props.UserName : '');
      if (!isUserName(userName)) {
        log('no valid user name in the event; nothing to delete', { requestType, logicalResourceId });
        return { PhysicalResourceId: userName || logicalResourceId };
      }
      const secretArn = typeof props.SecretArn === 'string' ? props.SecretArn : undefined;
      await deleteProfile(userName, secretArn, deadline);
      return { PhysicalResourceId: userName };
    }
    default:
      throw new HandlerError(
        `unknown RequestType ${JSON.stringify(event.RequestType)}; expected Create, Update or Delete`,
      );
  }
}

function parseOldProperties(raw: Record<string, unknown> | undefined) {
  if (raw === undefined) throw new HandlerError('the Update event has no OldResourceProperties');
  return parseProperties(raw);
}

function respond(userName: string, secretVersionId: string | undefined): CustomResourceResponse {
  const data: Record<string, string> = { UserName: userName };
  if (secretVersionId !== undefined) data.SecretVersionId = secretVersionId;
  return { PhysicalResourceId: userName, Data: data };
}

/** The account ID in a Lambda function ARN, if there is one. */
function accountOf(functionArn: string | undefined): string | undefined {
  const account = functionArn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}
