/**
 * Password-policy presets, evaluated against each standard's published criteria, written here from
 * the control text of AWS Security Hub's controls reference (IAM.7, IAM.10, IAM.11-IAM.17:
 * https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html), not from the library.
 * The criteria read the synthesized Custom::AccountPasswordPolicy, as the handler hands it to IAM.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  AccountPasswordPolicy,
  AccountPasswordPolicyProps,
  BreakGlassUser,
  ConsoleUser,
  PasswordPolicyPreset,
} from '../../lib';
import { IamPolicy, PRESET_STANDARD, STANDARDS, Standard, unmet } from './standards';

const ENV = { account: '123456789012', region: 'us-east-1' };

function synthesizedPolicy(props: AccountPasswordPolicyProps): IamPolicy {
  const stack = new Stack(new App(), 'Policy', { env: ENV });
  new AccountPasswordPolicy(stack, 'PasswordPolicy', props);
  const resources = Object.values(Template.fromStack(stack).findResources('Custom::AccountPasswordPolicy'));
  expect(resources).toHaveLength(1);
  const p = resources[0].Properties as Record<string, string | undefined>;
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return {
    minimumPasswordLength: num(p.MinimumPasswordLength) ?? 6,
    requireUppercase: p.RequireUppercaseCharacters === 'true',
    requireLowercase: p.RequireLowercaseCharacters === 'true',
    requireSymbols: p.RequireSymbols === 'true',
    requireNumbers: p.RequireNumbers === 'true',
    passwordReusePrevention: num(p.PasswordReusePrevention),
    maxPasswordAgeDays: num(p.MaxPasswordAge),
  };
}

const PRESETS = Object.values(PasswordPolicyPreset) as PasswordPolicyPreset[];

describe.each(PRESETS)('preset %s', (preset) => {
  test('meets every criterion of its standard, as the `preset` prop and as `presetProps`', () => {
    expect(unmet(PRESET_STANDARD[preset], synthesizedPolicy({ preset }))).toEqual([]);
    expect(unmet(PRESET_STANDARD[preset], synthesizedPolicy(AccountPasswordPolicy.presetProps(preset)))).toEqual([]);
  });

  test('sets only what its standard checks: the props equal the synthesized policy read back', () => {
    const props = AccountPasswordPolicy.presetProps(preset);
    expect(synthesizedPolicy({ preset })).toEqual(synthesizedPolicy(props));
    expect(props.allowUsersToChangePassword).toBeUndefined();
    expect(props.hardExpiry).toBeUndefined();
  });

  test('presetProps gives a new object each time: changing one leaves the preset as it is', () => {
    const mine = AccountPasswordPolicy.presetProps(preset) as { minimumPasswordLength?: number };
    mine.minimumPasswordLength = 6;
    expect(unmet(PRESET_STANDARD[preset], synthesizedPolicy({ preset }))).toEqual([]);
  });
});

test('which presets meet which standards (a preset that drifts changes this table)', () => {
  const table = Object.fromEntries(
    PRESETS.map((preset) => {
      const policy = synthesizedPolicy({ preset });
      return [preset, Object.fromEntries(Object.keys(STANDARDS).map((s) => [s, unmet(s as Standard, policy)]))];
    }),
  );
  expect(table).toEqual({
    AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES: {
      'AWS FSBP (IAM.7)': [],
      'CIS v1.2.0 (IAM.11-IAM.17)': ['length >= 14', 'reuse prevention exactly 24', 'expiry <= 90 days'],
      'CIS v1.4.0 / v3.0.0 (IAM.15, IAM.16)': ['length >= 14', 'reuse prevention exactly 24'],
      'PCI DSS v3.2.1 (IAM.10)': ['reuse prevention >= 4', 'expiry <= 90 days'],
    },
    CIS_AWS_FOUNDATIONS_V1_2_0: {
      'AWS FSBP (IAM.7)': [],
      'CIS v1.2.0 (IAM.11-IAM.17)': [],
      'CIS v1.4.0 / v3.0.0 (IAM.15, IAM.16)': [],
      'PCI DSS v3.2.1 (IAM.10)': [],
    },
    CIS_AWS_FOUNDATIONS_V1_4_0: {
      'AWS FSBP (IAM.7)': [
        'at least one uppercase letter',
        'at least one lowercase letter',
        'at least one symbol',
        'at least one number',
      ],
      'CIS v1.2.0 (IAM.11-IAM.17)': [
        'at least one uppercase letter',
        'at least one lowercase letter',
        'at least one symbol',
        'at least one number',
        'expiry <= 90 days',
      ],
      'CIS v1.4.0 / v3.0.0 (IAM.15, IAM.16)': [],
      'PCI DSS v3.2.1 (IAM.10)': [
        'at least one uppercase letter',
        'at least one lowercase letter',
        'at least one number',
        'expiry <= 90 days',
      ],
    },
    PCI_DSS_V3_2_1: {
      'AWS FSBP (IAM.7)': ['at least one symbol', 'length >= 8'],
      'CIS v1.2.0 (IAM.11-IAM.17)': ['at least one symbol', 'length >= 14', 'reuse prevention exactly 24'],
      'CIS v1.4.0 / v3.0.0 (IAM.15, IAM.16)': ['length >= 14', 'reuse prevention exactly 24'],
      'PCI DSS v3.2.1 (IAM.10)': [],
    },
  });
});

test('the criteria fail a policy one step short of the standard (they can fail)', () => {
  const cis = AccountPasswordPolicy.presetProps(PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_2_0);
  expect(unmet('CIS v1.2.0 (IAM.11-IAM.17)', synthesizedPolicy({ ...cis, minimumPasswordLength: 13 }))).toEqual([
    'length >= 14',
  ]);
  expect(unmet('CIS v1.2.0 (IAM.11-IAM.17)', synthesizedPolicy({ ...cis, passwordReusePrevention: 23 }))).toEqual([
    'reuse prevention exactly 24',
  ]);
  expect(unmet('CIS v1.2.0 (IAM.11-IAM.17)', synthesizedPolicy({ ...cis, maxPasswordAge: Duration.days(91) }))).toEqual(
    ['expiry <= 90 days'],
  );
  expect(unmet('AWS FSBP (IAM.7)', synthesizedPolicy({ ...cis, requireSymbols: false }))).toEqual([
    'at least one symbol',
  ]);
});

describe('extending a preset', () => {
  test('the other props add to it: hardExpiry, allowUsersToChangePassword, a longer minimum, a shorter expiry', () => {
    const stack = new Stack(new App(), 'Policy', { env: ENV });
    new AccountPasswordPolicy(stack, 'PasswordPolicy', {
      preset: PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_2_0,
      minimumPasswordLength: 20,
      maxPasswordAge: Duration.days(60),
      hardExpiry: true,
      allowUsersToChangePassword: true,
    });
    Template.fromStack(stack).hasResourceProperties('Custom::AccountPasswordPolicy', {
      MinimumPasswordLength: '20',
      RequireSymbols: 'true',
      RequireNumbers: 'true',
      RequireUppercaseCharacters: 'true',
      RequireLowercaseCharacters: 'true',
      AllowUsersToChangePassword: 'true',
      MaxPasswordAge: '60',
      PasswordReusePrevention: '24',
      HardExpiry: 'true',
    });
  });

  test('by spreading presetProps in TypeScript', () => {
    const policy = synthesizedPolicy({
      ...AccountPasswordPolicy.presetProps(PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_4_0),
      requireSymbols: true,
    });
    expect(policy).toMatchObject({ minimumPasswordLength: 14, passwordReusePrevention: 24, requireSymbols: true });
  });

  test('a prop left undefined keeps the preset value', () => {
    const policy = synthesizedPolicy({
      preset: PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_4_0,
      minimumPasswordLength: undefined,
    });
    expect(policy.minimumPasswordLength).toBe(14);
  });

  test.each([
    [
      'minimumPasswordLength 13',
      { minimumPasswordLength: 13 },
      "'minimumPasswordLength' must be at least 14 with preset CIS_AWS_FOUNDATIONS_V1_2_0 (Security Hub IAM.15), got 13",
    ],
    [
      'passwordReusePrevention 23',
      { passwordReusePrevention: 23 },
      "'passwordReusePrevention' must be at least 24 with preset CIS_AWS_FOUNDATIONS_V1_2_0 (Security Hub IAM.16), got 23",
    ],
    [
      'maxPasswordAge 91 days',
      { maxPasswordAge: Duration.days(91) },
      "'maxPasswordAge' must be at most 90 days with preset CIS_AWS_FOUNDATIONS_V1_2_0 (Security Hub IAM.17), got 91 days",
    ],
    [
      'requireSymbols false',
      { requireSymbols: false },
      "'requireSymbols' must be true with preset CIS_AWS_FOUNDATIONS_V1_2_0 (Security Hub IAM.13), got false",
    ],
  ])('fails when a prop weakens a criterion: %s', (_label, weaker, message) => {
    const stack = new Stack(new App(), 'Policy', { env: ENV });
    expect(
      () =>
        new AccountPasswordPolicy(stack, 'PasswordPolicy', {
          preset: PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_2_0,
          ...weaker,
        }),
    ).toThrow(`Policy/PasswordPolicy: ${message}; leave it out to take the preset's value`);
  });

  test('fails when the preset is not one of PasswordPolicyPreset (an untyped caller)', () => {
    const stack = new Stack(new App(), 'Policy', { env: ENV });
    expect(() => new AccountPasswordPolicy(stack, 'PasswordPolicy', { preset: 'CIS' as PasswordPolicyPreset })).toThrow(
      /^Policy\/PasswordPolicy: 'preset' must be one of AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES, .*, got "CIS"/,
    );
  });
});

test('an expiring preset holds users to the expiry rule: a BreakGlassUser at its 60-day default passes CIS v1.2.0, an unrotated user who cannot change their password fails', () => {
  const withUsers = (declare: (s: Stack) => void) => {
    const app = new App();
    const stack = new Stack(app, 'Users', { env: ENV });
    new AccountPasswordPolicy(stack, 'PasswordPolicy', { preset: PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_2_0 });
    declare(stack);
    return () => app.synth();
  };
  expect(withUsers((s) => new BreakGlassUser(s, 'BreakGlass', { userName: 'break-glass' }))).not.toThrow();
  expect(withUsers((s) => new ConsoleUser(s, 'Shared', { userName: 'shared', passwordResetRequired: false }))).toThrow(
    /^Users\/Shared: this user cannot change their own password .*'rotation' is not set: with the account password policy's maxPasswordAge of 90 days/,
  );
});

test('cdk-nag: a stack with each preset has no unacknowledged AwsSolutions finding', () => {
  for (const preset of PRESETS) {
    const app = new App();
    const stack = new Stack(app, 'Presets', { env: ENV });
    new AccountPasswordPolicy(stack, 'PasswordPolicy', { preset });
    new ConsoleUser(stack, 'User', { userName: 'user' });
    app.synth();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(
      report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
    ).toEqual([]);
  }
});
