/**
 * Parsing of the string values the handlers receive (custom-resource properties, secret tags).
 * Every message names the value (`label`), the rule, and what was given.
 */
import { HandlerError } from './errors';

/** `text` as a whole number from `min` to `max`. */
export function parseWholeNumber(label: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new HandlerError(`${label} must be a whole number from ${min} to ${max}; got ${JSON.stringify(text)}`);
  }
  return n;
}

/** `"true"` or `"false"` as a boolean. */
export function parseBooleanText(label: string, text: string): boolean {
  if (text !== 'true' && text !== 'false') {
    throw new HandlerError(`${label} must be "true" or "false"; got ${JSON.stringify(text)}`);
  }
  return text === 'true';
}

/** `value` as a property string; a number or boolean is taken in its string form. */
export function requireString(value: unknown, name: string, allowEmpty = false): string {
  // CloudFormation sends scalars as strings; a number or boolean arriving directly (a direct
  // invocation) is accepted in its string form.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) throw new HandlerError(`${name} is required but missing`);
  if (typeof value !== 'string') throw new HandlerError(`${name} must be a string; got ${typeof value}`);
  if (!allowEmpty && value.length === 0) throw new HandlerError(`${name} must not be empty`);
  return value;
}
