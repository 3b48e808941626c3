// The package.json that `npm pack` (and `npm publish`) puts in the tarball: this repo's, without
// what only this repo uses: its scripts, devDependencies and allowScripts (npm's approval of the
// install scripts of this repo's own dependencies, esbuild's). A consumer installing the tarball
// then has nothing that npm would run on install (no prepare, no lifecycle script to approve).
//
//   node scripts/pack-manifest.mjs strip     (prepack)  keep package.json aside, write the slim one
//   node scripts/pack-manifest.mjs restore   (postpack) put the kept package.json back
//   node scripts/pack-manifest.mjs original  print the repo's package.json, also while a pack runs
//
// npm reads package.json from disk after prepack (the tarball gets the file as it is then) and runs
// postpack from the manifest it read before prepack, so the pair works with a plain `npm pack`. The
// original is kept in node_modules/.cache/, outside what is packed. If a pack failed between the
// two steps, the next strip first restores the original, unless package.json was edited since.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = path.join(root, 'package.json');
const kept = path.join(root, 'node_modules', '.cache', 'cdk-console-users', 'package.json');

const DEV_ONLY = ['scripts', 'devDependencies', 'allowScripts'];
const slim = (text) => {
  const pkg = JSON.parse(text);
  for (const key of DEV_ONLY) delete pkg[key];
  return `${JSON.stringify(pkg, null, 2)}\n`;
};

const [command] = process.argv.slice(2);
if (command === 'strip') {
  if (fs.existsSync(kept)) {
    const original = fs.readFileSync(kept, 'utf8');
    if (fs.readFileSync(manifest, 'utf8') !== slim(original)) {
      console.error(
        `${path.relative(root, kept)} exists (an earlier pack did not finish) and package.json has changed since:` +
          ' restore it by hand, then delete that file.',
      );
      process.exit(1);
    }
    fs.writeFileSync(manifest, original);
  }
  const original = fs.readFileSync(manifest, 'utf8');
  fs.mkdirSync(path.dirname(kept), { recursive: true });
  fs.writeFileSync(kept, original);
  fs.writeFileSync(manifest, slim(original));
} else if (command === 'restore') {
  if (!fs.existsSync(kept)) {
    console.error(`nothing to restore: ${path.relative(root, kept)} does not exist`);
    process.exit(1);
  }
  fs.writeFileSync(manifest, fs.readFileSync(kept, 'utf8'));
  fs.rmSync(kept);
} else if (command === 'original') {
  // While kept exists, it is the original; restore writes package.json before removing it.
  let text;
  try {
    text = fs.readFileSync(kept, 'utf8');
  } catch {
    text = fs.readFileSync(manifest, 'utf8');
  }
  process.stdout.write(text);
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore|original');
  process.exit(2);
}
