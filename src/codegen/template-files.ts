// The kernel templates as files under kernels/, for Node (the CLI, tests, benches). Importing this
// module makes it the template source; the browser page sets its bundled copy instead.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTemplateSource, type TemplateSource } from './template.js';

// Two levels up from src/codegen, dist/codegen and dist/cli-bundle alike.
const KERNEL_DIR = fileURLToPath(new URL('../../kernels/', import.meta.url));

/** The directory the kernel templates are read from. */
export function kernelDir(): string {
  return KERNEL_DIR;
}

/** Reads `kernels/NAME.wgsl`. */
export function fileTemplateSource(dir = KERNEL_DIR): TemplateSource {
  return {
    read(name) {
      const path = `${dir}${name}.wgsl`;
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        throw new Error(`cannot read ${path}: ${(e as Error).message}`);
      }
    },
  };
}

setTemplateSource(fileTemplateSource());
