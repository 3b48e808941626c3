// ESLint flat config: typescript-eslint with type information (for no-floating-promises),
// import/no-extraneous-dependencies so the published constructs import only peer/runtime deps,
// and import/no-cycle so that capabilities depend on each other in one direction only.
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

const AGPL_TOOLS = { group: ['@cloud-copilot/*'], message: 'test-only (AGPL): never import it from lib/ or lambda/' };
const LIB_BUT_CONTRACTS = {
  regex: '(^|/)lib/(?!(.+/)?contract$)',
  message: 'a handler imports from lib/ only contract.ts files (no constructs, no aws-cdk-lib in a bundle)',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'cdk.out/**',
      'assets/**',
      '.venv/**',
      '.venv-scan/**',
      '.venv-cdk/**',
      'dist/**',
      'build/**',
      'lib/**/*.js',
      'lib/**/*.d.ts',
      '**/*.snapshot/**',
      'coverage/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { import: importPlugin },
    settings: {
      'import/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import/resolver': { typescript: { project: 'tsconfig.json' } },
    },
    rules: {
      'import/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // The published constructs may import only what a consumer has: peer dependencies.
      'import/no-extraneous-dependencies': ['error', { devDependencies: false, peerDependencies: true }],
    },
  },
  {
    // Handlers are bundled with esbuild at build time; @aws-sdk/* is provided by the Lambda runtime.
    // Tests, the sample app and scripts run only in this repo, with its dev dependencies.
    files: ['lambda/**/*.ts', 'test/**/*.ts', 'bin/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true }] },
  },
  {
    // Test-only tools under copyleft licences (iam-simulate is AGPL) must never reach what ships:
    // the constructs or the bundled handlers.
    files: ['lib/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [AGPL_TOOLS] }] },
  },
  {
    // A handler's bundle takes from lib/ only the contracts (`contract.ts`: types and constants both
    // sides share, with no aws-cdk-lib import), never a construct.
    files: ['lambda/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [AGPL_TOOLS, LIB_BUT_CONTRACTS] }] },
  },
);
