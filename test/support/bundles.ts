/**
 * The bundled handlers (assets/<name>/index.js, what the package ships, built by `npm run bundle`),
 * loaded for tests that run them as Lambda would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A bundled handler's entry point. */
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
  const file = bundlePath(name);
  const module = { exports: {} };
  const evaluate = new Function(
    'exports',
    'require',
    'module',
    '__filename',
    '__dirname',
    fs.readFileSync(file, 'utf8'),
  );
  evaluate(module.exports, require, module, file, path.dirname(file));
  return exported<E, R>(module.exports, name);
}

function exported<E, R>(moduleExports: unknown, name: string): BundledHandler<E, R> {
  const handler = (moduleExports as { handler?: unknown }).handler;
  if (typeof handler !== 'function') throw new Error(`the bundle ${name} exports no handler`);
  return handler as BundledHandler<E, R>;
}
