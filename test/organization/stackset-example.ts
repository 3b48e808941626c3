/** The organization-wide example (bin/organization-stack.ts) synthesized as `cdk synth` writes it, for its tests. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { OrganizationConsoleUsersStack } from '../../bin/organization-stack';
import { TemplateJson } from '../tooling/driver';

export const EXAMPLE = {
  env: { account: '111111111111', region: 'eu-west-1' },
  organizationalUnits: ['ou-ab12-34cd56ef'],
  homeRegion: 'eu-west-1',
  custodianRoleArn: 'arn:aws:iam::222222222222:role/ConsolePasswordCustodian',
};

export type Resource = { Type: string; Condition?: string; Properties?: Record<string, unknown> };

/** The example synthesized as `cdk synth` writes it: the admin stack's template, the StackSet's template, the assets. */
export function synthesizeExample(): {
  readonly admin: { Resources: Record<string, Resource> };
  readonly members: TemplateJson & { Parameters?: unknown; Conditions?: Record<string, unknown> };
  readonly membersFile: string;
  readonly assets: { files: Record<string, { source: { path: string } }>; dockerImages?: Record<string, unknown> };
  readonly warnings: string[];
} {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'org-example-'));
  const app = new App({ outdir });
  const stack = new OrganizationConsoleUsersStack(app, 'OrganizationConsoleUsers', EXAMPLE);
  const assembly = app.synth();
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8'));
  const artifact = assembly.getStackByName(stack.stackName);
  return {
    admin: artifact.template,
    members: read(stack.members.templateFile),
    membersFile: path.join(outdir, stack.members.templateFile),
    assets: read(`${stack.artifactId}.assets.json`),
    warnings: artifact.messages.filter((m) => m.level !== 'info').map((m) => `${m.id}: ${String(m.entry.data)}`),
  };
}
