// API.md, the API reference, in the format of the jsii ecosystem (Construct Hub's): jsii-docgen
// renders it from the jsii assembly (.jsii, written by `npm run compile` from the JSDoc of
// lib/index.ts and what it exports). Members a construct inherits (ConsoleUser extends iam.User)
// are listed too, as jsii-docgen does.
//
//   node scripts/api-docs.mjs           rewrite API.md
//   node scripts/api-docs.mjs --check   fail if API.md is not what the assembly generates
//
// `npm run docs` and `npm run docs:check` compile first, so the assembly matches the sources.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = (await import('node:module')).createRequire(import.meta.url);
const target = path.join(root, 'API.md');
const check = process.argv.includes('--check');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'api-docs-'));

try {
  execFileSync(
    process.execPath,
    [require.resolve('jsii-docgen/bin/jsii-docgen'), '--output', path.join(out, 'API.md')],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20', ...process.env },
    },
  );
  const generated = fs.readFileSync(path.join(out, 'API.md'), 'utf8');
  if (check) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== generated) {
      console.error('API.md is out of date: run `npm run docs` and commit API.md');
      process.exit(1);
    }
    console.log('API.md is up to date');
  } else {
    fs.writeFileSync(target, generated);
    console.log(`wrote API.md (${generated.length} characters)`);
  }
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
