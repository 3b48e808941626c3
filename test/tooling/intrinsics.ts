/**
 * The tests' one resolver of CloudFormation intrinsic functions: what CloudFormation would
 * substitute for a template value, given the physical IDs and attributes of its resources.
 *
 * Supported: `Ref` (resources, parameters and the pseudo parameters, `AWS::NoValue` removing the
 * value), `Fn::GetAtt` (array or "Id.Attribute" form), `Fn::Join`, `Fn::Sub` (with or without a
 * variable map; `${!Literal}` escapes), `Fn::FindInMap`, `Fn::Select`, `Fn::Split`, and `Fn::If`
 * when the scope knows the template's conditions (only the branch taken is resolved, as in
 * CloudFormation). Anything else, and a reference the scope cannot answer, throws
 * `IntrinsicError` naming it.
 *
 * `evaluateConditions` evaluates a template's `Conditions` section (`Fn::Equals`, `Fn::Not`,
 * `Fn::And`, `Fn::Or`, `{ "Condition": name }`, over parameters, pseudo parameters and mappings).
 */

/** A template value the resolver could not resolve. */
export class IntrinsicError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntrinsicError';
  }
}

/** The pseudo parameters of a stack. */
export interface PseudoParameters {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly urlSuffix: string;
}

/** What references resolve to. */
export interface IntrinsicScope {
  readonly pseudo: PseudoParameters;
  readonly mappings?: Record<string, Record<string, Record<string, unknown>>>;
  /** The value of `Ref` to a resource or parameter (throw when there is none). */
  ref(logicalId: string): unknown;
  /** The value of `Fn::GetAtt` (throw when there is none). */
  getAtt(logicalId: string, attribute: string): unknown;
  /** The value of a template condition, for `Fn::If` (throw when there is none). Without it, `Fn::If` fails. */
  condition?(name: string): boolean;
}

/** Options of `resolveIntrinsics`. */
export interface ResolveOptions {
  /** Turn numbers and booleans into strings, as CloudFormation does for custom resource properties. @default false */
  readonly scalarsAsStrings?: boolean;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** The value CloudFormation would substitute for `value` (intrinsics resolved, `AWS::NoValue` removed). */
export function resolveIntrinsics(value: unknown, scope: IntrinsicScope, options: ResolveOptions = {}): unknown {
  const resolved = resolve(value, scope, options);
  return resolved === NO_VALUE ? undefined : resolved;
}

function resolve(value: unknown, scope: IntrinsicScope, options: ResolveOptions): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, scope, options)).filter((v) => v !== NO_VALUE);
  if (options.scalarsAsStrings && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
    return intrinsic(entries[0][0], entries[0][1], scope, options);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) {
    const r = resolve(v, scope, options);
    if (r !== NO_VALUE) out[key] = r;
  }
  return out;
}

function intrinsic(name: string, arg: unknown, scope: IntrinsicScope, options: ResolveOptions): unknown {
  const inner = (v: unknown) => resolve(v, scope, { ...options, scalarsAsStrings: false });
  switch (name) {
    case 'Ref':
      return ref(String(arg), scope);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(arg) ? arg.map(String) : splitOnce(String(arg));
      return scope.getAtt(logicalId, attribute);
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown];
      return (inner(parts) as unknown[]).map(String).join(separator);
    }
    case 'Fn::Sub': {
      const [text, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
      const values = inner(variables) as Record<string, unknown>;
      return text.replace(/\$\{(!?)([^}]+)\}/g, (_, escaped: string, key: string) => {
        if (escaped) return `\${${key}}`;
        if (key in values) return String(values[key]);
        return String(key.includes('.') ? scope.getAtt(...splitOnce(key)) : ref(key, scope));
      });
    }
    case 'Fn::FindInMap': {
      const [map, first, second] = (inner(arg) as unknown[]).map(String);
      const found = scope.mappings?.[map]?.[first]?.[second];
      if (found === undefined) throw new IntrinsicError(`Fn::FindInMap: no ${map}.${first}.${second} in the template`);
      return found;
    }
    case 'Fn::Select': {
      const [index, list] = inner(arg) as [unknown, unknown[]];
      if (!Array.isArray(list) || list[Number(index)] === undefined) {
        throw new IntrinsicError(`Fn::Select: no element ${String(index)}`);
      }
      return list[Number(index)];
    }
    case 'Fn::If': {
      if (!scope.condition) throw new IntrinsicError('Fn::If: the scope has no template conditions');
      if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') {
        throw new IntrinsicError(
          `Fn::If takes [condition name, value if true, value if false], not ${JSON.stringify(arg)}`,
        );
      }
      return resolve(scope.condition(arg[0]) ? arg[1] : arg[2], scope, options);
    }
    case 'Fn::Split': {
      const [separator, text] = inner(arg) as [string, string];
      return String(text).split(separator);
    }
    default:
      throw new IntrinsicError(`the test resolver does not support ${name}`);
  }
}

function ref(name: string, scope: IntrinsicScope): unknown {
  const { pseudo } = scope;
  const pseudoParameters: Record<string, unknown> = {
    'AWS::AccountId': pseudo.accountId,
    'AWS::Partition': pseudo.partition,
    'AWS::Region': pseudo.region,
    'AWS::StackId': pseudo.stackId,
    'AWS::StackName': pseudo.stackName,
    'AWS::URLSuffix': pseudo.urlSuffix,
    'AWS::NoValue': NO_VALUE,
  };
  return name in pseudoParameters ? pseudoParameters[name] : scope.ref(name);
}

function splitOnce(text: string): [string, string] {
  const dot = text.indexOf('.');
  return dot < 0 ? [text, ''] : [text.slice(0, dot), text.slice(dot + 1)];
}

/** The condition functions a `Conditions` section may use. */
const CONDITION_FUNCTIONS = ['Fn::Equals', 'Fn::Not', 'Fn::And', 'Fn::Or', 'Condition'];

/**
 * The value of every condition of `conditions`, as CloudFormation evaluates them before it creates
 * anything: `Fn::Equals` compares two values (resolved by `resolveIntrinsics` in `scope`, whose
 * `ref` answers parameters only), `Fn::Not`/`Fn::And`/`Fn::Or` combine conditions, and
 * `{ "Condition": name }` refers to another one. A cycle, an unknown condition name, a malformed
 * function or any other function throws `IntrinsicError` naming the condition.
 */
export function evaluateConditions(
  conditions: Record<string, unknown> | undefined,
  scope: IntrinsicScope,
): Record<string, boolean> {
  const all = conditions ?? {};
  const values: Record<string, boolean> = {};
  const visiting = new Set<string>();
  const named = (name: string, trail: string[]): boolean => {
    if (name in values) return values[name];
    if (!(name in all)) throw new IntrinsicError(`condition ${name} is not in the template's Conditions`);
    if (visiting.has(name)) throw new IntrinsicError(`circular condition: ${[...trail, name].join(' -> ')}`);
    visiting.add(name);
    values[name] = evaluate(all[name], name, [...trail, name]);
    visiting.delete(name);
    return values[name];
  };
  const evaluate = (expression: unknown, name: string, trail: string[]): boolean => {
    const entries =
      expression !== null && typeof expression === 'object' && !Array.isArray(expression)
        ? Object.entries(expression as Record<string, unknown>)
        : [];
    if (entries.length !== 1 || !CONDITION_FUNCTIONS.includes(entries[0][0])) {
      throw new IntrinsicError(
        `condition ${name}: ${JSON.stringify(expression)} is not a condition function (the test resolver supports ${CONDITION_FUNCTIONS.join(', ')})`,
      );
    }
    const [fn, arg] = entries[0];
    const list = (min: number, max: number): unknown[] => {
      if (!Array.isArray(arg) || arg.length < min || arg.length > max) {
        throw new IntrinsicError(
          `condition ${name}: ${fn} takes ${min === max ? min : `${min} to ${max}`} elements, not ${JSON.stringify(arg)}`,
        );
      }
      return arg;
    };
    switch (fn) {
      case 'Condition':
        if (typeof arg !== 'string')
          throw new IntrinsicError(`condition ${name}: Condition takes a name, not ${JSON.stringify(arg)}`);
        return named(arg, trail);
      case 'Fn::Equals': {
        const [a, b] = list(2, 2).map((v) => {
          try {
            return resolveIntrinsics(v, scope, { scalarsAsStrings: true });
          } catch (error) {
            if (error instanceof IntrinsicError) throw new IntrinsicError(`condition ${name}: ${error.message}`);
            throw error;
          }
        });
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not':
        return !evaluate(list(1, 1)[0], name, trail);
      case 'Fn::And':
        return list(2, 10)
          .map((c) => evaluate(c, name, trail))
          .every(Boolean);
      default:
        return list(2, 10)
          .map((c) => evaluate(c, name, trail))
          .some(Boolean);
    }
  };
  for (const name of Object.keys(all)) named(name, []);
  return values;
}
