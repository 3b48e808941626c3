/**
 * A stack guarded by a `HomeRegion`, and a small evaluator of its conditions: which resources and
 * outputs CloudFormation creates in a region, and whether any of them references one it does not.
 */
import { App, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AccountPasswordPolicy, BreakGlassUser, ConsoleUser, HomeRegion, LoginProfile, SignInAlerts } from '../../lib';

export const HOME = 'eu-west-1';

/**
 * An env-agnostic stack (as a StackSet's) with a HomeRegion, the account password policy, a console
 * user with MFA and rotation, a break-glass user, an imported user with a login profile, shared
 * sign-in alerts, two outputs, and CDK metadata.
 */
export function guardedStack(): { app: App; stack: Stack; alerts: SignInAlerts } {
  const app = new App({ analyticsReporting: true });
  const stack = new Stack(app, 'Guarded');
  new HomeRegion(stack, 'HomeRegion', { region: HOME });
  new AccountPasswordPolicy(stack, 'PasswordPolicy', { minimumPasswordLength: 20 });
  const operator = new ConsoleUser(stack, 'Operator', {
    userName: 'operator',
    requireMfa: true,
    rotation: { automaticallyAfter: Duration.days(30) },
  });
  const alerts = new SignInAlerts(stack, 'Alarms', { users: [operator] });
  const breakGlass = new BreakGlassUser(stack, 'BreakGlass', { userName: 'breakglass', signInAlerts: alerts });
  const vendor = iam.User.fromUserName(stack, 'VendorUser', 'vendor');
  new LoginProfile(stack, 'Vendor', { user: vendor });
  alerts.addUser(vendor);
  new CfnOutput(stack, 'OperatorSecret', { value: operator.secret.secretArn });
  new CfnOutput(stack, 'BreakGlassSignIn', { value: breakGlass.signInUrl });
  return { app, stack, alerts };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The value of a condition expression or operand in `region` (account and partition are not needed). */
function evaluate(template: Json, expression: unknown, region: string): string | boolean {
  if (typeof expression === 'string') return expression;
  const e = expression as Json;
  if (e.Ref === 'AWS::Region') return region;
  if (typeof e.Condition === 'string') return isTrue(template, e.Condition, region);
  const args = (key: string) => (e[key] as unknown[]).map((a) => evaluate(template, a, region));
  if ('Fn::Equals' in e) {
    const [a, b] = args('Fn::Equals');
    return a === b;
  }
  if ('Fn::Not' in e) return !args('Fn::Not')[0];
  if ('Fn::And' in e) return args('Fn::And').every(Boolean);
  if ('Fn::Or' in e) return args('Fn::Or').some(Boolean);
  throw new Error(`cannot evaluate ${JSON.stringify(expression)}`);
}

function isTrue(template: Json, condition: string | undefined, region: string): boolean {
  if (condition === undefined) return true;
  const expression = template.Conditions?.[condition];
  if (expression === undefined) throw new Error(`no condition ${condition}`);
  return evaluate(template, expression, region) === true;
}

/** The logical IDs of the resources CloudFormation creates in `region`. */
export function presentIn(template: Json, region: string): Set<string> {
  return new Set(
    Object.entries(template.Resources as Json)
      .filter(([, r]) => isTrue(template, r.Condition, region))
      .map(([id]) => id),
  );
}

/** The logical IDs of resources that `value` references (Ref, Fn::GetAtt, Fn::Sub). */
function referencedIds(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string') into.add(v);
      else if (key === 'Fn::GetAtt') into.add(Array.isArray(v) ? v[0] : String(v).split('.')[0]);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(v) ? v[0] : v;
        for (const m of String(text).matchAll(/\$\{([^!}.]+)[^}]*\}/g)) into.add(m[1]);
        referencedIds(Array.isArray(v) ? v[1] : undefined, into);
      } else referencedIds(v, into);
    }
  }
  return into;
}

/**
 * `"<element> -> <resource>"` for every resource or output present in `region` that references
 * (Ref, Fn::GetAtt, Fn::Sub, DependsOn) a resource absent there: CloudFormation rejects such a template.
 */
export function danglingReferences(template: Json, region: string): string[] {
  const present = presentIn(template, region);
  const dangling: string[] = [];
  const check = (element: string, refs: Set<string>) => {
    for (const ref of refs) {
      if (ref in template.Resources && !present.has(ref)) dangling.push(`${element} -> ${ref}`);
    }
  };
  for (const id of present) {
    const r = template.Resources[id];
    const refs = referencedIds(r.Properties, new Set());
    for (const d of [r.DependsOn ?? []].flat()) refs.add(d);
    check(id, refs);
  }
  for (const [id, output] of Object.entries((template.Outputs ?? {}) as Json)) {
    if (isTrue(template, output.Condition, region)) check(`Outputs.${id}`, referencedIds(output, new Set()));
  }
  return dangling;
}
