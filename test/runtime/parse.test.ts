/** Parsing of property and tag strings (lambda/runtime/parse.ts). */
import { parseBooleanText, parseWholeNumber, requireString } from '../../lambda/runtime/parse';

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
