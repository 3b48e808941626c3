/**
 * The BUNDLED rotation function against moto while console access is off: Secrets Manager's
 * RotateSecret (moto) stages the token, the test plays Secrets Manager's part and invokes each step
 * twice (see rotation.integ.test.ts). Every step succeeds, no step issues a password or gives a login
 * profile, and the rotation ends with the off value AWSCURRENT. Once access is switched on, a
 * rotation rotates a password again.
 */
import { randomUUID } from 'node:crypto';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { CFN_STACK_ID_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { bundledHandler } from '../tooling/bundles';
import { STACK_ID } from '../tooling/lambda-fixtures';
import { useCloudFormationRecord } from '../tooling/moto-harness';
import { rotationFunctionArn, startRotation } from '../tooling/moto-rotation';
import { resetMoto } from '../tooling/moto-server';
import { motoLoginProfile, versionStages } from '../tooling/moto-state';

const iam = new IAMClient({});
const sm = new SecretsManagerClient({});
const rotationHandler = bundledHandler<{ SecretId: string; ClientRequestToken: string; Step: string }, void>(
  'rotation-handler',
);
const bundledLoginProfile = bundledHandler<Record<string, unknown>, { PhysicalResourceId: string }>(
  'login-profile-handler',
);
const cloudFormation = useCloudFormationRecord(STACK_ID);
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const rotationFunction = rotationFunctionArn();

let logs: string[];
beforeEach(async () => {
  await resetMoto(process.env.MOTO_ENDPOINT!);
  process.env[STACK_ID_ENV] = STACK_ID;
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(String(line)));
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env[STACK_ID_ENV];
});

let request = 0;
/** A login-profile event for `props` (an Update when `old` is given), as CloudFormation sends it. */
function loginProfile(props: Record<string, string>, old?: Record<string, string>) {
  const event = {
    RequestType: old === undefined ? 'Create' : 'Update',
    RequestId: `r${++request}`,
    StackId: STACK_ID,
    LogicalResourceId: 'Profile',
    ResourceType: 'Custom::ConsoleLoginProfile',
    PhysicalResourceId: old === undefined ? undefined : props.UserName,
    ResourceProperties: props,
    OldResourceProperties: old,
  };
  return bundledLoginProfile(cloudFormation.sending(event), {
    invokedFunctionArn: STACK_ID.replace(/:cloudformation:(.*):stack\/.*$/, ':lambda:$1:function:login-profile'),
    getRemainingTimeInMillis: () => 120_000,
  });
}

function rotate(arn: string, token: string, step: string): Promise<void> {
  return rotationHandler(
    { SecretId: arn, ClientRequestToken: token, Step: step },
    { invokedFunctionArn: rotationFunction, getRemainingTimeInMillis: () => 120_000 },
  );
}

async function value(arn: string, stage = 'AWSCURRENT'): Promise<Record<string, unknown>> {
  const response = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
  return JSON.parse(response.SecretString!) as Record<string, unknown>;
}

/** A user whose login profile was created with console access off, its secret tagged for rotation. */
async function createdOff(): Promise<{ arn: string; off: Record<string, string> }> {
  await iam.send(new CreateUserCommand({ UserName: 'dormant' }));
  const arn = (
    await sm.send(
      new CreateSecretCommand({
        Name: 'dormant-password',
        Tags: [
          { Key: CFN_STACK_ID_TAG_KEY, Value: STACK_ID },
          { Key: ROTATION_TAGS.userName, Value: 'dormant' },
          { Key: ROTATION_TAGS.passwordLength, Value: '20' },
          { Key: ROTATION_TAGS.passwordResetRequired, Value: 'false' },
        ],
      }),
    )
  ).ARN!;
  const off = { UserName: 'dormant', SecretArn: arn, PasswordLength: '20', PasswordResetRequired: 'false' };
  await loginProfile({ ...off, ConsoleAccess: 'false' });
  return { arn, off };
}

test('a rotation while access is off: every step succeeds twice, nothing is issued', async () => {
  // GIVEN a user whose login profile was created with console access off
  const { arn } = await createdOff();
  const offValue = await value(arn);
  expect(offValue).toEqual({ username: 'dormant', signInUrl: expect.any(String), consoleAccess: 'off' });

  // WHEN Secrets Manager rotates the secret, each step called twice
  const token = randomUUID();
  await startRotation(sm, arn, rotationFunction, token);
  for (const step of STEPS) {
    for (let run = 1; run <= 2; run++) {
      await rotate(arn, token, step);
      // THEN at every point: no profile, no password in AWSCURRENT or AWSPENDING
      expect((await motoLoginProfile('dormant')).password).toBeUndefined();
      expect((await value(arn)).password).toBeUndefined();
    }
  }
  // ...and the copy of the off value is AWSCURRENT, as after any rotation
  const stages = await versionStages(sm, arn);
  expect(stages[token]).toEqual(['AWSCURRENT']);
  expect(Object.values(stages).filter((s) => s.includes('AWSPENDING'))).toEqual([]);
  expect(await value(arn)).toEqual(offValue);
});

test('after access is switched on, a rotation rotates the password again', async () => {
  // GIVEN access created off, then switched on (not after a rotation on moto: MOTO_DIFFERENCES.putCurrentAfterStageMove)
  const { arn, off } = await createdOff();
  await loginProfile(off, { ...off, ConsoleAccess: 'false' });
  const issued = await value(arn);
  expect((await motoLoginProfile('dormant')).password === issued.password).toBe(true);
  const next = randomUUID();
  await startRotation(sm, arn, rotationFunction, next);
  for (const step of STEPS) await rotate(arn, next, step);

  // THEN a new password, AWSCURRENT and IAM's
  const rotated = await value(arn);
  expect(rotated.password === issued.password).toBe(false);
  expect((await motoLoginProfile('dormant')).password === rotated.password).toBe(true);
  expect(logs.some((line) => [issued.password, rotated.password].some((p) => line.includes(String(p))))).toBe(false);
}, 60_000);
