/**
 * The BUNDLED rotation function against moto: a rotation step by step (each step twice), each
 * step failing, and invocations Secrets Manager did not send. moto's RotateSecret sets rotation up
 * as Secrets Manager does (RotationEnabled, RotationLambdaARN, the token staged AWSPENDING without a
 * value: see test/tooling/moto-rotation.ts) but cannot run a Lambda: the test plays Secrets
 * Manager's part, invoking the bundled
 * handler with the same ClientRequestToken through createSecret, setSecret, testSecret,
 * finishSecret, in a Lambda context naming the function RotateSecret was given.
 * It prints the secret's version stages after each step (version IDs and labels only).
 */
import { randomUUID } from 'node:crypto';
import { CreateUserCommand, GetUserCommand, IAMClient, TagUserCommand } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { policyViolations } from '../../lambda/password/generator';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import {
  CFN_STACK_ID_TAG_KEY,
  PENDING_VERSION_TAG_KEY,
  ROTATED_VERSION_TAG_KEY,
  ROTATION_TAGS,
} from '../../lib/rotation/contract';
import { STACK_ID_ENV } from '../../lib/handler/contract';
import { STACK_ID } from '../tooling/lambda-fixtures';
import { useCloudFormationRecord } from '../tooling/moto-harness';
import { resetMoto } from '../tooling/moto-server';
import { bundledHandler } from '../tooling/bundles';
import { rotationFunctionArn, startRotation } from '../tooling/moto-rotation';
import { formatStages, motoLoginProfile, versionStages } from '../tooling/moto-state';

const iam = new IAMClient({});
const sm = new SecretsManagerClient({});
const rotationHandler = bundledHandler<{ SecretId: string; ClientRequestToken: string; Step: string }, void>(
  'rotation-handler',
);
const bundledLoginProfile = bundledHandler<Record<string, unknown>, { PhysicalResourceId: string }>(
  'login-profile-handler',
);
const cloudFormation = useCloudFormationRecord(STACK_ID);
/** A login-profile event delivered as CloudFormation sends it: its record in progress, with these properties. */
function loginProfile(
  event: Parameters<typeof cloudFormation.sending>[0] & Record<string, unknown>,
): Promise<{ PhysicalResourceId: string }> {
  return bundledLoginProfile(cloudFormation.sending(event), {
    invokedFunctionArn: STACK_ID.replace(/:cloudformation:(.*):stack\/.*$/, ':lambda:$1:function:login-profile'),
    getRemainingTimeInMillis: () => 120_000,
  });
}
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const OTHER_STACK_ID = STACK_ID.replace('stack/app/', 'stack/other/');

let logs: string[];
/** The stack's rotation function (RotateSecret names it; the tests invoke its bundled handler). */
const rotationFunction = rotationFunctionArn();
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

/** One step, invoked as Lambda invokes the stack's rotation function (its ARN in the context). */
function rotate(event: { SecretId: string; ClientRequestToken: string; Step: string }): Promise<void> {
  return rotationHandler(event, { invokedFunctionArn: rotationFunction, getRemainingTimeInMillis: () => 120_000 });
}

/** Secrets Manager's part: RotateSecret (staging `token`), then each step with it. */
async function rotation(arn: string, token = randomUUID()): Promise<string> {
  await startRotation(sm, arn, rotationFunction, token);
  for (const step of STEPS) await rotate({ SecretId: arn, ClientRequestToken: token, Step: step });
  return token;
}

/**
 * A user with a login profile made by the bundled login-profile handler, and its secret tagged for
 * rotation and as CloudFormation tags what it creates in stack `stackId`.
 */
async function userWithProfile(
  userName: string,
  options: { rotationTags?: boolean; stackId?: string } = {},
): Promise<{ arn: string; v1: string }> {
  await iam.send(new CreateUserCommand({ UserName: userName }));
  const secret = await sm.send(
    new CreateSecretCommand({
      Name: `${userName}-password`,
      Tags: [
        { Key: CFN_STACK_ID_TAG_KEY, Value: options.stackId ?? STACK_ID },
        { Key: 'aws:cloudformation:stack-name', Value: 'app' },
        { Key: 'aws:cloudformation:logical-id', Value: `${userName}Secret` },
        ...(options.rotationTags === false
          ? []
          : [
              { Key: ROTATION_TAGS.userName, Value: userName },
              { Key: ROTATION_TAGS.passwordLength, Value: '20' },
              { Key: ROTATION_TAGS.passwordResetRequired, Value: 'false' },
            ]),
      ],
    }),
  );
  await loginProfile({
    RequestType: 'Create',
    RequestId: 'create-1',
    StackId: STACK_ID,
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
  // and Secrets Manager (moto) started a rotation by the stack's function: rotation on, the token staged
  await startRotation(sm, arn, rotationFunction, token);
  const described = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
  expect(described.RotationEnabled).toBe(true);
  expect(described.RotationLambdaARN).toBe(rotationFunction);
  expect(described.Tags).toEqual(expect.arrayContaining([{ Key: CFN_STACK_ID_TAG_KEY, Value: STACK_ID }]));
  expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
  lines.push('  after RotateSecret:', formatStages(await versionStages(sm, arn), names));

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
  const { arn, v1 } = await userWithProfile('untagged', { rotationTags: false });
  const token = randomUUID();
  await startRotation(sm, arn, rotationFunction, token);
  await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' })).rejects.toThrow(
    /is not a cdk-console-users login profile secret/,
  );
  expect(await versionStages(sm, arn)).toEqual({ [v1]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
  expect(await iamHolds('untagged', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
});

test('fails when setSecret finds the profile owned by another secret; the previous password keeps working', async () => {
  // GIVEN createSecret ran, then another secret claimed the user
  const { arn, v1 } = await userWithProfile('claimed');
  const token = randomUUID();
  await startRotation(sm, arn, rotationFunction, token);
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
  await startRotation(sm, arn, rotationFunction, token);
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
  await startRotation(sm, arn, rotationFunction, token);
  for (const step of ['createSecret', 'setSecret', 'testSecret']) {
    await rotate({ SecretId: arn, ClientRequestToken: token, Step: step });
  }
  await sm.send(
    new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }),
  );
  // WHEN / THEN
  await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'finishSecret' })).rejects.toThrow(
    /is not staged AWSPENDING \(stages \[\]\)/,
  );
  expect((await versionStages(sm, arn))[v1]).toEqual(['AWSCURRENT']);
});

test('a second rotation after a finished one moves AWSPREVIOUS along and keeps IAM in step', async () => {
  const { arn, v1 } = await userWithProfile('twice');
  const first = randomUUID();
  const second = randomUUID();
  for (const token of [first, second]) await rotation(arn, token);
  expect(await versionStages(sm, arn)).toEqual({ [v1]: [], [first]: ['AWSPREVIOUS'], [second]: ['AWSCURRENT'] });
  expect(await iamHolds('twice', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
});

test('a reset through CloudFormation after a rotation, then another rotation: IAM and AWSCURRENT stay in step', async () => {
  // GIVEN a finished rotation
  const { arn } = await userWithProfile('mixed');
  const first = await rotation(arn);
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
    StackId: STACK_ID,
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
  const second = await rotation(arn);
  const end = await versionStages(sm, arn);
  expect(end[second]).toEqual(['AWSCURRENT']);
  expect(end[resetVersion]).toEqual(['AWSPREVIOUS']);
  expect(await iamHolds('mixed', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
});

/** The user's tags in moto. */
async function userTags(userName: string): Promise<Record<string, string>> {
  const user = await iam.send(new GetUserCommand({ UserName: userName }));
  return Object.fromEntries((user.User?.Tags ?? []).map((t) => [t.Key!, t.Value!]));
}

/** A password someone with secretsmanager:PutSecretValue chose (they know it). */
const PLANTED = JSON.stringify({
  username: 'alice',
  password: 'Planted-Password-4$jklMNO',
  signInUrl: 'https://123456789012.signin.aws.amazon.com/console',
});

interface ForgedScenario {
  readonly name: string;
  /** Sets the world up for `alice` (whose login profile exists) and says what the invoker sends. */
  readonly given: (alice: { arn: string }) => Promise<{ token: string; steps: string[]; secret?: string }>;
  readonly refusal: RegExp;
  /** Another user whose password must not change. */
  readonly bystander?: string;
}

// A value planted after createSecret's write cannot be shown here: moto lets PutSecretValue replace
// a version's value (MOTO_DIFFERENCES.putSecretValueOverwrites); AWS answers ResourceExists. The
// handler tests cover it, and a value planted between createSecret's tag and its write.
const FORGED: ForgedScenario[] = [
  {
    name: 'a value planted with PutSecretValue under the pending token, then setSecret, then the createSecret Secrets Manager sends',
    given: async ({ arn }) => {
      const token = randomUUID();
      await startRotation(sm, arn, rotationFunction, token);
      await sm.send(
        new PutSecretValueCommand({
          SecretId: arn,
          ClientRequestToken: token,
          SecretString: PLANTED,
          VersionStages: ['AWSPENDING'],
        }),
      );
      return { token, steps: ['setSecret', 'createSecret', 'setSecret'] };
    },
    refusal: /was not written by this function \(tag cdk-console-users:pending-version of alice is absent\)/,
  },
  {
    name: 'a secret of another stack',
    given: async () => {
      const other = await userWithProfile('outsider', { stackId: OTHER_STACK_ID });
      const token = randomUUID();
      await startRotation(sm, other.arn, rotationFunction, token);
      return { token, steps: ['createSecret'], secret: other.arn };
    },
    refusal: /was not created by this function's stack \(tag aws:cloudformation:stack-id is ".*stack\/other\//,
  },
  {
    name: 'a secret whose rotation was never set up (no RotateSecret)',
    given: async () => ({ token: randomUUID(), steps: ['createSecret', 'setSecret'] }),
    refusal: /rotation of secret .*alice-password.* is not enabled/,
  },
  {
    name: 'a secret rotated by another function',
    given: async ({ arn }) => {
      const token = randomUUID();
      await startRotation(sm, arn, rotationFunctionArn('someone-elses-rotation'), token);
      return { token, steps: ['createSecret'] };
    },
    refusal: /is rotated by .*function:someone-elses-rotation, not by this function/,
  },
  {
    name: 'a token RotateSecret did not stage',
    given: async ({ arn }) => {
      await startRotation(sm, arn, rotationFunction, randomUUID());
      return { token: randomUUID(), steps: ['createSecret', 'setSecret', 'finishSecret'] };
    },
    refusal: /is not staged AWSPENDING \(no such version\)/,
  },
  {
    name: "the secret's user-name tag changed (TagResource) to another user of the stack",
    given: async ({ arn }) => {
      await userWithProfile('victim');
      await sm.send(
        new TagResourceCommand({ SecretId: arn, Tags: [{ Key: ROTATION_TAGS.userName, Value: 'victim' }] }),
      );
      const token = randomUUID();
      await startRotation(sm, arn, rotationFunction, token);
      return { token, steps: ['createSecret', 'setSecret'] };
    },
    refusal: /the login profile of victim is not owned by secret .*alice-password/,
    bystander: 'victim',
  },
  {
    name: 'setSecret before createSecret',
    given: async ({ arn }) => {
      const token = randomUUID();
      await startRotation(sm, arn, rotationFunction, token);
      return { token, steps: ['setSecret'] };
    },
    refusal: /holds no pending password; run createSecret first/,
  },
  {
    name: 'finishSecret before setSecret',
    given: async ({ arn }) => {
      const token = randomUUID();
      await startRotation(sm, arn, rotationFunction, token);
      await rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' });
      return { token, steps: ['finishSecret'] };
    },
    refusal: /user alice does not hold version .* run setSecret first, AWSCURRENT stays/,
  },
];

test.each(FORGED.map((f) => [f.name, f] as const))('refuses %s: no password set, nothing written', async (_, f) => {
  // GIVEN alice's login profile (and whatever the invoker prepared)
  const alice = await userWithProfile('alice');
  const { token, steps, secret } = (await f.given(alice)) as { token: string; steps: string[]; secret?: string };
  const target = secret ?? alice.arn;
  const before = {
    stages: await versionStages(sm, target),
    alice: await userTags('alice'),
    profiles: { alice: (await motoLoginProfile('alice')).password },
  };
  const bystander = f.bystander ? (await motoLoginProfile(f.bystander)).password : undefined;
  // WHEN the invoker sends each step, THEN each is refused, saying why
  for (const step of steps) {
    await expect(rotate({ SecretId: target, ClientRequestToken: token, Step: step })).rejects.toThrow(f.refusal);
  }
  // and nothing changed: the secret's versions, the user's tags, every password
  expect(await versionStages(sm, target)).toEqual(before.stages);
  expect(await userTags('alice')).toEqual(before.alice);
  expect((await motoLoginProfile('alice')).password === before.profiles.alice).toBe(true);
  expect(await iamHolds('alice', alice.arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
  if (f.bystander) expect((await motoLoginProfile(f.bystander)).password === bystander).toBe(true);
});

test('a rotation whose createSecret crashed between its tag and its write completes on the retry', async () => {
  // GIVEN Secrets Manager started a rotation, and createSecret's first run got as far as the tag
  // (the tag a run writes before PutSecretValue, with a commitment that no value matches yet)
  const { arn, v1 } = await userWithProfile('crashed');
  const token = randomUUID();
  await startRotation(sm, arn, rotationFunction, token);
  await iam.send(
    new TagUserCommand({
      UserName: 'crashed',
      Tags: [{ Key: PENDING_VERSION_TAG_KEY, Value: `${token}/${'0'.repeat(64)}` }],
    }),
  );
  // WHEN Secrets Manager retries createSecret with the same token, and runs the other steps
  for (const step of STEPS) await rotate({ SecretId: arn, ClientRequestToken: token, Step: step });
  // THEN the new password is current and IAM holds it
  expect(await versionStages(sm, arn)).toEqual({ [v1]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
  expect(await iamHolds('crashed', arn, { VersionStage: 'AWSCURRENT' })).toBe(true);
  expect((await userTags('crashed'))[PENDING_VERSION_TAG_KEY]).not.toBe(`${token}/${'0'.repeat(64)}`);
});
