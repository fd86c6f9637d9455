// The CommonJS build of the Node entry: dist/cjs/node.cjs, for `require('hrn')` and for tools that
// load a CommonJS project's imports through require (tsx in a default `npm init -y` project).
// Usage: node scripts/build-cjs.mjs [DIST]   (DIST: the folder tsc wrote, default dist/)
//
// chevrotain and lodash-es are ESM only (their packages have no `require` condition), so the bundle
// carries them; packages that can be required stay outside it. webgpu stays outside too: its code
// finds its native addon next to itself. The types are tsc's declarations, copied under cjs/ where
// a package.json marks them CommonJS, so TypeScript reads them as what `require` returns.

import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(process.argv[2] ?? join(root, 'dist'));
const out = join(dist, 'cjs');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, 'src', 'node.ts')],
  outfile: join(out, 'node.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['webgpu', 'diff', 'fastest-levenshtein'],
  // The sources find kernels/ and package.json relative to import.meta.url; the bundle sits two
  // folders below the package root, as dist/codegen/*.js does, so the same relative paths hold.
  define: { 'import.meta.url': '__hrn_module_url' },
  banner: { js: "const __hrn_module_url = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: true,
  logLevel: 'warning',
});

function copyDeclarations(from, to) {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (src === out) continue;
    if (statSync(src).isDirectory()) copyDeclarations(src, join(to, name));
    else if (name.endsWith('.d.ts')) {
      mkdirSync(to, { recursive: true });
      cpSync(src, join(to, name));
    }
  }
}

copyDeclarations(dist, out);
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
