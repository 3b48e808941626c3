/**
 * The login-profile handler's decisions, tested alone: no AWS, no clock (lambda/login-profile/plan.ts).
 */
import * as fc from 'fast-check';
import {
  EventIdentity,
  MAX_POLICY_ATTEMPTS,
  UpdatePlan,
  deleteTargets,
  ownsProfile,
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
    });
    fc.assert(
      fc.property(settings, settings, (old, next) => {
        const expected =
          old.userName !== next.userName
            ? UpdatePlan.NEW_USER
            : old.secretArn !== next.secretArn
              ? UpdatePlan.NEW_SECRET
              : old.resetToken !== next.resetToken
                ? UpdatePlan.NEW_PASSWORD
                : old.passwordResetRequired !== next.passwordResetRequired
                  ? UpdatePlan.RESET_FLAG
                  : UpdatePlan.NOTHING;
        expect(planUpdate(old, next)).toBe(expected);
      }),
    );
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
