/**
 * The security scanners platform teams run on synthesized templates, from the scanners' venv
 * (`bash scripts/setup-scanners.sh`): checkov on CloudFormation templates and parliament on IAM
 * policy documents. Each runs once over a directory (their start-up dominates), like cfn-lint in
 * `templates.ts`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  AccountPasswordPolicy,
  ConsoleUser,
  LoginProfile,
  RequireMfaPolicy,
  SignInAlerts,
  SignInAlertsForwarder,
} from '../../lib';
import { LoginProfileProvider } from '../../lib/login-profile/provider';
import { LoginProfileRotation } from '../../lib/rotation/rotation';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SCAN_BIN = path.join(REPO_ROOT, '.venv-scan', 'bin');

/** The pinned checkov and parliament (requirements-scan.txt). */
export const CHECKOV = path.join(SCAN_BIN, 'checkov');
export const PARLIAMENT = path.join(SCAN_BIN, 'parliament');

function requireTool(tool: string): void {
  if (!fs.existsSync(tool)) {
    throw new Error(`${path.basename(tool)} not found at ${tool}; run 'bash scripts/setup-scanners.sh' first`);
  }
}

/** A fresh, empty directory under cdk.out/ (gitignored) for one scan. */
export function scanDirectory(name: string): string {
  const dir = path.join(REPO_ROOT, 'cdk.out', 'scans', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** One checkov result on one resource. */
export interface CheckovResult {
  /** Template file name. */
  readonly file: string;
  /** Logical ID of the resource. */
  readonly logicalId: string;
  readonly resourceType: string;
  readonly checkId: string;
  /** The acknowledgement's comment (skipped results only). */
  readonly comment?: string;
}

/** What checkov found on a directory of templates. */
export interface CheckovReport {
  readonly failed: CheckovResult[];
  readonly skipped: CheckovResult[];
  readonly passed: number;
  readonly resources: number;
}

interface RawCheck {
  readonly check_id: string;
  readonly resource: string;
  readonly file_path: string;
  readonly check_result?: { readonly suppress_comment?: string };
}

function result(raw: RawCheck): CheckovResult {
  const dot = raw.resource.indexOf('.');
  return {
    file: path.basename(raw.file_path),
    resourceType: raw.resource.slice(0, dot),
    logicalId: raw.resource.slice(dot + 1),
    checkId: raw.check_id,
    ...(raw.check_result?.suppress_comment === undefined ? {} : { comment: raw.check_result.suppress_comment }),
  };
}

/** Runs checkov's CloudFormation checks once over every template in `dir`, offline. */
export function checkov(dir: string): CheckovReport {
  requireTool(CHECKOV);
  const run = spawnSync(
    CHECKOV,
    ['--directory', dir, '--framework', 'cloudformation', '--skip-download', '--compact', '--output', 'json'],
    { encoding: 'utf8', timeout: 300_000, maxBuffer: 256 * 1024 * 1024 },
  );
  if (run.error) throw new Error(`checkov could not run: ${run.error.message}`);
  // Exit status 1 means failed checks; anything else but 0 means checkov itself failed.
  if (run.status !== 0 && run.status !== 1) throw new Error(`checkov failed (status ${run.status}): ${run.stderr}`);
  const parsed = JSON.parse(run.stdout) as unknown;
  const reports = (Array.isArray(parsed) ? parsed : [parsed]) as Array<{
    check_type?: string;
    results?: { failed_checks: RawCheck[]; skipped_checks: RawCheck[]; passed_checks: RawCheck[] };
    summary: { resource_count: number; parsing_errors: number };
  }>;
  const report = reports.find((r) => r.check_type === 'cloudformation');
  if (!report?.results)
    throw new Error(`checkov found no CloudFormation template in ${dir}: ${run.stdout.slice(0, 500)}`);
  if (report.summary.parsing_errors > 0)
    throw new Error(`checkov could not parse ${report.summary.parsing_errors} template(s) in ${dir}`);
  return {
    failed: report.results.failed_checks.map(result),
    skipped: report.results.skipped_checks.map(result),
    passed: report.results.passed_checks.length,
    resources: report.summary.resource_count,
  };
}

/** One parliament finding. */
export interface ParliamentFinding {
  /** Policy file name. */
  readonly file: string;
  readonly issue: string;
  readonly severity: string;
  readonly detail: unknown;
}

/** Runs parliament once over every `*.json` policy document in `dir`, with its own auditors (as users run it). */
export function parliament(dir: string): ParliamentFinding[] {
  requireTool(PARLIAMENT);
  const run = spawnSync(PARLIAMENT, ['--directory', dir, '--include_policy_extension', 'json', '--json'], {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw new Error(`parliament could not run: ${run.error.message}`);
  // Exit status 1 means findings; anything else but 0 means parliament itself failed.
  if ((run.status !== 0 && run.status !== 1) || /Traceback/.test(run.stderr)) {
    throw new Error(`parliament failed (status ${run.status}): ${run.stderr}`);
  }
  return run.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const f = JSON.parse(line) as {
        issue: string;
        severity: string;
        detail: unknown;
        location?: { filepath?: string };
      };
      return {
        file: path.basename(f.location?.filepath ?? '?'),
        issue: f.issue,
        severity: f.severity,
        detail: f.detail,
      };
    });
}

/** The constructs of this library: every resource under one of them is the library's. */
const LIBRARY_CONSTRUCTS = [
  ConsoleUser,
  LoginProfile,
  LoginProfileProvider,
  LoginProfileRotation,
  AccountPasswordPolicy,
  RequireMfaPolicy,
  SignInAlerts,
  SignInAlertsForwarder,
];

/** Logical IDs of the CloudFormation resources of `stack` that this library created. */
export function libraryResources(stack: Stack): Set<string> {
  const ids = new Set<string>();
  for (const c of stack.node.findAll()) {
    if (!(c instanceof CfnResource) || Stack.of(c) !== stack) continue;
    if (c.node.scopes.some((s: IConstruct) => LIBRARY_CONSTRUCTS.some((cls) => s instanceof cls))) {
      ids.add(stack.getLogicalId(c));
    }
  }
  return ids;
}
