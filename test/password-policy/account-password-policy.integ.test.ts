/**
 * The BUNDLED account-password-policy handler against moto: Create, Update, Delete restores; and a
 * login profile (then a rotation) created after a 40-character policy that requires every class.
 * moto does not enforce password policies, so compliance is checked here.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateUserCommand,
  GetAccountPasswordPolicyCommand,
  IAMClient,
  UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { normalise } from '../../lambda/password-policy/policy';
import { policyViolations } from '../../lambda/password/generator';
import { CFN_STACK_ID_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { resetMoto } from '../tooling/moto-server';
import { rotationFunctionArn, startRotation } from '../tooling/moto-rotation';
import { bundledHandler } from '../tooling/bundles';
import { useCloudFormationRecord } from '../tooling/moto-harness';
import { motoLoginProfile } from '../tooling/moto-state';

type Response = { PhysicalResourceId: string };
const iam = new IAMClient({});
const sm = new SecretsManagerClient({});
const STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1';
const cloudFormation = useCloudFormationRecord(STACK);
const CONTEXT = {
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:handler',
  getRemainingTimeInMillis: () => 60_000,
};
type Event = ReturnType<typeof event>;
const bundledPolicyHandler = bundledHandler<Event, Response>('account-password-policy-handler');
const bundledLoginProfile = bundledHandler<Event, Response>('login-profile-handler');
/** Each event delivered as CloudFormation sends it: the record shows the resource in progress with its properties. */
const policyHandler = (e: Event) => bundledPolicyHandler(cloudFormation.sending(e), CONTEXT);
const loginProfile = (e: Event) => bundledLoginProfile(cloudFormation.sending(e), CONTEXT);
const rotate = bundledHandler<Record<string, unknown>, void>('rotation-handler');

const STRICT = {
  MinimumPasswordLength: '40',
  RequireSymbols: 'true',
  RequireNumbers: 'true',
  RequireUppercaseCharacters: 'true',
  RequireLowercaseCharacters: 'true',
};

function event(requestType: string, props: Record<string, string>, physicalId?: string) {
  return {
    RequestType: requestType,
    RequestId: randomUUID(),
    StackId: STACK,
    LogicalResourceId: 'PasswordPolicy',
    ResourceType: 'Custom::AccountPasswordPolicy',
    PhysicalResourceId: physicalId,
    ResourceProperties: props,
  };
}

/** The account's policy as UpdateAccountPasswordPolicy would take it, or undefined when there is none. */
async function livePolicy() {
  try {
    return normalise((await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy ?? {});
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return undefined;
    throw error;
  }
}

beforeEach(async () => {
  await resetMoto(process.env.MOTO_ENDPOINT!);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

test('Create applies, Update applies, Delete removes the policy when the account had none', async () => {
  expect(await livePolicy()).toBeUndefined();

  const created = await policyHandler(event('Create', STRICT));
  expect(await livePolicy()).toMatchObject({
    MinimumPasswordLength: 40,
    RequireSymbols: true,
    RequireNumbers: true,
    RequireUppercaseCharacters: true,
    RequireLowercaseCharacters: true,
  });

  const updated = await policyHandler(
    event('Update', { ...STRICT, MinimumPasswordLength: '20', MaxPasswordAge: '90' }, created.PhysicalResourceId),
  );
  expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
  expect(await livePolicy()).toMatchObject({ MinimumPasswordLength: 20, MaxPasswordAge: 90 });

  await policyHandler(event('Delete', STRICT, created.PhysicalResourceId));
  expect(await livePolicy()).toBeUndefined();
});

test('Delete restores exactly the policy the account had before Create', async () => {
  // GIVEN an account with its own policy
  const before = {
    MinimumPasswordLength: 12,
    RequireNumbers: true,
    AllowUsersToChangePassword: true,
    MaxPasswordAge: 180,
    PasswordReusePrevention: 3,
  };
  await iam.send(new UpdateAccountPasswordPolicyCommand(before));
  const recorded = await livePolicy();
  // WHEN the construct's resource is created, updated and deleted
  const created = await policyHandler(event('Create', STRICT));
  await policyHandler(event('Update', { ...STRICT, HardExpiry: 'true' }, created.PhysicalResourceId));
  expect((await livePolicy())?.MinimumPasswordLength).toBe(40);
  await policyHandler(event('Delete', STRICT, created.PhysicalResourceId));
  // THEN the account has its old policy back, field for field
  expect(await livePolicy()).toEqual(recorded);
  expect(recorded).toMatchObject(before);
});

test('a login profile created after a 40-character all-classes policy, and its rotation, satisfy it', async () => {
  // GIVEN the policy (the construct orders every login profile of the app after it)
  await policyHandler(event('Create', STRICT));
  const policy = (await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy!;
  await iam.send(new CreateUserCommand({ UserName: 'strict' }));
  const arn = (
    await sm.send(
      new CreateSecretCommand({
        Name: 'strict-password',
        Tags: [
          // as CloudFormation tags what it creates: the rotation function rotates only its stack's secrets
          { Key: CFN_STACK_ID_TAG_KEY, Value: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1' },
          { Key: ROTATION_TAGS.userName, Value: 'strict' },
          { Key: ROTATION_TAGS.passwordLength, Value: '24' },
          { Key: ROTATION_TAGS.passwordResetRequired, Value: 'false' },
        ],
      }),
    )
  ).ARN!;

  // WHEN a login profile asking for 24 characters is created
  await loginProfile({
    ...event('Create', {
      UserName: 'strict',
      SecretArn: arn,
      PasswordLength: '24',
      PasswordResetRequired: 'false',
    }),
    LogicalResourceId: 'StrictLoginProfile',
    ResourceType: 'Custom::ConsoleLoginProfile',
  });

  // THEN its password has 40 characters of every class, and it is the one IAM holds
  const first = await currentPassword(arn);
  expect(first).toHaveLength(40);
  expect(policyViolations(first, policy)).toEqual([]);
  expect((await motoLoginProfile('strict')).password === first).toBe(true);

  // and WHEN it rotates (Secrets Manager starts it, then calls the stack's function for each
  // step), THEN the new password satisfies the policy too
  const token = randomUUID();
  const fn = rotationFunctionArn();
  await startRotation(sm, arn, fn, token);
  process.env[STACK_ID_ENV] = 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1';
  try {
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      await rotate({ SecretId: arn, ClientRequestToken: token, Step: step }, { invokedFunctionArn: fn });
    }
  } finally {
    delete process.env[STACK_ID_ENV];
  }
  const rotated = await currentPassword(arn);
  expect(rotated === first).toBe(false);
  expect(rotated).toHaveLength(40);
  expect(policyViolations(rotated, policy)).toEqual([]);
  expect((await motoLoginProfile('strict')).password === rotated).toBe(true);
});

async function currentPassword(arn: string): Promise<string> {
  const value = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }));
  return JSON.parse(value.SecretString!).password;
}
