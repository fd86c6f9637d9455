// Packs the VS Code extension as `hrn-<version>.vsix` (hrn's version): the client bundled with
// esbuild into one file, so the package needs no node_modules; the repository's TextMate grammar
// copied in, so there is one grammar file to keep. Everything is staged in a temporary folder: the
// source tree is only read. `npm run package:vscode [-- --out DIR | --out FILE.vsix]` (default dist/).

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createVSIX } from '@vscode/vsce';
import { build } from 'esbuild';

const HERE = import.meta.dirname;
const ROOT = resolve(HERE, '../..');
const GRAMMAR = join(ROOT, 'grammar/hrn.tmLanguage.json');

/** Where the package goes: a file named by the user, or hrn-<version>.vsix in a folder. */
function destination(out, version) {
  // npm runs scripts in the package's root; a relative --out is meant from where npm was run.
  const path = out === undefined ? join(ROOT, 'dist') : resolve(process.env.INIT_CWD ?? process.cwd(), out);
  if (path.endsWith('.vsix')) return path;
  if (existsSync(path) && !statSync(path).isDirectory()) throw new Error(`--out ${path}: not a folder (name a folder, or a file ending in .vsix)`);
  mkdirSync(path, { recursive: true });
  return join(path, `hrn-${version}.vsix`);
}

async function stage(dir, version) {
  await build({
    entryPoints: [join(HERE, 'extension.js')],
    outfile: join(dir, 'dist/extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // VS Code 1.82, the oldest that vscode-languageclient 9 runs in, ships Node 18.
    target: 'node18',
    // The editor provides this module to its extensions.
    external: ['vscode'],
    minify: true,
    logLevel: 'warning',
  });
  const manifest = JSON.parse(readFileSync(join(HERE, 'package.json'), 'utf8'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ ...manifest, version }, null, 2)}\n`);
  mkdirSync(join(dir, 'syntaxes'));
  copyFileSync(GRAMMAR, join(dir, 'syntaxes/hrn.tmLanguage.json'));
  for (const f of ['language-configuration.json', 'README.md']) copyFileSync(join(HERE, f), join(dir, f));
}

/**
 * vsce's progress lines name the staging folder, which is gone when it returns: they are dropped,
 * and stdout carries only the package's path. Its warnings and errors still reach stderr.
 */
async function quietly(work) {
  const log = console.log;
  console.log = () => {};
  try {
    return await work();
  } finally {
    console.log = log;
  }
}

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const target = destination(values.out, version);
  const dir = mkdtempSync(join(tmpdir(), 'hrn-vsix-'));
  // Written beside the target, then renamed: a reader never sees half a package.
  const partial = `${target}.${process.pid}.tmp`;
  try {
    await stage(dir, version);
    await quietly(() => createVSIX({ cwd: dir, packagePath: join(dir, 'hrn.vsix'), dependencies: false, allowMissingRepository: true, skipLicense: true }));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(dir, 'hrn.vsix'), partial);
    renameSync(partial, target);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
  process.stdout.write(`${target}\n`);
}

main().catch((e) => {
  process.stderr.write(`package:vscode: error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
