/** Reset in place (a new `ResetToken`) and a reset-flag-only change, with mocked AWS clients. */
import {
  CreateLoginProfileCommand,
  DeleteLoginProfileCommand,
  GetAccountPasswordPolicyCommand,
  IAMClient,
  TagUserCommand,
  UpdateLoginProfileCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { LoginProfileEvent, handler } from '../../lambda/login-profile';
import { versionToken } from '../../lambda/login-profile/plan';
import { resetClients } from '../../lambda/shared/aws';
import { policyViolations } from '../../lambda/shared/password';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alice-password-AbCdEf';
const OLD_VERSION = '11111111-1111-4111-8111-111111111111';
const PROPS = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:framework',
  UserName: 'alice',
  SecretArn: ARN,
  SignInUrl: 'https://123456789012.signin.aws.amazon.com/console',
  PasswordLength: '16',
  PasswordResetRequired: 'false',
  ResetToken: 'one',
};
const POLICY = { MinimumPasswordLength: 20, RequireSymbols: true, RequireNumbers: true };
const EVENT = {
  RequestType: 'Update',
  RequestId: 'request-7',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
  LogicalResourceId: 'AliceLoginProfile',
  ResourceType: 'Custom::ConsoleLoginProfile',
  PhysicalResourceId: 'alice',
  OldResourceProperties: PROPS,
};
const context = {
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:handler',
  getRemainingTimeInMillis: () => 120_000,
};
const NEW_VERSION = versionToken(
  {
    stackId: EVENT.StackId,
    logicalResourceId: EVENT.LogicalResourceId,
    requestId: EVENT.RequestId,
    requestType: 'Update',
  },
  0,
);

const iam = mockClient(IAMClient);
const sm = mockClient(SecretsManagerClient);
let output: string[];
/** The writes in the order the mocks received them. */
let writes: string[];

beforeEach(() => {
  resetClients();
  iam.reset();
  sm.reset();
  iam.onAnyCommand().rejects(new Error('unexpected IAM call'));
  sm.onAnyCommand().rejects(new Error('unexpected Secrets Manager call'));
  iam.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: POLICY });
  writes = [];
  iam.on(UpdateLoginProfileCommand).callsFake(() => {
    writes.push('UpdateLoginProfile');
    return {};
  });
  sm.on(PutSecretValueCommand).callsFake(() => {
    writes.push('PutSecretValue');
    return { ARN, VersionId: NEW_VERSION };
  });
  sm.on(DescribeSecretCommand).resolves({
    ARN,
    VersionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT'], [NEW_VERSION]: ['AWSPENDING'] },
  });
  sm.on(UpdateSecretVersionStageCommand).callsFake(() => {
    writes.push('UpdateSecretVersionStage');
    return { ARN };
  });
  output = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(String(line)));
});
afterEach(() => jest.restoreAllMocks());

function update(props: Record<string, string>) {
  return handler({ ...EVENT, ResourceProperties: { ...PROPS, ...props } } as LoginProfileEvent, context);
}

test('a new reset token issues a new compliant password in place: AWSPENDING, IAM, then AWSCURRENT', async () => {
  // WHEN only the reset token changes
  const response = await update({ ResetToken: 'two' });

  // THEN the new password is written to the same secret as AWSPENDING first
  const puts = sm.commandCalls(PutSecretValueCommand);
  expect(puts).toHaveLength(1);
  expect(puts[0].args[0].input).toMatchObject({
    SecretId: ARN,
    ClientRequestToken: NEW_VERSION,
    VersionStages: ['AWSPENDING'],
  });
  const password = JSON.parse(puts[0].args[0].input.SecretString!).password as string;
  expect(password).toHaveLength(20); // 16 requested, raised to the policy's 20
  expect(policyViolations(password, POLICY)).toEqual([]);
  // the same user gets it through UpdateLoginProfile, with the configured reset flag
  const updates = iam.commandCalls(UpdateLoginProfileCommand);
  expect(updates).toHaveLength(1);
  expect(updates[0].args[0].input.UserName).toBe('alice');
  expect(updates[0].args[0].input.Password === password).toBe(true);
  expect(updates[0].args[0].input.PasswordResetRequired).toBe(false);
  // then the new version is promoted to AWSCURRENT (the old one loses it) and AWSPENDING is cleared
  expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([
    { SecretId: ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: NEW_VERSION, RemoveFromVersionId: OLD_VERSION },
    { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: NEW_VERSION },
  ]);
  expect(writes).toEqual([
    'PutSecretValue',
    'UpdateLoginProfile',
    'UpdateSecretVersionStage',
    'UpdateSecretVersionStage',
  ]);
  // no replacement: same physical ID, no new profile, no delete
  expect(response).toEqual({ PhysicalResourceId: 'alice', Data: { UserName: 'alice', SecretVersionId: NEW_VERSION } });
  expect(iam.commandCalls(CreateLoginProfileCommand)).toHaveLength(0);
  expect(iam.commandCalls(DeleteLoginProfileCommand)).toHaveLength(0);
  expect(iam.commandCalls(TagUserCommand)).toHaveLength(0);
  expect(output.some((line) => line.includes(password))).toBe(false);
});

test('changing only passwordResetRequired updates the flag and issues no new password', async () => {
  const response = await update({ PasswordResetRequired: 'true' });

  const updates = iam.commandCalls(UpdateLoginProfileCommand);
  expect(updates).toHaveLength(1);
  expect(updates[0].args[0].input).toEqual({ UserName: 'alice', Password: undefined, PasswordResetRequired: true });
  expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  expect(response).toEqual({ PhysicalResourceId: 'alice', Data: { UserName: 'alice' } });
});

test('fails when IAM refuses the new password: AWSCURRENT keeps the working one and no password leaks', async () => {
  // GIVEN IAM rejects the update for a reason a retry does not fix
  iam
    .on(UpdateLoginProfileCommand)
    .rejects(Object.assign(new Error('Cannot exceed quota for PasswordsPerUser'), { name: 'LimitExceededException' }));
  // WHEN
  const error = await update({ ResetToken: 'two' }).catch((e: Error) => e);
  // THEN the Update fails, nothing moved AWSCURRENT, and the message holds no password
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(/Update of login profile AliceLoginProfile failed: LimitExceeded/);
  expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  const password = JSON.parse(sm.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString!).password;
  expect((error as Error).message.includes(password)).toBe(false);
});

test('the same reset token again (no change) issues nothing', async () => {
  const response = await update({});
  expect(iam.commandCalls(UpdateLoginProfileCommand)).toHaveLength(0);
  expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  expect(response.PhysicalResourceId).toBe('alice');
});
