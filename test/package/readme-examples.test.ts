/**
 * The documentation's TypeScript examples compile against this repo's `lib/`, as a user would
 * paste them: every ```ts / ```typescript block of README.md, CONTRIBUTING.md and docs/**.md is
 * written to a temporary folder where `cdk-console-users` resolves to `lib/index.ts`, and one
 * TypeScript program type-checks them all. A block preceded by `<!-- fragment -->` is a
 * deliberate excerpt: it is wrapped in the constructor of a `Stack` subclass with the common
 * imports. Also: the README stays a front door (at most 16,000 bytes, complete first example),
 * and the docs' links to files of this repo (and to their headings) resolve.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

const REPO = path.resolve(__dirname, '..', '..');
const REPO_URL = 'https://github.com/cdk-console-users/cdk-console-users/blob/main/';
// A front door: what a user needs to choose and start, in every language; the rest is in docs/.
const README_MAX_BYTES = 16_000;
const FRAGMENT_MARK = '<!-- fragment -->';
const MAX_FRAGMENTS = 3;

/** The Markdown files whose examples are checked: README.md, CONTRIBUTING.md, docs/**.md. */
function docFiles(): string[] {
  const files = ['README.md', 'CONTRIBUTING.md'].filter((f) => fs.existsSync(path.join(REPO, f)));
  const docsDir = path.join(REPO, 'docs');
  if (fs.existsSync(docsDir)) {
    for (const f of fs.readdirSync(docsDir, { recursive: true }) as string[]) {
      if (f.endsWith('.md')) files.push(path.join('docs', f));
    }
  }
  return files.sort();
}

interface Example {
  /** Markdown file, relative to the repo. */
  readonly doc: string;
  /** 1-based number among the TypeScript blocks of that file. */
  readonly block: number;
  /** 1-based line of the opening fence in the Markdown file. */
  readonly line: number;
  readonly code: string;
  readonly fragment: boolean;
}

/** Every ```ts / ```typescript block of a Markdown text, in order. */
function extractExamples(doc: string, markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  let block = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(lines[i]);
    if (!open) {
      // Skip over other fenced blocks whole, so a fence inside them is not taken for an opening.
      const other = /^\s*(`{3,}|~{3,})/.exec(lines[i]);
      if (other) {
        const fence = other[1];
        i++;
        while (i < lines.length && !lines[i].trim().startsWith(fence)) i++;
      }
      continue;
    }
    const fence = open[2];
    let previous = i - 1;
    while (previous >= 0 && lines[previous].trim() === '') previous--;
    const fragment = previous >= 0 && lines[previous].trim() === FRAGMENT_MARK;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].trim().startsWith(fence)) body.push(lines[j++]);
    if (j >= lines.length) throw new Error(`${doc}:${i + 1}: unclosed code block`);
    examples.push({ doc, block: ++block, line: i + 1, code: body.join('\n') + '\n', fragment });
    i = j;
  }
  return examples;
}

/** What a fragment may use without importing it. */
const FRAGMENT_PRELUDE = [
  "import { Annotations, App, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';",
  "import * as iam from 'aws-cdk-lib/aws-iam';",
  "import * as kms from 'aws-cdk-lib/aws-kms';",
  "import * as lambda from 'aws-cdk-lib/aws-lambda';",
  "import * as logs from 'aws-cdk-lib/aws-logs';",
  "import { Construct } from 'constructs';",
  "import { AccountPasswordPolicy, ConsoleUser, HandlerCode, HandlerSettings, LoginProfile } from 'cdk-console-users';",
  'void [Annotations, App, CfnOutput, Duration, RemovalPolicy, iam, kms, lambda, logs];',
  'void [AccountPasswordPolicy, ConsoleUser, HandlerCode, HandlerSettings, LoginProfile];',
  'export class FragmentStack extends Stack {',
  '  constructor(scope: Construct, id: string) {',
  '    super(scope, id);',
  '    const stack = this;',
  '    void stack;',
];
const FRAGMENT_EPILOGUE = ['  }', '}'];

interface WrittenExample extends Example {
  readonly file: string;
  /** Lines added before the block's first line in the written file. */
  readonly offset: number;
}

function writeExamples(dir: string, examples: Example[]): WrittenExample[] {
  return examples.map((ex) => {
    const name = `${ex.doc.replace(/[^A-Za-z0-9]+/g, '-')}-block-${ex.block}.ts`;
    const file = path.join(dir, name);
    const text = ex.fragment
      ? [...FRAGMENT_PRELUDE, ex.code, ...FRAGMENT_EPILOGUE].join('\n')
      : // Every example is a module of its own, so two examples may declare the same names.
        `${ex.code}export {};\n`;
    fs.writeFileSync(file, text);
    return { ...ex, file, offset: ex.fragment ? FRAGMENT_PRELUDE.length : 0 };
  });
}

/** Type-checks all examples in one program; returns one message per diagnostic. */
function typeCheck(dir: string, written: WrittenExample[]): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ['lib.es2022.d.ts'],
    strict: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    baseUrl: dir,
    // The published package's name resolves to this repo's source; everything else to its
    // node_modules, so the examples and lib/ see the same aws-cdk-lib.
    paths: {
      'cdk-console-users': [path.join(REPO, 'lib', 'index.ts')],
      '*': [path.join(REPO, 'node_modules', '*'), path.join(REPO, 'node_modules', '@types', '*')],
    },
    typeRoots: [path.join(REPO, 'node_modules', '@types')],
    types: ['node'],
  };
  const program = ts.createProgram(
    written.map((w) => w.file),
    options,
  );
  const byFile = new Map(written.map((w) => [path.resolve(w.file), w]));
  const messages: string[] = [];
  for (const d of program.getOptionsDiagnostics().concat(program.getGlobalDiagnostics())) {
    messages.push(`compiler options: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  for (const sf of program.getSourceFiles()) {
    const example = byFile.get(path.resolve(sf.fileName));
    if (!example) continue;
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    for (const d of diagnostics) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      let where = '';
      if (d.start !== undefined) {
        const { line, character } = sf.getLineAndCharacterOfPosition(d.start);
        const inBlock = line - example.offset + 1;
        const mdLine = example.line + inBlock;
        where = ` (block line ${inBlock}, ${example.doc}:${mdLine}:${character + 1})`;
      }
      const kind = example.fragment ? 'fragment' : 'block';
      messages.push(`${example.doc} ${kind} ${example.block}${where}: TS${d.code} ${text}`);
    }
  }
  return messages;
}

/** GitHub's anchors for the headings of a Markdown text. */
function anchorsOf(markdown: string): Set<string> {
  const prose = markdown.replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');
  const anchors = new Set<string>();
  for (const m of prose.matchAll(/^#{1,6}\s+(.*)$/gm)) {
    const slug = m[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let unique = slug;
    for (let n = 1; anchors.has(unique); n++) unique = `${slug}-${n}`;
    anchors.add(unique);
  }
  return anchors;
}

/** Links of a Markdown text: [text](target), without the ones inside code blocks. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

const DOCS = docFiles();
const EXAMPLES = DOCS.flatMap((doc) => extractExamples(doc, fs.readFileSync(path.join(REPO, doc), 'utf8')));

describe('documentation', () => {
  test('README.md is at most 16,000 bytes', () => {
    const size = fs.statSync(path.join(REPO, 'README.md')).size;
    expect(size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  test("the README's first TypeScript example is a complete app, not a fragment", () => {
    const first = EXAMPLES.find((e) => e.doc === 'README.md');
    expect(first).toBeDefined();
    expect(first!.fragment).toBe(false);
    expect(first!.code).toMatch(/from 'cdk-console-users'/);
    expect(first!.code).toMatch(/new App\(|extends Stack/);
  });

  test(`fragments stay rare (at most ${MAX_FRAGMENTS})`, () => {
    const fragments = EXAMPLES.filter((e) => e.fragment).map((e) => `${e.doc} block ${e.block}`);
    expect(fragments.length).toBeLessThanOrEqual(MAX_FRAGMENTS);
  });

  test('every TypeScript example type-checks against lib/', () => {
    expect(EXAMPLES.length).toBeGreaterThan(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-console-users-doc-examples-'));
    try {
      const messages = typeCheck(dir, writeExamples(dir, EXAMPLES));
      // On failure the message lists file, block number and diagnostic for each broken example.
      expect(messages).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test("links to this repo's files and their headings resolve", () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      for (const link of linksOf(fs.readFileSync(path.join(REPO, doc), 'utf8'))) {
        let target: string;
        if (link.startsWith(REPO_URL)) target = link.slice(REPO_URL.length);
        else if (link.startsWith('#')) target = doc + link;
        else if (/^[a-z]+:/i.test(link)) continue;
        else target = path.join(path.dirname(doc), link);
        const [file, anchor] = target.split('#');
        const full = path.join(REPO, file);
        if (!fs.existsSync(full)) broken.push(`${doc}: ${link}`);
        else if (anchor && file.endsWith('.md') && !anchorsOf(fs.readFileSync(full, 'utf8')).has(anchor)) {
          broken.push(`${doc}: ${link} (no heading for #${anchor})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
