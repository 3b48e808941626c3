/**
 * A stack with a `BreakGlassUser`, a `ConsoleUser` with `requireMfa` and `SignInAlerts`, deployed
 * onto moto by the suite's driver (users, secrets and the bundled handlers real; the rest
 * placeholders, see test/tooling/driver.ts): the shared MFA policy, the secret's resource policy
 * and the alerts change nothing of the login profiles' deployment, and cfn-lint passes the template.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BreakGlassUser, ConsoleUser, LoginProfile, SignInAlerts } from '../../lib';
import { DEFAULT_PASSWORD_POLICY } from '../../lambda/password/generator';
import { CreateUserCommand } from '@aws-sdk/client-iam';
import { synthesize } from '../tooling/driver';
import { MotoHarness, useMoto } from '../tooling/moto-harness';
import { cfnLint, savedTemplates } from '../tooling/templates';

const moto: MotoHarness = useMoto();

test('break-glass, MFA and alerts in one stack: every profile created with its password in its secret, all removed on delete', async () => {
  // GIVEN a vendor user that exists already, and a stack with a break-glass user (and a reader), a
  // console user and the imported vendor with requireMfa, and alerts for all three
  await moto.iam.send(new CreateUserCommand({ UserName: 'vendor' }));
  const template = synthesize('break-glass', (app) => {
    const stack = new Stack(app, 'IntegBreakGlass');
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    const breakGlass = new BreakGlassUser(stack, 'BreakGlass', {
      userName: 'break-glass',
      path: '/emergency/',
      readers: [reader],
      rotation: { automaticallyAfter: Duration.days(30) },
    });
    const operator = new ConsoleUser(stack, 'Operator', { userName: 'operator', requireMfa: true });
    const vendor = iam.User.fromUserName(stack, 'Vendor', 'vendor');
    new LoginProfile(stack, 'VendorLogin', { user: vendor, requireMfa: true });
    breakGlass.signInAlerts.addUser(operator);
    new SignInAlerts(stack, 'VendorAlerts', { users: [vendor] });
    return stack;
  });
  const driver = moto.driver({ stackName: 'IntegBreakGlass' });

  // WHEN it is created
  await driver.deploy(template);

  // THEN each user has a profile whose password is the one in its secret; the break-glass one has
  // 32 characters and no reset, the others the defaults
  const expected = {
    'break-glass': { length: 32, reset: false },
    'operator': { length: 24, reset: true },
    'vendor': { length: 24, reset: true },
  };
  for (const [name, { length, reset }] of Object.entries(expected)) {
    expect(await moto.profile(name)).toEqual({ exists: true, passwordResetRequired: reset });
    const secret = await moto.readSecret(driver.loginProfile(name).secretArn);
    expect(secret.username).toBe(name);
    expect(secret.passwordLength).toBe(length);
    expect(secret.violations(DEFAULT_PASSWORD_POLICY)).toEqual([]);
    expect(moto.lastPasswordSet(name)).toBe(secret.passwordDigest());
  }

  // WHEN it is deleted THEN no profile remains, the stack's users are gone, the vendor stays
  await driver.destroy();
  for (const name of ['break-glass', 'operator']) expect(await moto.userTags(name)).toBeUndefined();
  expect((await moto.profile('vendor')).exists).toBe(false);
  expect(await moto.userTags('vendor')).toBeDefined();
});

test('the template passes cfn-lint', () => {
  expect(savedTemplates().length).toBeGreaterThan(0);
  expect(cfnLint(savedTemplates())).toEqual([]);
});
