// Plans lowered to the one program type the runtime runs (src/program/types.ts): the inference
// plan's buffers each get GPU memory of their own (its allocate pass already shared them), the
// training plan's buffers live in the allocations its allocate pass chose, and each plan's
// parameter buffers become the weight uploads that fold and pack them. The printed section is what
// `--debug` shows after the `program` pass.

import type { BindingType, CompiledKernel, Program, ProgramKernel, WeightTransform } from '../program/types.js';
import type { PlanBody } from './plan-types.js';
import type { TrainPlanBody } from './train/types.js';

/** WebGPU buffers are at least 16 bytes and a multiple of 4. */
const gpuBytes = (bytes: number) => Math.max(16, Math.ceil(bytes / 4) * 4);

/** A plan's kernel as the program holds it: what compiling it needs, and its binding layout. */
function programKernel(k: CompiledKernel, layout: readonly BindingType[]): ProgramKernel {
  return { id: k.id, name: k.name, template: k.template, wgsl: k.wgsl, entryPoint: k.entryPoint, workgroupSize: k.workgroupSize, layout: [...layout] };
}

/** The inference plan as a program. */
export function inferenceProgram(plan: PlanBody): Program {
  const kernels = plan.kernels.map((k) => programKernel(k, k.bindings.map((b) => (b.write ? 'storage' : 'read-only-storage'))));
  const { output } = plan;
  return {
    name: plan.graph,
    kind: 'inference',
    batch: plan.batch,
    subgroupSize: plan.subgroupSize,
    buffers: plan.buffers.map((b) => ({ id: b.id, name: b.name, bytes: b.bytes, usage: 'storage' })),
    allocations: plan.buffers.map((b) => ({ id: b.id, bytes: gpuBytes(b.bytes), buffers: [b.id] })),
    kernels,
    dispatches: plan.dispatches.map((d) => ({
      index: d.index,
      kernel: d.kernel,
      label: d.nodes.join(' + '),
      phase: 'inference',
      bindings: d.bindings.map((b) => ({ binding: b.binding, buffer: b.buffer })),
      workgroups: d.workgroups,
      flops: d.flops,
    })),
    clears: [],
    uploads: plan.buffers.flatMap((b) => (b.param ? [{ buffer: b.id, transform: { kind: 'fold-pack' as const, source: b.param } }] : [])),
    io: {
      images: { buffer: plan.input.buffer, shape: { ...plan.input.shape }, elements: plan.input.elements },
      logits: { view: { buffer: output.logits, offset: 0, batchStride: output.classes }, classes: output.classes },
      ...(output.probs !== undefined ? { probs: output.probs } : {}),
      ...(output.argmax !== undefined ? { argmax: output.argmax } : {}),
    },
    values: plan.tensors.map((t) => ({ node: t.node, shape: { ...t.shape }, forward: { buffer: t.buffer, offset: t.offset, batchStride: t.batchStride } })),
  };
}

/** The training plan as a program. */
export function trainingProgram(plan: TrainPlanBody): Program {
  const ids = plan.bufferIds;
  return {
    name: plan.graph,
    kind: 'training',
    batch: plan.batch,
    subgroupSize: plan.subgroupSize,
    buffers: plan.buffers.map((b) => ({
      id: b.id,
      name: b.name,
      bytes: b.bytes,
      usage: b.kind === 'uniform' || b.kind === 'args' ? 'uniform' : 'storage',
      ...(b.init ? { init: b.init } : {}),
      ...(b.kind === 'zeros' ? { zeros: true as const } : {}),
      ...(b.kind === 'scratch' ? { scratch: true as const } : {}),
    })),
    allocations: plan.memory.allocations.map((a) => ({ id: a.id, bytes: a.bytes, buffers: [...a.buffers] })),
    kernels: plan.kernels.map((k) => programKernel(k, k.layout)),
    dispatches: plan.dispatches.map((d) => ({
      index: d.index,
      kernel: d.kernel,
      label: d.label,
      phase: d.phase,
      bindings: d.bindings.map((b) => ({ binding: b.binding, buffer: b.buffer, ...(b.offset !== undefined ? { offset: b.offset } : {}), ...(b.size !== undefined ? { size: b.size } : {}) })),
      workgroups: d.workgroups,
      flops: d.flops,
    })),
    clears: [...plan.clears],
    uploads: [
      { buffer: ids.params, transform: { kind: 'flat-params', floats: plan.paramFloats, params: plan.params } },
      { buffer: ids.running, transform: { kind: 'flat-running', floats: Math.max(4, plan.buffers[ids.running].bytes / 4), running: plan.running } },
    ],
    io: {
      images: { buffer: plan.input.buffer, shape: { ...plan.input.shape }, elements: plan.input.elements },
      logits: { view: plan.output.logits, classes: plan.classes },
      labels: plan.labels,
      step: plan.uniform,
      ...(plan.teacher !== undefined ? { teacher: plan.teacher } : {}),
      sums: plan.sums,
      grads: ids.grads,
      momentum: ids.momentum,
    },
    values: plan.values,
  };
}

function transformText(t: WeightTransform): string {
  switch (t.kind) {
    case 'flat-params':
      return `${t.params.length} trainable tensors packed flat (${t.floats} floats)`;
    case 'flat-running':
      return `running statistics of ${t.running.length} batch norms`;
    case 'fold-pack': {
      const s = t.source;
      switch (s.kind) {
        case 'conv-weight':
        case 'conv-bias': {
          const fold = s.bn !== undefined ? `${s.bn} folded into ` : '';
          return `${fold}${s.conv}.${s.kind === 'conv-weight' ? 'weight' : 'bias'}, packed in blocks of ${s.ocb} output channels`;
        }
        case 'bn-scale':
        case 'bn-shift':
          return `${s.bn} as ${s.kind === 'bn-scale' ? 'scale' : 'shift'}`;
        case 'fc-weight':
          return `${s.fc}.weight`;
        case 'fc-bias':
          return `${s.fc}.bias`;
        case 'relu-mask':
          return `${s.relu}.mask`;
      }
    }
  }
}

/** The program as `--debug` prints it: its memory and what the weights fill. */
export function programSection(p: Program): string[] {
  const bytes = p.allocations.reduce((s, a) => s + a.bytes, 0);
  const lines = [
    `program (${p.kind}): ${p.buffers.length} buffers in ${p.allocations.length} allocations, ${(bytes / 1024).toFixed(1)} KiB; ` +
      `${p.kernels.length} kernels, ${p.dispatches.length} dispatches${p.clears.length > 0 ? `, ${p.clears.length} buffers cleared each run` : ''}`,
    `  uploads from the weights:`,
  ];
  for (const u of p.uploads) lines.push(`    buffer ${u.buffer} ${p.buffers[u.buffer].name} <- ${transformText(u.transform)}`);
  return lines;
}
