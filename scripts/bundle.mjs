// Bundles each Lambda handler in lambda/ into assets/<name>/index.js with esbuild, at build time,
// so that consumers of the package need neither esbuild nor Docker to synthesize.
// The Node.js Lambda runtime ships the AWS SDK v3, so @aws-sdk/* stays external.
// Each bundle stays one self-contained CommonJS file exporting `handler`, without a source map:
// HandlerCode.INLINE puts it in the template as the function's index.js (ZipFile), alone.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The table of handlers is lib/handler/bundles.ts, which the constructs read too: transpile it alone.
const table = await build({ entryPoints: [path.join(root, 'lib/handler/bundles.ts')], write: false, format: 'esm' });
const { HANDLER_BUNDLES } = await import(`data:text/javascript,${encodeURIComponent(table.outputFiles[0].text)}`);

for (const [name, entry] of Object.entries(HANDLER_BUNDLES)) {
  const result = await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(root, 'assets', name, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`bundled ${entry} -> assets/${name}/index.js (${bytes} bytes)`);
}
