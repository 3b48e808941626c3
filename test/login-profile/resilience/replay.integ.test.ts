/**
 * Scenarios: every event delivered twice with the same RequestId (Lambda retries an asynchronous
 * invocation; CloudFormation may resend), a late redelivery after later events, and the rollback
 * CloudFormation sends after a failed update.
 */
import { cfnLint, savedTemplates } from '../../tooling/templates';
import { synthesize } from '../../tooling/driver';
import { MotoHarness, useMoto } from '../../tooling/moto-harness';
import { CreateUserCommand } from '@aws-sdk/client-iam';
import { OWNER_TAG_KEY } from '../../../lib/login-profile/contract';
import { consoleUsersStack, importedUserStack } from '../../tooling/stacks';

const moto: MotoHarness = useMoto();

test('replay of every event (Create, Update flag, Update token, Delete) changes nothing the first delivery did', async () => {
  // GIVEN a driver that delivers each event twice
  const driver = moto.driver({ deliveries: 2 });

  // WHEN the stack is created
  await driver.deploy(synthesize('replay-v1', (app) => consoleUsersStack(app, ['jane'])));
  const { secretArn } = driver.loginProfile('jane');

  // THEN one secret version, whose password IAM has; the replayed Create answered the same
  expect(Object.values(await moto.versions(secretArn))).toEqual([['AWSCURRENT']]);
  const created = await moto.readSecret(secretArn);
  expect(moto.lastPasswordSet('jane')).toBe(created.passwordDigest());

  // WHEN the reset flag changes, then the reset token
  await driver.deploy(
    synthesize('replay-v2', (app) => consoleUsersStack(app, ['jane'], { passwordResetRequired: false })),
  );
  expect(Object.values(await moto.versions(secretArn))).toEqual([['AWSCURRENT']]);
  await driver.deploy(
    synthesize('replay-v3', (app) =>
      consoleUsersStack(app, ['jane'], { passwordResetRequired: false, resetToken: 'r1' }),
    ),
  );

  // THEN the token's replay reused the version its first delivery wrote: two versions in all
  const versions = await moto.versions(secretArn);
  expect(Object.values(versions).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
  const reset = await moto.readSecret(secretArn);
  expect(reset.samePasswordAs(created)).toBe(false);
  expect(moto.lastPasswordSet('jane')).toBe(reset.passwordDigest());
  expect((await moto.profile('jane')).exists).toBe(true);

  // WHEN the stack is deleted (the Delete is delivered twice as well)
  await driver.destroy();

  // THEN every event was answered twice, identically, without an error
  const byRequest = new Map<string, unknown[]>();
  for (const d of driver.deliveries) {
    expect(d.error).toBeUndefined();
    byRequest.set(d.event.RequestId, [...(byRequest.get(d.event.RequestId) ?? []), d.response]);
  }
  expect([...byRequest.values()].map((responses) => responses.length)).toEqual([2, 2, 2, 2]);
  for (const [first, second] of byRequest.values()) expect(second).toEqual(first);
  expect(driver.deliveries.map((d) => d.event.RequestType)).toEqual([
    'Create',
    'Create',
    'Update',
    'Update',
    'Update',
    'Update',
    'Delete',
    'Delete',
  ]);
  expect((await moto.userTags('jane')) ?? 'gone').toBe('gone');
});

test('replay of a replacement: the Update to a new user and the Delete of the old physical ID, each twice', async () => {
  // GIVEN a deployed user "lena", and a driver delivering every event twice
  const driver = moto.driver({ deliveries: 2 });
  await driver.deploy(synthesize('replay-rename-v1', (app) => consoleUsersStack(app, ['lena'])));

  // WHEN the user is renamed to "lena2" (new physical ID, then the old one is deleted)
  await driver.deploy(synthesize('replay-rename-v2', (app) => consoleUsersStack(app, ['lena2'])));

  // THEN each event got the same answer twice, without errors
  expect(
    driver.deliveries.map((d) => [d.event.RequestType, d.delivery, d.response?.PhysicalResourceId, d.error]),
  ).toEqual([
    ['Create', 1, 'lena', undefined],
    ['Create', 2, 'lena', undefined],
    ['Update', 1, 'lena2', undefined],
    ['Update', 2, 'lena2', undefined],
    ['Delete', 1, 'lena', undefined],
    ['Delete', 2, 'lena', undefined],
  ]);
  // ...the old user is gone (its profile first), the new one has the AWSCURRENT password, and the
  // replayed Update wrote no second version
  expect(await moto.userTags('lena')).toBeUndefined();
  const { secretArn } = driver.loginProfile('lena2');
  expect(Object.values(await moto.versions(secretArn)).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
  const secret = await moto.readSecret(secretArn);
  expect(secret.username).toBe('lena2');
  expect(moto.lastPasswordSet('lena2')).toBe(secret.passwordDigest());
});

test('rollback of a failed update (user that does not exist): the previous user has a working profile again', async () => {
  // GIVEN an imported user "outside" with a deployed profile
  await moto.iam.send(new CreateUserCommand({ UserName: 'outside' }));
  // A short handler timeout makes the wait for the missing user give up early: 21 s, less the 10 s
  // safety margin, leaves an Update 11 s (a Create 3 s: it keeps 8 s for its undo).
  const driver = moto.driver({ stackName: 'IntegImported', handlerTimeoutSeconds: 21 });
  await driver.deploy(synthesize('rollback-v1', (app) => importedUserStack(app, 'outside')));

  // WHEN an update points the profile at a user that does not exist, fails, and is rolled back
  await expect(driver.deploy(synthesize('rollback-v2', (app) => importedUserStack(app, 'ghost')))).rejects.toThrow(
    /IAM user "ghost" does not exist/,
  );
  await driver.rollback();

  // THEN CloudFormation's rollback Update (old and new properties swapped) succeeded
  const rollbackEvent = driver.deliveries[driver.deliveries.length - 1];
  expect([
    rollbackEvent.event.RequestType,
    rollbackEvent.event.PhysicalResourceId,
    rollbackEvent.event.ResourceProperties.UserName,
    rollbackEvent.event.OldResourceProperties?.UserName,
    rollbackEvent.error,
  ]).toEqual(['Update', 'outside', 'outside', 'ghost', undefined]);
  // ...and "outside" has a profile whose password is the AWSCURRENT one of the secret that owns the user
  const { secretArn } = driver.loginProfile('outside');
  expect((await moto.profile('outside')).exists).toBe(true);
  const secret = await moto.readSecret(secretArn);
  expect(secret.username).toBe('outside');
  expect(moto.lastPasswordSet('outside')).toBe(secret.passwordDigest());
  expect((await moto.userTags('outside'))?.[OWNER_TAG_KEY]).toBe(secretArn);
});

// A Create delivered again AFTER a later reset must not set the Create's password (now
// AWSPREVIOUS) on IAM: IAM's password must stay the AWSCURRENT one.
test('a late redelivery of the Create after a reset does not bring back the old password', async () => {
  // GIVEN a created profile whose password was then reset by a new token
  const driver = moto.driver();
  await driver.deploy(synthesize('late-v1', (app) => consoleUsersStack(app, ['kate'])));
  const create = driver.deliveries[0].event;
  await driver.deploy(synthesize('late-v2', (app) => consoleUsersStack(app, ['kate'], { resetToken: 'r1' })));
  const { secretArn } = driver.loginProfile('kate');
  const current = await moto.readSecret(secretArn);

  // WHEN the first Create is delivered again, late
  const from = moto.proxy.calls.length;
  await expect(driver.redeliver(create)).rejects.toThrow(/^Create of \S+ failed: Refused: /);

  // THEN CloudFormation's record (the profile UPDATE_COMPLETE) refuses it before any IAM or
  // Secrets Manager call
  expect(moto.proxy.calls.slice(from).map((c) => `${c.service}:${c.action}`)).toEqual([
    'cloudformation:DescribeStackResource',
  ]);
  // ...and IAM and AWSCURRENT still agree: the password IAM has is the one in AWSCURRENT
  const after = await moto.readSecret(secretArn);
  expect(after.samePasswordAs(current)).toBe(true);
  expect(moto.lastPasswordSet('kate')).toBe(after.passwordDigest());
});

test('every template synthesized here passes cfn-lint', () => {
  expect(cfnLint(savedTemplates())).toEqual([]);
});
