/**
 * Scenarios: the bundled login-profile handler over the wire against moto, driven by the events
 * CloudFormation would send for synthesized stacks (see driver.ts for what is and is not real).
 */
import { DeleteLoginProfileCommand } from '@aws-sdk/client-iam';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { PROPERTIES_METADATA_KEY } from '../../lib/handler/contract';
import { DEFAULT_PASSWORD_POLICY } from '../../lambda/password/generator';
import { cfnLint, savedTemplates } from '../tooling/templates';
import { ACCOUNT, Driver, synthesize } from '../tooling/driver';
import { MotoHarness, useMoto } from '../tooling/moto-harness';
import { consoleUsersStack } from '../tooling/stacks';
import { STRICT_POLICY } from '../tooling/lambda-fixtures';

const moto: MotoHarness = useMoto();
const SIGN_IN_URL = `https://${ACCOUNT}.signin.aws.amazon.com/console`;

/** Nothing the handler logged or answered contains `secret`'s password. */
function expectNoPasswordLeaked(driver: Driver, ...secrets: { passwordIn(text: string): boolean }[]) {
  const answered = JSON.stringify(driver.deliveries);
  for (const secret of secrets) {
    expect(secret.passwordIn(answered)).toBe(false);
    expect(driver.logs.some((line) => secret.passwordIn(line))).toBe(false);
  }
}

describe('create', () => {
  test('with no account password policy: a profile, one AWSCURRENT version, the JSON fields, AWS default rules', async () => {
    // GIVEN an account without a password policy and a stack with one console user
    const template = synthesize('create-default', (app) => consoleUsersStack(app, ['alice']));
    const driver = moto.driver();

    // WHEN the stack is created
    await driver.deploy(template);

    // THEN alice has a login profile and her password is in the secret's only version, AWSCURRENT
    const { secretArn, attributes } = driver.loginProfile('alice');
    expect((await moto.profile('alice')).exists).toBe(true);
    const versions = await moto.versions(secretArn);
    expect(Object.values(versions)).toEqual([['AWSCURRENT']]);
    expect(attributes).toEqual({ UserName: 'alice', SecretVersionId: Object.keys(versions)[0] });
    const secret = await moto.readSecret(secretArn);
    expect(secret.fields).toEqual(['password', 'signInUrl', 'username']);
    expect(secret.username).toBe('alice');
    expect(secret.signInUrl).toBe(SIGN_IN_URL);
    expect(secret.passwordLength).toBe(24);
    expect(secret.violations(DEFAULT_PASSWORD_POLICY)).toEqual([]);
    // ...IAM got exactly that password, with the reset flag of the construct's default (true)
    expect(moto.lastPasswordSet('alice')).toBe(secret.passwordDigest());
    const creates = moto.calls('iam', 'CreateLoginProfile');
    expect(creates.map((c) => c.params.PasswordResetRequired)).toEqual(['true']);
    expect(await moto.profile('alice')).toEqual({ exists: true, passwordResetRequired: true });
    // ...the user is tagged with the secret that owns the profile
    expect((await moto.userTags('alice'))?.[OWNER_TAG_KEY]).toBe(secretArn);
    expectNoPasswordLeaked(driver, secret);
  });

  test('with a strict policy set through UpdateAccountPasswordPolicy: the password satisfies it', async () => {
    // GIVEN a policy longer than the requested length, with every class required
    const policy = STRICT_POLICY;
    await moto.setPasswordPolicy(policy);
    const template = synthesize('create-strict-policy', (app) =>
      consoleUsersStack(app, ['bob'], { passwordLength: 24 }),
    );
    const driver = moto.driver();

    // WHEN the stack is created
    await driver.deploy(template);

    // THEN the handler read the live policy and raised the length to its minimum
    // (moto does not enforce policies: compliance is checked here; MOTO_DIFFERENCES.noPasswordPolicyEnforcement)
    expect(moto.calls('iam', 'GetAccountPasswordPolicy').map((c) => c.status)).toEqual([200]);
    const secret = await moto.readSecret(driver.loginProfile('bob').secretArn);
    expect(secret.passwordLength).toBe(40);
    expect(secret.violations(policy)).toEqual([]);
    expect(moto.lastPasswordSet('bob')).toBe(secret.passwordDigest());
  });

  test('fails when the user name is not a valid IAM user name, before touching IAM', async () => {
    // GIVEN a template whose user name only resolves at deploy time (CDK cannot validate it)
    const template = synthesize('create-invalid-name', (app) => consoleUsersStack(app, ['carol']));
    const resource = Object.values(template.Resources).find((r) => r.Type === 'Custom::ConsoleLoginProfile')!;
    (resource.Properties as Record<string, unknown>).UserName = 'not a valid name';
    // ...and in its Metadata, which CloudFormation's record holds and the handler acts on
    (resource.Metadata![PROPERTIES_METADATA_KEY] as Record<string, unknown>).UserName = 'not a valid name';
    const driver = moto.driver();

    // WHEN the stack is created THEN the create fails naming the property and the rule
    await expect(driver.deploy(template)).rejects.toThrow(/UserName must be 1-64 characters/);
    expect(moto.calls('iam', 'TagUser', 'CreateLoginProfile')).toEqual([]);
    expect(moto.calls('secretsmanager', 'PutSecretValue')).toEqual([]);
  });
});

describe('update', () => {
  test('of the reset flag: the flag is sent, the password and the secret stay as they were', async () => {
    // GIVEN a deployed console user who must reset at first sign-in
    const driver = moto.driver();
    await driver.deploy(synthesize('update-flag-v1', (app) => consoleUsersStack(app, ['dave'])));
    const { secretArn } = driver.loginProfile('dave');
    const versionsBefore = await moto.versions(secretArn);
    const before = await moto.readSecret(secretArn);
    moto.proxy.calls.splice(0);

    // WHEN passwordResetRequired changes to false
    await driver.deploy(
      synthesize('update-flag-v2', (app) => consoleUsersStack(app, ['dave'], { passwordResetRequired: false })),
    );

    // THEN the handler sent one UpdateLoginProfile with the new flag and no password
    const writes = moto.calls('iam', 'CreateLoginProfile', 'UpdateLoginProfile', 'DeleteLoginProfile');
    expect(writes.map((c) => [c.action, c.params.PasswordResetRequired, 'Password' in c.params])).toEqual([
      ['UpdateLoginProfile', 'false', false],
    ]);
    // ...wrote nothing to the secret: same versions, same AWSCURRENT password
    expect(moto.calls('secretsmanager', 'PutSecretValue', 'UpdateSecretVersionStage')).toEqual([]);
    expect(await moto.versions(secretArn)).toEqual(versionsBefore);
    expect((await moto.readSecret(secretArn)).samePasswordAs(before)).toBe(true);
    expect(driver.loginProfile('dave').attributes).toEqual({ UserName: 'dave' });
    // ...and the profile has the new flag (the proxy keeps moto's password as AWS would:
    // MOTO_DIFFERENCES.flagOnlyUpdateDropsPassword)
    expect(await moto.profile('dave')).toEqual({ exists: true, passwordResetRequired: false });
  });

  test('of the reset token: a new password in place, promoted to AWSCURRENT after IAM took it', async () => {
    // GIVEN a deployed console user
    const driver = moto.driver();
    await driver.deploy(synthesize('update-token-v1', (app) => consoleUsersStack(app, ['erin'])));
    const { secretArn } = driver.loginProfile('erin');
    const first = await moto.readSecret(secretArn);

    // WHEN the reset token changes
    await driver.deploy(synthesize('update-token-v2', (app) => consoleUsersStack(app, ['erin'], { resetToken: '2' })));

    // THEN the secret has a new AWSCURRENT version, the old one is AWSPREVIOUS, no AWSPENDING remains
    const versions = await moto.versions(secretArn);
    const newVersion = driver.loginProfile('erin').attributes.SecretVersionId;
    expect(versions[newVersion]).toEqual(['AWSCURRENT']);
    expect(Object.values(versions).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
    const second = await moto.readSecret(secretArn);
    expect(second.samePasswordAs(first)).toBe(false);
    // ...and IAM has exactly that new password, set by updating the existing profile
    expect(moto.lastPasswordSet('erin')).toBe(second.passwordDigest());
    expect(moto.calls('iam', 'UpdateLoginProfile').map((c) => c.status)).toEqual([200]);
    expect((await moto.profile('erin')).exists).toBe(true);
    expectNoPasswordLeaked(driver, first, second);
  });

  test('of the user name: the new user gets a profile, then the old one loses it and is deleted', async () => {
    // GIVEN a deployed console user "frank"
    const driver = moto.driver();
    await driver.deploy(synthesize('rename-v1', (app) => consoleUsersStack(app, ['frank'])));

    // WHEN the user name changes (CloudFormation replaces the user, then deletes the old one)
    await driver.deploy(synthesize('rename-v2', (app) => consoleUsersStack(app, ['frank2'])));

    // THEN the Update answered a new physical ID, and the Delete of the old one removed frank's profile
    // (the driver refuses to delete a user that still has one, as AWS does)
    const events = driver.deliveries.map((d) => [d.event.RequestType, d.event.PhysicalResourceId ?? '-']);
    expect(events).toEqual([
      ['Create', '-'],
      ['Update', 'frank'],
      ['Delete', 'frank'],
    ]);
    expect(await moto.userTags('frank')).toBeUndefined();
    expect((await moto.profile('frank2')).exists).toBe(true);
    const secret = await moto.readSecret(driver.loginProfile('frank2').secretArn);
    expect(secret.username).toBe('frank2');
    expect(moto.lastPasswordSet('frank2')).toBe(secret.passwordDigest());
  });
});

describe('delete', () => {
  test('removes the profile before the user, and the secret', async () => {
    // GIVEN a deployed stack with one console user
    const driver = moto.driver();
    await driver.deploy(synthesize('delete', (app) => consoleUsersStack(app, ['gina'])));
    const { secretArn } = driver.loginProfile('gina');

    // WHEN the stack is deleted
    await driver.destroy();

    // THEN the handler deleted the profile (the driver checks it is gone before DeleteUser), user and secret are gone
    expect(moto.calls('iam', 'DeleteLoginProfile').map((c) => [c.params.UserName, c.status])).toEqual([['gina', 200]]);
    expect(await moto.userTags('gina')).toBeUndefined();
    expect(await moto.secretExists(secretArn)).toBe(false);
  });

  test('of a profile someone already removed succeeds', async () => {
    // GIVEN a deployed console user whose profile was deleted by hand
    const driver = moto.driver();
    await driver.deploy(synthesize('delete-removed', (app) => consoleUsersStack(app, ['hank'])));
    await moto.iam.send(new DeleteLoginProfileCommand({ UserName: 'hank' }));

    // WHEN the stack is deleted
    await driver.destroy();

    // THEN the handler's DeleteLoginProfile met NoSuchEntity (404) and counted it as done
    expect(moto.calls('iam', 'DeleteLoginProfile').map((c) => c.status)).toEqual([404]);
    expect(driver.deliveries.map((d) => [d.event.RequestType, d.error])).toEqual([
      ['Create', undefined],
      ['Delete', undefined],
    ]);
    expect(driver.logs.some((line) => line.includes('login profile was already gone'))).toBe(true);
    expect(await moto.userTags('hank')).toBeUndefined();
  });
});

test('every template synthesized here passes cfn-lint', () => {
  expect(cfnLint(savedTemplates())).toEqual([]);
});
