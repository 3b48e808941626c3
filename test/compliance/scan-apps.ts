/**
 * The apps the security scanners run on: the sample app, a fresh `cdk init` app (its recommended
 * feature flags) with every construct and option a user is likely to combine, the stacks of the
 * moto suite, and the same with customer managed keys for the log groups. Each template is written
 * to one directory, with the logical IDs of the resources the library created in it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { OrganizationConsoleUsersStack } from '../../bin/organization-stack';
import { ConsoleUsersSampleStack } from '../../bin/sample-stack';
import {
  AccountPasswordPolicy,
  BreakGlassUser,
  ConsoleUser,
  HandlerSettings,
  LoginProfile,
  PasswordPolicyPreset,
  SignInAlertsForwarder,
} from '../../lib';
import { templateStackParent } from '../../lib/core/deployment';
import { consoleUsersStack, importedUserStack } from '../tooling/stacks';
import { libraryResources } from '../tooling/scanners';

/** A template written for a scan. */
export interface ScannedTemplate {
  readonly file: string;
  readonly template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  /** Logical IDs of the library's resources in it. */
  readonly library: Set<string>;
}

const env = { account: '123456789012', region: 'eu-west-1' };

/** A `cdk init` app: the feature flags a new project gets (each Lambda function gets a log group). */
function initApp(): App {
  return new App({ context: { ...cxapi.NEW_PROJECT_DEFAULT_CONTEXT, ...cxapi.CURRENTLY_RECOMMENDED_FLAGS } });
}

/** The app: three console users (one rotating, one with a key), an imported user, a password policy. */
function newUserApp(logKeys: boolean): Stack[] {
  const app = initApp();
  const stack = new Stack(app, logKeys ? 'InitAppLogKeys' : 'InitApp', { env });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  new AccountPasswordPolicy(stack, 'PasswordPolicy', {
    minimumPasswordLength: 20,
    requireSymbols: true,
    maxPasswordAge: Duration.days(90),
  });
  new ConsoleUser(stack, 'Rotating', {
    userName: 'rotating',
    passwordResetRequired: false,
    rotation: { automaticallyAfter: Duration.days(30) },
  });
  new ConsoleUser(stack, 'WithKey', { userName: 'with-key', encryptionKey: key });
  new ConsoleUser(stack, 'Plain', { userName: 'plain', groups: [new iam.Group(stack, 'Readers')] });
  new LoginProfile(stack, 'Vendor', { user: iam.User.fromUserName(stack, 'VendorUser', 'vendor') });
  // Last: the settings apply to every function of the stack, whenever they are given.
  if (logKeys) HandlerSettings.configure(stack, { logEncryptionKey: key });
  return [stack];
}

function sampleApp(): Stack[] {
  return [new ConsoleUsersSampleStack(new App(), 'ConsoleUsersSample', { env })];
}

/** Break-glass: a BreakGlassUser with a named reader, a requireMfa user, and a forwarder in another region. */
function breakGlassApp(): Stack[] {
  const app = initApp();
  const home = new Stack(app, 'BreakGlassHome', { env });
  const reader = new iam.Role(home, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  const user = new BreakGlassUser(home, 'BreakGlass', { userName: 'break-glass', readers: [reader] });
  const vendor = new ConsoleUser(home, 'Vendor', { userName: 'vendor', requireMfa: true });
  user.signInAlerts.addUser(vendor);
  const forwarding = new Stack(app, 'BreakGlassForwarder', { env: { ...env, region: 'us-east-1' } });
  new SignInAlertsForwarder(forwarding, 'Forwarder', { alerts: user.signInAlerts });
  return [home, forwarding];
}

/**
 * The controls of docs/security.md: users given the library's policies through the stack's groups
 * (a BreakGlassUser in an administrators group, a user with a path, an imported user) under the
 * CIS v1.2.0 password-policy preset.
 */
function controlsApp(): Stack[] {
  const app = initApp();
  const stack = new Stack(app, 'Controls', { env });
  new AccountPasswordPolicy(stack, 'PasswordPolicy', { preset: PasswordPolicyPreset.CIS_AWS_FOUNDATIONS_V1_2_0 });
  const admins = new iam.Group(stack, 'EmergencyAdmins', {
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
  });
  new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', groups: [admins], policiesThroughGroups: true });
  new ConsoleUser(stack, 'Ops', { userName: 'ops', path: '/ops/', requireMfa: true, policiesThroughGroups: true });
  new LoginProfile(stack, 'VendorLogin', {
    user: iam.User.fromUserName(stack, 'VendorUser', 'vendor'),
    policiesThroughGroups: true,
  });
  return [stack];
}

/** The stacks the moto suite deploys. */
function motoSuiteStacks(): Stack[] {
  return [
    consoleUsersStack(new App(), ['alice', 'bob'], { passwordResetRequired: true }),
    consoleUsersStack(new App(), ['carol'], {
      rotation: { automaticallyAfter: Duration.days(1) },
      passwordResetRequired: false,
    }),
    importedUserStack(new App(), 'imported'),
  ];
}

/** The organization-wide example: its StackSet template (asset-free, home region, custody), and its admin stack. */
function organizationApp(): Stack[] {
  const stack = new OrganizationConsoleUsersStack(initApp(), 'Organization', {
    env,
    organizationalUnits: ['ou-ab12-34cd56ef'],
    homeRegion: env.region,
    custodianRoleArn: 'arn:aws:iam::210987654321:role/ConsolePasswordCustodian',
  });
  return [stack.members, stack];
}

/** The template of `stack`, also of a template stack (a StackSet's), which has no artifact of its own. */
function templateOf(stack: Stack): ScannedTemplate['template'] {
  if (templateStackParent(stack) === undefined)
    return Template.fromStack(stack).toJSON() as ScannedTemplate['template'];
  const assembly = (Stage.of(stack) as Stage).synth();
  return JSON.parse(fs.readFileSync(path.join(assembly.directory, stack.templateFile), 'utf8'));
}

/** Writes every scanned app's templates into `dir`. */
export function writeScannedTemplates(dir: string): ScannedTemplate[] {
  const stacks = [
    ...sampleApp(),
    ...newUserApp(false),
    ...newUserApp(true),
    ...breakGlassApp(),
    ...controlsApp(),
    ...motoSuiteStacks(),
    ...organizationApp(),
  ];
  return stacks.map((stack, i) => {
    const template = templateOf(stack);
    const file = `${String(i).padStart(2, '0')}-${stack.stackName}.template.json`;
    fs.writeFileSync(path.join(dir, file), JSON.stringify(template, undefined, 1));
    return { file, template, library: libraryResources(stack) };
  });
}
