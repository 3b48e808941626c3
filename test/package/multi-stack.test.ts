/**
 * Composition: two stacks of one app, each with console users, and a nested stack holding some.
 * Each (nested) stack gets its own login-profile provider, whose permissions name exactly that
 * stack's users and secrets, and every login profile is served by the provider of its own template.
 */
import { App, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsoleUser, LoginProfile } from '../../lib';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const HANDLER_DESCRIPTION = /^cdk-console-users: creates console login profiles/;

/** Logical IDs of the resources of `type` in `template`. */
function idsOf(template: Json, type: string): string[] {
  return Object.entries<Json>(template.Resources ?? {})
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id)
    .sort();
}

/** The login-profile handler functions of a template (by their description). */
function handlersOf(template: Json): string[] {
  return idsOf(template, 'AWS::Lambda::Function').filter((id) =>
    HANDLER_DESCRIPTION.test(template.Resources[id].Properties.Description ?? ''),
  );
}

/**
 * All policy statements that reach the role of the (single) login-profile handler: inline
 * AWS::IAM::Policy attached to it, and customer managed policies attached to it either way.
 */
function handlerStatements(template: Json): Json[] {
  const [handler] = handlersOf(template);
  const roleId: string = template.Resources[handler].Properties.Role['Fn::GetAtt'][0];
  const role = template.Resources[roleId];
  const attachedByRole = new Set(
    (role.Properties.ManagedPolicyArns ?? []).map((a: Json) => a?.Ref).filter((r: unknown) => r !== undefined),
  );
  const statements: Json[] = [];
  for (const [id, r] of Object.entries<Json>(template.Resources)) {
    const attached =
      (r.Properties?.Roles ?? []).some((x: Json) => x?.Ref === roleId) ||
      (r.Type === 'AWS::IAM::ManagedPolicy' && attachedByRole.has(id));
    if ((r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && attached) {
      statements.push(...r.Properties.PolicyDocument.Statement);
    }
  }
  return statements;
}

/** Every resource named by a handler statement that allows `action`, as written in the template. */
function resourcesAllowed(template: Json, action: string): string[] {
  const found: string[] = [];
  for (const s of handlerStatements(template)) {
    const actions = [s.Action].flat();
    if (s.Effect === 'Allow' && actions.includes(action)) {
      found.push(...[s.Resource].flat().map((r: unknown) => JSON.stringify(r)));
    }
  }
  return found.sort();
}

const arnOf = (logicalId: string) => JSON.stringify({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const refOf = (logicalId: string) => JSON.stringify({ Ref: logicalId });

function build() {
  // The built-in CloudFormation validation costs seconds per Template.fromStack and checks nothing
  // this test is about (cfn-lint runs on synthesized templates elsewhere).
  const app = new App({ builtinCloudFormationValidation: false });
  const first = new Stack(app, 'First');
  new ConsoleUser(first, 'Alice');
  new ConsoleUser(first, 'Bob', { passwordResetRequired: false });

  const second = new Stack(app, 'Second');
  new ConsoleUser(second, 'Carol');
  const nested = new NestedStack(second, 'Team');
  new ConsoleUser(nested, 'Dave');
  const erin = new iam.User(nested, 'ErinUser');
  new LoginProfile(nested, 'ErinLoginProfile', { user: erin });

  return {
    first: Template.fromStack(first).toJSON(),
    second: Template.fromStack(second).toJSON(),
    nested: Template.fromStack(nested).toJSON(),
  };
}

describe('console users in two stacks and a nested stack', () => {
  const t = build();

  it('gives each stack and the nested stack exactly one login-profile handler', () => {
    expect(handlersOf(t.first)).toHaveLength(1);
    expect(handlersOf(t.second)).toHaveLength(1);
    expect(handlersOf(t.nested)).toHaveLength(1);
  });

  it("serves every login profile from its own template's provider (no cross-stack service token)", () => {
    for (const template of [t.first, t.second, t.nested]) {
      const profiles = idsOf(template, 'Custom::ConsoleLoginProfile');
      expect(profiles.length).toBeGreaterThan(0);
      for (const id of profiles) {
        const token = template.Resources[id].Properties.ServiceToken;
        // GIVEN a login profile  THEN its service token is a GetAtt of a resource of the same template
        expect(token['Fn::GetAtt']).toBeDefined();
        expect(template.Resources[token['Fn::GetAtt'][0]]).toBeDefined();
      }
    }
  });

  it('lets each handler manage the login profiles of exactly its own users', () => {
    expect(resourcesAllowed(t.first, 'iam:CreateLoginProfile')).toEqual(
      idsOf(t.first, 'AWS::IAM::User').map(arnOf).sort(),
    );
    expect(resourcesAllowed(t.second, 'iam:CreateLoginProfile')).toEqual(
      idsOf(t.second, 'AWS::IAM::User').map(arnOf).sort(),
    );
    expect(resourcesAllowed(t.nested, 'iam:CreateLoginProfile')).toEqual(
      idsOf(t.nested, 'AWS::IAM::User').map(arnOf).sort(),
    );
    // Sanity: the sets really differ, so the equalities above would catch a shared provider.
    expect(idsOf(t.first, 'AWS::IAM::User')).toHaveLength(2);
    expect(idsOf(t.second, 'AWS::IAM::User')).toHaveLength(1);
    expect(idsOf(t.nested, 'AWS::IAM::User')).toHaveLength(2);
  });

  it('lets each handler write exactly the password secrets of its own stack', () => {
    for (const template of [t.first, t.second, t.nested]) {
      expect(resourcesAllowed(template, 'secretsmanager:PutSecretValue')).toEqual(
        idsOf(template, 'AWS::SecretsManager::Secret').map(refOf).sort(),
      );
    }
  });

  it('grants no handler iam:CreateLoginProfile on "*" or on a user of another template', () => {
    for (const template of [t.first, t.second, t.nested]) {
      for (const r of resourcesAllowed(template, 'iam:CreateLoginProfile')) {
        expect(r).not.toContain('*');
        expect(r).not.toContain('Fn::ImportValue');
        expect(r).not.toContain('Outputs');
      }
    }
  });
});
