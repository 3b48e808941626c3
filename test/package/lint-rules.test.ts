/**
 * The lint rules that protect consumers: the published constructs (lib/) may import only peer
 * dependencies and Node built-ins, and no module may import one that imports it back, while the
 * handlers (lambda/) import AWS SDK clients that esbuild leaves external and the Lambda runtime
 * provides, and from lib/ only its contract files; floating promises are errors everywhere.
 *
 * Snippets are linted in memory with the repo's own eslint.config.mjs (one child process, since the
 * config is an ES module that jest's module system cannot load). The only override tells
 * typescript-eslint's project service to type-check files that are not on disk.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

interface LintCase {
  readonly filePath: string;
  readonly code: string;
}
interface LintMessage {
  readonly ruleId: string | null;
  readonly message: string;
}

const LINTER = `
import { ESLint } from 'eslint';
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['lib/*.ts', 'lambda/*/*.ts', 'test/*/*.ts'], defaultProject: 'tsconfig.json' },
      },
    },
  },
});
const out = [];
for (const c of JSON.parse(process.env.LINT_CASES)) {
  const [result] = await eslint.lintText(c.code, { filePath: c.filePath });
  out.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
}
const cyclic = await eslint.lintFiles(JSON.parse(process.env.CYCLE_FILES));
out.push(cyclic.flatMap((r) => r.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }))));
for (const file of JSON.parse(process.env.BOUNDARY_FILES)) {
  const [result] = await eslint.lintFiles([file]);
  out.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
}
process.stdout.write(JSON.stringify(out));
`;

const CASES = {
  libImportsSdk: {
    filePath: 'lib/zz-lint-probe.ts',
    code: "import { IAMClient } from '@aws-sdk/client-iam';\nexport const client = new IAMClient({});\n",
  },
  libImportsDevDependency: {
    filePath: 'lib/zz-lint-probe.ts',
    code: "import * as fc from 'fast-check';\nexport const arbitrary = fc.integer();\n",
  },
  libImportsPeers: {
    filePath: 'lib/zz-lint-probe.ts',
    code: [
      "import * as path from 'node:path';",
      "import { Stack } from 'aws-cdk-lib';",
      "import * as iam from 'aws-cdk-lib/aws-iam';",
      "import { Construct } from 'constructs';",
      'export const parts = [path.sep, Stack, iam.User, Construct];',
      '',
    ].join('\n'),
  },
  lambdaImportsSdk: {
    filePath: 'lambda/zz-lint-probe/index.ts',
    code: [
      "import { IAMClient } from '@aws-sdk/client-iam';",
      "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
      'export const clients = [new IAMClient({}), new SecretsManagerClient({})];',
      '',
    ].join('\n'),
  },
  lambdaImportsIamSimulate: {
    filePath: 'lambda/zz-lint-probe/index.ts',
    code: "import { runSimulation } from '@cloud-copilot/iam-simulate';\nexport const simulate = runSimulation;\n",
  },
  libFloatingPromise: {
    filePath: 'lib/zz-lint-probe.ts',
    code: 'async function work(): Promise<void> {}\nexport function start(): void {\n  work();\n}\n',
  },
  libOneWayImport: {
    // The real login-profile.ts, which imports rotation (which does not import it back).
    filePath: 'lib/login-profile/login-profile.ts',
    code: fs.readFileSync(path.join(ROOT, 'lib', 'login-profile', 'login-profile.ts'), 'utf8'),
  },
  testFloatingPromise: {
    filePath: 'test/zz-lint-probe/probe.ts',
    code: 'async function work(): Promise<void> {}\nwork();\n',
  },
} satisfies Record<string, LintCase>;

type CaseName = keyof typeof CASES;
let results: Record<CaseName, LintMessage[]>;
/** Messages for two modules that import each other (no-cycle reads imports from disk, so they are written there). */
let cycleResults: LintMessage[];
/** Messages for a handler module importing a construct, and one importing contracts (on disk, as no-cycle needs). */
let boundaryResults: { construct: LintMessage[]; contracts: LintMessage[] };

beforeAll(() => {
  const names = Object.keys(CASES) as CaseName[];
  const dir = fs.mkdtempSync(path.join(ROOT, 'test', 'package', 'zz-cycle-probe-'));
  const files = ['a', 'b'].map((name) => path.join(dir, `${name}.ts`));
  fs.writeFileSync(files[0], "import { b } from './b';\nexport const a = (): unknown => b;\n");
  fs.writeFileSync(files[1], "import { a } from './a';\nexport const b = (): unknown => a;\n");
  const handlerDir = fs.mkdtempSync(path.join(ROOT, 'lambda', 'zz-boundary-probe-'));
  // One level deeper than the in-memory probes, which the project service types as default-project files.
  fs.mkdirSync(path.join(handlerDir, 'handler'));
  const boundaryFiles = ['construct', 'contracts'].map((name) => path.join(handlerDir, 'handler', `${name}.ts`));
  fs.writeFileSync(
    boundaryFiles[0],
    "import { LoginProfile } from '../../../lib/login-profile/login-profile';\nexport const construct = LoginProfile;\n",
  );
  fs.writeFileSync(
    boundaryFiles[1],
    [
      "import { STACK_ID_ENV } from '../../../lib/handler/contract';",
      "import { LOGIN_PROFILE_RESOURCE_TYPE } from '../../../lib/login-profile/contract';",
      'export const names = [LOGIN_PROFILE_RESOURCE_TYPE, STACK_ID_ENV];',
      '',
    ].join('\n'),
  );
  try {
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', LINTER], {
      cwd: ROOT,
      env: {
        ...process.env,
        LINT_CASES: JSON.stringify(names.map((n) => CASES[n])),
        CYCLE_FILES: JSON.stringify(files),
        BOUNDARY_FILES: JSON.stringify(boundaryFiles),
      },
      encoding: 'utf8',
    });
    const messages = JSON.parse(stdout) as LintMessage[][];
    results = Object.fromEntries(names.map((n, i) => [n, messages[i]])) as Record<CaseName, LintMessage[]>;
    cycleResults = messages[names.length];
    boundaryResults = { construct: messages[names.length + 1], contracts: messages[names.length + 2] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(handlerDir, { recursive: true, force: true });
  }
}, 240_000);

const rulesOf = (name: CaseName) => results[name].map((m) => m.ruleId);

describe('import/no-extraneous-dependencies', () => {
  it('fails when lib/ imports an AWS SDK client (a dev dependency consumers do not have)', () => {
    // GIVEN a construct source importing @aws-sdk/client-iam  WHEN linted  THEN the rule names the package
    expect(results.libImportsSdk).toContainEqual({
      ruleId: 'import/no-extraneous-dependencies',
      message: expect.stringContaining("'@aws-sdk/client-iam'"),
    });
  });

  it('fails when lib/ imports any other dev dependency', () => {
    expect(results.libImportsDevDependency).toContainEqual({
      ruleId: 'import/no-extraneous-dependencies',
      message: expect.stringContaining("'fast-check'"),
    });
  });

  it('lets lib/ import the peer dependencies and Node built-ins', () => {
    expect(results.libImportsPeers).toEqual([]);
  });

  it('lets lambda/ import the SDK clients it leaves external (the Lambda runtime provides them)', () => {
    expect(results.lambdaImportsSdk).toEqual([]);
  });
});

describe('no-restricted-imports', () => {
  it('fails when lambda/ imports the AGPL policy simulator (a test-only tool that must never ship)', () => {
    expect(results.lambdaImportsIamSimulate).toContainEqual({
      ruleId: 'no-restricted-imports',
      message: expect.stringContaining('AGPL'),
    });
  });

  it('fails when lambda/ imports a construct module from lib/ (only contract.ts files cross into a bundle)', () => {
    expect(boundaryResults.construct).toContainEqual({
      ruleId: 'no-restricted-imports',
      message: expect.stringContaining('contract.ts'),
    });
  });

  it("lets lambda/ import lib/'s contract files", () => {
    expect(boundaryResults.contracts).toEqual([]);
  });
});

describe('import/no-cycle', () => {
  it('fails when a module imports one that imports it back', () => {
    // GIVEN two modules that import each other  WHEN linted  THEN each import is a cycle
    expect(cycleResults.filter((m) => m.ruleId === 'import/no-cycle')).toHaveLength(2);
  });

  it('lets a capability import another that does not import it', () => {
    expect(results.libOneWayImport).toEqual([]);
  });
});

describe('@typescript-eslint/no-floating-promises', () => {
  it('fails when lib/ drops a promise', () => {
    expect(rulesOf('libFloatingPromise')).toContain('@typescript-eslint/no-floating-promises');
  });

  it('fails when a test drops a promise', () => {
    expect(rulesOf('testFloatingPromise')).toContain('@typescript-eslint/no-floating-promises');
  });
});
