// The playground is a static site: `vite build` writes web/dist/, which any static file server can
// publish. The build fails if anything it bundles reaches for a Node built-in, which keeps hrn's
// browser-safe core honest.
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const webDir = fileURLToPath(new URL('.', import.meta.url));
const repoDir = fileURLToPath(new URL('..', import.meta.url));
const builtins = new Set(builtinModules);

function noNodeBuiltins(): Plugin {
  return {
    name: 'hrn-no-node-builtins',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id.startsWith('node:') || builtins.has(id)) {
        this.error(`${importer ?? '?'} imports the Node module '${id}': the playground bundles only hrn's browser-safe core`);
      }
      return null;
    },
  };
}

export default defineConfig({
  root: webDir,
  // Relative asset paths: the built site works from any directory of any static host.
  base: './',
  publicDir: 'public',
  plugins: [noNodeBuiltins()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { fs: { allow: [repoDir] } },
  preview: { host: '127.0.0.1', port: 4173, strictPort: false },
});
