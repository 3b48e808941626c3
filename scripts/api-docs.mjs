// Generates API.md, the API reference, from the JSDoc of the public API (lib/index.ts) with
// TypeDoc and typedoc-plugin-markdown.
//
//   node scripts/api-docs.mjs           rewrite API.md
//   node scripts/api-docs.mjs --check   fail if API.md is not what the sources generate
//
// Members a class inherits from aws-cdk-lib or constructs (ConsoleUser extends iam.User) are left
// out: they are documented upstream, and would bury this library's own API. Inherited props of
// interfaces stay (ConsoleUserProps is used with iam.UserProps' fields). No source links or line
// numbers, so that the file changes only when the API or its documentation does.
import { Application, Converter, ReflectionKind } from 'typedoc';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'API.md');
const check = process.argv.includes('--check');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'api-docs-'));

try {
  const app = await Application.bootstrapWithPlugins({
    entryPoints: [path.join(root, 'lib', 'index.ts')],
    tsconfig: path.join(root, 'tsconfig.build.json'),
    plugin: ['typedoc-plugin-markdown'],
    out,
    readme: 'none',
    outputFileStrategy: 'modules',
    entryFileName: 'API.md',
    disableSources: true,
    hidePageHeader: true,
    hideBreadcrumbs: true,
    parametersFormat: 'table',
    excludePrivate: true,
    excludeProtected: true,
    excludeInternal: true,
    sort: ['kind', 'alphabetical'],
    logLevel: 'Warn',
  });

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const members = context.project.getReflectionsByKind(
      ReflectionKind.Property | ReflectionKind.Method | ReflectionKind.Accessor,
    );
    for (const member of members) {
      const fromOutside = member.inheritedFrom !== undefined && member.inheritedFrom.reflection === undefined;
      if (fromOutside && member.parent?.kindOf(ReflectionKind.Class)) context.project.removeReflection(member);
    }
  });

  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not convert lib/index.ts (see the errors above)');
  await app.generateOutputs(project);
  const generated = fs
    .readFileSync(path.join(out, 'API.md'), 'utf8')
    .replace(/^# (.*)\n/, '# $1 API reference\n\nGenerated from the JSDoc by `npm run docs`; do not edit by hand.\n');

  if (!check) {
    fs.writeFileSync(target, generated);
    console.log(`wrote API.md (${generated.length} characters)`);
  } else {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== generated) {
      const a = current.split('\n');
      const b = generated.split('\n');
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      console.error(`API.md is stale: first difference at line ${i + 1}`);
      console.error(`  committed: ${JSON.stringify(a[i] ?? '(end of file)')}`);
      console.error(`  generated: ${JSON.stringify(b[i] ?? '(end of file)')}`);
      console.error('Run `npm run docs` and commit API.md.');
      process.exitCode = 1;
    } else {
      console.log('API.md is up to date');
    }
  }
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
