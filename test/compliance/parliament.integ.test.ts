/**
 * parliament on the IAM policies the library deploys (the handlers' and the users'), as deployed:
 * intrinsics rendered to concrete ARNs (test/scale/deployed-template.ts). Needs the scanners' venv
 * (scripts/setup-scanners.sh). parliament, with its own auditors as users run it, finds nothing in them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REALISTIC_ENVIRONMENT, TemplateRenderer } from '../scale/deployed-template';
import { ParliamentFinding, parliament, scanDirectory } from '../tooling/scanners';
import { ScannedTemplate, writeScannedTemplates } from './scan-apps';

/** Where identity policy documents sit in each resource type. */
function policyDocuments(type: string, properties: Record<string, unknown>): Array<[string, unknown]> {
  switch (type) {
    case 'AWS::IAM::Policy':
    case 'AWS::IAM::ManagedPolicy':
      return [['PolicyDocument', properties.PolicyDocument]];
    case 'AWS::IAM::Role':
    case 'AWS::IAM::User':
    case 'AWS::IAM::Group':
      return ((properties.Policies ?? []) as Array<{ PolicyName: string; PolicyDocument: unknown }>).map((p, i) => [
        `Policies${i}`,
        p.PolicyDocument,
      ]);
    default:
      return [];
  }
}

let policies: string[];
let findings: ParliamentFinding[];

beforeAll(() => {
  // GIVEN every library policy of every scanned app, rendered as deployed, one file each
  const dir = scanDirectory('parliament');
  const templates: ScannedTemplate[] = writeScannedTemplates(scanDirectory('parliament-templates'));
  policies = [];
  for (const t of templates) {
    const renderer = new TemplateRenderer(
      { ...REALISTIC_ENVIRONMENT, stackName: t.file.replace(/\.template\.json$/, '') },
      t.template.Resources,
    );
    for (const [id, resource] of Object.entries(t.template.Resources)) {
      if (!t.library.has(id)) continue;
      for (const [where, document] of policyDocuments(resource.Type, resource.Properties ?? {})) {
        const file = `${t.file.replace(/\.template\.json$/, '')}.${id}.${where}.json`;
        fs.writeFileSync(path.join(dir, file), JSON.stringify(renderer.render(document), undefined, 1));
        policies.push(file);
      }
    }
  }
  // WHEN parliament runs once over them
  findings = parliament(dir);
}, 300_000);

test('parliament read every library policy: the handlers, the rotation function, the imported user', () => {
  expect(policies.length).toBeGreaterThanOrEqual(20);
  expect(policies.some((p) => p.includes('ChangePasswordPolicy'))).toBe(true);
  expect(policies.some((p) => p.includes('RotationPermissions'))).toBe(true);
  expect(policies.some((p) => p.includes('PasswordPolicyHandlerPolicy'))).toBe(true);
});

test('parliament finds nothing in the policies the library deploys', () => {
  expect(findings).toEqual([]);
});
