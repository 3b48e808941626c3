#!/usr/bin/env node
// The release's version bookkeeping, shared by the maintainer and the release workflow.
//
//   node scripts/release.mjs bump <version>   (npm run bump -- <version>)
//     Sets <version> in package.json and package-lock.json, renames CHANGELOG.md's
//     `## [Unreleased]` section to `## [<version>] - <UTC date>` under a new empty
//     `## [Unreleased]`, replaces the old version with <version> in the install instructions
//     (README.md's Install section, docs/install.md) and regenerates the API
//     baseline (api/baseline.jsii, the API this version ships).
//   node scripts/release.mjs check <tag>
//     Fails unless <tag> is `v` + package.json's version and CHANGELOG.md has that version's
//     section with entries. The release workflow runs it before anything is built.
//   node scripts/release.mjs notes <tag>
//     Prints the CHANGELOG.md section of the tag's version: the GitHub release's notes.
//
// ROOT may be overridden (RELEASE_ROOT) so that the tests can run it on a copy of the repo.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = process.env.RELEASE_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;
const read = (f) => fs.readFileSync(path.join(ROOT, f), 'utf8');
const write = (f, text) => fs.writeFileSync(path.join(ROOT, f), text);
const fail = (message) => {
  console.error(`release: ${message}`);
  process.exit(1);
};

/** The body of CHANGELOG.md's `## [<name>]` section (up to the next `## ` heading), or undefined. */
export function changelogSection(changelog, name) {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^## \\[${escaped}\\][^\\n]*\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, 'm').exec(changelog);
  return m?.[1];
}

function check(tag) {
  if (!tag) fail('usage: release.mjs check <tag>');
  const version = JSON.parse(read('package.json')).version;
  if (tag !== `v${version}`) fail(`tag ${tag} does not name package.json's version ${version} (expected v${version})`);
  const section = changelogSection(read('CHANGELOG.md'), version);
  if (section === undefined) fail(`CHANGELOG.md has no "## [${version}]" section: run npm run bump -- ${version}`);
  if (!/^\s*[-*] /m.test(section)) fail(`CHANGELOG.md's "## [${version}]" section lists no changes`);
  console.log(`release: ${tag} is package.json's version with a CHANGELOG.md section`);
}

function bump(version) {
  if (!SEMVER.test(version ?? ''))
    fail(`usage: release.mjs bump <version>, a semantic version such as 0.2.0 (got ${version})`);
  const old = JSON.parse(read('package.json')).version;
  const changelog = read('CHANGELOG.md');
  const unreleased = changelogSection(changelog, 'Unreleased');
  if (unreleased === undefined) fail('CHANGELOG.md has no "## [Unreleased]" section');
  if (!/^\s*[-*] /m.test(unreleased)) fail('CHANGELOG.md\'s "## [Unreleased]" section lists no changes to release');
  if (changelogSection(changelog, version) !== undefined) fail(`CHANGELOG.md already has a "## [${version}]" section`);
  const date = new Date().toISOString().slice(0, 10);
  write(
    'CHANGELOG.md',
    changelog.replace(/^## \[Unreleased\][^\n]*$/m, `## [Unreleased]\n\n## [${version}] - ${date}`),
  );

  execFileSync('npm', ['version', version, '--no-git-tag-version', '--allow-same-version', '--ignore-scripts'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  // The install instructions name the version (tag pins, file names): README.md's Install section
  // and docs/install.md.
  // The old version as a whole version (not the end of 10.1.0 or the start of 0.1.0.1).
  const oldVersion = new RegExp(`(?<![\\d.])${old.replace(/\./g, '\\.')}(?![\\d]|\\.\\d)`, 'g');
  const readme = read('README.md');
  write(
    'README.md',
    readme.replace(/^## Install\n[\s\S]*?(?=^## )/m, (s) => s.replace(oldVersion, version)),
  );
  write('docs/install.md', read('docs/install.md').replace(oldVersion, version));
  if (!process.env.RELEASE_SKIP_BASELINE) execFileSync('npm', ['run', 'api:baseline'], { cwd: ROOT, stdio: 'inherit' });
  console.log(`release: ${old} -> ${version}; commit, then tag v${version} and push the tag`);
}

function notes(tag) {
  const section = changelogSection(read('CHANGELOG.md'), (tag ?? '').replace(/^v/, ''));
  if (section === undefined) fail(`CHANGELOG.md has no section for ${tag}`);
  process.stdout.write(`${section.trim()}\n`);
}

const [command, arg] = process.argv.slice(2);
if (command === 'check') check(arg);
else if (command === 'notes') notes(arg);
else if (command === 'bump') bump(arg);
else if (process.argv[1] === fileURLToPath(import.meta.url))
  fail('usage: release.mjs bump <version> | check <tag> | notes <tag>');
