/**
 * The expiry rule: with an expiring account password policy, a user who cannot change their own
 * password must be rotated strictly before the maximum age (a synth error otherwise); a user who
 * can change it keeps the warning for a rotation slower than the maximum age.
 */
import { App, Duration, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  AccountPasswordPolicy,
  AccountPasswordPolicyProps,
  BreakGlassUser,
  ConsoleUser,
  LoginProfile,
} from '../../lib';

const ENV = { account: '123456789012', region: 'us-east-1' };
const NINETY_DAYS: AccountPasswordPolicyProps = { maxPasswordAge: Duration.days(90) };

/** An app with the policy declared before or after `declareUsers`, in the users' stack; synthesized. */
function synth(
  order: 'policy first' | 'policy last',
  policy: AccountPasswordPolicyProps,
  declareUsers: (s: Stack) => void,
) {
  const app = new App();
  const stack = new Stack(app, 'Users', { env: ENV });
  if (order === 'policy first') new AccountPasswordPolicy(stack, 'PasswordPolicy', policy);
  declareUsers(stack);
  if (order === 'policy last') new AccountPasswordPolicy(stack, 'PasswordPolicy', policy);
  app.synth();
  return stack;
}

const ORDERS = ['policy first', 'policy last'] as const;

describe.each(ORDERS)('a user who cannot change their password (%s)', (order) => {
  test('a BreakGlassUser rotated every maxPasswordAge - 1 day synthesizes', () => {
    const stack = synth(order, NINETY_DAYS, (s) => {
      new BreakGlassUser(s, 'BreakGlass', {
        userName: 'break-glass',
        rotation: { automaticallyAfter: Duration.days(89) },
      });
    });
    Annotations.fromStack(stack).hasNoWarning('/Users/BreakGlass/LoginProfile', Match.anyValue());
  });

  test('fails when a BreakGlassUser rotates every maxPasswordAge: names the construct, the props and the fix', () => {
    expect(() =>
      synth(order, NINETY_DAYS, (s) => {
        new BreakGlassUser(s, 'BreakGlass', {
          userName: 'break-glass',
          rotation: { automaticallyAfter: Duration.days(90) },
        });
      }),
    ).toThrow(
      "Users/BreakGlass: a BreakGlassUser's password must stay the one in the secret (nobody changes it), and " +
        "'rotation.automaticallyAfter' is 90 days: with the account password policy's maxPasswordAge of 90 days " +
        '(Users/PasswordPolicy) the password expires before it is rotated and the user is locked out. Rotate strictly ' +
        'more often than maxPasswordAge, e.g. rotation: { automaticallyAfter: Duration.days(89) }',
    );
  });

  test("fails when a BreakGlassUser's rotation is longer, even where the policy lets users change their password", () => {
    expect(() =>
      synth(order, { ...NINETY_DAYS, allowUsersToChangePassword: true }, (s) => {
        new BreakGlassUser(s, 'BreakGlass', { rotation: { automaticallyAfter: Duration.days(120) } });
      }),
    ).toThrow(/^Users\/BreakGlass: a BreakGlassUser's password must stay .* 'rotation.automaticallyAfter' is 120 days/);
  });

  test('the BreakGlassUser default (60 days) passes a 90-day policy and fails a 60-day one', () => {
    expect(() => synth(order, NINETY_DAYS, (s) => new BreakGlassUser(s, 'BreakGlass'))).not.toThrow();
    expect(() =>
      synth(order, { maxPasswordAge: Duration.days(60) }, (s) => new BreakGlassUser(s, 'BreakGlass')),
    ).toThrow(/'rotation.automaticallyAfter' is 60 days: .*maxPasswordAge of 60 days/);
    expect(BreakGlassUser.DEFAULT_ROTATION.toDays()).toBe(60);
  });

  test("a ConsoleUser without 'grantChangePassword' rotated every maxPasswordAge - 1 day synthesizes", () => {
    expect(() =>
      synth(order, NINETY_DAYS, (s) => {
        new ConsoleUser(s, 'Shared', {
          passwordResetRequired: false,
          rotation: { automaticallyAfter: Duration.days(89) },
        });
      }),
    ).not.toThrow();
  });

  test("fails when a ConsoleUser without 'grantChangePassword' rotates every maxPasswordAge", () => {
    expect(() =>
      synth(order, NINETY_DAYS, (s) => {
        new ConsoleUser(s, 'Shared', {
          passwordResetRequired: false,
          rotation: { automaticallyAfter: Duration.days(90) },
        });
      }),
    ).toThrow(
      "Users/Shared: this user cannot change their own password ('grantChangePassword' is false and the policy does not " +
        "set 'allowUsersToChangePassword'), and 'rotation.automaticallyAfter' is 90 days: with the account password " +
        "policy's maxPasswordAge of 90 days (Users/PasswordPolicy) the password expires before it is rotated and the user " +
        'is locked out. Rotate strictly more often than maxPasswordAge, e.g. rotation: { automaticallyAfter: ' +
        "Duration.days(89) }, or set 'grantChangePassword: true'",
    );
  });

  test("fails when a ConsoleUser without 'grantChangePassword' has no rotation at all", () => {
    expect(() =>
      synth(order, NINETY_DAYS, (s) => {
        new ConsoleUser(s, 'Shared', { passwordResetRequired: false });
      }),
    ).toThrow(/^Users\/Shared: this user cannot change their own password .*, and 'rotation' is not set: /);
  });

  test('fails for a LoginProfile of an imported user, naming the LoginProfile', () => {
    expect(() =>
      synth(order, NINETY_DAYS, (s) => {
        new LoginProfile(s, 'VendorLogin', {
          user: iam.User.fromUserName(s, 'Vendor', 'vendor'),
          passwordResetRequired: false,
        });
      }),
    ).toThrow(/^Users\/VendorLogin: this user cannot change their own password .*'rotation' is not set/);
  });

  test('hours count too: with a 1-day maximum age, 23 hours passes and 24 hours fails', () => {
    const shared = (interval: Duration) => (s: Stack) =>
      new ConsoleUser(s, 'Shared', { passwordResetRequired: false, rotation: { automaticallyAfter: interval } });
    expect(() => synth(order, { maxPasswordAge: Duration.days(1) }, shared(Duration.hours(23)))).not.toThrow();
    expect(() => synth(order, { maxPasswordAge: Duration.days(1) }, shared(Duration.hours(24)))).toThrow(
      /'rotation.automaticallyAfter' is 1 day: .* e.g. rotation: \{ automaticallyAfter: Duration.hours\(23\) \}/,
    );
  });
});

describe('users who can change their password keep the warning', () => {
  test.each([
    ['grantChangePassword', { grantChangePassword: true }, {}],
    ['a reset required', { passwordResetRequired: true }, {}],
    ["the policy's allowUsersToChangePassword", {}, { allowUsersToChangePassword: true }],
  ])('with %s: no error for any rotation or none; a warning only above maxPasswordAge', (_label, user, policy) => {
    const stack = synth('policy last', { ...NINETY_DAYS, ...policy }, (s) => {
      new ConsoleUser(s, 'None', { passwordResetRequired: false, ...user });
      new ConsoleUser(s, 'Equal', {
        passwordResetRequired: false,
        ...user,
        rotation: { automaticallyAfter: Duration.days(90) },
      });
      new ConsoleUser(s, 'Longer', {
        passwordResetRequired: false,
        ...user,
        rotation: { automaticallyAfter: Duration.days(91) },
      });
    });
    const annotations = Annotations.fromStack(stack);
    const expiry = Match.stringLikeRegexp('longer than the account password policy');
    annotations.hasNoWarning('/Users/None/LoginProfile', expiry);
    annotations.hasNoWarning('/Users/Equal/LoginProfile', expiry);
    annotations.hasWarning(
      '/Users/Longer/LoginProfile',
      Match.stringLikeRegexp(
        "rotation every 91 days is longer than the account password policy's maxPasswordAge of 90 days \\(Users/PasswordPolicy\\)",
      ),
    );
  });
});

describe('where the rule does not apply', () => {
  test('a policy without maxPasswordAge: no error for a user who cannot change their password', () => {
    expect(() =>
      synth('policy first', { minimumPasswordLength: 14 }, (s) => {
        new ConsoleUser(s, 'Shared', { passwordResetRequired: false });
        new BreakGlassUser(s, 'BreakGlass', { rotation: { automaticallyAfter: Duration.days(900) } });
      }),
    ).not.toThrow();
  });

  test('a user without console access has no password to expire; switching access on brings the rule back', () => {
    const breakGlass = (consoleAccess: boolean) => (s: Stack) => {
      new BreakGlassUser(s, 'BreakGlass', { consoleAccess, rotation: { automaticallyAfter: Duration.days(120) } });
      new ConsoleUser(s, 'Shared', { consoleAccess, passwordResetRequired: false });
    };
    for (const order of ORDERS) {
      expect(() => synth(order, NINETY_DAYS, breakGlass(false))).not.toThrow();
      expect(() => synth(order, NINETY_DAYS, breakGlass(true))).toThrow(
        /^Users\/BreakGlass: .*maxPasswordAge of 90 days/,
      );
    }
  });

  test("a policy of another stage (another account) does not judge this stage's users", () => {
    const app = new App();
    new AccountPasswordPolicy(
      new Stack(new Stage(app, 'Other'), 'Policy', { env: ENV }),
      'PasswordPolicy',
      NINETY_DAYS,
    );
    new ConsoleUser(new Stack(app, 'Users', { env: ENV }), 'Shared', { passwordResetRequired: false });
    expect(() => app.synth()).not.toThrow();
  });

  test('a policy in another stack of the app judges the users of every stack', () => {
    const app = new App();
    new AccountPasswordPolicy(new Stack(app, 'Policy', { env: ENV }), 'PasswordPolicy', NINETY_DAYS);
    new ConsoleUser(new Stack(app, 'Users', { env: ENV }), 'Shared', { passwordResetRequired: false });
    expect(() => app.synth()).toThrow(/^Users\/Shared: .*maxPasswordAge of 90 days \(Policy\/PasswordPolicy\)/);
  });
});
