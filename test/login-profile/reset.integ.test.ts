/** Reset in place with the BUNDLED login-profile handler against moto. */
import { CreateUserCommand, IAMClient, UpdateAccountPasswordPolicyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { policyViolations } from '../../lambda/password/generator';
import { resetMoto } from '../tooling/moto-server';
import { bundledHandler } from '../tooling/bundles';
import { useCloudFormationRecord } from '../tooling/moto-harness';
import { motoLoginProfile, versionStages } from '../tooling/moto-state';

const iam = new IAMClient({});
const sm = new SecretsManagerClient({});
const handler = bundledHandler<Record<string, unknown>, { PhysicalResourceId: string; Data?: Record<string, string> }>(
  'login-profile-handler',
);
/** Delivers `e` as CloudFormation sends it: the record shows the resource in progress with its properties. */
const loginProfile = (e: ReturnType<typeof event>) =>
  handler(cloudFormation.sending(e), {
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:reset',
    getRemainingTimeInMillis: () => 60_000,
  });
const POLICY = {
  MinimumPasswordLength: 18,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
};
const STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1';
const cloudFormation = useCloudFormationRecord(STACK);

let arn: string;
let props: Record<string, string>;
beforeEach(async () => {
  await resetMoto(process.env.MOTO_ENDPOINT!);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  await iam.send(new UpdateAccountPasswordPolicyCommand(POLICY));
  await iam.send(new CreateUserCommand({ UserName: 'resetme' }));
  arn = (await sm.send(new CreateSecretCommand({ Name: 'resetme-password' }))).ARN!;
  props = {
    UserName: 'resetme',
    SecretArn: arn,
    PasswordLength: '12',
    PasswordResetRequired: 'false',
    ResetToken: 'one',
  };
  await loginProfile(event('Create', 'create', props));
});
afterEach(() => jest.restoreAllMocks());

function event(requestType: string, requestId: string, resourceProperties: Record<string, string>, old?: object) {
  return {
    RequestType: requestType,
    RequestId: requestId,
    StackId: STACK,
    LogicalResourceId: 'Profile',
    ResourceType: 'Custom::ConsoleLoginProfile',
    PhysicalResourceId: requestType === 'Create' ? undefined : 'resetme',
    ResourceProperties: resourceProperties,
    OldResourceProperties: old,
  };
}

async function current(): Promise<{ versionId: string; password: string }> {
  // VersionStage explicitly: moto's GetSecretValue without it keeps answering the version that was
  // current before UpdateSecretVersionStage (AWS answers AWSCURRENT).
  const value = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }));
  return { versionId: value.VersionId!, password: JSON.parse(value.SecretString!).password };
}

test('a new reset token sets a new compliant password in place and promotes its version to AWSCURRENT', async () => {
  // GIVEN the profile created with token "one"
  const before = await current();
  expect((await motoLoginProfile('resetme')).password === before.password).toBe(true);

  // WHEN the token changes to "two"
  const response = await loginProfile(event('Update', 'update-1', { ...props, ResetToken: 'two' }, props));

  // THEN same user, same physical ID, same secret; a new version is AWSCURRENT, the old one AWSPREVIOUS
  expect(response.PhysicalResourceId).toBe('resetme');
  const after = await current();
  expect(after.versionId).not.toBe(before.versionId);
  expect(response.Data?.SecretVersionId).toBe(after.versionId);
  expect(await versionStages(sm, arn)).toEqual({
    [before.versionId]: ['AWSPREVIOUS'],
    [after.versionId]: ['AWSCURRENT'],
  });
  // IAM holds the new password, which differs from the old one and satisfies the live policy
  expect(after.password === before.password).toBe(false);
  expect((await motoLoginProfile('resetme')).password === after.password).toBe(true);
  expect(after.password).toHaveLength(18);
  expect(policyViolations(after.password, POLICY)).toEqual([]);

  // WHEN the same Update is delivered again (a replay): THEN nothing changes
  await loginProfile(event('Update', 'update-1', { ...props, ResetToken: 'two' }, props));
  expect((await current()).versionId).toBe(after.versionId);
  expect((await motoLoginProfile('resetme')).password === after.password).toBe(true);
});

test('changing only passwordResetRequired writes no secret version and keeps the physical ID', async () => {
  const before = await versionStages(sm, arn);

  const response = await loginProfile(event('Update', 'update-2', { ...props, PasswordResetRequired: 'true' }, props));

  expect(response.PhysicalResourceId).toBe('resetme');
  expect(response.Data?.SecretVersionId).toBeUndefined();
  expect(await versionStages(sm, arn)).toEqual(before);
  // moto records the new flag. (moto's UpdateLoginProfile without a Password also clears the stored
  // password, unlike IAM, which keeps it; so the password side is asserted in reset.test.ts.)
  expect(String((await motoLoginProfile('resetme')).passwordResetRequired)).toMatch(/^true$/i);
});
