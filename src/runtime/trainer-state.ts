// What the Trainer uploads and reads back, converted between the training plan's flat buffers
// (parameters, momentum and gradients packed as the kernels read them, running statistics side by
// side) and weights.ts's PyTorch layout. Pure: the Trainer does the GPU side.

import { packParam, unpackParam } from '../codegen/conv-layout.js';
import type { TrainPlan, ValueInfo } from '../codegen/train-plan.js';
import type { LayerGraph } from '../ir/graph.js';
import { numel, weightSpecs, type Weights } from '../weights/weights.js';

/** The parameter buffer's contents for `weights` (already checked against the graph). */
export function flatParams(plan: TrainPlan, weights: Weights): Float32Array<ArrayBuffer> {
  const flat = new Float32Array(plan.paramFloats);
  for (const p of plan.params) flat.set(packParam(p, weights.get(p.name)!.data), p.offset);
  return flat;
}

/** The running-statistics buffer's contents for `weights`. */
export function flatRunning(plan: TrainPlan, weights: Weights): Float32Array<ArrayBuffer> {
  const run = new Float32Array(Math.max(4, plan.buffers[plan.bufferIds.running].bytes / 4));
  for (const r of plan.running) {
    run.set(weights.get(`${r.bn}.running_mean`)!.data, r.mean);
    run.set(weights.get(`${r.bn}.running_var`)!.data, r.variance);
  }
  return run;
}

/** The momentum buffer's contents for SGD momentum (one tensor per trainable parameter), checked. */
export function flatMomentum(plan: TrainPlan, momentum: Weights): Float32Array<ArrayBuffer> {
  const flat = new Float32Array(plan.paramFloats);
  for (const p of plan.params) {
    const t = momentum.get(p.name);
    if (!t) throw new Error(`optimizer state has no momentum buffer for ${p.name}`);
    if (t.data.length !== numel(p.shape)) throw new Error(`optimizer state: ${p.name} has ${t.data.length} values, the parameter ${numel(p.shape)}`);
    flat.set(packParam(p, t.data), p.offset);
  }
  return flat;
}

/** Parameters and running statistics in weights.ts layout, from the parameter and running-statistics buffers. */
export function weightsFromFlat(plan: TrainPlan, graph: LayerGraph, flat: Float32Array, run: Float32Array): Weights {
  const out: Weights = new Map();
  const byName = new Map(plan.params.map((p) => [p.name, p]));
  const runBy = new Map(plan.running.map((r) => [r.bn, r]));
  for (const spec of weightSpecs(graph)) {
    const p = byName.get(spec.name);
    let data: Float32Array;
    if (p) data = unpackParam(p, flat);
    else {
      const r = runBy.get(spec.node)!;
      const at = spec.role === 'running_mean' ? r.mean : r.variance;
      data = Float32Array.from(run.subarray(at, at + r.c));
    }
    out.set(spec.name, { shape: [...spec.shape], data });
  }
  return out;
}

/** One tensor per trainable parameter (momentum, gradients), from a buffer laid out like the parameters. */
export function tensorsFromFlat(plan: TrainPlan, flat: Float32Array): Weights {
  return new Map(plan.params.map((p) => [p.name, { shape: [...p.shape], data: unpackParam(p, flat) }]));
}

/**
 * Where node `node`'s value (`forward`) or gradient (`grad`) of the last step is, refused when the
 * step lets a later buffer share its memory (it is gone after the step then).
 */
export function valueLocation(plan: TrainPlan, node: string, which: 'forward' | 'grad'): { info: ValueInfo; view: NonNullable<ValueInfo['forward']> } {
  const info = plan.values.find((v) => v.node === node);
  if (!info) throw new Error(`${plan.graph}: no node ${node}`);
  const view = which === 'forward' ? info.forward : info.grad;
  const what = which === 'forward' ? 'value' : 'gradient';
  if (!view) throw new Error(`${plan.graph}: ${node} has no materialized ${what}`);
  const held = plan.memory.allocations[plan.memory.allocationOf[view.buffer]].buffers;
  if (held[held.length - 1] !== view.buffer) {
    throw new Error(`${plan.graph}: ${node}'s ${what} shares GPU memory with a buffer the step uses later, so it is gone after the step; create the trainer with reuse: false to read it`);
  }
  return { info, view };
}

/** The value at `at` in its buffer's contents `all`, dense [batch, C, H, W]. */
export function denseValue(plan: TrainPlan, at: ReturnType<typeof valueLocation>, all: Float32Array): Float32Array {
  const { info, view } = at;
  const per = info.shape.c * info.shape.h * info.shape.w;
  const out = new Float32Array(plan.batch * per);
  for (let n = 0; n < plan.batch; n++) out.set(all.subarray(n * view.batchStride + view.offset, n * view.batchStride + view.offset + per), n * per);
  return out;
}
