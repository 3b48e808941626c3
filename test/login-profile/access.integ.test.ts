/**
 * Console access off and on, deployed by the test driver with the BUNDLED login-profile handler
 * against moto: every event delivered twice; a reset token while off; a call of the off switch
 * applied and never answered, then CloudFormation's rollback; and the templates pass cfn-lint.
 */
import { synthesize } from '../tooling/driver';
import { MotoHarness, useMoto } from '../tooling/moto-harness';
import { consoleUsersStack } from '../tooling/stacks';
import { cfnLint, savedTemplates } from '../tooling/templates';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';

const moto: MotoHarness = useMoto();
/** The keys of the secret's value while access is off (sorted): no password. */
const OFF_FIELDS = ['consoleAccess', 'signInUrl', 'username'];

/** The secret holds the documented off value for `userName`, and nothing staged AWSPENDING. */
async function expectOff(userName: string, secretArn: string): Promise<void> {
  const current = await moto.readSecret(secretArn);
  expect(current.fields).toEqual(OFF_FIELDS);
  expect(current.username).toBe(userName);
  expect(current.passwordLength).toBe(0);
  expect(Object.values(await moto.versions(secretArn)).filter((stages) => stages.includes('AWSPENDING'))).toEqual([]);
  expect((await moto.profile(userName)).exists).toBe(false);
}

test('off, a reset token while off, then on, then a stack delete: each event delivered twice', async () => {
  // GIVEN a deployed user with console access, each event delivered twice
  const driver = moto.driver({ deliveries: 2 });
  await driver.deploy(synthesize('access-v1', (app) => consoleUsersStack(app, ['ana'])));
  const { secretArn } = driver.loginProfile('ana');
  const first = await moto.readSecret(secretArn);

  // WHEN console access is switched off
  await driver.deploy(synthesize('access-v2', (app) => consoleUsersStack(app, ['ana'], { consoleAccess: false })));
  // THEN no profile, the user and its claim stay, the secret holds the off value, in one new version
  await expectOff('ana', secretArn);
  expect((await moto.userTags('ana'))?.[OWNER_TAG_KEY]).toBe(secretArn);
  expect(Object.values(await moto.versions(secretArn)).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);

  // WHEN the reset token changes while access is off
  const versions = await moto.versions(secretArn);
  await driver.deploy(
    synthesize('access-v3', (app) => consoleUsersStack(app, ['ana'], { consoleAccess: false, resetToken: 'r1' })),
  );
  // THEN nothing was issued
  expect(await moto.versions(secretArn)).toEqual(versions);
  await expectOff('ana', secretArn);

  // WHEN console access is switched back on
  await driver.deploy(synthesize('access-v4', (app) => consoleUsersStack(app, ['ana'], { resetToken: 'r1' })));
  // THEN a new password, AWSCURRENT and IAM's, unlike the first one
  const issued = await moto.readSecret(secretArn);
  expect(issued.fields).toEqual(['password', 'signInUrl', 'username']);
  expect(issued.samePasswordAs(first)).toBe(false);
  expect((await moto.profile('ana')).exists).toBe(true);
  expect(moto.lastPasswordSet('ana')).toBe(issued.passwordDigest());

  // WHEN the stack is deleted
  await driver.destroy();

  // THEN every event was answered twice, identically, without an error
  const byRequest = new Map<string, unknown[]>();
  for (const d of driver.deliveries) {
    expect(d.error).toBeUndefined();
    byRequest.set(d.event.RequestId, [...(byRequest.get(d.event.RequestId) ?? []), d.response]);
  }
  for (const [one, two] of byRequest.values()) expect(two).toEqual(one);
  expect(byRequest.size).toBe(5);
  expect((await moto.userTags('ana')) ?? 'gone').toBe('gone');
}, 120_000);

test('a user created with console access off, then deleted with it off', async () => {
  const driver = moto.driver();
  await driver.deploy(synthesize('access-off-v1', (app) => consoleUsersStack(app, ['bo'], { consoleAccess: false })));
  const { secretArn } = driver.loginProfile('bo');
  await expectOff('bo', secretArn);
  expect(moto.calls('iam', 'CreateLoginProfile', 'UpdateLoginProfile')).toEqual([]);
  await driver.destroy();
  expect((await moto.userTags('bo')) ?? 'gone').toBe('gone');
}, 60_000);

test.each(['DeleteLoginProfile', 'PutSecretValue'])(
  'switching off, %s applied and never answered: the Update fails in time, the rollback issues a working password',
  async (action) => {
    // GIVEN a deployed user with console access, and IAM or Secrets Manager applying `action` without answering
    const driver = moto.driver({ stackName: `IntegAccess${action}`, handlerTimeoutSeconds: 30 });
    await driver.deploy(synthesize(`access-unanswered-${action}-v1`, (app) => consoleUsersStack(app, ['cy'])));
    const { secretArn } = driver.loginProfile('cy');
    moto.proxy.inject({ kind: 'AppliedNoAnswer', action });

    // WHEN console access is switched off, fails, and CloudFormation rolls back
    await expect(
      driver.deploy(
        synthesize(`access-unanswered-${action}-v2`, (app) => consoleUsersStack(app, ['cy'], { consoleAccess: false })),
      ),
    ).rejects.toThrow(new RegExp(`${action} did not answer within \\d+ ms`));
    // ...the call applied: the profile is gone (a password in the secret nobody can use)
    expect((await moto.profile('cy')).exists).toBe(false);
    moto.proxy.clearFaults();
    await driver.rollback();

    // THEN the rollback (access on) gave cy a profile whose password is the secret's AWSCURRENT
    const rollback = driver.deliveries[driver.deliveries.length - 1];
    expect([rollback.event.RequestType, rollback.event.ResourceProperties.ConsoleAccess, rollback.error]).toEqual([
      'Update',
      undefined,
      undefined,
    ]);
    const current = await moto.readSecret(secretArn);
    expect((await moto.profile('cy')).exists).toBe(true);
    expect(moto.lastPasswordSet('cy')).toBe(current.passwordDigest());
  },
  120_000,
);

test('every template synthesized here passes cfn-lint', () => {
  expect(cfnLint(savedTemplates())).toEqual([]);
});
