/**
 * The BUNDLED rotation function against moto: a rotation step by step (each step twice), and each
 * step failing. moto cannot invoke a Lambda rotation itself, so the test plays Secrets Manager's
 * part: the same ClientRequestToken through createSecret, setSecret, testSecret, finishSecret.
 * It prints the secret's version stages after each step (version IDs and labels only).
 */
import { randomUUID } from 'node:crypto';
import { CreateUserCommand, IAMClient, TagUserCommand } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { policyViolations } from '../../lambda/shared/password';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { resetMoto } from '../support/moto-server';
import { bundledHandler } from '../support/bundles';
import { formatStages, motoLoginProfile, versionStages } from '../support/moto-state';

const iam = new IAMClient({});
const sm = new SecretsManagerClient({});
const rotate = bundledHandler<{ SecretId: string; ClientRequestToken: string; Step: string }, void>('rotation-handler');
const loginProfile = bundledHandler<Record<string, unknown>, { PhysicalResourceId: string }>('login-profile-handler');
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

let logs: string[];
beforeEach(async () => {
  await resetMoto(process.env.MOTO_ENDPOINT!);
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(String(line)));
});
afterEach(() => jest.restoreAllMocks());

/** A user with a login profile made by the bundled login-profile handler, and its secret tagged for rotation. */
async function userWithProfile(userName: string, tags = true): Promise<{ arn: string; v1: string }> {
  await iam.send(new CreateUserCommand({ UserName: userName }));
  const secret = await sm.send(
    new CreateSecretCommand({
      Name: `${userName}-password`,
      Tags: tags
        ? [
            { Key: ROTATION_TAGS.userName, Value: userName },
            { Key: ROTATION_TAGS.passwordLength, Value: '20' },
            { Key: ROTATION_TAGS.passwordResetRequired, Value: 'false' },
          ]
        : [],
    }),
  );
  await loginProfile({
    RequestType: 'Create',
    RequestId: 'create-1',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
    LogicalResourceId: 'Profile',
    ResourceType: 'Custom::ConsoleLoginProfile',
    ResourceProperties: {
      UserName: userName,
      SecretArn: secret.ARN,
      SignInUrl: 'https://123456789012.signin.aws.amazon.com/console',
      PasswordLength: '20',
      PasswordResetRequired: 'false',
    },
  });
  const stages = await versionStages(sm, secret.ARN!);
  const v1 = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT'))!;
  return { arn: secret.ARN!, v1 };
}

async function password(arn: string, version: { VersionId?: string; VersionStage?: string }): Promise<string> {
  const value = await sm.send(new GetSecretValueCommand({ SecretId: arn, ...version }));
  return JSON.parse(value.SecretString!).password;
}

/** True when IAM (moto) holds the password stored in `version` of the secret. */
async function iamHolds(userName: string, arn: string, version: { VersionId?: string; VersionStage?: string }) {
  return (await motoLoginProfile(userName)).password === (await password(arn, version));
}

test('a rotation step by step, each step twice: new compliant password, IAM and AWSCURRENT in step', async () => {
  // GIVEN a login profile whose password is AWSCURRENT version v1
  const { arn, v1 } = await userWithProfile('rotor');
  const token = randomUUID();
  const names = { [v1]: 'v1, from Create', [token]: 'v2, the rotation token' };
  const lines = [`rotation of secret rotor-password, ClientRequestToken ${token}`, '  after Create:'];
  lines.push(formatStages(await versionStages(sm, arn), names));
  expect(await iamHolds('rotor', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);

  for (const step of STEPS) {
    for (const run of [1, 2]) {
      // WHEN Secrets Manager calls the step (and calls it again, as it may)
      await rotate({ SecretId: arn, ClientRequestToken: token, Step: step });
      const stages = await versionStages(sm, arn);
      lines.push(`  after ${step} (run ${run}):`, formatStages(stages, names));

      // THEN at every point the password IAM holds is recorded in the secret
      if (step === 'createSecret') {
        expect(stages).toEqual({ [v1]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
        expect(await iamHolds('rotor', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
        const fresh = await password(arn, { VersionId: token });
        expect(fresh === (await password(arn, { VersionId: v1 }))).toBe(false);
        expect(fresh).toHaveLength(20);
        expect(
          policyViolations(fresh, {
            RequireSymbols: true,
            RequireNumbers: true,
            RequireUppercaseCharacters: true,
            RequireLowercaseCharacters: true,
          }),
        ).toEqual([]);
      } else if (step !== 'finishSecret') {
        expect(stages).toEqual({ [v1]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
        expect(await iamHolds('rotor', arn, { VersionId: token, VersionStage: 'AWSPENDING' })).toBe(true);
      } else {
        expect(stages).toEqual({ [v1]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
        expect(await iamHolds('rotor', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
      }
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
  // and no log line carried a password
  const secrets = [await password(arn, { VersionId: v1 }), await password(arn, { VersionId: token })];
  expect(logs.some((line) => secrets.some((s) => line.includes(s)))).toBe(false);
});

test('fails when createSecret is asked to rotate a secret the library does not own; nothing is written', async () => {
  const { arn, v1 } = await userWithProfile('untagged', false);
  const token = randomUUID();
  await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' })).rejects.toThrow(
    /is not a cdk-console-users login profile secret/,
  );
  expect(await versionStages(sm, arn)).toEqual({ [v1]: ['AWSCURRENT'] });
  expect(await iamHolds('untagged', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
});

test('fails when setSecret finds the profile owned by another secret; the previous password keeps working', async () => {
  // GIVEN createSecret ran, then another secret claimed the user
  const { arn, v1 } = await userWithProfile('claimed');
  const token = randomUUID();
  await rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' });
  await iam.send(new TagUserCommand({ UserName: 'claimed', Tags: [{ Key: OWNER_TAG_KEY, Value: `${arn}-other` }] }));
  // WHEN / THEN
  await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'setSecret' })).rejects.toThrow(
    /is not owned by secret/,
  );
  expect(await iamHolds('claimed', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
  expect(await versionStages(sm, arn)).toEqual({ [v1]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
});

test('fails when testSecret finds IAM holding another version, and restores the AWSCURRENT password', async () => {
  // GIVEN setSecret ran, then the user's password changed outside the rotation (tag moved on)
  const { arn, v1 } = await userWithProfile('tested');
  const token = randomUUID();
  await rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' });
  await rotate({ SecretId: arn, ClientRequestToken: token, Step: 'setSecret' });
  expect(await iamHolds('tested', arn, { VersionId: token, VersionStage: 'AWSPENDING' })).toBe(true);
  await iam.send(
    new TagUserCommand({ UserName: 'tested', Tags: [{ Key: ROTATED_VERSION_TAG_KEY, Value: randomUUID() }] }),
  );
  // WHEN / THEN
  await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'testSecret' })).rejects.toThrow(
    /restored the AWSCURRENT password/,
  );
  expect(await iamHolds('tested', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
  expect(await versionStages(sm, arn)).toEqual({ [v1]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
});

test('fails when finishSecret runs for a version that is no longer pending; AWSCURRENT stays', async () => {
  // GIVEN set and tested, then AWSPENDING was taken off the version (e.g. a cancelled rotation)
  const { arn, v1 } = await userWithProfile('finished');
  const token = randomUUID();
  for (const step of ['createSecret', 'setSecret', 'testSecret']) {
    await rotate({ SecretId: arn, ClientRequestToken: token, Step: step });
  }
  await sm.send(
    new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }),
  );
  // WHEN / THEN
  await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'finishSecret' })).rejects.toThrow(
    /is not AWSPENDING; nothing to finish/,
  );
  expect((await versionStages(sm, arn))[v1]).toEqual(['AWSCURRENT']);
});

test('a second rotation after a finished one moves AWSPREVIOUS along and keeps IAM in step', async () => {
  const { arn, v1 } = await userWithProfile('twice');
  const first = randomUUID();
  const second = randomUUID();
  for (const token of [first, second]) {
    for (const step of STEPS) await rotate({ SecretId: arn, ClientRequestToken: token, Step: step });
  }
  expect(await versionStages(sm, arn)).toEqual({ [v1]: [], [first]: ['AWSPREVIOUS'], [second]: ['AWSCURRENT'] });
  expect(await iamHolds('twice', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
});

test('a reset through CloudFormation after a rotation, then another rotation: IAM and AWSCURRENT stay in step', async () => {
  // GIVEN a finished rotation
  const { arn } = await userWithProfile('mixed');
  const first = randomUUID();
  for (const step of STEPS) await rotate({ SecretId: arn, ClientRequestToken: first, Step: step });
  // WHEN the stack changes the reset token (an Update of the login profile)
  const props = {
    UserName: 'mixed',
    SecretArn: arn,
    SignInUrl: 'https://123456789012.signin.aws.amazon.com/console',
    PasswordLength: '20',
    PasswordResetRequired: 'false',
  };
  const reset = await loginProfile({
    RequestType: 'Update',
    RequestId: 'update-reset',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
    LogicalResourceId: 'Profile',
    ResourceType: 'Custom::ConsoleLoginProfile',
    PhysicalResourceId: 'mixed',
    ResourceProperties: { ...props, ResetToken: 'after-rotation' },
    OldResourceProperties: props,
  });
  // THEN the reset's version is current and IAM holds it
  const afterReset = await versionStages(sm, arn);
  const resetVersion = Object.keys(afterReset).find((id) => afterReset[id].includes('AWSCURRENT'))!;
  expect(afterReset[first]).toEqual(['AWSPREVIOUS']);
  expect(resetVersion).not.toBe(first);
  expect(await iamHolds('mixed', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
  expect(reset.PhysicalResourceId).toBe('mixed');
  // and a later rotation still works from there
  const second = randomUUID();
  for (const step of STEPS) await rotate({ SecretId: arn, ClientRequestToken: second, Step: step });
  const end = await versionStages(sm, arn);
  expect(end[second]).toEqual(['AWSCURRENT']);
  expect(end[resetVersion]).toEqual(['AWSPREVIOUS']);
  expect(await iamHolds('mixed', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
});
