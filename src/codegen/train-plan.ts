// Layer graph -> training plan: every buffer and every dispatch of one training step at a fixed
// batch size, so that a step is one command buffer: forward in training mode, loss, backward,
// optimizer.
//
// Forward. conv is the inference kernel (kernels/conv.wgsl) on packed weights; batch norm runs on
// batch statistics (bn_stats + bn_finalize, which also update the running statistics) and is
// applied by the inference elementwise kernel with the per-channel scale/shift it computed, fused
// with a following residual add and ReLU range when each is the sole consumer of the previous one
// (chains [bn] [add] [relu]). Slices are views; concatenations are copies into their own buffer.
// Every materialized value keeps its own buffer for the backward pass (no liveness reuse).
//
// Parameters. All trainable tensors live in one flat buffer (conv weights in the forward kernel's
// packed layout, the rest as in weights.ts), each at a 64-float (256-byte) aligned offset so the
// inference kernels can bind them with a buffer offset; gradients and momentum are flat buffers
// with the same layout, so the optimizer is one dispatch over the whole buffer. Running
// statistics live in a buffer of their own, untouched by the optimizer.
//
// Backward. Steps in reverse order. Each value's gradient has a home: a slice's gradient is a view
// of its input's gradient (so the slice's backward is free), and a value used by exactly one
// concatenation has its gradient inside the concatenation's gradient (so the concat's backward is
// free); everything else has a buffer of its own. Kernels write (=) a gradient region the first
// time anything lands in it and accumulate (+=) afterwards, decided here, channel by channel; a
// gradient buffer that would be read or accumulated with channels never written is cleared at
// the start of the step.

import type { ConcatNode, ConvNode, FcNode, GraphNode, LayerGraph } from '../ir/graph.js';
import { nodeInputs } from '../ir/graph.js';
import type { Shape } from '../ir/arch.js';
import { BN_EPS } from '../reference/ops.js';
import { weightSpecs } from '../weights/weights.js';
import {
  convPacking,
  convTile,
  genAvgPool,
  genConv,
  genEwise,
  genFc,
  type GeneratedKernel,
  type SlotAliases,
} from './kernels.js';
import { DEFAULT_LIMITS, type PlanLimits } from './plan.js';
import { genMaxPool, genMaxPoolBwd, type MaxPoolShape } from './maxpool.js';
import {
  channelChunks,
  convDwTiling,
  genAvgPoolBwd,
  genBnFinalize,
  genBnStats,
  genChainBwd,
  genChainBwdFinalize,
  genChainBwdReduce,
  genConvDb,
  genConvDw,
  genConvDwReduce,
  genConvDx,
  genFcDw,
  genFcDx,
  genLoss,
  genSgd,
  packedConvSize,
  LOSS_SUMS,
  type BindingType,
  type BnOffsets,
  type BufView,
  type ConvGeometry,
  type GradTarget,
  type LossSpec,
  type SgdHyper,
  type TrainBinding,
  type TrainKernel,
} from './train-kernels.js';

export interface TrainPlanOptions {
  /** Images per step; the plan is compiled for it. */
  batch: number;
  /** The device's fixed subgroup size (GpuContext.subgroupSize) for the forward convolutions; 0: none. */
  subgroupSize?: number;
  limits?: Partial<PlanLimits>;
  loss?: LossSpec;
  sgd?: Partial<SgdHyper> & {
    /** Which parameters get weight decay (default all, as src/train/sgd.ts). */
    decay?: (name: string) => boolean;
  };
  /** Running-statistics momentum (default 0.1, PyTorch's). */
  bnMomentum?: number;
}

export type TrainBufferKind =
  | 'params'
  | 'grads'
  | 'momentum'
  | 'running'
  | 'bnstate'
  | 'activation'
  | 'gradient'
  | 'input'
  | 'labels'
  | 'teacher'
  | 'scratch'
  | 'coef'
  | 'sums'
  | 'uniform'
  | 'zeros';

export interface TrainBuffer {
  id: number;
  name: string;
  kind: TrainBufferKind;
  bytes: number;
}

export type ParamLayout =
  | { kind: 'plain' }
  | { kind: 'conv-weight'; outC: number; inC: number; kernel: number; groups: number; ocb: number }
  | { kind: 'conv-bias'; outC: number; groups: number; ocb: number };

export interface ParamEntry {
  /** The tensor's name in weights.ts. */
  name: string;
  /** Its shape there (PyTorch layout). */
  shape: number[];
  /** Float offset in the flat parameter, gradient and momentum buffers (a multiple of 64). */
  offset: number;
  /** Floats it occupies there (the packed layout plus any kernel padding). */
  length: number;
  layout: ParamLayout;
  decay: boolean;
}

export interface RunningEntry {
  bn: string;
  c: number;
  /** Float offsets in the running-statistics buffer. */
  mean: number;
  variance: number;
}

export interface TrainPlanKernel {
  id: number;
  name: string;
  template: string;
  wgsl: string;
  entryPoint: string;
  workgroupSize: number;
  /** Binding types, by binding number (the bind group layout). */
  layout: BindingType[];
}

export type TrainPhase = 'forward' | 'loss' | 'backward' | 'optimizer';

export interface TrainDispatch {
  index: number;
  kernel: number;
  phase: TrainPhase;
  /** What it computes, for messages and profiles (e.g. `S1.b1.conv1 dW`). */
  label: string;
  bindings: TrainBinding[];
  workgroups: [number, number, number];
  /** Floating-point operations (a multiply-add counts 2); 0 for memory-bound kernels. */
  flops: number;
}

/** Where a node's value and its gradient live (for tests and tools). */
export interface ValueInfo {
  node: string;
  shape: Shape;
  forward?: BufView;
  grad?: BufView;
}

export interface TrainPlan {
  graph: string;
  batch: number;
  classes: number;
  subgroupSize: number;
  loss: LossSpec;
  sgd: SgdHyper;
  bnMomentum: number;
  buffers: TrainBuffer[];
  params: ParamEntry[];
  /** Floats of the flat parameter / gradient / momentum buffers. */
  paramFloats: number;
  running: RunningEntry[];
  kernels: TrainPlanKernel[];
  dispatches: TrainDispatch[];
  /** Gradient buffers zeroed at the start of every step. */
  clears: number[];
  input: { buffer: number; shape: Shape; elements: number };
  labels: number;
  teacher?: number;
  /** Running sums the loss kernel adds to: LOSS_SUMS order. */
  sums: number;
  uniform: number;
  output: { node: string; logits: BufView; classes: number };
  bufferIds: { params: number; grads: number; momentum: number; running: number };
  values: ValueInfo[];
}

const ALIGN = 64; // floats: 256 bytes, WebGPU's minStorageBufferOffsetAlignment
const alignUp = (n: number, a = ALIGN) => Math.ceil(n / a) * a;

interface ChainStep {
  kind: 'chain';
  anchor: number;
  bn?: GraphNode & { op: 'bn' };
  add?: GraphNode & { op: 'add' };
  relu?: GraphNode & { op: 'relu' };
  /** The chain's first input (bn's input, the add's first operand, or the relu's input). */
  a: number;
  /** The add's other operand. */
  b?: number;
  /** An add with the same value on both sides. */
  doubled: boolean;
}

type Step =
  | { kind: 'conv'; anchor: number; node: ConvNode }
  | ChainStep
  | { kind: 'concat'; anchor: number; node: ConcatNode }
  | { kind: 'avgpool'; anchor: number; input: number }
  | { kind: 'maxpool'; anchor: number; input: number; kernel: number; stride: number }
  | { kind: 'fc'; anchor: number; node: FcNode };

export function compileTrainPlan(graph: LayerGraph, options: TrainPlanOptions): TrainPlan {
  const batch = options.batch;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`compileTrainPlan: batch must be a positive integer, got ${batch}`);
  const limits: PlanLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const dl = { maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension };
  const sg = options.subgroupSize ?? 0;
  const loss: LossSpec = options.loss ?? { kind: 'ce' };
  const sgdH: SgdHyper = {
    momentum: options.sgd?.momentum ?? 0.9,
    weightDecay: options.sgd?.weightDecay ?? 5e-4,
    nesterov: options.sgd?.nesterov ?? false,
  };
  const decayOf = options.sgd?.decay ?? (() => true);
  const bnMomentum = options.bnMomentum ?? 0.1;
  const nodes = graph.nodes;
  nodes.forEach((n, i) => {
    if (n.id !== i) throw new Error(`compileTrainPlan: node ${n.name} has id ${n.id} at position ${i}`);
  });
  const inputs = nodes.filter((n) => n.op === 'input');
  if (inputs.length !== 1) throw new Error(`compileTrainPlan: graph ${graph.name} has ${inputs.length} input nodes, expected 1`);
  const inputNode = inputs[0];
  const outNode = nodes[graph.output];
  if (outNode.op === 'input' || outNode.op === 'slice') {
    throw new Error(`compileTrainPlan: the output of ${graph.name} is ${outNode.op} ${outNode.name}; training needs a computed output`);
  }
  const classes = outNode.shape.c * outNode.shape.h * outNode.shape.w;
  if (classes !== graph.classes) throw new Error(`compileTrainPlan: the output ${outNode.name} has ${classes} values per image, the graph declares ${graph.classes} classes`);
  const plane = (id: number) => nodes[id].shape.h * nodes[id].shape.w;
  const perImage = (id: number) => nodes[id].shape.c * plane(id);

  const consumers: number[][] = nodes.map(() => []);
  for (const n of nodes) for (const i of nodeInputs(n)) consumers[i].push(n.id);

  // ---- buffers
  const buffers: TrainBuffer[] = [];
  const addBuffer = (name: string, kind: TrainBufferKind, bytes: number): number => {
    const id = buffers.length;
    if (kind !== 'params' && kind !== 'grads' && kind !== 'momentum' && bytes > limits.maxStorageBufferBindingSize) {
      throw new Error(`${name}: ${(bytes / 2 ** 20).toFixed(1)} MiB at batch ${batch} is above the device's storage binding limit (${(limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB); use a smaller batch`);
    }
    buffers.push({ id, name, kind, bytes: Math.max(16, Math.ceil(bytes / 16) * 16) });
    return id;
  };

  // ---- parameters
  const tiles = new Map<string, ReturnType<typeof convTile>>();
  const convOf = new Map<string, ConvNode>();
  for (const n of nodes) {
    if (n.op !== 'conv') continue;
    convOf.set(n.name, n);
    tiles.set(n.name, convTile({ outC: n.outChannels, groups: n.groups, outW: n.shape.w, outH: n.shape.h, kernel: n.kernel, stride: n.stride, pad: n.pad, batch }));
  }
  const params: ParamEntry[] = [];
  let cursor = 0;
  for (const spec of weightSpecs(graph)) {
    if (!spec.trainable) continue;
    const conv = convOf.get(spec.node);
    let layout: ParamLayout = { kind: 'plain' };
    let length = spec.shape.reduce((a, b) => a * b, 1);
    if (conv && spec.role === 'weight') {
      const ocb = tiles.get(conv.name)!.ocb;
      const inC = nodes[conv.input].shape.c;
      layout = { kind: 'conv-weight', outC: conv.outChannels, inC, kernel: conv.kernel, groups: conv.groups, ocb };
      length = packedConvSize({ inC, outC: conv.outChannels, groups: conv.groups, kernel: conv.kernel, ocb }) + (sg > 0 ? sg : 0);
    } else if (conv && spec.role === 'bias') {
      const ocb = tiles.get(conv.name)!.ocb;
      layout = { kind: 'conv-bias', outC: conv.outChannels, groups: conv.groups, ocb };
      length = convPacking(conv.outChannels, conv.groups, ocb).blocks * ocb;
    }
    params.push({ name: spec.name, shape: [...spec.shape], offset: cursor, length, layout, decay: decayOf(spec.name) });
    cursor = alignUp(cursor + length);
  }
  const paramFloats = Math.max(ALIGN, cursor);
  if (paramFloats * 4 > limits.maxStorageBufferBindingSize) {
    throw new Error(`${graph.name}: ${(paramFloats * 4 / 2 ** 20).toFixed(1)} MiB of parameters, above the device's storage binding limit`);
  }
  const paramOf = new Map(params.map((p) => [p.name, p]));
  const P = addBuffer('params', 'params', paramFloats * 4);
  const G = addBuffer('param-grads', 'grads', paramFloats * 4);
  const M = addBuffer('momentum', 'momentum', paramFloats * 4);

  // ---- running statistics and per-bn state
  const running: RunningEntry[] = [];
  const bnOff = new Map<number, BnOffsets>();
  let rCursor = 0;
  let sCursor = 0;
  for (const n of nodes) {
    if (n.op !== 'bn') continue;
    const c = n.shape.c;
    running.push({ bn: n.name, c, mean: rCursor, variance: rCursor + c });
    const stats = sCursor;
    const scale = alignUp(stats + 2 * c);
    const shift = alignUp(scale + c);
    sCursor = alignUp(shift + c);
    bnOff.set(n.id, {
      gamma: paramOf.get(`${n.name}.gamma`)!.offset,
      beta: paramOf.get(`${n.name}.beta`)!.offset,
      stats,
      scale,
      shift,
      runningMean: rCursor,
      runningVar: rCursor + c,
    });
    rCursor += 2 * c;
  }
  const R = addBuffer('running-stats', 'running', rCursor * 4);
  const S = addBuffer('bn-state', 'bnstate', sCursor * 4);

  // ---- 1. forward steps (training fusion: chains [bn] [add] [relu])
  const absorbed = new Set<number>();
  const sole = (id: number): GraphNode | undefined =>
    id !== graph.output && consumers[id].length === 1 && !absorbed.has(consumers[id][0]) ? nodes[consumers[id][0]] : undefined;
  const steps: Step[] = [];
  for (const n of nodes) {
    if (absorbed.has(n.id)) continue;
    switch (n.op) {
      case 'input':
      case 'slice':
        break;
      case 'conv':
        steps.push({ kind: 'conv', anchor: n.id, node: n });
        break;
      case 'concat':
        steps.push({ kind: 'concat', anchor: n.id, node: n });
        break;
      case 'avgpool':
        steps.push({ kind: 'avgpool', anchor: n.id, input: n.input });
        break;
      case 'maxpool':
        steps.push({ kind: 'maxpool', anchor: n.id, input: n.input, kernel: n.kernel, stride: n.stride });
        break;
      case 'fc':
        steps.push({ kind: 'fc', anchor: n.id, node: n });
        break;
      case 'bn':
      case 'add':
      case 'relu': {
        const step: ChainStep = { kind: 'chain', anchor: n.id, a: -1, doubled: false };
        let last = n.id;
        if (n.op === 'bn') {
          step.bn = n;
          step.a = n.input;
          const next = sole(last);
          if (next?.op === 'add' && next.inputs[0] !== next.inputs[1]) {
            step.add = next;
            absorbed.add(next.id);
            step.b = next.inputs[0] === last ? next.inputs[1] : next.inputs[0];
            last = next.id;
          }
        } else if (n.op === 'add') {
          step.add = n;
          step.a = n.inputs[0];
          if (n.inputs[0] === n.inputs[1]) step.doubled = true;
          else step.b = n.inputs[1];
        } else {
          step.relu = n;
          step.a = n.input;
        }
        if (n.op !== 'relu') {
          const next = sole(last);
          if (next?.op === 'relu') {
            step.relu = next;
            absorbed.add(next.id);
            last = next.id;
          }
        }
        for (const x of [step.bn, step.add, step.relu]) if (x && x.id !== n.id) absorbed.add(x.id);
        step.anchor = last;
        steps.push(step);
        break;
      }
    }
  }

  // A chain runs where its last node is (its add's other operand may be computed after its bn).
  steps.sort((a, b) => a.anchor - b.anchor);

  // ---- 2. forward storage: roots and views
  const fwd = new Map<number, BufView>();
  const fwdView = (id: number): BufView => {
    const v = fwd.get(id);
    if (v) return v;
    const n = nodes[id];
    if (n.op === 'slice') {
      const p = fwdView(n.input);
      const view = { buffer: p.buffer, offset: p.offset + n.start * plane(id), batchStride: p.batchStride };
      fwd.set(id, view);
      return view;
    }
    throw new Error(`compileTrainPlan: ${n.name} is not materialized (internal error)`);
  };
  const own = (id: number, kind: TrainBufferKind): BufView => {
    const view = { buffer: addBuffer(nodes[id].name, kind, batch * perImage(id) * 4), offset: 0, batchStride: perImage(id) };
    fwd.set(id, view);
    return view;
  };
  own(inputNode.id, 'input');
  for (const s of steps) own(s.anchor, 'activation');

  // ---- 3. which values need gradients: those that depend on a parameter
  const needGrad = nodes.map(() => false);
  for (const n of nodes) {
    needGrad[n.id] = n.op === 'conv' || n.op === 'bn' || n.op === 'fc' || nodeInputs(n).some((i) => needGrad[i]);
  }
  const concatUse = new Map<number, { cat: number; chan: number; count: number }>();
  for (const n of nodes) {
    if (n.op !== 'concat') continue;
    let chan = 0;
    for (const i of n.inputs) {
      const cur = concatUse.get(i);
      concatUse.set(i, { cat: n.id, chan, count: (cur?.count ?? 0) + 1 });
      chan += nodes[i].shape.c;
    }
  }
  const gradViews = new Map<number, BufView>();
  const resolving = new Set<number>();
  const gradView = (id: number): BufView => {
    const hit = gradViews.get(id);
    if (hit) return hit;
    if (!needGrad[id]) throw new Error(`compileTrainPlan: ${nodes[id].name} has no gradient (internal error)`);
    if (resolving.has(id)) throw new Error(`compileTrainPlan: gradient storage cycle at ${nodes[id].name} (internal error)`);
    resolving.add(id);
    const n = nodes[id];
    let v: BufView;
    const use = concatUse.get(id);
    if (n.op === 'slice') {
      const p = gradView(n.input);
      v = { buffer: p.buffer, offset: p.offset + n.start * plane(id), batchStride: p.batchStride };
    } else if (use && use.count === 1 && id !== graph.output) {
      const p = gradView(use.cat);
      v = { buffer: p.buffer, offset: p.offset + use.chan * plane(id), batchStride: p.batchStride };
    } else {
      v = { buffer: addBuffer(`${n.name}.grad`, 'gradient', batch * perImage(id) * 4), offset: 0, batchStride: perImage(id) };
    }
    resolving.delete(id);
    gradViews.set(id, v);
    return v;
  };

  // ---- kernels and dispatches
  const kernels: TrainPlanKernel[] = [];
  const kernelByKey = new Map<string, number>();
  const dispatches: TrainDispatch[] = [];
  const kernelIndex = (template: string, wgsl: string, entryPoint: string, workgroupSize: number, layout: BindingType[]) => {
    const key = `${layout.join(',')}\n${wgsl}`;
    let k = kernelByKey.get(key);
    if (k === undefined) {
      k = kernels.length;
      kernels.push({ id: k, name: `t${String(k).padStart(2, '0')}_${template.replace(/^train\//, '')}`, template, wgsl, entryPoint, workgroupSize, layout });
      kernelByKey.set(key, k);
    }
    return k;
  };
  const emit = (phase: TrainPhase, label: string, k: TrainKernel, flops = 0) => {
    if (k.bindings.length > limits.maxStorageBuffersPerShaderStage + 1) throw new Error(`${label}: ${k.bindings.length} bindings, above the device limit`);
    const layout: BindingType[] = [];
    for (const b of k.bindings) layout[b.binding] = b.type;
    const kid = kernelIndex(k.template, k.wgsl, k.entryPoint, k.workgroupSize, layout);
    dispatches.push({ index: dispatches.length, kernel: kid, phase, label, bindings: k.bindings, workgroups: k.workgroups, flops });
  };
  /** An inference generator's kernel, its slots bound to (buffer, byte range). */
  const emitInference = (phase: TrainPhase, label: string, gen: GeneratedKernel, slots: Record<string, { buffer: number; offset?: number; size?: number }>, flops = 0) => {
    const bindings: TrainBinding[] = gen.bindings.map((b) => {
      // The inference generators may view one buffer through several slots (x_in and x_in4).
      const s = slots[b.slots[0]] ?? slots[b.slots[0].replace(/\d+$/, '')];
      if (!s) throw new Error(`${label}: no buffer for slot ${b.slots[0]} (internal error)`);
      const t: TrainBinding = { binding: b.binding, buffer: s.buffer, type: b.write ? 'storage' : 'read-only-storage' };
      if (s.offset !== undefined) t.offset = s.offset;
      if (s.size !== undefined) t.size = s.size;
      return t;
    });
    emit(phase, label, { template: gen.template, wgsl: gen.wgsl, entryPoint: gen.entryPoint, workgroupSize: gen.workgroupSize, bindings, workgroups: gen.workgroups }, flops);
  };
  const aliasesOf = (slots: [string, BufView][]): SlotAliases => {
    const first = new Map<number, string>();
    const out: SlotAliases = {};
    for (const [slot, v] of slots) {
      const f0 = first.get(v.buffer);
      if (f0 === undefined) first.set(v.buffer, slot);
      else out[slot] = f0;
    }
    return out;
  };
  const paramRange = (name: string) => {
    const p = paramOf.get(name);
    if (!p) throw new Error(`compileTrainPlan: no parameter ${name} (internal error)`);
    return { buffer: P, offset: p.offset * 4, size: p.length * 4 };
  };

  // Scratch for two-phase reductions and batch-norm backward coefficients: sized as we go.
  let scratchBytes = 16;
  let coefBytes = 16;
  let zeroBytes = 16;
  const SCRATCH = addBuffer('scratch', 'scratch', 16);
  const COEF = addBuffer('bn-coef', 'coef', 16);
  const ZEROS = addBuffer('zeros', 'zeros', 16);

  const geometry = (c: ConvNode): ConvGeometry => {
    const inS = nodes[c.input].shape;
    return {
      batch,
      inC: inS.c,
      inH: inS.h,
      inW: inS.w,
      outC: c.outChannels,
      outH: c.shape.h,
      outW: c.shape.w,
      kernel: c.kernel,
      stride: c.stride,
      pad: c.pad,
      groups: c.groups,
      ocb: tiles.get(c.name)!.ocb,
    };
  };
  const convFlops = (c: ConvNode) => {
    const inS = nodes[c.input].shape;
    return 2 * batch * c.outChannels * (inS.c / c.groups) * c.kernel * c.kernel * c.shape.h * c.shape.w;
  };
  const shapeOf = (id: number) => ({ batch, c: nodes[id].shape.c, h: nodes[id].shape.h, w: nodes[id].shape.w });
  const maxPoolShape = (s: { anchor: number; input: number; kernel: number; stride: number }): MaxPoolShape => ({
    ...shapeOf(s.input), oh: nodes[s.anchor].shape.h, ow: nodes[s.anchor].shape.w, kernel: s.kernel, stride: s.stride,
  });

  // ---- 4. forward dispatches
  for (const s of steps) {
    const label = nodes[s.anchor].name;
    switch (s.kind) {
      case 'conv': {
        const c = s.node;
        const inS = nodes[c.input].shape;
        const tile = tiles.get(c.name)!;
        const x = fwdView(c.input);
        const y = fwdView(c.id);
        const gen = genConv(
          {
            name: c.name,
            batch,
            inC: inS.c,
            inH: inS.h,
            inW: inS.w,
            outC: c.outChannels,
            outH: c.shape.h,
            outW: c.shape.w,
            kernel: c.kernel,
            stride: c.stride,
            pad: c.pad,
            groups: c.groups,
            input: { batchStride: x.batchStride, offset: x.offset },
            output: { batchStride: y.batchStride, offset: y.offset },
            tile,
            subgroupSize: sg,
          },
          {},
          dl,
        );
        const biasBytes = convPacking(c.outChannels, c.groups, tile.ocb).blocks * tile.ocb * 4;
        zeroBytes = Math.max(zeroBytes, biasBytes);
        const bias = c.bias ? paramRange(`${c.name}.bias`) : { buffer: ZEROS, offset: 0, size: biasBytes };
        emitInference('forward', `${c.name} forward`, gen, { x_in: { buffer: x.buffer }, wgt: paramRange(`${c.name}.weight`), bias, y_out: { buffer: y.buffer } }, convFlops(c));
        break;
      }
      case 'chain': {
        const out = fwdView(s.anchor);
        const a = fwdView(s.a);
        const sh = shapeOf(s.a);
        let bnSlots: Record<string, { buffer: number; offset?: number; size?: number }> = {};
        if (s.bn) {
          const off = bnOff.get(s.bn.id)!;
          const cc = channelChunks(sh.c, batch);
          scratchBytes = Math.max(scratchBytes, sh.c * cc.chunks * 8);
          emit('forward', `${s.bn.name} batch statistics`, genBnStats(`${s.bn.name} stats`, sh, a, SCRATCH, cc, dl));
          emit('forward', `${s.bn.name} batch statistics (merge)`, genBnFinalize(`${s.bn.name} finalize`, sh, { part: SCRATCH, params: P, state: S, running: R }, off, cc, { eps: BN_EPS, momentum: bnMomentum }));
          bnSlots = { scale: { buffer: S, offset: off.scale * 4, size: sh.c * 4 }, shift: { buffer: S, offset: off.shift * 4, size: sh.c * 4 } };
        }
        const bView = s.doubled ? a : s.b !== undefined ? fwdView(s.b) : undefined;
        const slots: [string, BufView][] = [['a_in', a]];
        if (bView) slots.push(['b_in', bView]);
        slots.push(['y_out', out]);
        const relu = s.relu ? { start: s.relu.start, end: s.relu.end } : undefined;
        const gen = genEwise(
          { name: label, batch, c: sh.c, h: sh.h, w: sh.w, a, out, bn: !!s.bn, b: bView, relu },
          aliasesOf(slots),
          dl,
        );
        const chainNames = [s.bn, s.add, s.relu].filter((x) => x).map((x) => x!.name).join(' + ');
        emitInference('forward', `${chainNames} forward`, gen, { a_in: { buffer: a.buffer }, b_in: { buffer: bView?.buffer ?? -1 }, y_out: { buffer: out.buffer }, ...bnSlots });
        break;
      }
      case 'concat': {
        const dst = fwdView(s.anchor);
        let chan = 0;
        for (const i of s.node.inputs) {
          const src = fwdView(i);
          const sh = shapeOf(i);
          const out = { buffer: dst.buffer, offset: dst.offset + chan * plane(i), batchStride: dst.batchStride };
          const gen = genEwise({ name: `${s.node.name} <- ${nodes[i].name}`, batch, c: sh.c, h: sh.h, w: sh.w, a: src, out }, aliasesOf([['a_in', src], ['y_out', out]]), dl);
          emitInference('forward', `${s.node.name} <- ${nodes[i].name}`, gen, { a_in: { buffer: src.buffer }, y_out: { buffer: dst.buffer } });
          chan += sh.c;
        }
        break;
      }
      case 'avgpool': {
        const x = fwdView(s.input);
        const y = fwdView(s.anchor);
        const sh = shapeOf(s.input);
        const gen = genAvgPool({ name: label, batch, c: sh.c, h: sh.h, w: sh.w, input: x, output: y }, {}, dl);
        emitInference('forward', `${label} forward`, gen, { x_in: { buffer: x.buffer }, y_out: { buffer: y.buffer } });
        break;
      }
      case 'maxpool': {
        const x = fwdView(s.input);
        const y = fwdView(s.anchor);
        emitInference('forward', `${label} forward`, genMaxPool(label, maxPoolShape(s), { input: x, output: y }, {}, dl), { x_in: { buffer: x.buffer }, y_out: { buffer: y.buffer } });
        break;
      }
      case 'fc': {
        const f = s.node;
        const x = fwdView(f.input);
        const y = fwdView(f.id);
        const inF = perImage(f.input);
        const gen = genFc({ name: label, batch, inFeatures: inF, outFeatures: f.outFeatures, input: x, output: y }, {}, dl);
        emitInference('forward', `${label} forward`, gen, { x_in: { buffer: x.buffer }, wgt: paramRange(`${f.name}.weight`), bias: paramRange(`${f.name}.bias`), y_out: { buffer: y.buffer } }, 2 * batch * inF * f.outFeatures);
        break;
      }
    }
  }

  // ---- 5. loss
  const labels = addBuffer('labels', 'labels', batch * 4);
  const teacher = loss.kind !== 'ce' ? addBuffer('teacher-logits', 'teacher', batch * classes * 4) : undefined;
  const sums = addBuffer('loss-sums', 'sums', LOSS_SUMS.length * 4);
  const uniform = addBuffer('hyper', 'uniform', 16);
  const logits = fwdView(graph.output);

  // Gradient coverage, per gradient buffer and channel of its root.
  const coverage = new Map<number, Uint8Array>();
  const clears = new Set<number>();
  const chanRange = (v: BufView, id: number) => {
    const pl = plane(id);
    const rootC = v.batchStride / pl;
    const start = v.offset / pl;
    return { rootC, start, end: start + nodes[id].shape.c };
  };
  const covOf = (buffer: number, rootC: number) => {
    let c = coverage.get(buffer);
    if (!c) {
      c = new Uint8Array(rootC);
      coverage.set(buffer, c);
    }
    return c;
  };
  /** The gradient of value `id` as a kernel output: write or accumulate, and mark it covered. */
  const target = (id: number): GradTarget => {
    const v = gradView(id);
    const { rootC, start, end } = chanRange(v, id);
    const cov = covOf(v.buffer, rootC);
    let covered = 0;
    for (let c = start; c < end; c++) covered += cov[c];
    const accumulate = covered > 0;
    if (covered > 0 && covered < end - start) clears.add(v.buffer);
    cov.fill(1, start, end);
    return { ...v, accumulate };
  };
  /** The gradient of value `id` as a kernel input: complete unless some channel got nothing. */
  const readGrad = (id: number): BufView => {
    const v = gradView(id);
    const { rootC, start, end } = chanRange(v, id);
    const cov = covOf(v.buffer, rootC);
    for (let c = start; c < end; c++) if (!cov[c]) clears.add(v.buffer);
    return v;
  };

  if (!needGrad[graph.output]) throw new Error(`compileTrainPlan: ${graph.name} has no trainable parameters`);
  const dlogits = target(graph.output);
  if (dlogits.offset !== 0 || dlogits.batchStride !== classes) throw new Error('compileTrainPlan: the logits gradient must be dense (internal error)');
  emit('loss', 'loss', genLoss('loss', batch, classes, loss, { logits, labels, teacher, dlogits: dlogits.buffer, sums, uniform }));

  // ---- 6. backward, steps in reverse
  for (let si = steps.length - 1; si >= 0; si--) {
    const s = steps[si];
    switch (s.kind) {
      case 'maxpool': {
        if (!needGrad[s.input]) break;
        const name = `${nodes[s.anchor].name} dX`;
        emit('backward', name, genMaxPoolBwd(name, maxPoolShape(s), fwdView(s.input), readGrad(s.anchor), target(s.input), dl));
        break;
      }
      case 'fc': {
        const f = s.node;
        const g = readGrad(f.id);
        const x = fwdView(f.input);
        const geo = { batch, inFeatures: perImage(f.input), outFeatures: f.outFeatures };
        const wp = paramOf.get(`${f.name}.weight`)!;
        const bp = paramOf.get(`${f.name}.bias`)!;
        emit('backward', `${f.name} dW`, genFcDw(`${f.name} dW`, geo, g, x, { buffer: G, weight: wp.offset, bias: bp.offset }, dl), 2 * batch * geo.inFeatures * geo.outFeatures);
        if (needGrad[f.input]) {
          emit('backward', `${f.name} dX`, genFcDx(`${f.name} dX`, geo, g, target(f.input), { buffer: P, offset: wp.offset }, dl), 2 * batch * geo.inFeatures * geo.outFeatures);
        }
        break;
      }
      case 'avgpool': {
        if (!needGrad[s.input]) break;
        const g = readGrad(s.anchor);
        emit('backward', `${nodes[s.anchor].name} dX`, genAvgPoolBwd(`${nodes[s.anchor].name} dX`, shapeOf(s.input), g, target(s.input), dl));
        break;
      }
      case 'chain': {
        const g = readGrad(s.anchor);
        const out = fwdView(s.anchor);
        const sh = shapeOf(s.a);
        const names = [s.bn, s.add, s.relu].filter((x) => x).map((x) => x!.name).join(' + ');
        const relu = s.relu ? { start: s.relu.start, end: s.relu.end } : undefined;
        let bn: { x: BufView; state: number; stats: number; coef: number } | undefined;
        if (s.bn) {
          const off = bnOff.get(s.bn.id)!;
          const cc = channelChunks(sh.c, batch);
          scratchBytes = Math.max(scratchBytes, sh.c * cc.chunks * 8);
          coefBytes = Math.max(coefBytes, sh.c * 16);
          bn = { x: fwdView(s.a), state: S, stats: off.stats, coef: COEF };
          emit('backward', `${names} d(gamma, beta) partial`, genChainBwdReduce({ name: `${names} reduce`, shape: sh, g, out, relu, bn }, SCRATCH, cc, dl));
          const gp = paramOf.get(`${s.bn.name}.gamma`)!;
          const bp = paramOf.get(`${s.bn.name}.beta`)!;
          emit(
            'backward',
            `${names} d(gamma, beta)`,
            genChainBwdFinalize(`${names} finalize`, sh.c, batch * sh.h * sh.w, { part: SCRATCH, params: P, state: S, grads: G, coef: COEF }, { gamma: gp.offset, dgamma: gp.offset, dbeta: bp.offset, stats: off.stats }, cc.chunks),
          );
        }
        const ta = needGrad[s.a] ? target(s.a) : undefined;
        const tb = s.b !== undefined && needGrad[s.b] ? target(s.b) : undefined;
        if (ta || tb) {
          emit('backward', `${names} dX`, genChainBwd({ name: `${names} dX`, shape: sh, g, out, relu, bn, a: ta, b: tb, scaleA: s.doubled ? 2 : 1 }, dl));
        }
        break;
      }
      case 'conv': {
        const c = s.node;
        const g = readGrad(c.id);
        const geo = geometry(c);
        const x = fwdView(c.input);
        const wp = paramOf.get(`${c.name}.weight`)!;
        const tiling = convDwTiling(geo, { subgroupSize: sg });
        if (tiling.chunks > 1) {
          scratchBytes = Math.max(scratchBytes, tiling.chunks * tiling.size4 * 16);
          emit('backward', `${c.name} dW partial`, genConvDw(`${c.name} dW`, geo, x, g, { buffer: SCRATCH, offset4: 0 }, tiling, dl, sg), convFlops(c));
          emit('backward', `${c.name} dW`, genConvDwReduce(`${c.name} dW reduce`, SCRATCH, { buffer: G, offset4: wp.offset / 4 }, tiling.size4, tiling.chunks, dl));
        } else {
          emit('backward', `${c.name} dW`, genConvDw(`${c.name} dW`, geo, x, g, { buffer: G, offset4: wp.offset / 4 }, tiling, dl, sg), convFlops(c));
        }
        if (c.bias) emit('backward', `${c.name} db`, genConvDb(`${c.name} db`, geo, g, { buffer: G, offset: paramOf.get(`${c.name}.bias`)!.offset }));
        if (needGrad[c.input]) {
          emit('backward', `${c.name} dX`, genConvDx(`${c.name} dX`, geo, g, target(c.input), { buffer: P, offset: wp.offset }, dl, sg), convFlops(c));
        }
        break;
      }
      case 'concat': {
        const cat = s.node;
        if (!needGrad[cat.id]) break;
        const gc = gradView(cat.id);
        let chan = 0;
        for (const i of cat.inputs) {
          const region = { buffer: gc.buffer, offset: gc.offset + chan * plane(i), batchStride: gc.batchStride };
          chan += nodes[i].shape.c;
          if (!needGrad[i]) continue;
          const gi = gradView(i);
          if (gi.buffer === region.buffer && gi.offset === region.offset) continue; // lives there already
          readGrad(cat.id);
          emit('backward', `${cat.name} -> ${nodes[i].name} dX`, genChainBwd({ name: `${cat.name} -> ${nodes[i].name}`, shape: shapeOf(i), g: region, a: target(i) }, dl));
        }
        break;
      }
    }
  }

  // ---- 7. optimizer: one dispatch per run of parameters with the same weight decay
  const runs: { offset: number; end: number; decay: boolean }[] = [];
  for (const p of params) {
    const last = runs[runs.length - 1];
    if (last && last.decay === p.decay) last.end = alignUp(p.offset + p.length);
    else runs.push({ offset: p.offset, end: alignUp(p.offset + p.length), decay: p.decay });
  }
  for (const r of runs) {
    emit('optimizer', `sgd [${r.offset}, ${r.end})`, genSgd('sgd', { offset: r.offset, length: r.end - r.offset }, { params: P, grads: G, momentum: M, uniform }, { ...sgdH, weightDecay: r.decay ? sgdH.weightDecay : 0 }, dl));
  }

  buffers[SCRATCH].bytes = scratchBytes;
  buffers[COEF].bytes = coefBytes;
  buffers[ZEROS].bytes = zeroBytes;
  if (scratchBytes > limits.maxStorageBufferBindingSize) throw new Error(`${graph.name}: reduction scratch of ${scratchBytes} bytes is above the binding limit`);

  const values: ValueInfo[] = nodes.map((n) => {
    const info: ValueInfo = { node: n.name, shape: { ...n.shape } };
    if (fwd.has(n.id) || n.op === 'slice') {
      try {
        info.forward = fwdView(n.id);
      } catch {
        // a slice of an unmaterialized value cannot happen; keep the entry without a view
      }
    }
    if (needGrad[n.id] && gradViews.has(n.id)) info.grad = gradViews.get(n.id);
    return info;
  });

  return {
    graph: graph.name,
    batch,
    classes,
    subgroupSize: sg,
    loss,
    sgd: sgdH,
    bnMomentum,
    buffers,
    params,
    paramFloats,
    running,
    kernels,
    dispatches,
    clears: [...clears].sort((a, b) => a - b),
    input: { buffer: fwdView(inputNode.id).buffer, shape: { ...inputNode.shape }, elements: batch * perImage(inputNode.id) },
    labels,
    teacher,
    sums,
    uniform,
    output: { node: outNode.name, logits, classes },
    bufferIds: { params: P, grads: G, momentum: M, running: R },
    values,
  };
}

/** Floating-point operations of one training step (multiply-add = 2). */
export function trainPlanFlops(plan: TrainPlan): number {
  return plan.dispatches.reduce((s, d) => s + d.flops, 0);
}
