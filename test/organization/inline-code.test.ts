/**
 * The asset-free mode (`HandlerCode.INLINE`): a stack whose library functions carry their code in
 * the template, so that it needs no CDK file asset (a StackSet cannot publish one). Checked on the
 * cloud assembly `cdk synth` writes: the template, the asset manifest (`*.assets.json`) and the
 * validation report. The default (`HandlerCode.ASSET`) stays as it was.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnParameter, Duration, LegacyStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Capability, DeploymentType, StackSet, StackSetStack, StackSetTarget, StackSetTemplate } from 'cdk-stacksets';
import type { CloudFormationResponse } from '../../lambda/runtime/responder';
import { AccountPasswordPolicy, ConsoleUser, HandlerCode, HandlerSettings } from '../../lib';
import { LoginProfileRotation } from '../../lib/rotation/rotation';
import { CLI_CONTEXT } from '../../scripts/bench-template-size';
import { FakeAws, installFakeInSdk } from '../tooling/fake-aws';
import { Delivery, deliveredBy } from '../tooling/fault-harness';
import { createEventOf, lambdaContext } from '../tooling/lambda-fixtures';
import { addEveryFunction } from './function-stacks';

type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
};
type Template = {
  Parameters?: Record<string, unknown>;
  Mappings?: Record<string, unknown>;
  Resources: Record<string, Resource>;
};

const REPO = path.resolve(__dirname, '..', '..');
const BUNDLES = ['login-profile-handler', 'rotation-handler', 'account-password-policy-handler'] as const;
type Bundle = (typeof BUNDLES)[number];

/** Which bundle each library function runs, told by its description (lib/handler/handler-function.ts callers). */
function bundleOf(fn: Resource): Bundle {
  const description = String(fn.Properties?.Description);
  if (description.includes('creates console login profiles')) return 'login-profile-handler';
  if (description.includes('rotates console passwords')) return 'rotation-handler';
  if (description.includes('account password policy')) return 'account-password-policy-handler';
  throw new Error(`not a library function: ${description}`);
}

function bundleText(bundle: Bundle): string {
  return fs.readFileSync(path.join(REPO, 'assets', bundle, 'index.js'), 'utf8');
}

/** A cloud assembly as `cdk synth` writes it, in a folder of its own. */
interface Synthesized {
  readonly outdir: string;
  readonly template: Template;
  readonly templateFile: string;
  readonly stack: Stack;
}

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/**
 * An environment-agnostic stack (as a StackSet's template is) with everything that has a function:
 * a rotating ConsoleUser, an AccountPasswordPolicy and a BreakGlassUser (rotating, with a reader).
 */
function organizationStack(
  handlerCode: HandlerCode | undefined,
  synthesizer?: LegacyStackSynthesizer,
): { app: App; stack: Stack; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'inline-code-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: CLI_CONTEXT });
  const stack = new Stack(app, 'Organization', { synthesizer });
  addEveryFunction(stack, handlerCode);
  return { app, stack, outdir };
}

function synth(built: { app: App; stack: Stack; outdir: string }): Synthesized {
  const artifact = built.app.synth().getStackByName(built.stack.stackName);
  return {
    outdir: built.outdir,
    template: artifact.template as Template,
    templateFile: artifact.templateFile,
    stack: built.stack,
  };
}

const functionsOf = (template: Template) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

/** The file assets of the cloud assembly's asset manifests, by the file each publishes. */
function fileAssets(outdir: string): { files: string[]; dockerImages: number } {
  const manifests = fs.readdirSync(outdir).filter((f) => f.endsWith('.assets.json'));
  expect(manifests.length).toBeGreaterThan(0);
  const files: string[] = [];
  let dockerImages = 0;
  for (const manifest of manifests) {
    const content = JSON.parse(fs.readFileSync(path.join(outdir, manifest), 'utf8')) as {
      files?: Record<string, { source: { path: string } }>;
      dockerImages?: Record<string, unknown>;
    };
    files.push(...Object.values(content.files ?? {}).map((f) => f.source.path));
    dockerImages += Object.keys(content.dockerImages ?? {}).length;
  }
  return { files, dockerImages };
}

/** Every `aws:asset:*` metadata key of the template's resources. */
function assetMetadata(template: Template): string[] {
  return Object.entries(template.Resources).flatMap(([id, r]) =>
    Object.keys(r.Metadata ?? {})
      .filter((k) => k.startsWith('aws:asset:'))
      .map((k) => `${id}: ${k}`),
  );
}

describe('a stack in HandlerCode.INLINE (ConsoleUser with rotation, AccountPasswordPolicy, BreakGlassUser)', () => {
  let inline: Synthesized;
  beforeAll(() => {
    // GIVEN the stack's HandlerSettings in INLINE mode; WHEN the app synthesizes as `cdk synth` does
    inline = synth(organizationStack(HandlerCode.INLINE));
  }, 60_000);

  test('has three library functions, each with its bundle as ZipFile, byte for byte, run as index.handler', () => {
    const functions = functionsOf(inline.template);
    expect(functions.map(([, fn]) => bundleOf(fn)).sort()).toEqual([...BUNDLES].sort());
    for (const [, fn] of functions) {
      const code = fn.Properties!.Code as Record<string, unknown>;
      // CloudFormation writes ZipFile to index.js: the handler is index.handler, as for the asset.
      expect(Object.keys(code)).toEqual(['ZipFile']);
      expect(Buffer.from(code.ZipFile as string, 'utf8').equals(Buffer.from(bundleText(bundleOf(fn)), 'utf8'))).toBe(
        true,
      );
      expect(fn.Properties!.Handler).toBe('index.handler');
    }
  });

  test('each bundle is one file, with no source map: what the template holds is all the function has', () => {
    for (const bundle of BUNDLES) {
      expect(fs.readdirSync(path.join(REPO, 'assets', bundle))).toEqual(['index.js']);
      expect(bundleText(bundle)).not.toMatch(/sourceMappingURL/);
    }
  });

  test('needs no asset: no asset parameter, no S3Bucket/S3Key code, no aws:asset metadata', () => {
    // The one parameter is the bootstrap version check of the default synthesizer.
    expect(Object.keys(inline.template.Parameters ?? {})).toEqual(['BootstrapVersion']);
    const text = JSON.stringify(inline.template);
    expect(text).not.toMatch(/"S3Bucket"|"S3Key"|"S3ObjectVersion"/);
    expect(assetMetadata(inline.template)).toEqual([]);
  });

  test("publishes no file asset: the asset manifest lists only the stack's own template", () => {
    expect(fileAssets(inline.outdir)).toEqual({ files: [inline.templateFile], dockerImages: 0 });
  });

  test('takes a runtime that is a literal, with no region mapping a region unknown to aws-cdk-lib would miss', () => {
    for (const [, fn] of functionsOf(inline.template)) {
      expect(fn.Properties!.Runtime).toEqual(expect.stringMatching(/^nodejs\d+\.x$/));
    }
    expect(Object.keys(inline.template.Mappings ?? {}).filter((m) => /runtime/i.test(m))).toEqual([]);
  });

  test("passes aws-cdk-lib's built-in template validation and raises no warning or error", () => {
    const report = path.join(inline.outdir, 'validation-report.json');
    if (fs.existsSync(report)) {
      const content = JSON.parse(fs.readFileSync(report, 'utf8')) as {
        pluginReports: Array<{ violations?: unknown[] }>;
      };
      expect(content.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    }
    expect(Annotations.fromStack(inline.stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(inline.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('its ZipFile code, saved as index.js alone, loads, exports its handler and answers a Create', async () => {
    // GIVEN each function's ZipFile written as index.js in a folder of its own, as CloudFormation
    // does (under this repository, so that @aws-sdk/* resolves as the Lambda runtime provides it)
    const run = path.join(REPO, 'cdk.out', 'inline-code-run');
    fs.rmSync(run, { recursive: true, force: true });
    const loaded: Partial<Record<Bundle, Record<string, unknown>>> = {};
    for (const [id, fn] of functionsOf(inline.template)) {
      const file = path.join(run, id, 'index.js');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, (fn.Properties!.Code as { ZipFile: string }).ZipFile);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded[bundleOf(fn)] = require(file) as Record<string, unknown>;
    }
    // THEN each is a CommonJS module exporting `handler`, that requires nothing but what the
    // Lambda Node.js runtime has (the AWS SDK v3 and Node.js's own modules)
    for (const bundle of BUNDLES) expect(typeof loaded[bundle]!.handler).toBe('function');
    for (const [, fn] of functionsOf(inline.template)) {
      const required = [...(fn.Properties!.Code as { ZipFile: string }).ZipFile.matchAll(/require\(([^)]*)\)/g)].map(
        (m) => m[1],
      );
      expect(required.length).toBeGreaterThan(0);
      expect(required.filter((r) => !/^"(@aws-sdk\/[\w-]+|node:[\w/]+)"$/.test(r))).toEqual([]);
    }

    // WHEN the password-policy code handles a Create against the fake IAM
    const fake = new FakeAws();
    const undo = installFakeInSdk(fake);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const sent: CloudFormationResponse[] = [];
      const handlerWith = loaded['account-password-policy-handler']!.handlerWith as (
        send: (url: string, answer: CloudFormationResponse) => Promise<void>,
      ) => (event: unknown, context: unknown) => Promise<unknown>;
      const event = createEventOf({
        logicalResourceId: 'PasswordPolicy',
        resourceType: 'Custom::AccountPasswordPolicy',
        properties: { MinimumPasswordLength: '14' },
      });
      // CloudFormation sends the event: its record shows it while the handler runs
      await deliveredBy(
        Delivery.CLOUDFORMATION,
        event,
        () => handlerWith(async (_url, answer) => void sent.push(answer))(event, lambdaContext()),
        () => sent[0],
      );
      // THEN it answers SUCCESS and the account has the policy
      expect(sent.map((a) => a.Status)).toEqual(['SUCCESS']);
      expect(fake.passwordPolicy?.MinimumPasswordLength).toBe(14);
      expect(log.mock.calls.map((c) => JSON.parse(String(c[0])).message)).toContain('answered SUCCESS');
    } finally {
      log.mockRestore();
      undo();
    }
  });
});

describe('asset parameters (LegacyStackSynthesizer, which passes assets as parameters)', () => {
  test('an INLINE stack has none; the same stack with ASSET has them', () => {
    const inline = synth(organizationStack(HandlerCode.INLINE, new LegacyStackSynthesizer()));
    expect(Object.keys(inline.template.Parameters ?? {})).toEqual([]);
    const asset = synth(organizationStack(undefined, new LegacyStackSynthesizer()));
    const parameters = Object.keys(asset.template.Parameters ?? {});
    // Bucket, key and hash for each of the three bundles.
    expect(parameters.filter((p) => p.startsWith('AssetParameters'))).toHaveLength(9);
  });
});

describe('HandlerCode.ASSET, the default', () => {
  test('keeps every function a file asset: S3 code, aws:asset metadata, one file asset per bundle', () => {
    // GIVEN no handlerCode anywhere
    const asset = synth(organizationStack(undefined));
    // THEN
    const functions = functionsOf(asset.template);
    expect(functions).toHaveLength(3);
    for (const [, fn] of functions) {
      expect(Object.keys(fn.Properties!.Code as object).sort()).toEqual(['S3Bucket', 'S3Key']);
      expect(fn.Metadata).toHaveProperty(['aws:asset:path']);
    }
    const { files } = fileAssets(asset.outdir);
    expect(files.filter((f) => f !== asset.templateFile)).toHaveLength(3);
  });
});

/** The kind of code of each library function of stack `name`: 'ZipFile' or 'S3Bucket,S3Key'. */
function codesOf(app: App, name: string): string[] {
  return functionsOf(app.synth().getStackByName(name).template as Template).map(([, fn]) =>
    Object.keys(fn.Properties!.Code as object).join(','),
  );
}

const codeOf = (handlerCode: HandlerCode) => (handlerCode === HandlerCode.INLINE ? 'ZipFile' : 'S3Bucket,S3Key');

describe("the stack's HandlerSettings apply to every library function, whatever the order", () => {
  /** A stack with a rotating user, an AccountPasswordPolicy and a second user; `configure` at `at`. */
  function stackConfiguredAt(at: 'first' | 'between' | 'last', handlerCode: HandlerCode) {
    const app = new App();
    const stack = new Stack(app, 'S');
    if (at === 'first') HandlerSettings.configure(stack, { handlerCode });
    new ConsoleUser(stack, 'U', { passwordResetRequired: false, rotation: { automaticallyAfter: Duration.days(1) } });
    if (at === 'between') HandlerSettings.configure(stack, { handlerCode });
    new AccountPasswordPolicy(stack, 'Policy');
    new ConsoleUser(stack, 'V');
    if (at === 'last') HandlerSettings.configure(stack, { handlerCode });
    return app;
  }

  test.each([
    ['first', HandlerCode.INLINE],
    ['between', HandlerCode.INLINE],
    ['last', HandlerCode.INLINE],
    ['first', HandlerCode.ASSET],
    ['last', HandlerCode.ASSET],
  ] as const)(
    'configured %s, %s reaches the login-profile, rotation and password-policy functions',
    (at, handlerCode) => {
      expect(codesOf(stackConfiguredAt(at, handlerCode), 'S')).toEqual(Array(3).fill(codeOf(handlerCode)));
    },
  );

  test('a stack with only an AccountPasswordPolicy is ASSET by default, and INLINE through its settings', () => {
    const app = new App();
    new AccountPasswordPolicy(new Stack(app, 'A'), 'Policy');
    expect(codesOf(app, 'A')).toEqual(['S3Bucket,S3Key']);
    const app2 = new App();
    const stack = new Stack(app2, 'B');
    new AccountPasswordPolicy(stack, 'Policy');
    HandlerSettings.configure(stack, { handlerCode: HandlerCode.INLINE });
    expect(codesOf(app2, 'B')).toEqual(['ZipFile']);
  });

  test("an AccountPasswordPolicy follows its own stack's settings, not another stack's", () => {
    const app = new App();
    const users = new Stack(app, 'Users');
    HandlerSettings.configure(users, { handlerCode: HandlerCode.INLINE });
    new ConsoleUser(users, 'U');
    new AccountPasswordPolicy(new Stack(app, 'Policy'), 'Policy');
    expect(codesOf(app, 'Users')).toEqual(['ZipFile']);
    expect(codesOf(app, 'Policy')).toEqual(['S3Bucket,S3Key']);
  });

  test('the rotation function, created before the settings by a rotating user, still follows them', () => {
    // GIVEN the rotation function's construct first (no settings yet), then INLINE settings
    const app = new App();
    const stack = new Stack(app, 'S');
    new AccountPasswordPolicy(stack, 'Policy');
    LoginProfileRotation.of(stack);
    new ConsoleUser(stack, 'U', { passwordResetRequired: false, rotation: { automaticallyAfter: Duration.days(1) } });
    HandlerSettings.configure(stack.node.findChild('U'), { handlerCode: HandlerCode.INLINE });
    // THEN all three functions are inline
    expect(codesOf(app, 'S')).toEqual(Array(3).fill('ZipFile'));
  });
});

describe('bad handlerCode', () => {
  const allowed =
    "'handlerCode' must be HandlerCode.ASSET ('ASSET') or HandlerCode.INLINE ('INLINE'), known at synth, got";
  const bad: Array<[string, unknown, string]> = [
    ['lower case', 'inline', '"inline"'],
    ['another word', 'ZIP', '"ZIP"'],
    ['the empty string', '', '""'],
    ['a number', 1, '1'],
    ['null', null, 'null'],
    ['an object', { code: 'INLINE' }, 'an object ({"code":"INLINE"})'],
  ];

  test.each(bad)('fails on HandlerSettings.configure of a stack when it is %s', (_what, value, shown) => {
    const stack = new Stack(new App(), 'S');
    expect(() => HandlerSettings.configure(stack, { handlerCode: value as HandlerCode })).toThrow(
      `S: HandlerSettings.configure: ${allowed} ${shown}`,
    );
  });

  test.each(bad)(
    'fails on HandlerSettings.configure of a construct in the stack when it is %s',
    (_what, value, shown) => {
      const stack = new Stack(new App(), 'S');
      const policy = new AccountPasswordPolicy(stack, 'Policy');
      expect(() => HandlerSettings.configure(policy, { handlerCode: value as HandlerCode })).toThrow(
        `S/Policy: HandlerSettings.configure: ${allowed} ${shown}`,
      );
    },
  );

  test('fails on a token: the choice changes what is synthesized', () => {
    const stack = new Stack(new App(), 'S');
    const token = new CfnParameter(stack, 'Code').valueAsString;
    expect(() => HandlerSettings.configure(stack, { handlerCode: token as HandlerCode })).toThrow(
      `S: HandlerSettings.configure: ${allowed} an unresolved token`,
    );
  });
});

describe('in a cdk-stacksets StackSetStack without asset buckets', () => {
  function stackSetApp(handlerCode: HandlerCode | undefined) {
    const app = new App();
    const admin = new Stack(app, 'Admin', { env: { account: '111111111111', region: 'eu-west-1' } });
    const users = new StackSetStack(admin, 'Users');
    new StackSet(admin, 'UsersSet', {
      template: StackSetTemplate.fromStackSetStack(users),
      target: StackSetTarget.fromOrganizationalUnits({
        regions: ['eu-west-1'],
        organizationalUnits: ['ou-ab12-34cd56ef'],
      }),
      deploymentType: DeploymentType.serviceManaged(),
      capabilities: [Capability.NAMED_IAM],
    });
    new AccountPasswordPolicy(users, 'PasswordPolicy', { minimumPasswordLength: 14 });
    new ConsoleUser(users, 'Operator', {
      userName: 'operator',
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(30) },
    });
    if (handlerCode !== undefined) HandlerSettings.configure(users, { handlerCode });
    return { app, users };
  }

  test('an INLINE stack synthesizes, its template with every function inline; with file assets it cannot', () => {
    const { app, users } = stackSetApp(HandlerCode.INLINE);
    const assembly = app.synth();
    const template = JSON.parse(fs.readFileSync(path.join(assembly.directory, users.templateFile), 'utf8')) as Template;
    expect(functionsOf(template).map(([, fn]) => Object.keys(fn.Properties!.Code as object))).toEqual([
      ['ZipFile'],
      ['ZipFile'],
      ['ZipFile'],
    ]);
    // The file asset registers itself with the StackSetStack when the function is built, at synth.
    expect(() => stackSetApp(undefined).app.synth()).toThrow(/Asset Bucket/i);
  });
});
