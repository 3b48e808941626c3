/**
 * Rotation as Secrets Manager starts it, in moto: `RotateSecret` turns rotation on, records the
 * function (`RotationEnabled`, `RotationLambdaARN` in DescribeSecret) and stages the token
 * `AWSPENDING` with no value yet. moto cannot run the function: the tests invoke the bundled
 * handler for each step themselves, with a Lambda context naming the function.
 *
 * moto makes those changes before it looks the function up in its Lambda, and then answers
 * `ResourceNotFoundException` for a function its Lambda does not have
 * (`MOTO_DIFFERENCES.rotateSecretWithoutLambda`). The suite keeps moto's Lambda empty on purpose:
 * a function there (which needs Docker to run anyway) makes moto's `/moto-api/data.json`, where
 * the tests read login-profile passwords, fail. So that one answer is expected, and nothing else.
 */
import { ResourceNotFoundException, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The ARN of the stack's rotation function, as RotateSecret records it and Lambda invokes it. */
export function rotationFunctionArn(name = 'app-RotationHandler'): string {
  return `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:123456789012:function:${name}`;
}

/**
 * `RotateSecret` with rotation by `functionArn` every 30 days and `token` as the new version: what
 * a `RotationSchedule` sets up and Secrets Manager then does. The function ARN is passed every time
 * (moto forgets it when a later call leaves it out).
 */
export async function startRotation(
  sm: SecretsManagerClient,
  secretArn: string,
  functionArn: string,
  token: string,
): Promise<void> {
  try {
    await sm.send(
      new RotateSecretCommand({
        SecretId: secretArn,
        ClientRequestToken: token,
        RotationLambdaARN: functionArn,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
  } catch (error) {
    const expected = `Resource not found for ARN '${functionArn}'.`;
    if (!(error instanceof ResourceNotFoundException && error.message === expected)) throw error;
  }
}
