/**
 * The organization-wide example (bin/organization-stack.ts): a cdk-stacksets StackSet, service
 * managed and auto-deployed to an OU, whose template holds a break-glass user and an auditor in
 * the asset-free mode, guarded by a home region, with the passwords readable by a role of a
 * security account. Checked on the cloud assembly `cdk synth` writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SignInAlerts } from '../../lib';
import { EXAMPLE, Resource, synthesizeExample } from './stackset-example';

const synthesized = synthesizeExample();
const members = synthesized.members;
const resources = Object.entries(members.Resources) as [string, Resource][];
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);

describe('the StackSet', () => {
  const [[, stackSet]] = Object.entries(synthesized.admin.Resources).filter(
    ([, r]) => r.Type === 'AWS::CloudFormation::StackSet',
  );

  test('is service managed, deployed to the OU and to each new account of it, in the home and forwarding regions', () => {
    expect(stackSet.Properties).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: EXAMPLE.organizationalUnits },
          Regions: [EXAMPLE.homeRegion, ...SignInAlerts.forwardingRegions(EXAMPLE.homeRegion)],
        },
      ],
    });
    expect(SignInAlerts.forwardingRegions(EXAMPLE.homeRegion)).toEqual([
      'us-east-1',
      'us-east-2',
      'eu-north-1',
      'ap-southeast-2',
    ]);
  });

  test('the admin stack publishes its own template and the StackSet template, and no other asset', () => {
    const files = Object.values(synthesized.assets.files).map((f) => f.source.path);
    expect(files.sort()).toEqual(
      [path.basename(synthesized.membersFile), 'OrganizationConsoleUsers.template.json'].sort(),
    );
    expect(synthesized.assets.dockerImages ?? {}).toEqual({});
  });

  test('synthesizes without a warning or an error', () => {
    expect(synthesized.warnings).toEqual([]);
  });
});

describe('the StackSet template', () => {
  test('is asset-free: no parameters, every function inline, nothing from an asset bucket, a literal runtime', () => {
    expect(members.Parameters).toBeUndefined();
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(3);
    for (const [, fn] of functions) {
      expect(Object.keys(fn.Properties!.Code as object)).toEqual(['ZipFile']);
      expect(fn.Properties!.Runtime).toMatch(/^nodejs\d+\.x$/);
    }
    const text = JSON.stringify(members);
    for (const assetReference of ['S3Bucket', 'S3Key', 'cdk-hnb659fds', 'AssetParameters', 'aws:asset:']) {
      expect(text).not.toContain(assetReference);
    }
  });

  test('creates everything in the home region only, except the sign-in forwarder, which is everywhere else', () => {
    const conditions = members.Conditions!;
    const home = Object.keys(conditions).find(
      (c) =>
        JSON.stringify(conditions[c]) ===
        JSON.stringify({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, EXAMPLE.homeRegion] }),
    )!;
    const others = Object.keys(conditions).find(
      (c) => JSON.stringify(conditions[c]) === JSON.stringify({ 'Fn::Not': [{ Condition: home }] }),
    )!;
    expect([home, others]).toEqual([expect.any(String), expect.any(String)]);
    const byCondition = new Map<string | undefined, string[]>();
    for (const [, r] of resources) byCondition.set(r.Condition, [...(byCondition.get(r.Condition) ?? []), r.Type]);
    expect(byCondition.get(others)!.sort()).toEqual(['AWS::Events::Rule', 'AWS::IAM::Policy', 'AWS::IAM::Role']);
    // Every resource has one of the two (a test app writes no CDK metadata resource).
    expect([...byCondition.keys()].sort()).toEqual([home, others].sort());
    for (const type of [
      'AWS::IAM::User',
      'Custom::ConsoleLoginProfile',
      'Custom::AccountPasswordPolicy',
      'AWS::SecretsManager::Secret',
      'AWS::Lambda::Function',
    ]) {
      expect(byCondition.get(home)).toContain(type);
    }
  });

  test("lets the security account's role read both passwords, through Secrets Manager, under customer managed keys", () => {
    const custodian = EXAMPLE.custodianRoleArn;
    const policies = ofType('AWS::SecretsManager::ResourcePolicy').map(([, r]) => JSON.stringify(r.Properties));
    expect(policies).toHaveLength(2);
    for (const policy of policies) expect(policy).toContain(custodian);
    for (const [, secret] of ofType('AWS::SecretsManager::Secret')) expect(secret.Properties!.KmsKeyId).toBeDefined();
    const keyPolicies = ofType('AWS::KMS::Key').map(([, r]) => JSON.stringify(r.Properties!.KeyPolicy));
    const readerKeyPolicies = keyPolicies.filter((p) => p.includes(custodian));
    expect(readerKeyPolicies).toHaveLength(2);
    for (const policy of readerKeyPolicies) expect(policy).toContain('kms:ViaService');
    // No identity policy in the member account names the custodian (it is another account's role).
    for (const [, policy] of ofType('AWS::IAM::Policy'))
      expect(JSON.stringify(policy.Properties!.Roles)).not.toContain('Custodian');
  });

  test("stays far below CloudFormation's 1,000,000 bytes as cdk-stacksets writes it", () => {
    const bytes = fs.statSync(synthesized.membersFile).size;
    expect(bytes).toBeGreaterThan(44_000); // the three handlers' code
    expect(bytes).toBeLessThan(200_000);
  });
});
