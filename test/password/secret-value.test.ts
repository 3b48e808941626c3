/** The secret's JSON value and its parser (lambda/password/secret-value.ts), shared by both handlers that write it. */
import { formatSecretValue, parseSecretValue } from '../../lambda/password/secret-value';

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
