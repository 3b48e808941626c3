/**
 * Template bytes per stack with the handlers as file assets (`HandlerCode.ASSET`) and inline in
 * the template (`HandlerCode.INLINE`), for `npm run bench` (its "Template size" section) and for
 * the capacity test of the asset-free mode, which synthesizes the same stacks
 * (`templateSizeStack`).
 *
 * `npm run bench -- --template-size` measures only this and rewrites only that section of
 * BENCHMARKS.md. Sizes are deterministic: one synthesis per stack, no timing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import type * as lib from '../lib';

/** The context `cdk synth` gives an app by default (path, asset and version metadata). */
export const CLI_CONTEXT = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:version-reporting': true,
};

/**
 * CloudFormation's template limit: its quotas page says "1 MB" for a template in S3, which is
 * how `cdk deploy` passes a template (and how a StackSet takes one). aws-cdk-lib counts it as
 * 1,000,000 (its `Template size exceeds limit` warning); read as 1,048,576 it would be 48,576
 * bytes more. The smaller is used.
 */
export const TEMPLATE_LIMIT_BYTES = 1_000_000;
/** CloudFormation's resources per template (aws-cdk-lib fails the synth above it). */
export const STACK_RESOURCE_LIMIT = 500;

/** What a measured stack holds besides its console users and provider. */
export interface TemplateSizeVariant {
  /** Console users (`ConsoleUser` with a user name). */
  readonly users: number;
  /** How many of them rotate (every 30 days; the rest do not). */
  readonly rotating: number;
  /** Whether the stack holds an `AccountPasswordPolicy`. */
  readonly passwordPolicy: boolean;
}

/**
 * A stack as a StackSet template would be (environment-agnostic): the login-profile provider with
 * `handlerCode`, then the variant's `AccountPasswordPolicy` and console users.
 */
export function templateSizeStack(
  app: App,
  id: string,
  handlerCode: lib.HandlerCode,
  variant: TemplateSizeVariant,
): Stack {
  // Loaded here so that `npm run bench` measures the library it has just built.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AccountPasswordPolicy, ConsoleUser, HandlerSettings } = require('../lib') as typeof lib;
  const stack = new Stack(app, id);
  HandlerSettings.configure(stack, { handlerCode });
  if (variant.passwordPolicy) new AccountPasswordPolicy(stack, 'PasswordPolicy', { minimumPasswordLength: 14 });
  for (let i = 0; i < variant.users; i++) {
    new ConsoleUser(stack, `User${i}`, {
      userName: `console-user-${i}`,
      ...(i < variant.rotating
        ? { rotation: { automaticallyAfter: Duration.days(30) }, passwordResetRequired: false }
        : {}),
    });
  }
  return stack;
}

/** The template of one synthesized stack, measured. */
export interface TemplateSize {
  readonly resources: number;
  /** Bytes of the file `cdk synth` writes (JSON indented by one space), which `cdk deploy` uploads. */
  readonly writtenBytes: number;
  /** Bytes of the same JSON without whitespace (`suppressTemplateIndentation`). */
  readonly minifiedBytes: number;
  /** Bytes of the same JSON indented by two spaces: how cdk-stacksets writes a `StackSetStack`'s template. */
  readonly stackSetBytes: number;
}

/** Synthesizes the variant with `handlerCode` as `cdk synth` would (its default context) and measures it. */
export function measureTemplateSize(handlerCode: lib.HandlerCode, variant: TemplateSizeVariant): TemplateSize {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-template-size-'));
  try {
    const app = new App({ outdir, context: CLI_CONTEXT });
    const stack = templateSizeStack(app, 'ConsoleUsers', handlerCode, variant);
    const artifact = app.synth().getStackByName(stack.stackName);
    return {
      resources: Object.keys((artifact.template as { Resources: object }).Resources).length,
      writtenBytes: fs.statSync(artifact.templateFullPath).size,
      minifiedBytes: Buffer.byteLength(JSON.stringify(artifact.template), 'utf8'),
      stackSetBytes: Buffer.byteLength(JSON.stringify(artifact.template, undefined, 2), 'utf8'),
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Whether the variant synthesizes (aws-cdk-lib fails a stack of more than 500 resources). */
function fits(handlerCode: lib.HandlerCode, variant: TemplateSizeVariant): boolean {
  try {
    measureTemplateSize(handlerCode, variant);
    return true;
  } catch (error) {
    if (error instanceof Error && /TooManyResourcesInStack|greater than allowed maximum/.test(error.message)) {
      return false;
    }
    throw error;
  }
}

/** The largest n from 0 to `max` for which `variantOf(n)` fits in one stack (found by bisection). */
export function largestThatFits(
  handlerCode: lib.HandlerCode,
  max: number,
  variantOf: (n: number) => TemplateSizeVariant,
): number {
  let low = 0;
  let high = max;
  if (fits(handlerCode, variantOf(high))) return high;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (fits(handlerCode, variantOf(mid))) low = mid;
    else high = mid;
  }
  return low;
}

/** One measured row: the variant in both modes. */
export interface TemplateSizeRow {
  readonly label: string;
  readonly variant: TemplateSizeVariant;
  readonly asset: TemplateSize;
  readonly inline: TemplateSize;
}

/** The bundles an INLINE template holds, and what each weighs as a JSON string in it. */
export interface InlineBundle {
  readonly name: string;
  readonly bytes: number;
  readonly jsonStringBytes: number;
}

export interface TemplateSizeBench {
  readonly rows: TemplateSizeRow[];
  readonly bundles: InlineBundle[];
  /** Most rotating users among 150 with an AccountPasswordPolicy (the rest of 500 resources). */
  readonly rotatingAt150: number;
  /** Most console users in one stack when every one rotates (with an AccountPasswordPolicy). */
  readonly allRotating: number;
}

/** Measures every variant in both modes. */
export function benchTemplateSize(): TemplateSizeBench {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { HandlerCode } = require('../lib') as typeof lib;
  const rotatingAt150 = largestThatFits(HandlerCode.INLINE, 150, (n) => ({
    users: 150,
    rotating: n,
    passwordPolicy: true,
  }));
  const allRotating = largestThatFits(HandlerCode.INLINE, 150, (n) => ({
    users: n,
    rotating: n,
    passwordPolicy: true,
  }));
  const variants: Array<[string, TemplateSizeVariant]> = [
    ['1 user', { users: 1, rotating: 0, passwordPolicy: false }],
    ['1 user, rotating', { users: 1, rotating: 1, passwordPolicy: false }],
    ['1 user, AccountPasswordPolicy', { users: 1, rotating: 0, passwordPolicy: true }],
    ['1 user, rotating, AccountPasswordPolicy', { users: 1, rotating: 1, passwordPolicy: true }],
    ['150 users', { users: 150, rotating: 0, passwordPolicy: false }],
    [`150 users, ${rotatingAt150} rotating`, { users: 150, rotating: rotatingAt150, passwordPolicy: false }],
    ['150 users, AccountPasswordPolicy', { users: 150, rotating: 0, passwordPolicy: true }],
    [
      `150 users, ${rotatingAt150} rotating, AccountPasswordPolicy`,
      { users: 150, rotating: rotatingAt150, passwordPolicy: true },
    ],
    [
      `${allRotating} users, all rotating, AccountPasswordPolicy`,
      { users: allRotating, rotating: allRotating, passwordPolicy: true },
    ],
  ];
  const rows = variants.map(([label, variant]) => ({
    label,
    variant,
    asset: measureTemplateSize(HandlerCode.ASSET, variant),
    inline: measureTemplateSize(HandlerCode.INLINE, variant),
  }));
  const bundles = ['login-profile-handler', 'rotation-handler', 'account-password-policy-handler'].map((name) => {
    const code = fs.readFileSync(path.join(__dirname, '..', 'assets', name, 'index.js'), 'utf8');
    return { name, bytes: Buffer.byteLength(code, 'utf8'), jsonStringBytes: Buffer.byteLength(JSON.stringify(code)) };
  });
  return { rows, bundles, rotatingAt150, allRotating };
}

function fixed(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${fixed(value)}`;
}

/** The heading of the section `templateSizeReport` writes (and `--template-size` replaces). */
export const TEMPLATE_SIZE_HEADING = '## Template size: file assets against inline code';

/** The BENCHMARKS.md section for `bench`, with the command that measured it. */
export function templateSizeReport(bench: TemplateSizeBench, measuredBy: string): string[] {
  const at150 = bench.rows.find(
    (r) => r.variant.users === 150 && r.variant.rotating === bench.rotatingAt150 && r.variant.passwordPolicy,
  )!;
  const largest = bench.rows.reduce((a, b) => (b.inline.writtenBytes > a.inline.writtenBytes ? b : a));
  const left = (bytes: number) =>
    `${fixed(TEMPLATE_LIMIT_BYTES - bytes)} (${(((TEMPLATE_LIMIT_BYTES - bytes) / TEMPLATE_LIMIT_BYTES) * 100).toFixed(1)}%)`;
  return [
    TEMPLATE_SIZE_HEADING,
    '',
    `${measuredBy}. Each stack is environment-agnostic (as a StackSet's template is), synthesized once with the context \`cdk synth\` passes (path, asset and version metadata): \`HandlerSettings.configure\` with \`handlerCode\` ASSET or INLINE, \`ConsoleUser\`s with user names (rotating ones every 30 days), and an \`AccountPasswordPolicy\` where named. "As written": the file \`cdk synth\` writes, JSON indented by one space, which \`cdk deploy\` uploads and CloudFormation reads ("As a StackSet": indented by two spaces, as cdk-stacksets writes a \`StackSetStack\`'s template, whose size the library checks at synth). "Minified": the same JSON without whitespace, what \`suppressTemplateIndentation\` writes. Rotation costs 5 resources per user against 3, so among 150 users with an AccountPasswordPolicy at most ${bench.rotatingAt150} rotate within CloudFormation's ${STACK_RESOURCE_LIMIT} resources, and a stack holds at most ${bench.allRotating} users who all rotate.`,
    '',
    '| stack | resources | as written, ASSET | INLINE | INLINE adds | minified, ASSET | INLINE | INLINE adds | left of 1,000,000 bytes, INLINE as written | INLINE as a StackSet | left of 1,000,000 bytes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...bench.rows.map(
      (r) =>
        `| ${[
          r.label,
          r.inline.resources,
          fixed(r.asset.writtenBytes),
          fixed(r.inline.writtenBytes),
          signed(r.inline.writtenBytes - r.asset.writtenBytes),
          fixed(r.asset.minifiedBytes),
          fixed(r.inline.minifiedBytes),
          signed(r.inline.minifiedBytes - r.asset.minifiedBytes),
          left(r.inline.writtenBytes),
          fixed(r.inline.stackSetBytes),
          left(r.inline.stackSetBytes),
        ].join(' | ')} |`,
    ),
    '',
    'The bundles an INLINE template holds (one of each function the stack has, however many users), and their size as a JSON string in it (quotes and backslashes escaped):',
    '',
    '| bundle | bytes | in the template |',
    '| --- | ---: | ---: |',
    ...bench.bundles.map((b) => `| assets/${b.name}/index.js | ${fixed(b.bytes)} | ${fixed(b.jsonStringBytes)} |`),
    '',
    `At 150 users with an AccountPasswordPolicy and as many rotating users as fit (${bench.rotatingAt150}), the INLINE template is ${fixed(at150.inline.writtenBytes)} bytes as written (${fixed(at150.inline.minifiedBytes)} minified), leaving ${left(at150.inline.writtenBytes)} of CloudFormation's 1 MB, counted as 1,000,000 bytes. The largest INLINE template here (${largest.label}, ${largest.inline.resources} resources) leaves ${left(largest.inline.writtenBytes)}, and as a StackSet template (${fixed(largest.inline.stackSetBytes)} bytes) ${left(largest.inline.stackSetBytes)}: the ${STACK_RESOURCE_LIMIT} resources bind long before the 1 MB does. \`test/scale/capacity.test.ts\` fails if either passes the limit.`,
    '',
  ];
}

/** `--template-size`: measures, prints the section, and puts it in place of the old one in `out`. */
export async function updateTemplateSizeSection(out: string, measuredBy: string): Promise<string> {
  const section = templateSizeReport(benchTemplateSize(), measuredBy).join('\n');
  const old = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '# Benchmarks\n';
  const start = old.indexOf(`${TEMPLATE_SIZE_HEADING}\n`);
  let updated: string;
  if (start < 0) {
    updated = `${old.trimEnd()}\n\n${section}`;
  } else {
    const next = old.indexOf('\n## ', start + TEMPLATE_SIZE_HEADING.length);
    updated = `${old.slice(0, start)}${section}\n${next < 0 ? '' : old.slice(next + 1)}`;
  }
  const prettier = await import('prettier');
  const formatted = await prettier.format(updated, { ...(await prettier.resolveConfig(out)), filepath: out });
  fs.writeFileSync(out, formatted);
  return section;
}
