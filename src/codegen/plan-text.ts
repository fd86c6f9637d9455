// A compiled plan as text: manifest.json describing buffers, kernels, dispatch order and sizes,
// tensor placement and memory use, and each kernel's WGSL with a header naming its layers. Pure, so
// the browser page shows what `hrn compile -o` writes (write.ts).

import type { Plan, PlanKernel } from './plan.js';

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

/**
 * The comment a written kernel starts with: what it is, the layers it computes (every dispatch
 * that runs it) and what it was specialized for.
 */
export function kernelHeader(plan: Plan, k: PlanKernel): string {
  const uses = plan.dispatches.filter((d) => d.kernel === k.id);
  const lines = [
    `// hrn kernel ${k.name}: template ${k.template}.wgsl, entry point ${k.entryPoint}, ${k.workgroupSize} invocations per workgroup`,
    `// network ${plan.graph}, batch ${plan.batch}, ${plan.subgroupSize > 0 ? `subgroups of ${plan.subgroupSize} lanes` : 'no subgroup operations'}`,
    ...uses.map((d) => `// layer: ${d.nodes.join(' + ')} (dispatch ${d.index}, workgroups ${d.workgroups.join(' x ')})`),
  ];
  if (k.specialization) lines.push(`// specialized for: ${k.specialization}`);
  return lines.join('\n');
}

/** A kernel's WGSL as written to a file: its header, then the source. */
export function kernelFileText(plan: Plan, k: PlanKernel): string {
  return `${kernelHeader(plan, k)}\n\n${k.wgsl.endsWith('\n') ? k.wgsl : `${k.wgsl}\n`}`;
}
