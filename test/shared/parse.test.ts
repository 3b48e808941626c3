/** Parsing of property and tag strings (lambda/shared/parse.ts), with the rules of lib/login-profile/contract.ts. */
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../lib/login-profile/contract';
import {
  isUserName,
  parseBooleanText,
  parsePasswordLength,
  parseUserName,
  parseWholeNumber,
  requireString,
} from '../../lambda/shared/parse';

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

test('whole numbers in another range', () => {
  expect(parseWholeNumber('MaxPasswordAge', '1095', 1, 1095)).toBe(1095);
  expect(() => parseWholeNumber('MaxPasswordAge', '1096', 1, 1095)).toThrow(/from 1 to 1095; got "1096"/);
});

test('booleans: exactly "true" or "false"', () => {
  expect(parseBooleanText('PasswordResetRequired', 'true')).toBe(true);
  expect(parseBooleanText('PasswordResetRequired', 'false')).toBe(false);
});

test.each(['True', 'yes', '1', ''])('fails when the boolean is %j', (text) => {
  expect(() => parseBooleanText('PasswordResetRequired', text)).toThrow(
    `PasswordResetRequired must be "true" or "false"; got ${JSON.stringify(text)}`,
  );
});

test('requireString: strings, and numbers or booleans in their string form', () => {
  expect(requireString('x', 'P')).toBe('x');
  expect(requireString(24, 'P')).toBe('24');
  expect(requireString(true, 'P')).toBe('true');
  expect(requireString('', 'P', true)).toBe('');
});

test.each([
  ['missing', undefined, 'P is required but missing'],
  ['null', null, 'P is required but missing'],
  ['an object', { Ref: 'X' }, 'P must be a string; got object'],
  ['empty', '', 'P must not be empty'],
])('fails when the value is %s', (_name, value, message) => {
  expect(() => requireString(value, 'P')).toThrow(message);
});
