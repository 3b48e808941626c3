/** The secret's JSON value and its parser (lambda/password/secret-value.ts), shared by both handlers that write it. */
import {
  formatAccessOffValue,
  formatSecretValue,
  isAccessOff,
  parseSecretValue,
  parseStoredValue,
} from '../../lambda/password/secret-value';

const VALUE = {
  username: 'alice',
  password: 'Pa55-w0rd!',
  signInUrl: 'https://123456789012.signin.aws.amazon.com/console',
};

test('formats exactly username, password and signInUrl, and parses them back', () => {
  const text = formatSecretValue({ ...VALUE, extra: 'dropped' } as typeof VALUE);
  expect(Object.keys(JSON.parse(text))).toEqual(['username', 'password', 'signInUrl']);
  expect(parseSecretValue(text)).toEqual(VALUE);
});

test('reads a value without username or signInUrl as empty strings (only the password is required)', () => {
  expect(parseSecretValue(JSON.stringify({ password: 'p' }))).toEqual({ username: '', password: 'p', signInUrl: '' });
});

test.each([
  ['the value is not JSON', `not json ${VALUE.password}`, /the secret version is not JSON/],
  ['the value is JSON null', 'null', /holds no password/],
  ['the value is a JSON string', JSON.stringify(VALUE.password), /holds no password/],
  ['there is no password', JSON.stringify({ username: 'alice' }), /holds no password/],
  ['the password is empty', JSON.stringify({ ...VALUE, password: '' }), /holds no password/],
  ['the password is not a string', JSON.stringify({ ...VALUE, password: 1234 }), /holds no password/],
])('fails when %s, without echoing the value', (_name, text, message) => {
  expect(() => parseSecretValue(text)).toThrow(message);
  try {
    parseSecretValue(text);
  } catch (error) {
    expect((error as Error).message).not.toContain(VALUE.password);
  }
});

describe('the off value (console access off)', () => {
  const OFF = { username: 'alice', signInUrl: VALUE.signInUrl };

  test('formats exactly username, signInUrl and consoleAccess "off" (no password), the same text every time', () => {
    const text = formatAccessOffValue({ ...OFF, password: 'dropped' } as typeof OFF);
    expect(text).toBe(
      '{"username":"alice","signInUrl":"https://123456789012.signin.aws.amazon.com/console","consoleAccess":"off"}',
    );
    expect(formatAccessOffValue(OFF)).toBe(text);
  });

  test('parseStoredValue reads both shapes and tells them apart', () => {
    const off = parseStoredValue(formatAccessOffValue(OFF));
    expect(off).toEqual({ ...OFF, consoleAccess: 'off' });
    expect(isAccessOff(off)).toBe(true);
    const on = parseStoredValue(formatSecretValue(VALUE));
    expect(on).toEqual(VALUE);
    expect(isAccessOff(on)).toBe(false);
  });

  test('a value with a password is a password value even if it also carries the marker', () => {
    const value = parseStoredValue(JSON.stringify({ ...VALUE, consoleAccess: 'off' }));
    expect(isAccessOff(value)).toBe(false);
  });

  test.each([
    ['neither a password nor the marker', JSON.stringify(OFF)],
    ['a marker of another value', JSON.stringify({ ...OFF, consoleAccess: 'on' })],
    ['an empty password and no marker', JSON.stringify({ ...OFF, password: '' })],
  ])('parseStoredValue refuses %s', (_name, text) => {
    expect(() => parseStoredValue(text)).toThrow(/holds no password and does not say console access is off/);
  });

  test('parseSecretValue (where a password is needed) refuses the off value, saying access is off', () => {
    expect(() => parseSecretValue(formatAccessOffValue(OFF))).toThrow(
      /says console access is off; it holds no password/,
    );
  });
});
