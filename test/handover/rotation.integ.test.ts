/**
 * The handover events of a login profile's life on the wire, from the BUNDLED handlers to moto's
 * EventBridge and an SQS queue: the Create's first password, then a rotation run as Secrets Manager
 * runs it (RotateSecret, then each step, `finishSecret` twice as Secrets Manager may retry it). The
 * handlers run without the driver here, so they publish on the account's default bus (the
 * harness's `HANDOVER_BUS_ENV`); a rule there matching the handover source catches them all.
 */
import { randomUUID } from 'node:crypto';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { HANDOVER_DETAIL_TYPE, HANDOVER_SOURCE } from '../../lib/handover/contract';
import { CFN_STACK_ID_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { bundledHandler } from '../tooling/bundles';
import { MotoEvents } from '../tooling/events-moto';
import { STACK_ID } from '../tooling/lambda-fixtures';
import { useCloudFormationRecord } from '../tooling/moto-harness';
import { rotationFunctionArn, startRotation } from '../tooling/moto-rotation';
import { resetMoto } from '../tooling/moto-server';

const iam = new IAMClient({});
const sm = new SecretsManagerClient({});
const REGION = 'us-east-1';
const rotationHandler = bundledHandler<{ SecretId: string; ClientRequestToken: string; Step: string }, void>(
  'rotation-handler',
);
const loginProfileHandler = bundledHandler<Record<string, unknown>, { PhysicalResourceId: string }>(
  'login-profile-handler',
);
const cloudFormation = useCloudFormationRecord(STACK_ID);
const rotationFunction = rotationFunctionArn();
const context = (functionArn: string) => ({ invokedFunctionArn: functionArn, getRemainingTimeInMillis: () => 120_000 });

beforeEach(async () => {
  await resetMoto(process.env.MOTO_ENDPOINT!);
  process.env[STACK_ID_ENV] = STACK_ID;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env[STACK_ID_ENV];
});

test('the first password and a rotation arrive as create and rotation events; a retried finishSecret repeats its dedupeKey', async () => {
  // GIVEN a queue behind a rule on the default bus that matches every handover event
  const events = new MotoEvents(process.env.MOTO_ENDPOINT!, REGION);
  const queue = await events.createQueue('handover');
  await events.putRule('handover', { 'source': [HANDOVER_SOURCE], 'detail-type': [HANDOVER_DETAIL_TYPE] }, [queue.arn]);
  // ...a user, and its secret tagged for rotation as the construct tags it
  await iam.send(new CreateUserCommand({ UserName: 'rotor' }));
  const secret = await sm.send(
    new CreateSecretCommand({
      Name: 'rotor-password',
      Tags: [
        { Key: CFN_STACK_ID_TAG_KEY, Value: STACK_ID },
        { Key: ROTATION_TAGS.userName, Value: 'rotor' },
        { Key: ROTATION_TAGS.passwordLength, Value: '20' },
        { Key: ROTATION_TAGS.passwordResetRequired, Value: 'false' },
      ],
    }),
  );
  const arn = secret.ARN!;

  // WHEN CloudFormation creates the login profile
  await loginProfileHandler(
    cloudFormation.sending({
      RequestType: 'Create',
      RequestId: 'create-1',
      StackId: STACK_ID,
      LogicalResourceId: 'Profile',
      ResourceType: 'Custom::ConsoleLoginProfile',
      ResourceProperties: { UserName: 'rotor', SecretArn: arn, PasswordLength: '20', PasswordResetRequired: 'false' },
    }),
    context(STACK_ID.replace(/:cloudformation:(.*):stack\/.*$/, ':lambda:$1:function:login-profile')),
  );
  // ...and Secrets Manager rotates it, calling finishSecret twice
  const token = randomUUID();
  await startRotation(sm, arn, rotationFunction, token);
  for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret', 'finishSecret']) {
    await rotationHandler({ SecretId: arn, ClientRequestToken: token, Step: step }, context(rotationFunction));
  }

  // THEN the queue holds the create, then the rotation twice (one dedupeKey), nothing else
  const received = await events.drain(queue.url);
  expect(received.map((e) => e.detail.reason)).toEqual(['create', 'rotation', 'rotation']);
  const [create, rotation, retried] = received.map((e) => e.detail);
  expect(rotation).toEqual(retried);
  expect(rotation.secretVersionId).toBe(token);
  expect(rotation.dedupeKey).toBe(`${arn} ${token}`);
  expect(create.secretVersionId).not.toBe(token);
  for (const detail of [create, rotation]) {
    expect(detail).toEqual(
      expect.objectContaining({ userName: 'rotor', secretArn: arn, passwordResetRequired: false, schemaVersion: 1 }),
    );
  }
  // ...and neither password is in any event (compared, never printed)
  const text = JSON.stringify(received);
  for (const version of [create.secretVersionId, token]) {
    const value = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionId: String(version) }));
    const password = (JSON.parse(value.SecretString!) as { password: string }).password;
    expect(password.length).toBeGreaterThan(0);
    expect(text.includes(password)).toBe(false);
  }
});
