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
import { AccountPasswordPolicy, ConsoleUser, HandlerCode, LoginProfileProvider, LoginProfileRotation } from '../../lib';
import { CLI_CONTEXT } from '../../scripts/bench-template-size';
import { FakeAws, installFakeInSdk } from '../support/fake-aws';
import { Delivery, deliveredBy } from '../support/fault-harness';
import { createEventOf, lambdaContext } from '../support/lambda-fixtures';
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
    // GIVEN the provider in INLINE mode, created first; WHEN the app synthesizes as `cdk synth` does
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
    expect(LoginProfileProvider.of(asset.stack).handlerCode).toBe(HandlerCode.ASSET);
  });
});

describe('who follows the provider', () => {
  function stackWithProvider(handlerCode?: HandlerCode) {
    const stack = new Stack(new App(), 'S');
    const provider = new LoginProfileProvider(stack, LoginProfileProvider.ID, { handlerCode });
    return { stack, provider };
  }

  test.each([HandlerCode.ASSET, HandlerCode.INLINE])(
    'the rotation function and an AccountPasswordPolicy created after the provider take its %s',
    (handlerCode) => {
      const { stack, provider } = stackWithProvider(handlerCode);
      new ConsoleUser(stack, 'U', { passwordResetRequired: false, rotation: { automaticallyAfter: Duration.days(1) } });
      const policy = new AccountPasswordPolicy(stack, 'Policy');
      expect(provider.handlerCode).toBe(handlerCode);
      expect(LoginProfileRotation.of(stack).handlerCode).toBe(handlerCode);
      expect(policy.handlerCode).toBe(handlerCode);
      const codes = functionsOf(App.of(stack)!.synth().getStackByName('S').template as Template).map(([, fn]) =>
        Object.keys(fn.Properties!.Code as object).join(','),
      );
      expect(codes).toEqual(Array(3).fill(handlerCode === HandlerCode.INLINE ? 'ZipFile' : 'S3Bucket,S3Key'));
    },
  );

  test('an AccountPasswordPolicy in a stack without a provider is ASSET unless told, and may be INLINE alone', () => {
    const app = new App();
    const alone = new AccountPasswordPolicy(new Stack(app, 'A'), 'Policy');
    expect(alone.handlerCode).toBe(HandlerCode.ASSET);
    const app2 = new App();
    const stack = new Stack(app2, 'B');
    const inline = new AccountPasswordPolicy(stack, 'Policy', { handlerCode: HandlerCode.INLINE });
    expect(inline.handlerCode).toBe(HandlerCode.INLINE);
    const [[, fn]] = functionsOf(app2.synth().getStackByName('B').template as Template);
    expect(Object.keys(fn.Properties!.Code as object)).toEqual(['ZipFile']);
  });

  test('an INLINE AccountPasswordPolicy beside an ASSET provider is allowed (the stack has assets anyway)', () => {
    const { stack } = stackWithProvider(HandlerCode.ASSET);
    new ConsoleUser(stack, 'U');
    new AccountPasswordPolicy(stack, 'Policy', { handlerCode: HandlerCode.INLINE });
    expect(() => App.of(stack)!.synth()).not.toThrow();
  });

  test("an AccountPasswordPolicy follows its own stack's provider, not another stack's", () => {
    const app = new App();
    const users = new Stack(app, 'Users');
    new LoginProfileProvider(users, LoginProfileProvider.ID, { handlerCode: HandlerCode.INLINE });
    new ConsoleUser(users, 'U');
    const policy = new AccountPasswordPolicy(new Stack(app, 'Policy'), 'Policy');
    expect(policy.handlerCode).toBe(HandlerCode.ASSET);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('a function that would still be a file asset in an INLINE stack fails the synth', () => {
  test('fails when an AccountPasswordPolicy was created before the INLINE provider (construct order)', () => {
    // GIVEN the policy first, then the provider in INLINE mode
    const app = new App();
    const stack = new Stack(app, 'S');
    new AccountPasswordPolicy(stack, 'Policy');
    new LoginProfileProvider(stack, LoginProfileProvider.ID, { handlerCode: HandlerCode.INLINE });
    new ConsoleUser(stack, 'U');
    // WHEN / THEN the message names the construct, the prop, why, and the fix
    expect(() => app.synth()).toThrow(
      "S/Policy: its 'handlerCode' defaulted to HandlerCode.ASSET because the stack had no LoginProfileProvider yet when it was created, but the stack's LoginProfileProvider (S/CdkConsoleUsersLoginProfileProvider) has 'handlerCode' HandlerCode.INLINE, so the stack would still need a file asset. Set handlerCode: HandlerCode.INLINE on this AccountPasswordPolicy, or create the LoginProfileProvider before it.",
    );
  });

  test('fails when an AccountPasswordPolicy is explicitly ASSET in a stack whose provider is INLINE', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    new LoginProfileProvider(stack, LoginProfileProvider.ID, { handlerCode: HandlerCode.INLINE });
    new AccountPasswordPolicy(stack, 'Policy', { handlerCode: HandlerCode.ASSET });
    expect(() => app.synth()).toThrow(
      "S/Policy: its 'handlerCode' is HandlerCode.ASSET, but the stack's LoginProfileProvider (S/CdkConsoleUsersLoginProfileProvider) has 'handlerCode' HandlerCode.INLINE, so the stack would still need a file asset. Set handlerCode: HandlerCode.INLINE on this AccountPasswordPolicy, or leave it unset to follow the provider.",
    );
  });

  test('fails when the rotation construct was created before the INLINE provider', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    LoginProfileRotation.of(stack);
    new LoginProfileProvider(stack, LoginProfileProvider.ID, { handlerCode: HandlerCode.INLINE });
    new ConsoleUser(stack, 'U', { passwordResetRequired: false, rotation: { automaticallyAfter: Duration.days(1) } });
    expect(() => app.synth()).toThrow(
      "S/CdkConsoleUsersRotation: the rotation function's code is a file asset (HandlerCode.ASSET): this LoginProfileRotation was created before the stack's LoginProfileProvider (S/CdkConsoleUsersLoginProfileProvider), whose 'handlerCode' HandlerCode.INLINE it follows, so the stack would still need a file asset. Create the LoginProfileProvider with handlerCode: HandlerCode.INLINE before any login profile and before LoginProfileRotation.of(...) in this stack.",
    );
  });

  test('the same order with an ASSET provider synthesizes (nothing to mismatch)', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    new AccountPasswordPolicy(stack, 'Policy');
    LoginProfileRotation.of(stack);
    new LoginProfileProvider(stack, LoginProfileProvider.ID, { handlerCode: HandlerCode.ASSET });
    new ConsoleUser(stack, 'U');
    expect(() => app.synth()).not.toThrow();
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

  test.each(bad)('fails on the provider when it is %s', (_what, value, shown) => {
    const stack = new Stack(new App(), 'S');
    expect(
      () => new LoginProfileProvider(stack, LoginProfileProvider.ID, { handlerCode: value as HandlerCode }),
    ).toThrow(`S/CdkConsoleUsersLoginProfileProvider: ${allowed} ${shown}`);
  });

  test.each(bad)('fails on an AccountPasswordPolicy when it is %s', (_what, value, shown) => {
    const stack = new Stack(new App(), 'S');
    expect(() => new AccountPasswordPolicy(stack, 'Policy', { handlerCode: value as HandlerCode })).toThrow(
      `S/Policy: ${allowed} ${shown}`,
    );
  });

  test('fails on a token: the choice changes what is synthesized', () => {
    const stack = new Stack(new App(), 'S');
    const token = new CfnParameter(stack, 'Code').valueAsString;
    expect(
      () => new LoginProfileProvider(stack, LoginProfileProvider.ID, { handlerCode: token as HandlerCode }),
    ).toThrow(`S/CdkConsoleUsersLoginProfileProvider: ${allowed} an unresolved token`);
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
    if (handlerCode !== undefined) new LoginProfileProvider(users, LoginProfileProvider.ID, { handlerCode });
    new AccountPasswordPolicy(users, 'PasswordPolicy', { minimumPasswordLength: 14 });
    new ConsoleUser(users, 'Operator', {
      userName: 'operator',
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(30) },
    });
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
    expect(() => stackSetApp(undefined)).toThrow(/Asset Bucket/i);
  });
});
