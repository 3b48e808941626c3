/**
 * The login-profile handler's decisions, tested alone: no AWS, no clock (lambda/login-profile/plan.ts).
 */
import * as fc from 'fast-check';
import {
  CreatePlan,
  EventIdentity,
  MAX_POLICY_ATTEMPTS,
  UpdatePlan,
  deleteTargets,
  ownsProfile,
  planAccessOff,
  planCreate,
  planUpdate,
  settleReplay,
  versionToken,
  versionTokens,
} from '../../lambda/login-profile/plan';
import type { LoginProfileSettings } from '../../lambda/login-profile/properties';
import { stageHolder } from '../../lambda/aws/secrets';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alice-password-AbCdEf';
const OTHER_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alice-next-GhIjKl';
const OLD: LoginProfileSettings = {
  userName: 'alice',
  secretArn: SECRET,
  signInUrl: 'https://123456789012.signin.aws.amazon.com/console',
  passwordLength: 24,
  passwordResetRequired: true,
  resetToken: '',
  consoleAccess: true,
};
const EVENT: EventIdentity = {
  stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
  logicalResourceId: 'AliceLoginProfile',
  requestId: 'request-1',
  requestType: 'Update',
};

describe('planUpdate', () => {
  test.each<[string, Partial<LoginProfileSettings>, UpdatePlan]>([
    ['another user', { userName: 'bob' }, UpdatePlan.NEW_USER],
    ['another secret', { secretArn: OTHER_SECRET }, UpdatePlan.NEW_SECRET],
    ['a new reset token', { resetToken: 'v2' }, UpdatePlan.NEW_PASSWORD],
    ['the reset flag turned off', { passwordResetRequired: false }, UpdatePlan.RESET_FLAG],
    ['only the password length', { passwordLength: 30 }, UpdatePlan.NOTHING],
    ['only the sign-in URL', { signInUrl: 'https://example.signin.aws.amazon.com/console' }, UpdatePlan.NOTHING],
    ['nothing at all', {}, UpdatePlan.NOTHING],
  ])('%s: %s', (_name, change, plan) => {
    expect(planUpdate(OLD, { ...OLD, ...change })).toBe(plan);
  });

  test.each<[string, Partial<LoginProfileSettings>, UpdatePlan]>([
    [
      'a new user wins over a new secret, token and flag',
      { userName: 'bob', secretArn: OTHER_SECRET, resetToken: 'v2', passwordResetRequired: false },
      UpdatePlan.NEW_USER,
    ],
    [
      'a new secret wins over a new token and flag',
      { secretArn: OTHER_SECRET, resetToken: 'v2', passwordResetRequired: false },
      UpdatePlan.NEW_SECRET,
    ],
    [
      'a new token wins over the flag (the new password carries the flag)',
      { resetToken: 'v2', passwordResetRequired: false },
      UpdatePlan.NEW_PASSWORD,
    ],
  ])('%s', (_name, change, plan) => {
    expect(planUpdate(OLD, { ...OLD, ...change })).toBe(plan);
  });

  test('the first difference in the order user, secret, token, flag decides, for any settings', () => {
    const settings = fc.record({
      userName: fc.constantFrom('alice', 'bob'),
      secretArn: fc.constantFrom(SECRET, OTHER_SECRET),
      signInUrl: fc.constantFrom(OLD.signInUrl, 'https://x.signin.aws.amazon.com/console'),
      passwordLength: fc.integer({ min: 6, max: 128 }),
      passwordResetRequired: fc.boolean(),
      resetToken: fc.constantFrom('', 'v1', 'v2'),
      consoleAccess: fc.boolean(),
    });
    fc.assert(
      fc.property(settings, settings, (old, next) => {
        const moved = old.userName !== next.userName || old.secretArn !== next.secretArn;
        const expected = !next.consoleAccess
          ? moved
            ? UpdatePlan.MOVE_OFF
            : old.consoleAccess
              ? UpdatePlan.ACCESS_OFF
              : UpdatePlan.STAY_OFF
          : old.userName !== next.userName
            ? UpdatePlan.NEW_USER
            : old.secretArn !== next.secretArn
              ? UpdatePlan.NEW_SECRET
              : !old.consoleAccess
                ? UpdatePlan.ACCESS_ON
                : old.resetToken !== next.resetToken
                  ? UpdatePlan.NEW_PASSWORD
                  : old.passwordResetRequired !== next.passwordResetRequired
                    ? UpdatePlan.RESET_FLAG
                    : UpdatePlan.NOTHING;
        expect(planUpdate(old, next)).toBe(expected);
      }),
    );
  });

  const OFF: LoginProfileSettings = { ...OLD, consoleAccess: false };
  test.each<[string, LoginProfileSettings, LoginProfileSettings, UpdatePlan]>([
    ['access switched off', OLD, OFF, UpdatePlan.ACCESS_OFF],
    [
      'access switched off with a new token: nothing is issued',
      OLD,
      { ...OFF, resetToken: 'v2' },
      UpdatePlan.ACCESS_OFF,
    ],
    ['access switched on', OFF, OLD, UpdatePlan.ACCESS_ON],
    ['access switched on with a new token', OFF, { ...OLD, resetToken: 'v2' }, UpdatePlan.ACCESS_ON],
    [
      'access switched on with the reset flag turned off',
      OFF,
      { ...OLD, passwordResetRequired: false },
      UpdatePlan.ACCESS_ON,
    ],
    ['a new reset token while off issues nothing', OFF, { ...OFF, resetToken: 'v2' }, UpdatePlan.STAY_OFF],
    ['the reset flag while off', OFF, { ...OFF, passwordResetRequired: false }, UpdatePlan.STAY_OFF],
    ['the password length while off', OFF, { ...OFF, passwordLength: 40 }, UpdatePlan.STAY_OFF],
    ['a rename while off', OFF, { ...OFF, userName: 'bob' }, UpdatePlan.MOVE_OFF],
    ['a new secret while off', OFF, { ...OFF, secretArn: OTHER_SECRET }, UpdatePlan.MOVE_OFF],
    ['a rename that switches access off', OLD, { ...OFF, userName: 'bob' }, UpdatePlan.MOVE_OFF],
    ['a new secret that switches access off', OLD, { ...OFF, secretArn: OTHER_SECRET }, UpdatePlan.MOVE_OFF],
    [
      'a rename that switches access on (a first password for bob)',
      OFF,
      { ...OLD, userName: 'bob' },
      UpdatePlan.NEW_USER,
    ],
    ['a new secret that switches access on', OFF, { ...OLD, secretArn: OTHER_SECRET }, UpdatePlan.NEW_SECRET],
  ])('%s', (_name, old, next, plan) => {
    expect(planUpdate(old, next)).toBe(plan);
  });

  test('the rollback of a switch is the opposite switch: off is undone by a new password, on by removing it', () => {
    expect(planUpdate(OFF, OLD)).toBe(UpdatePlan.ACCESS_ON);
    expect(planUpdate(OLD, OFF)).toBe(UpdatePlan.ACCESS_OFF);
  });

  test('a rollback (old and new swapped) asks for the same kind of change', () => {
    for (const change of [
      { userName: 'bob' },
      { secretArn: OTHER_SECRET },
      { resetToken: 'v2' },
      { passwordResetRequired: false },
    ]) {
      const next = { ...OLD, ...change };
      expect(planUpdate(next, OLD)).toBe(planUpdate(OLD, next));
    }
  });
});

describe('planCreate', () => {
  test('access on issues a password; access off issues none', () => {
    expect(planCreate(OLD)).toBe(CreatePlan.ISSUE);
    expect(planCreate({ ...OLD, consoleAccess: false })).toBe(CreatePlan.ACCESS_OFF);
  });
});

describe('planAccessOff', () => {
  const token = versionToken(EVENT, 0);
  test.each<[string, Record<string, string[]>, 'write' | 'overtaken']>([
    ['a first delivery: the token is no version yet', { v1: ['AWSCURRENT'] }, 'write'],
    ['an empty secret (a Create)', {}, 'write'],
    [
      'a replay after the off value was written: writes the same version again',
      { v1: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] },
      'write',
    ],
    ['a late delivery after access went back on', { [token]: ['AWSPREVIOUS'], v3: ['AWSCURRENT'] }, 'overtaken'],
    [
      'a late delivery after two later changes (no stage left)',
      { [token]: [], v3: ['AWSPREVIOUS'], v4: ['AWSCURRENT'] },
      'overtaken',
    ],
  ])('%s: %s', (_name, stages, plan) => {
    expect(planAccessOff(stages, token)).toBe(plan);
  });
});

describe('versionToken', () => {
  test('is a UUID, the same for the same event and attempt', () => {
    const token = versionToken(EVENT, 0);
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(versionToken({ ...EVENT }, 0)).toBe(token);
  });

  test.each<[string, EventIdentity, number]>([
    ['another attempt', EVENT, 1],
    ['another request', { ...EVENT, requestId: 'request-2' }, 0],
    ['another resource', { ...EVENT, logicalResourceId: 'BobLoginProfile' }, 0],
    ['another stack', { ...EVENT, stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/t/2' }, 0],
  ])('differs for %s', (_name, event, attempt) => {
    expect(versionToken(event, attempt)).not.toBe(versionToken(EVENT, 0));
  });

  test('versionTokens holds one token per policy attempt', () => {
    const tokens = versionTokens(EVENT);
    expect(tokens.size).toBe(MAX_POLICY_ATTEMPTS);
    for (let attempt = 0; attempt < MAX_POLICY_ATTEMPTS; attempt++)
      expect(tokens.has(versionToken(EVENT, attempt))).toBe(true);
    expect(tokens.has(versionToken(EVENT, MAX_POLICY_ATTEMPTS))).toBe(false);
  });
});

describe('settleReplay', () => {
  const own = versionTokens(EVENT);
  const [first, second] = [versionToken(EVENT, 0), versionToken(EVENT, 1)];
  const later = versionToken({ ...EVENT, requestId: 'request-9' }, 0);

  test('finishes with its own later attempt that holds AWSPENDING', () => {
    const stages = { old: ['AWSCURRENT'], [first]: [], [second]: ['AWSPENDING'] };
    expect(settleReplay(stages, own)).toEqual({ finish: second, current: 'old' });
  });

  test('finishes with its own version that is already AWSCURRENT', () => {
    const stages = { old: ['AWSPREVIOUS'], [first]: [], [second]: ['AWSCURRENT'] };
    expect(settleReplay(stages, own)).toEqual({ finish: second, current: second });
  });

  test('prefers its own AWSPENDING over its own AWSCURRENT', () => {
    const stages = { [first]: ['AWSCURRENT'], [second]: ['AWSPENDING'] };
    expect(settleReplay(stages, own)).toEqual({ finish: second, current: first });
  });

  test('changes nothing when a later event holds AWSCURRENT and AWSPENDING', () => {
    const stages = { [first]: ['AWSPREVIOUS'], [later]: ['AWSCURRENT'], rotation: ['AWSPENDING'] };
    expect(settleReplay(stages, own)).toEqual({ finish: undefined, current: later });
  });

  test('changes nothing when no version holds a stage', () => {
    expect(settleReplay({ [first]: [] }, own)).toEqual({ finish: undefined, current: undefined });
  });

  test('stageHolder finds the version with the stage, or none', () => {
    expect(stageHolder({ a: ['AWSPREVIOUS'], b: ['AWSCURRENT', 'custom'] }, 'AWSCURRENT')).toBe('b');
    expect(stageHolder({ a: ['AWSPREVIOUS'] }, 'AWSPENDING')).toBeUndefined();
  });
});

describe('ownsProfile', () => {
  const KEY = 'owner';
  test('true only when the owner tag names this secret, or IAM does not show the user', () => {
    expect(ownsProfile({ [KEY]: SECRET }, KEY, SECRET)).toBe(true);
    expect(ownsProfile({ [KEY]: OTHER_SECRET }, KEY, SECRET)).toBe(false);
    // a user without the owner tag was never claimed: its profile (if any) was set by hand
    expect(ownsProfile({}, KEY, SECRET)).toBe(false);
    expect(ownsProfile({ other: SECRET }, KEY, SECRET)).toBe(false);
    // a Delete whose properties name no secret owns nothing
    expect(ownsProfile({ [KEY]: SECRET }, KEY, undefined)).toBe(false);
    expect(ownsProfile({}, KEY, undefined)).toBe(false);
    // a user IAM does not show (gone, or too new): DeleteLoginProfile settles it
    expect(ownsProfile(undefined, KEY, SECRET)).toBe(true);
  });
});

describe('deleteTargets', () => {
  test('the physical ID, then the user of the properties when it differs', () => {
    expect(deleteTargets('alice', 'alice')).toEqual(['alice']);
    expect(deleteTargets('IntegStack-AliceLoginProfile-1X2Y3Z', 'alice')).toEqual([
      'IntegStack-AliceLoginProfile-1X2Y3Z',
      'alice',
    ]);
    expect(deleteTargets('alice', undefined)).toEqual(['alice']);
    expect(deleteTargets('', 'alice')).toEqual(['alice']);
    expect(deleteTargets(undefined, 42)).toEqual([]);
  });
});
