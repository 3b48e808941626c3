/**
 * `HandlerSettings.configure`: one call per stack sets every library function (login-profile
 * handler, rotation function, password-policy function), before or after the constructs that use
 * them, with or without the `@aws-cdk/core:aspectStabilization` flag; cdk-nag sees the functions.
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccountPasswordPolicy, ConsoleUser, HandlerCode, HandlerSettings, HandlerSettingsProps } from '../../lib';

const ASPECT_STABILIZATION = '@aws-cdk/core:aspectStabilization';
const ROTATION = { automaticallyAfter: Duration.days(30) };

/** The three kinds of library function, told by their descriptions. */
const KINDS = {
  'login profiles': 'creates console login profiles',
  'rotation': 'rotates console passwords',
  'password policy': 'sets the IAM account password policy',
} as const;
type Kind = keyof typeof KINDS;

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Each library function of `template` with its log group, by kind. */
function functionsByKind(template: Template): Record<Kind, { fn: Resource; logGroup: Resource }> {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(functions).toHaveLength(3);
  const byKind = {} as Record<Kind, { fn: Resource; logGroup: Resource }>;
  for (const [kind, description] of Object.entries(KINDS) as Array<[Kind, string]>) {
    const matching = functions.filter((f) => String(f.Properties.Description).includes(description));
    expect(matching).toHaveLength(1);
    const fn = matching[0];
    byKind[kind] = { fn, logGroup: resources[fn.Properties.LoggingConfig.LogGroup.Ref] };
  }
  return byKind;
}

/** A stack with a rotating user and a password policy; `configure` called first, between them, or last. */
function stackWith(at: 'first' | 'between' | 'last', settings: HandlerSettingsProps, context = {}): Stack {
  const stack = new Stack(new App({ context }), 'Users', { env: { account: '123456789012', region: 'eu-west-1' } });
  if (at === 'first') HandlerSettings.configure(stack, settings);
  new ConsoleUser(stack, 'Alice', { userName: 'alice', passwordResetRequired: false, rotation: ROTATION });
  if (at === 'between') HandlerSettings.configure(stack.node.findChild('Alice'), settings);
  new AccountPasswordPolicy(stack, 'PasswordPolicy', { minimumPasswordLength: 14 });
  if (at === 'last') HandlerSettings.configure(stack, settings);
  return stack;
}

describe('HandlerSettings.configure', () => {
  const flags = [
    ['without', {}],
    ['with', { [ASPECT_STABILIZATION]: true }],
  ] as const;
  const orders = ['first', 'between', 'last'] as const;

  describe.each(flags)('%s the aspectStabilization flag', (_with, context) => {
    test.each(orders)('configured %s, every setting reaches all three functions', (at) => {
      // GIVEN settings that differ from every default (the log key has a test of its own)
      const stack = stackWith(
        at,
        {
          runtime: lambda.Runtime.NODEJS_20_X,
          timeout: Duration.minutes(5),
          logRetention: logs.RetentionDays.ONE_MONTH,
          handlerCode: HandlerCode.INLINE,
        },
        context,
      );
      // WHEN
      const template = Template.fromStack(stack);
      // THEN each function has the runtime, the timeout, inline code, and a log group kept 30 days
      for (const { fn, logGroup } of Object.values(functionsByKind(template))) {
        expect(fn.Properties).toMatchObject({ Runtime: 'nodejs20.x', Timeout: 300 });
        expect(Object.keys(fn.Properties.Code)).toEqual(['ZipFile']);
        expect(logGroup.Properties.RetentionInDays).toBe(30);
      }
      // THEN the custom resources wait as long as their handler may run: 1 + 5 + 1 minutes
      for (const type of ['Custom::ConsoleLoginProfile', 'Custom::AccountPasswordPolicy']) {
        template.hasResourceProperties(type, { ServiceTimeout: '420' });
      }
    });

    test.each(orders)('configured %s with a log key, the three log groups are encrypted with it', (at) => {
      const app = new App({ context });
      const stack = new Stack(app, 'Users', { env: { account: '123456789012', region: 'eu-west-1' } });
      const key = new kms.Key(stack, 'LogKey');
      if (at === 'first') HandlerSettings.configure(stack, { logEncryptionKey: key });
      new ConsoleUser(stack, 'Alice', { passwordResetRequired: false, rotation: ROTATION });
      if (at === 'between') HandlerSettings.configure(stack, { logEncryptionKey: key });
      new AccountPasswordPolicy(stack, 'PasswordPolicy');
      if (at === 'last') HandlerSettings.configure(stack, { logEncryptionKey: key });
      const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
      for (const { logGroup } of Object.values(functionsByKind(Template.fromStack(stack)))) {
        expect(logGroup.Properties.KmsKeyId).toEqual(keyArn);
      }
    });

    test('cdk-nag (AwsSolutions) sees the functions built at synth: one L1 finding per function on an old runtime', () => {
      // GIVEN an old runtime, set last; WHEN the app synthesizes and AwsSolutions runs over it
      const stack = stackWith('last', { runtime: lambda.Runtime.NODEJS_20_X }, context);
      const app = stack.node.root as App;
      app.synth();
      const report = new AwsSolutionsChecks().validateScope(app);
      const paths = report.violations
        .filter((v) => v.ruleName === 'AwsSolutions-L1')
        .flatMap((v) => v.violatingResources.map((r) => r.constructPath))
        .sort();
      // THEN each of the three lazily built functions is checked (and flagged for its runtime)
      expect(paths).toEqual([
        'Users/CdkConsoleUsersLoginProfileProvider/Handler/Default/Resource',
        'Users/CdkConsoleUsersRotation/Handler/Default/Resource',
        'Users/PasswordPolicy/Handler/Default/Resource',
      ]);
      // THEN nothing else is reported: the acknowledgements made when the functions were built hold
      expect(report.violations.filter((v) => v.ruleName !== 'AwsSolutions-L1')).toEqual([]);
    });

    test('cdk-nag as a validation plugin at synth sees the functions too', () => {
      const stack = stackWith('last', { runtime: lambda.Runtime.NODEJS_20_X }, context);
      const app = stack.node.root as App;
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).toThrow(/AwsSolutions-L1/);
    });
  });

  test('a stack with no configure call gets the defaults', () => {
    const template = Template.fromStack(stackWith('first', {}));
    const byKind = functionsByKind(template);
    // the newest Node.js runtime aws-cdk-lib knows, file assets, a year of logs, no customer key
    const latest = lambda.determineLatestNodeRuntime(new Stack()).name;
    for (const { fn, logGroup } of Object.values(byKind)) {
      expect(fn.Properties.Runtime).toBe(latest);
      expect(Object.keys(fn.Properties.Code).sort()).toEqual(['S3Bucket', 'S3Key']);
      expect(logGroup.Properties).toEqual({ RetentionInDays: 365 });
    }
    expect(byKind['login profiles'].fn.Properties.Timeout).toBe(120);
    expect(byKind.rotation.fn.Properties.Timeout).toBe(120);
    expect(byKind['password policy'].fn.Properties.Timeout).toBe(60);
    template.hasResourceProperties('Custom::ConsoleLoginProfile', { ServiceTimeout: '240' });
    template.hasResourceProperties('Custom::AccountPasswordPolicy', { ServiceTimeout: '180' });
  });

  test('settings of one stack leave another stack of the app at the defaults', () => {
    const app = new App();
    const a = new Stack(app, 'A');
    const b = new Stack(app, 'B');
    new ConsoleUser(a, 'U');
    new ConsoleUser(b, 'U');
    HandlerSettings.configure(a, { handlerCode: HandlerCode.INLINE, timeout: Duration.minutes(3) });
    Template.fromStack(a).hasResourceProperties('AWS::Lambda::Function', { Timeout: 180 });
    Template.fromStack(b).hasResourceProperties('AWS::Lambda::Function', { Timeout: 120 });
  });

  test('fails when called a second time for the same stack, naming both paths', () => {
    const stack = new Stack(new App(), 'Users');
    const alice = new ConsoleUser(stack, 'Alice');
    HandlerSettings.configure(alice, { timeout: Duration.minutes(3) });
    expect(() => HandlerSettings.configure(stack, { timeout: Duration.minutes(3) })).toThrow(
      'Users: HandlerSettings.configure was already called for stack Users, on Users/Alice; the settings apply to every library function of the stack: call it once',
    );
  });

  test('fails when its scope is in no stack', () => {
    expect(() => HandlerSettings.configure(new App(), {})).toThrow(
      '(app root): HandlerSettings.configure needs a stack, or a construct in one, as its scope; got the app, which is in no stack',
    );
  });

  const invalid: Array<[string, HandlerSettingsProps, string]> = [
    [
      'a Python runtime',
      { runtime: lambda.Runtime.PYTHON_3_12 },
      "'runtime' must be a Node.js runtime (lambda.Runtime.NODEJS_*), got python3.12",
    ],
    [
      'a string as runtime',
      { runtime: 'nodejs22.x' as never },
      `'runtime' must be a Node.js runtime (lambda.Runtime.NODEJS_*), got "nodejs22.x"`,
    ],
    [
      'a timeout under 30 seconds',
      { timeout: Duration.seconds(29) },
      "'timeout' must be from 30 seconds to 15 minutes, got 29 seconds",
    ],
    [
      'a timeout over 15 minutes',
      { timeout: Duration.minutes(16) },
      "'timeout' must be from 30 seconds to 15 minutes, got 16 minutes",
    ],
    [
      'a retention that is not a RetentionDays',
      { logRetention: 2 as never },
      "'logRetention' must be one of the logs.RetentionDays values",
    ],
    [
      'a handler code that is not a HandlerCode',
      { handlerCode: 'S3' as never },
      `'handlerCode' must be HandlerCode.ASSET ('ASSET') or HandlerCode.INLINE ('INLINE'), known at synth, got "S3"`,
    ],
  ];
  test.each(invalid)(
    'fails on %s, naming HandlerSettings.configure, the prop and the value',
    (_what, props, message) => {
      const stack = new Stack(new App(), 'Users');
      expect(() => HandlerSettings.configure(stack, props)).toThrow(`Users: HandlerSettings.configure: ${message}`);
    },
  );

  test('fails on a log key given as an alias, naming the alias', () => {
    const stack = new Stack(new App(), 'Users');
    const alias = kms.Key.fromKeyArn(stack, 'Alias', 'arn:aws:kms:eu-west-1:123456789012:alias/logs');
    expect(() => HandlerSettings.configure(stack, { logEncryptionKey: alias })).toThrow(
      /^Users: HandlerSettings.configure: 'logEncryptionKey' must be a KMS key .*got a key with ARN arn:aws:kms:eu-west-1:123456789012:alias\/logs$/,
    );
  });

  test('a failed call leaves the stack unconfigured: a corrected call is accepted', () => {
    const stack = new Stack(new App(), 'Users');
    new ConsoleUser(stack, 'U');
    expect(() => HandlerSettings.configure(stack, { timeout: Duration.seconds(1) })).toThrow(/'timeout'/);
    HandlerSettings.configure(stack, { timeout: Duration.minutes(4) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Timeout: 240 });
  });

  test('fails when called once synthesis has built the functions', () => {
    const stack = new Stack(new App(), 'Users');
    new ConsoleUser(stack, 'U');
    Template.fromStack(stack);
    expect(() => HandlerSettings.configure(stack, {})).toThrow(
      'Users: HandlerSettings.configure is too late for stack Users: its functions were built when synthesis started; call it while defining the app',
    );
  });
});
