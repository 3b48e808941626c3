/** The user-name and password-length rules (lambda/password/rules.ts), with the bounds of lib/login-profile/contract.ts. */
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../lib/login-profile/contract';
import { isUserName, parsePasswordLength, parseUserName } from '../../lambda/password/rules';

test('user names: the IAM rule', () => {
  expect(parseUserName('UserName', 'alice.b+c=d,e@f_g-h')).toBe('alice.b+c=d,e@f_g-h');
  expect(isUserName('a'.repeat(64))).toBe(true);
  expect(isUserName('a'.repeat(65))).toBe(false);
  expect(isUserName('')).toBe(false);
});

test.each(['a b', 'a/b', 'é', 'a'.repeat(65)])('fails when the user name is %j', (name) => {
  expect(() => parseUserName('tag user', name)).toThrow(
    `tag user must be 1-64 characters of letters, digits and +=,.@_- ; got ${JSON.stringify(name)}`,
  );
});

test('password lengths: the bounds of lib/login-profile/contract.ts', () => {
  expect(parsePasswordLength('PasswordLength', String(MIN_PASSWORD_LENGTH))).toBe(MIN_PASSWORD_LENGTH);
  expect(parsePasswordLength('PasswordLength', String(MAX_PASSWORD_LENGTH))).toBe(MAX_PASSWORD_LENGTH);
});

test.each([String(MIN_PASSWORD_LENGTH - 1), String(MAX_PASSWORD_LENGTH + 1), '24.0', '-8', ' 24', 'abc', ''])(
  'fails when the password length is %j',
  (text) => {
    expect(() => parsePasswordLength('PasswordLength', text)).toThrow(
      `PasswordLength must be a whole number from ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}; got ${JSON.stringify(text)}`,
    );
  },
);
