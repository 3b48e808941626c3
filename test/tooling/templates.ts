/**
 * Synthesized templates for cfn-lint: tests save every template they synthesize with
 * `saveTemplate`, then one `cfnLint` call checks them all (cfn-lint's start-up dominates, so
 * one run over many files is much faster than one run per file).
 *
 * Usage in any test file:
 *   const saved = saveTemplate('my-stack', Template.fromStack(stack).toJSON());
 *   ...
 *   test('every template synthesized here passes cfn-lint', () => expect(cfnLint(savedTemplates())).toEqual([]));
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where templates are written (gitignored: under cdk.out/). */
export const TEMPLATE_DIR = path.join(REPO_ROOT, 'cdk.out', 'test-templates');

/** The pinned cfn-lint from the project venv (`bash scripts/setup-python.sh`). */
export const CFN_LINT = path.join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');

/**
 * The cfn-lint rules this project ignores, each with its reason. The only place they are listed.
 */
export const IGNORED_CFN_LINT_RULES: Readonly<Record<string, string>> = {
  W3005:
    'Redundant DependsOn next to a Ref/GetAtt. aws-cdk-lib emits it for every lambda.Function (DependsOn its ' +
    'role, so the role policy exists before the first invocation); the ' +
    "login profile's DependsOn on the whole provider is deliberate (the handler's policy must outlive it on " +
    'delete). Redundant ordering is harmless to CloudFormation.',
};

const saved: string[] = [];

/** Writes `template` as `<name>.template.json` (name sanitized) and remembers it for `savedTemplates()`. */
export function saveTemplate(name: string, template: unknown): string {
  fs.mkdirSync(TEMPLATE_DIR, { recursive: true });
  const file = path.join(TEMPLATE_DIR, `${name.replace(/[^\w.-]+/g, '_')}.template.json`);
  fs.writeFileSync(file, JSON.stringify(template, undefined, 1));
  if (!saved.includes(file)) saved.push(file);
  return file;
}

/** Files saved by `saveTemplate` in this test file (jest gives each file its own module registry). */
export function savedTemplates(): string[] {
  return [...saved];
}

/** One cfn-lint finding. */
export interface CfnLintFinding {
  readonly rule: string;
  readonly level: string;
  readonly file: string;
  readonly message: string;
  readonly path: string;
}

/**
 * Runs cfn-lint on `files` (all at once) and returns its findings, minus the rules in
 * IGNORED_CFN_LINT_RULES. Throws with a clear message when cfn-lint is missing or crashes.
 */
export function cfnLint(files: readonly string[]): CfnLintFinding[] {
  if (files.length === 0) throw new Error('cfnLint: no templates given (did the tests call saveTemplate?)');
  if (!fs.existsSync(CFN_LINT)) {
    throw new Error(`cfn-lint not found at ${CFN_LINT}; run 'bash scripts/setup-python.sh' first`);
  }
  const ignore = Object.keys(IGNORED_CFN_LINT_RULES);
  const result = spawnSync(CFN_LINT, ['--format', 'json', '--ignore-checks', ...ignore, '--', ...files], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.error) throw new Error(`cfn-lint could not run: ${result.error.message}`);
  // Exit codes are a bit mask: 2 errors, 4 warnings, 8 informational; 1 = cfn-lint itself failed.
  if (result.status === null || (result.status & 1) === 1) {
    throw new Error(`cfn-lint failed (status ${result.status}): ${result.stderr || result.stdout}`);
  }
  const raw = JSON.parse(result.stdout || '[]') as Array<{
    Rule: { Id: string };
    Level: string;
    Filename: string;
    Message: string;
    Location: { Path?: unknown[] };
  }>;
  return raw.map((f) => ({
    rule: f.Rule.Id,
    level: f.Level,
    file: path.basename(f.Filename),
    message: f.Message,
    path: (f.Location.Path ?? []).join('/'),
  }));
}
