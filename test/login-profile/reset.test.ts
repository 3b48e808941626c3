/** Reset in place (a new `ResetToken`) and a reset-flag-only change, against the fake. */
import { LoginProfileEvent } from '../../lambda/login-profile';
import { versionToken } from '../../lambda/login-profile/plan';
import { MAX_ATTEMPTS } from '../../lambda/aws/call';
import { policyViolations } from '../../lambda/password/generator';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { FakeAws, installFake } from '../tooling/fake-aws';
import { assertNoPasswordIn, failureOf, invoke } from '../tooling/fault-harness';
import {
  LoginProfileProps,
  RESET_TOKEN_CALLS,
  SIGN_IN_URL,
  STACK_ID,
  loginProfileSource,
  secretArn,
  updateEventOf,
  loginProfileProperties,
} from '../tooling/lambda-fixtures';

const ARN = secretArn('alice-password');
const OLD_VERSION = '11111111-1111-4111-8111-111111111111';
/** The password the user has now: in IAM and in the secret's AWSCURRENT version. */
const OLD_PASSWORD = 'Old-Password-1!abcdefXYZ';
const PROPS: LoginProfileProps = {
  UserName: 'alice',
  SecretArn: ARN,
  PasswordLength: '16',
  PasswordResetRequired: 'false',
  ResetToken: 'one',
};
const POLICY = { MinimumPasswordLength: 20, RequireSymbols: true, RequireNumbers: true };
const LOGICAL_ID = 'AliceLoginProfile';
const REQUEST_ID = 'request-7';
const NEW_VERSION = versionToken(
  { stackId: STACK_ID, logicalResourceId: LOGICAL_ID, requestId: REQUEST_ID, requestType: 'Update' },
  0,
);

let fake: FakeAws;
let output: string;

beforeEach(() => {
  jest.useFakeTimers();
  fake = new FakeAws();
  installFake(fake);
  // GIVEN a deployed login profile: the user's password is the secret's AWSCURRENT version
  fake.passwordPolicy = POLICY;
  fake.createUser('alice', '/', { [OWNER_TAG_KEY]: ARN });
  fake.setProfileByHand('alice', OLD_PASSWORD);
  fake.createSecret('alice-password', { arn: ARN });
  fake.putVersionByHand(
    ARN,
    OLD_VERSION,
    JSON.stringify({ username: 'alice', password: OLD_PASSWORD, signInUrl: SIGN_IN_URL }),
    ['AWSCURRENT'],
  );
  output = '';
});
afterEach(() => {
  jest.useRealTimers();
  // Whatever happened, no password the fake saw reached any output (logs, stdout, stderr, errors, responses).
  assertNoPasswordIn(fake, output);
});

async function update(props: Partial<LoginProfileProps>) {
  const event: LoginProfileEvent = updateEventOf(
    loginProfileSource(LOGICAL_ID, { ...PROPS, ...props }, REQUEST_ID),
    'alice',
    loginProfileProperties(PROPS),
  );
  const result = await invoke(event);
  output = result.output;
  return result;
}

test('a new reset token issues a new compliant password in place: AWSPENDING, IAM, then AWSCURRENT', async () => {
  // WHEN only the reset token changes
  const { response, error } = await update({ ResetToken: 'two' });
  expect(error).toBeUndefined();

  // THEN exactly these calls: the new password is written to the same secret as AWSPENDING first,
  // the same user gets it, then the new version is promoted; no new profile, no delete, no tags
  expect(fake.commands()).toEqual(RESET_TOKEN_CALLS);
  const password = fake.valueAt(ARN, 'AWSCURRENT')!.password!;
  const names = { [password]: '<new>', [OLD_PASSWORD]: '<old>' };
  expect(fake.inputsOf('PutSecretValue', names)).toEqual([
    {
      SecretId: ARN,
      ClientRequestToken: NEW_VERSION,
      SecretString: JSON.stringify({ username: 'alice', password: '<new>', signInUrl: SIGN_IN_URL }),
      VersionStages: ['AWSPENDING'],
    },
  ]);
  expect(password.length).toBe(20); // 16 requested, raised to the policy's 20
  expect(policyViolations(password, POLICY)).toEqual([]);
  // with the configured reset flag
  expect(fake.inputsOf('UpdateLoginProfile', names)).toEqual([
    { UserName: 'alice', Password: '<new>', PasswordResetRequired: false },
  ]);
  // the new version is promoted to AWSCURRENT (the old one loses it) and AWSPENDING is cleared
  expect(fake.inputsOf('UpdateSecretVersionStage')).toEqual([
    { SecretId: ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: NEW_VERSION, RemoveFromVersionId: OLD_VERSION },
    { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: NEW_VERSION },
  ]);
  expect(fake.stagesOf(ARN)).toEqual({ [OLD_VERSION]: ['AWSPREVIOUS'], [NEW_VERSION]: ['AWSCURRENT'] });
  expect(fake.profileOf('alice')!.password === password).toBe(true);
  // no replacement: same physical ID
  expect(response).toEqual({ PhysicalResourceId: 'alice', Data: { UserName: 'alice', SecretVersionId: NEW_VERSION } });
});

test('changing only passwordResetRequired updates the flag and issues no new password', async () => {
  const { response } = await update({ PasswordResetRequired: 'true' });

  expect(fake.commands()).toEqual(['UpdateLoginProfile']);
  expect(fake.inputsOf('UpdateLoginProfile')).toEqual([
    { UserName: 'alice', Password: undefined, PasswordResetRequired: true },
  ]);
  expect(response).toEqual({ PhysicalResourceId: 'alice', Data: { UserName: 'alice' } });
  expect(fake.profileOf('alice')).toEqual({ password: OLD_PASSWORD, resetRequired: true });
  expect(fake.versionCount(ARN)).toBe(1);
});

test('fails when IAM refuses the new password: AWSCURRENT keeps the working one and no password leaks', async () => {
  // GIVEN IAM rejects the update for a reason a retry does not fix, echoing the request in its message
  fake.inject({ command: 'UpdateLoginProfile', kind: 'LimitExceeded', count: 100, echoInput: true });
  // WHEN
  const failed = await update({ ResetToken: 'two' });
  // THEN the Update fails, nothing moved AWSCURRENT, IAM keeps the old password, and the message holds no password
  const message = failureOf(failed);
  expect(message).toMatch(/Update of login profile AliceLoginProfile failed: LimitExceeded/);
  // (the SDK classes LimitExceededException as throttling: it retried the same request, then gave up)
  expect(fake.calls.map((c) => [c.command, c.outcome])).toEqual([
    ['GetAccountPasswordPolicy', 'ok'],
    ['PutSecretValue', 'ok'],
    ...Array(MAX_ATTEMPTS).fill(['UpdateLoginProfile', 'LimitExceededException']),
  ]);
  expect(new Set(fake.inputsOf('UpdateLoginProfile').map((input) => JSON.stringify(input))).size).toBe(1);
  expect(fake.stagesOf(ARN)).toEqual({ [OLD_VERSION]: ['AWSCURRENT'], [NEW_VERSION]: ['AWSPENDING'] });
  expect(fake.profileOf('alice')!.password === OLD_PASSWORD).toBe(true);
  expect(fake.passwordsEverSeen.size).toBe(2);
  assertNoPasswordIn(fake, message);
});

test('the same reset token again (no change) issues nothing', async () => {
  const { response } = await update({});
  expect(fake.calls).toEqual([]);
  expect(response!.PhysicalResourceId).toBe('alice');
});
