// Writes a compiled plan to a directory: one .wgsl file per kernel and manifest.json describing
// buffers, kernels, dispatch order and sizes, tensor placement and memory use, so the plan can be
// inspected or executed by another host without hrn.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from './plan.js';

export const MANIFEST_VERSION = 1;

export function planManifest(plan: Plan): Record<string, unknown> {
  return {
    format: 'hrn-plan',
    version: MANIFEST_VERSION,
    graph: plan.graph,
    batch: plan.batch,
    subgroupSize: plan.subgroupSize,
    input: plan.input,
    output: plan.output,
    memory: plan.memory,
    buffers: plan.buffers,
    kernels: plan.kernels.map((k) => ({
      id: k.id,
      file: `${k.name}.wgsl`,
      template: k.template,
      entryPoint: k.entryPoint,
      workgroupSize: k.workgroupSize,
      bindings: k.bindings,
    })),
    dispatches: plan.dispatches,
    tensors: plan.tensors,
  };
}

/** Writes `<kernel>.wgsl` for every kernel and `manifest.json`; returns the files written. */
export function writeCompiled(plan: Plan, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const k of plan.kernels) {
    const file = join(dir, `${k.name}.wgsl`);
    writeFileSync(file, k.wgsl.endsWith('\n') ? k.wgsl : `${k.wgsl}\n`);
    files.push(file);
  }
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, `${JSON.stringify(planManifest(plan), null, 2)}\n`);
  files.push(manifest);
  return files;
}
