/**
 * checkov on the sample app and the test apps (needs the scanners' venv: scripts/setup-scanners.sh).
 * Fails when a resource the library creates shows a finding that lib/compliance/checkov.ts does not
 * acknowledge, and when an acknowledgement lands on a resource of the user's.
 */
import { CheckovReport, checkov, scanDirectory } from '../tooling/scanners';
import { ScannedTemplate, writeScannedTemplates } from './scan-apps';

let templates: ScannedTemplate[];
let report: CheckovReport;

beforeAll(() => {
  // GIVEN every scanned app's templates in one directory, WHEN checkov runs once over it
  const dir = scanDirectory('checkov');
  templates = writeScannedTemplates(dir);
  report = checkov(dir);
}, 300_000);

const isLibrary = (file: string, logicalId: string) =>
  templates.find((t) => t.file === file)?.library.has(logicalId) ?? false;

test('checkov scanned every template', () => {
  const resources = templates.reduce((n, t) => n + Object.keys(t.template.Resources).length, 0);
  expect(report.resources).toBe(resources);
  expect(report.passed).toBeGreaterThan(0);
});

test('no resource the library creates has an unacknowledged checkov finding', () => {
  const unacknowledged = report.failed
    .filter((f) => isLibrary(f.file, f.logicalId))
    .map((f) => `${f.file} ${f.resourceType} ${f.logicalId}: ${f.checkId}`);
  expect(unacknowledged).toEqual([]);
});

test('every acknowledgement is on a library resource, with a reason in full sentences', () => {
  // THEN the skips are the library's (nothing of the user's is hidden) and each says why
  expect(report.skipped.length).toBeGreaterThan(0);
  for (const s of report.skipped) {
    expect({ resource: `${s.file} ${s.logicalId}`, library: isLibrary(s.file, s.logicalId) }).toEqual({
      resource: `${s.file} ${s.logicalId}`,
      library: true,
    });
    expect(s.comment).toMatch(/^[A-Z].{60,}\.$/s);
  }
});

test('the acknowledged checks are exactly the ones the design answers', () => {
  // A new kind of finding must be looked at (fixed, or acknowledged with a reason), not just added.
  expect([...new Set(report.skipped.map((s) => s.checkId))].sort()).toEqual([
    'CKV_AWS_107',
    'CKV_AWS_115',
    'CKV_AWS_116',
    'CKV_AWS_117',
    'CKV_AWS_149',
    'CKV_AWS_158',
    'CKV_AWS_173',
    'CKV_AWS_40',
  ]);
});

test('a log group or secret with a customer managed key passes, unacknowledged', () => {
  // GIVEN the apps with keys: their encrypted log groups and secrets
  const encrypted = templates.flatMap((t) =>
    Object.entries(t.template.Resources)
      .filter(
        ([id, r]) =>
          t.library.has(id) &&
          ((r.Type === 'AWS::Logs::LogGroup' && r.Properties?.KmsKeyId) ||
            (r.Type === 'AWS::SecretsManager::Secret' && r.Properties?.KmsKeyId)),
      )
      .map(([id]) => `${t.file} ${id}`),
  );
  expect(encrypted.length).toBeGreaterThanOrEqual(4);
  // THEN checkov neither fails nor skips a key check on them
  const keyChecks = [...report.failed, ...report.skipped]
    .filter((r) => r.checkId === 'CKV_AWS_158' || r.checkId === 'CKV_AWS_149')
    .map((r) => `${r.file} ${r.logicalId}`);
  expect(keyChecks.filter((r) => encrypted.includes(r))).toEqual([]);
});
