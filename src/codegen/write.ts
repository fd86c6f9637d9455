// Writes a compiled plan to a directory: one .wgsl file per kernel and manifest.json describing
// buffers, kernels, dispatch order and sizes, tensor placement and memory use, so the plan can be
// inspected or executed by another host without hrn.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from './plan.js';
import { kernelFileText, planManifest } from './plan-text.js';

export * from './plan-text.js';

/** Writes `<kernel>.wgsl` for every kernel and `manifest.json`; returns the files written. */
export function writeCompiled(plan: Plan, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const k of plan.kernels) {
    const file = join(dir, `${k.name}.wgsl`);
    writeFileSync(file, kernelFileText(plan, k));
    files.push(file);
  }
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, `${JSON.stringify(planManifest(plan), null, 2)}\n`);
  files.push(manifest);
  return files;
}
