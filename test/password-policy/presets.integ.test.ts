/**
 * Each password-policy preset deployed onto moto by the suite's driver (the bundled
 * account-password-policy and login-profile handlers): the policy IAM then holds meets its
 * standard's criteria (test/password-policy/standards.ts, from the control text), the password the
 * login profile gets satisfies it, and deleting the stack removes the policy again.
 * moto does not enforce password policies: compliance is checked here.
 */
import { Stack } from 'aws-cdk-lib';
import { GetAccountPasswordPolicyCommand, PasswordPolicy } from '@aws-sdk/client-iam';
import { AccountPasswordPolicy, ConsoleUser, PasswordPolicyPreset } from '../../lib';
import { synthesize } from '../tooling/driver';
import { MotoHarness, useMoto } from '../tooling/moto-harness';
import { IamPolicy, PRESET_STANDARD, unmet } from './standards';

const moto: MotoHarness = useMoto();

async function policyInIam(): Promise<PasswordPolicy | undefined> {
  try {
    return (await moto.iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
  } catch (e) {
    if ((e as Error).name === 'NoSuchEntityException' || (e as Error).name === 'NoSuchEntity') return undefined;
    throw e;
  }
}

function asCriteriaInput(p: PasswordPolicy): IamPolicy {
  return {
    minimumPasswordLength: p.MinimumPasswordLength ?? 6,
    requireUppercase: p.RequireUppercaseCharacters === true,
    requireLowercase: p.RequireLowercaseCharacters === true,
    requireSymbols: p.RequireSymbols === true,
    requireNumbers: p.RequireNumbers === true,
    passwordReusePrevention: p.PasswordReusePrevention,
    maxPasswordAgeDays: p.ExpirePasswords ? p.MaxPasswordAge : undefined,
  };
}

test.each(Object.values(PasswordPolicyPreset))(
  '%s: IAM holds a policy that meets its standard, the password satisfies it, delete removes it',
  async (preset) => {
    // GIVEN a stack with the preset policy and a console user
    const template = synthesize(`preset-${preset}`, (app) => {
      const stack = new Stack(app, 'IntegPresets');
      new AccountPasswordPolicy(stack, 'PasswordPolicy', { preset });
      new ConsoleUser(stack, 'Alice', { userName: 'alice' });
      return stack;
    });
    const driver = moto.driver({ stackName: 'IntegPresets' });
    expect(await policyInIam()).toBeUndefined();

    // WHEN it is deployed
    await driver.deploy(template);

    // THEN IAM's policy meets the standard's criteria, and the issued password satisfies it
    const policy = await policyInIam();
    expect(policy).toBeDefined();
    expect(unmet(PRESET_STANDARD[preset], asCriteriaInput(policy!))).toEqual([]);
    const secret = await moto.readSecret(driver.loginProfile('alice').secretArn);
    expect(secret.violations(policy!)).toEqual([]);
    expect(moto.lastPasswordSet('alice')).toBe(secret.passwordDigest());

    // WHEN it is deleted THEN the account has no policy again
    await driver.destroy();
    expect(await policyInIam()).toBeUndefined();
  },
  120_000,
);
