/**
 * The bundled handlers (assets/<name>/index.js, what the package ships, built by `npm run bundle`),
 * loaded for tests that run them as Lambda would.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CloudFormationResponse, SendResponse } from '../../lambda/runtime/responder';
import { RESPONSE_URL } from './lambda-fixtures';

/**
 * A bundled handler's entry point. For a custom-resource handler (one that answers CloudFormation
 * at the event's ResponseURL), its answer is recorded instead of sent, and SUCCESS resolves with
 * `{ PhysicalResourceId, Data }` while FAILED rejects with an error whose message is the `Reason`
 * (see `answered`). An event without a ResponseURL gets a recording one.
 */
export type BundledHandler<E = unknown, R = unknown> = (event: E, context?: unknown) => Promise<R>;

const ASSETS = path.resolve(__dirname, '..', '..', 'assets');

/** The path of the bundle `name` (a directory under assets/); fails when it was not built. */
export function bundlePath(name: string): string {
  const file = path.join(ASSETS, name, 'index.js');
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: run 'npm run bundle' first`);
  return file;
}

/**
 * The handler of bundle `name`, loaded once per test file (jest gives each file its own module
 * registry): one warm Lambda container, whose module state and SDK clients persist between calls.
 */
export function bundledHandler<E = unknown, R = unknown>(name: string): BundledHandler<E, R> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return exported<E, R>(require(bundlePath(name)), name);
}

/**
 * The handler of bundle `name` in a fresh instance: the bundle's code evaluated again (its own
 * module state, SDK clients and retry quota), like a new Lambda container. The @aws-sdk modules it
 * requires are shared, as the runtime's are. (Jest's require cache cannot be cleared for one module.)
 */
export function freshBundledHandler<E = unknown, R = unknown>(name: string): BundledHandler<E, R> {
  return exported<E, R>(loadCommonJs(bundlePath(name)), name);
}

/**
 * The handler of a Lambda function whose code is inline (`Code.ZipFile`), in a fresh instance:
 * the code written to a new temporary directory as index.js, as Lambda unpacks it, and loaded from
 * there, with `handler` (e.g. 'index.handler') naming its export. Its requires resolve as the
 * bundles' do (the runtime's @aws-sdk modules are the project's). As for a bundle, an exported
 * `handlerWith` gets a recorded answer.
 */
export function inlineHandler<E = unknown, R = unknown>(zipFile: string, handler: string): BundledHandler<E, R> {
  const match = /^index\.([A-Za-z_$][\w$]*)$/.exec(handler);
  if (!match)
    throw new Error(`Handler ${JSON.stringify(handler)}: inline code is index.js, so the handler is index.<export>`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inline-code-'));
  const file = path.join(dir, 'index.js');
  fs.writeFileSync(file, zipFile);
  const exports = loadCommonJs(file);
  fs.rmSync(dir, { recursive: true, force: true });
  if (typeof exports.handlerWith === 'function') return exported<E, R>(exports, `inline code (${handler})`);
  if (typeof exports[match[1]] !== 'function') throw new Error(`the inline code exports no function ${match[1]}`);
  return exports[match[1]] as BundledHandler<E, R>;
}

function exported<E, R>(moduleExports: unknown, name: string): BundledHandler<E, R> {
  const { handler, handlerWith } = moduleExports as { handler?: unknown; handlerWith?: unknown };
  if (typeof handler !== 'function') throw new Error(`the bundle ${name} exports no handler`);
  if (typeof handlerWith === 'function') return answered(handlerWith as never) as BundledHandler<E, R>;
  return handler as BundledHandler<E, R>;
}

/** The answer of a custom-resource handler that failed: its `Reason` is the message. */
export class FailedAnswerError extends Error {
  constructor(public readonly answer: CloudFormationResponse) {
    super(answer.Reason ?? '(no reason)');
    this.name = 'FailedAnswerError';
  }
}

function answered(
  handlerWith: (
    send: SendResponse,
  ) => (event: unknown, context?: unknown) => Promise<CloudFormationResponse | undefined>,
): BundledHandler<unknown, { PhysicalResourceId: string; Data?: Record<string, string> }> {
  return async (event, context) => {
    const sent: CloudFormationResponse[] = [];
    const withUrl = { ResponseURL: RESPONSE_URL, ...(event as object) };
    await handlerWith(async (_url, answer) => void sent.push(answer))(withUrl, context);
    if (sent.length !== 1) throw new Error(`the handler answered ${sent.length} times`);
    const [answer] = sent;
    if (answer.Status === 'FAILED') throw new FailedAnswerError(answer);
    return answer.Data === undefined
      ? { PhysicalResourceId: answer.PhysicalResourceId }
      : { PhysicalResourceId: answer.PhysicalResourceId, Data: answer.Data };
  };
}

/**
 * Evaluates the CommonJS file `file` as a module of its own (not through Jest's module registry,
 * so each call gets a fresh instance), with its requires resolved as this project's: what Lambda's
 * runtime does with `index.js`. Returns its exports.
 */
function loadCommonJs(file: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  const evaluate = new Function(
    'exports',
    'require',
    'module',
    '__filename',
    '__dirname',
    fs.readFileSync(file, 'utf8'),
  );
  evaluate(module.exports, require, module, file, path.dirname(file));
  return module.exports;
}
