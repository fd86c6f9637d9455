// Layer graph -> execution plan: which kernels run in which order on which buffers.
//
// 1. Fusion (inference): conv -> [bn] -> [add] -> [relu] becomes one conv kernel (bn folded into
//    the weights on the host, the add's other operand read in the epilogue); bn / add / relu chains
//    that do not start at a conv become one elementwise kernel. A node is absorbed only when it is
//    the sole consumer of the previous one, and the graph's output is never absorbed.
// 2. Storage: every materialized value is a view (buffer, channel offset) of a root tensor.
//    Slices are free (a view of their input). A concatenation is a root that its inputs' producers
//    write into directly at their channel offsets; inputs that cannot be placed (the graph input,
//    slices, values already placed elsewhere, repeated inputs) are copied by an elementwise kernel.
// 3. Liveness: roots that are never live at the same time share a physical buffer (best fit).
// 4. Code generation: each step becomes a specialized WGSL kernel (kernels.ts) with its dispatch
//    size checked against the device limits. Identical sources are one kernel (one pipeline).

import type { ConcatNode, ConvNode, GraphNode, LayerGraph } from '../ir/graph.js';
import { nodeInputs } from '../ir/graph.js';
import type { Shape } from '../ir/arch.js';
import {
  convPacking,
  convTile,
  genArgmax,
  genAvgPool,
  genConv,
  genEwise,
  genFc,
  genSoftmax,
  type ConvTile,
  type GeneratedKernel,
  type SlotAliases,
  type ViewLayout,
} from './kernels.js';
import { genMaxPool } from './maxpool.js';

export interface PlanLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
}

/** WebGPU's default limits (what every device offers); lavapipe offers the same binding size. */
export const DEFAULT_LIMITS: PlanLimits = {
  maxStorageBufferBindingSize: 128 * 1024 * 1024,
  maxBufferSize: 256 * 1024 * 1024,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
};

export interface PlanOptions {
  /** Images per run; plans are compiled for a fixed batch. */
  batch: number;
  /**
   * The device's (fixed) subgroup size, to share weight loads across lanes; 0 or absent: kernels
   * use no subgroup operations. Use the value from `GpuContext.subgroupSize`.
   */
  subgroupSize?: number;
  limits?: Partial<PlanLimits>;
  /** Share activation buffers between values that are never live together (default true). */
  reuse?: boolean;
  /** Fuse conv/bn/add/relu chains (default true); false runs every op as its own kernel. */
  fuse?: boolean;
  /** Also compute softmax probabilities and argmax classes of the output (default true). */
  head?: boolean;
  /** Override the conv register block (tuning and tests). */
  convTile?: Partial<ConvTile>;
}

export type BufferKind = 'input' | 'activation' | 'param' | 'output';

/** How a parameter buffer is filled from the weights (see pack.ts, `packParams`). */
export type ParamSource =
  | { kind: 'conv-weight'; conv: string; bn?: string; bias: boolean; outC: number; inC: number; kernel: number; groups: number; ocb: number; padding: number }
  | { kind: 'conv-bias'; conv: string; bn?: string; bias: boolean; outC: number; groups: number; ocb: number }
  | { kind: 'bn-scale' | 'bn-shift'; bn: string; c: number }
  | { kind: 'fc-weight'; fc: string; outFeatures: number; inFeatures: number }
  | { kind: 'fc-bias'; fc: string; outFeatures: number };

export interface PlanBuffer {
  id: number;
  name: string;
  kind: BufferKind;
  bytes: number;
  /** Parameter buffers: where the contents come from. */
  param?: ParamSource;
  /** Activation, input and output buffers: the values (node names) stored in it over time. */
  values?: string[];
}

/** Where a node's output lives: element offset of (n=0, c=0, 0, 0) and elements per image. */
export interface PlanTensor {
  node: string;
  buffer: number;
  offset: number;
  batchStride: number;
  shape: Shape;
}

export interface PlanKernel {
  id: number;
  /** File stem for writeCompiled, e.g. `k03_conv`. */
  name: string;
  template: string;
  wgsl: string;
  entryPoint: string;
  workgroupSize: number;
  /** Number of storage bindings and whether each is written (the bind group layout). */
  bindings: { binding: number; write: boolean }[];
}

export interface PlanDispatch {
  index: number;
  kernel: number;
  op: 'conv' | 'ewise' | 'copy' | 'avgpool' | 'maxpool' | 'fc' | 'softmax' | 'argmax';
  /** The graph nodes this dispatch computes, in order (a fused chain has several). */
  nodes: string[];
  bindings: { binding: number; buffer: number; write: boolean }[];
  workgroups: [number, number, number];
  /** Floating-point operations (a multiply-add counts 2). */
  flops: number;
}

export interface PlanMemory {
  /** Activation bytes with liveness-based reuse: the sum of the pooled buffers. */
  activationBytes: number;
  /** Activation bytes if every value had its own buffer. */
  noReuseBytes: number;
  paramBytes: number;
  /** Input and output buffers. */
  ioBytes: number;
}

export interface Plan {
  graph: string;
  batch: number;
  subgroupSize: number;
  input: { node: string; buffer: number; shape: Shape; elements: number };
  output: {
    node: string;
    /** Dense [batch, classes] logits. */
    logits: number;
    classes: number;
    probs?: number;
    argmax?: number;
  };
  buffers: PlanBuffer[];
  tensors: PlanTensor[];
  kernels: PlanKernel[];
  dispatches: PlanDispatch[];
  memory: PlanMemory;
}

// ---------------------------------------------------------------------------------------------

interface ConvStep {
  kind: 'conv';
  anchor: number;
  nodes: number[];
  conv: ConvNode;
  bn?: number;
  residual?: number;
  relu?: { start: number; end: number };
}

interface EwiseStep {
  kind: 'ewise';
  anchor: number;
  nodes: number[];
  a: number;
  bn?: number;
  b?: number;
  relu?: { start: number; end: number };
}

interface CopyStep {
  kind: 'copy';
  /** The concat (or output) node whose storage receives the copy. */
  anchor: number;
  nodes: number[];
  src: number;
  /** Destination value and channel offset within it. */
  dst: number;
  offset: number;
}

interface SimpleStep {
  kind: 'avgpool' | 'maxpool' | 'fc';
  anchor: number;
  nodes: number[];
  input: number;
}

type Step = ConvStep | EwiseStep | CopyStep | SimpleStep;

/** A root tensor: a value with storage of its own (its node's full C x H x W per image). */
interface Root {
  id: number;
  node: GraphNode;
  c: number;
  plane: number;
  bytes: number;
  kind: 'input' | 'activation' | 'output';
  firstWrite: number;
  lastRead: number;
  buffer: number;
}

const MiB = (b: number) => `${(b / (1024 * 1024)).toFixed(1)} MiB`;

export function compilePlan(graph: LayerGraph, options: PlanOptions): Plan {
  const batch = options.batch;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`compilePlan: batch must be a positive integer, got ${batch}`);
  const limits: PlanLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const fuse = options.fuse ?? true;
  const reuse = options.reuse ?? true;
  const sg = options.subgroupSize ?? 0;
  const nodes = graph.nodes;
  nodes.forEach((n, i) => {
    if (n.id !== i) throw new Error(`compilePlan: node ${n.name} has id ${n.id} at position ${i}`);
  });
  const inputNodes = nodes.filter((n) => n.op === 'input');
  if (inputNodes.length !== 1) throw new Error(`compilePlan: graph ${graph.name} has ${inputNodes.length} input nodes, expected 1`);
  const inputNode = inputNodes[0];

  const consumers: number[][] = nodes.map(() => []);
  for (const n of nodes) for (const i of nodeInputs(n)) consumers[i].push(n.id);
  const absorbed = new Set<number>();
  /** The one consumer of a node, if fusion may absorb it. */
  const sole = (id: number): GraphNode | undefined =>
    fuse && id !== graph.output && consumers[id].length === 1 && !absorbed.has(consumers[id][0]) ? nodes[consumers[id][0]] : undefined;

  // ---- 1. fusion into steps
  const steps: Step[] = [];
  /** Nodes whose output is materialized by a step (the step's anchor), by node id. */
  const producedBy = new Map<number, Step>();
  /**
   * Adds a step that starts at its anchor node and fuses the chain of sole consumers up to
   * `last`, which becomes its anchor: the value the step materializes.
   */
  const addStep = (step: Step, last: number): void => {
    for (let id = step.anchor; id !== last; ) {
      id = consumers[id][0];
      step.nodes.push(id);
      absorbed.add(id);
    }
    step.anchor = last;
    steps.push(step);
    producedBy.set(last, step);
  };
  /** Fuses a ReLU that is the sole consumer of `last` into the step; returns the chain's new end. */
  const fuseRelu = (step: ConvStep | EwiseStep, last: number): number => {
    const next = sole(last);
    if (next?.op !== 'relu') return last;
    step.relu = { start: next.start, end: next.end };
    return next.id;
  };
  for (const n of nodes) {
    if (absorbed.has(n.id)) continue;
    switch (n.op) {
      case 'input':
      case 'slice':
      case 'concat':
        break;
      case 'conv': {
        const step: ConvStep = { kind: 'conv', anchor: n.id, nodes: [n.id], conv: n };
        let last = n.id;
        let next = sole(last);
        if (next?.op === 'bn') {
          step.bn = next.id;
          last = next.id;
          next = sole(last);
        }
        if (next?.op === 'add') {
          const other = next.inputs[0] === last ? next.inputs[1] : next.inputs[0];
          if (other !== last) {
            step.residual = other;
            last = next.id;
          }
        }
        addStep(step, fuseRelu(step, last));
        break;
      }
      case 'bn':
      case 'add':
      case 'relu': {
        const step: EwiseStep = { kind: 'ewise', anchor: n.id, nodes: [n.id], a: -1 };
        let last = n.id;
        if (n.op === 'bn') {
          step.a = n.input;
          step.bn = n.id;
          const next = sole(last);
          if (next?.op === 'add' && next.inputs[0] !== next.inputs[1]) {
            step.b = next.inputs[0] === last ? next.inputs[1] : next.inputs[0];
            last = next.id;
          }
        } else if (n.op === 'add') {
          step.a = n.inputs[0];
          step.b = n.inputs[1];
        } else {
          step.a = n.input;
          step.relu = { start: n.start, end: n.end };
        }
        addStep(step, n.op === 'relu' ? last : fuseRelu(step, last));
        break;
      }
      case 'avgpool':
      case 'maxpool':
      case 'fc': {
        addStep({ kind: n.op, anchor: n.id, nodes: [n.id], input: n.input }, n.id);
        break;
      }
    }
  }

  // ---- 2. values, roots, views, concat placement
  const isMaterialized = (id: number) => {
    const op = nodes[id].op;
    return op === 'input' || op === 'slice' || op === 'concat' || producedBy.has(id);
  };
  for (const n of nodes) {
    for (const i of nodeInputs(n)) {
      if (!isMaterialized(i) && !absorbed.has(n.id)) {
        throw new Error(`compilePlan: ${n.name} reads ${nodes[i].name}, which was fused away (internal error)`);
      }
    }
  }
  if (!isMaterialized(graph.output)) throw new Error(`compilePlan: output ${nodes[graph.output].name} is not materialized`);

  /** A value placed inside another value (a concat) at a channel offset. */
  const placed = new Map<number, { parent: number; offset: number }>();
  const copies: CopyStep[] = [];
  const concats = nodes.filter((n): n is ConcatNode => n.op === 'concat').reverse();
  for (const cat of concats) {
    let offset = 0;
    const seen = new Map<number, number>();
    for (const i of cat.inputs) seen.set(i, (seen.get(i) ?? 0) + 1);
    for (const i of cat.inputs) {
      const src = nodes[i];
      const ownStorage = producedBy.has(i) || src.op === 'concat';
      const eligible = ownStorage && i !== graph.output && !placed.has(i) && seen.get(i) === 1;
      if (eligible) placed.set(i, { parent: cat.id, offset });
      else copies.push({ kind: 'copy', anchor: cat.id, nodes: [cat.id], src: i, dst: cat.id, offset });
      offset += src.shape.c;
    }
  }

  // The graph output must be a dense buffer of its own. When it is a slice (or the input), it is
  // copied into a synthetic value numbered after the graph's nodes (a one-input concat).
  let outputValue = graph.output;
  const outNode = nodes[graph.output];
  let synthetic: ConcatNode | undefined;
  if (outNode.op === 'slice' || outNode.op === 'input') {
    outputValue = nodes.length;
    synthetic = { op: 'concat', id: outputValue, name: `${outNode.name}.copy`, region: outNode.region, shape: { ...outNode.shape }, inputs: [graph.output] };
    copies.push({ kind: 'copy', anchor: outputValue, nodes: [outputValue], src: graph.output, dst: outputValue, offset: 0 });
  }
  const nodeOf = (id: number): GraphNode => (id < nodes.length ? nodes[id] : synthetic!);

  const viewCache = new Map<number, { root: number; chan: number }>();
  const view = (id: number): { root: number; chan: number } => {
    const hit = viewCache.get(id);
    if (hit) return hit;
    let v: { root: number; chan: number };
    const n = nodeOf(id);
    if (n.op === 'slice') {
      const inner = view(n.input);
      v = { root: inner.root, chan: inner.chan + n.start };
    } else {
      const p = placed.get(id);
      if (p) {
        const parent = view(p.parent);
        v = { root: parent.root, chan: parent.chan + p.offset };
      } else {
        v = { root: id, chan: 0 };
      }
    }
    viewCache.set(id, v);
    return v;
  };

  // ---- order the steps (by anchor; copies into a concat after its producers, in input order)
  const allSteps: Step[] = [...steps, ...copies];
  const offsetOf = (st: Step) => (st.kind === 'copy' ? st.offset : -1);
  allSteps.sort((a, b) => a.anchor - b.anchor || offsetOf(a) - offsetOf(b));

  // ---- 3. liveness
  const roots = new Map<number, Root>();
  const rootOf = (id: number): Root => {
    const v = view(id);
    let r = roots.get(v.root);
    if (!r) {
      const n = nodeOf(v.root);
      const plane = n.shape.h * n.shape.w;
      const bytes = batch * n.shape.c * plane * 4;
      const kind = v.root === inputNode.id ? 'input' : v.root === outputValue ? 'output' : 'activation';
      r = { id: v.root, node: n, c: n.shape.c, plane, bytes, kind, firstWrite: Infinity, lastRead: -1, buffer: -1 };
      roots.set(v.root, r);
    }
    return r;
  };
  const stepReads = (s: Step): number[] => {
    switch (s.kind) {
      case 'conv':
        return s.residual !== undefined ? [s.conv.input, s.residual] : [s.conv.input];
      case 'ewise':
        return s.b !== undefined ? [s.a, s.b] : [s.a];
      case 'copy':
        return [s.src];
      default:
        return [s.input];
    }
  };
  const stepWrites = (s: Step): number => (s.kind === 'copy' ? s.dst : s.anchor);
  allSteps.forEach((s, i) => {
    for (const r of stepReads(s)) {
      const root = rootOf(r);
      root.lastRead = Math.max(root.lastRead, i);
    }
    const w = rootOf(stepWrites(s));
    w.firstWrite = Math.min(w.firstWrite, i);
  });
  rootOf(inputNode.id);
  rootOf(outputValue);

  // ---- binding-size checks, naming the layer
  const layerOf = (r: Root) => {
    const n = r.node;
    const step = producedBy.get(r.id);
    const names = step ? step.nodes.map((id) => nodes[id].name).join(' + ') : n.name;
    const op = step ? step.nodes.map((id) => nodes[id].op).join('+') : n.op;
    return `layer ${names} (${op}, ${n.shape.c}x${n.shape.h}x${n.shape.w})`;
  };
  for (const r of roots.values()) {
    if (r.bytes > limits.maxStorageBufferBindingSize || r.bytes > limits.maxBufferSize) {
      const lim = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
      throw new Error(
        `${layerOf(r)}: its output at batch ${batch} needs ${MiB(r.bytes)}, above the device's maxStorageBufferBindingSize ` +
          `(${MiB(lim)}); use a batch of at most ${Math.max(1, Math.floor(lim / (r.bytes / batch)))}`,
      );
    }
  }

  // ---- buffers
  const buffers: PlanBuffer[] = [];
  const addBuffer = (b: Omit<PlanBuffer, 'id'>): number => {
    buffers.push({ id: buffers.length, ...b });
    return buffers.length - 1;
  };
  const inputRoot = roots.get(inputNode.id)!;
  inputRoot.buffer = addBuffer({ name: 'input', kind: 'input', bytes: inputRoot.bytes, values: [inputNode.name] });
  const outputRoot = roots.get(outputValue)!;
  if (outputRoot === inputRoot) throw new Error(`compilePlan: graph ${graph.name}: the output is the input`);
  outputRoot.buffer = addBuffer({ name: 'logits', kind: 'output', bytes: outputRoot.bytes, values: [outputRoot.node.name] });

  const pool: number[] = [];
  const activation = [...roots.values()].filter((r) => r.kind === 'activation');
  let noReuseBytes = 0;
  for (const r of activation) noReuseBytes += r.bytes;
  const byFirstWrite = [...activation].sort((a, b) => a.firstWrite - b.firstWrite || a.id - b.id);
  // A root is free after its last read (or right after its write if it is never read).
  const endOf = (r: Root) => Math.max(r.lastRead, r.firstWrite);
  const busyUntil = new Map<number, number>();
  for (const r of byFirstWrite) {
    let chosen: number | undefined;
    if (reuse) {
      const free = pool.filter((b) => (busyUntil.get(b) ?? -1) < r.firstWrite);
      const fits = free.filter((b) => buffers[b].bytes >= r.bytes).sort((a, b) => buffers[a].bytes - buffers[b].bytes);
      if (fits.length > 0) chosen = fits[0];
      else if (free.length > 0) {
        chosen = free.sort((a, b) => buffers[b].bytes - buffers[a].bytes)[0];
        buffers[chosen].bytes = r.bytes;
      }
    }
    if (chosen === undefined) {
      chosen = addBuffer({ name: `act${pool.length}`, kind: 'activation', bytes: r.bytes, values: [] });
      pool.push(chosen);
    }
    r.buffer = chosen;
    buffers[chosen].values!.push(r.node.name);
    busyUntil.set(chosen, endOf(r));
  }

  // ---- tensors (every materialized node)
  const tensors: PlanTensor[] = [];
  const layout = (id: number): ViewLayout => {
    const v = view(id);
    const r = roots.get(v.root) ?? rootOf(id);
    return { batchStride: r.c * r.plane, offset: v.chan * r.plane };
  };
  for (const n of nodes) {
    if (!isMaterialized(n.id)) continue;
    const r = rootOf(n.id);
    const l = layout(n.id);
    tensors.push({ node: n.name, buffer: r.buffer, offset: l.offset, batchStride: l.batchStride, shape: { ...n.shape } });
  }

  // ---- 4. kernels and dispatches
  const kernels: PlanKernel[] = [];
  const kernelBySource = new Map<string, number>();
  const dispatches: PlanDispatch[] = [];
  const paramBuffer = (name: string, bytes: number, param: ParamSource, layer: string): number => {
    if (bytes > limits.maxStorageBufferBindingSize) {
      throw new Error(`layer ${layer}: parameters ${name} need ${MiB(bytes)}, above the device's maxStorageBufferBindingSize (${MiB(limits.maxStorageBufferBindingSize)})`);
    }
    return addBuffer({ name, kind: 'param', bytes: Math.max(4, bytes), param });
  };
  const emit = (
    op: PlanDispatch['op'],
    gen: GeneratedKernel,
    slotBuffers: Record<string, number>,
    stepNodes: string[],
    flops: number,
  ) => {
    if (gen.bindings.length > limits.maxStorageBuffersPerShaderStage) {
      throw new Error(`${stepNodes.join(' + ')}: ${gen.bindings.length} storage bindings, above the device's ${limits.maxStorageBuffersPerShaderStage}`);
    }
    let k = kernelBySource.get(gen.wgsl);
    if (k === undefined) {
      k = kernels.length;
      kernels.push({
        id: k,
        name: `k${String(k).padStart(2, '0')}_${gen.template}`,
        template: gen.template,
        wgsl: gen.wgsl,
        entryPoint: gen.entryPoint,
        workgroupSize: gen.workgroupSize,
        bindings: gen.bindings.map((b) => ({ binding: b.binding, write: b.write })),
      });
      kernelBySource.set(gen.wgsl, k);
    }
    dispatches.push({
      index: dispatches.length,
      kernel: k,
      op,
      nodes: stepNodes,
      bindings: gen.bindings.map((b) => ({ binding: b.binding, buffer: slotBuffers[b.slots[0]], write: b.write })),
      workgroups: gen.workgroups,
      flops,
    });
  };
  /** Slots that view the same root share the first one's binding. */
  const aliases = (slots: [string, number][]): SlotAliases => {
    const first = new Map<number, string>();
    const out: SlotAliases = {};
    for (const [slot, id] of slots) {
      const root = view(id).root;
      const f = first.get(root);
      if (f === undefined) first.set(root, slot);
      else out[slot] = f;
    }
    return out;
  };
  const bufOf = (id: number) => rootOf(id).buffer;
  const dl = { maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension };

  for (const s of allSteps) {
    const names = s.nodes.map((id) => nodeOf(id).name);
    const label = names.join(' + ');
    switch (s.kind) {
      case 'conv': {
        const c = s.conv;
        const inS = nodes[c.input].shape;
        const outS = nodes[s.anchor].shape;
        const base = {
          outC: c.outChannels,
          groups: c.groups,
          outW: c.shape.w,
          outH: c.shape.h,
          kernel: c.kernel,
          stride: c.stride,
          pad: c.pad,
          batch,
          tile: options.convTile,
        };
        const tile = convTile(base);
        const { blocks } = convPacking(c.outChannels, c.groups, tile.ocb);
        const bnName = s.bn !== undefined ? nodes[s.bn].name : undefined;
        const wFloats = blocks * (inS.c / c.groups) * c.kernel * c.kernel * tile.ocb;
        // Lanes of the last subgroup load may read up to SG vec4s past the last row of weights.
        const padding = sg > 0 ? 4 * sg : 0;
        const wBuf = paramBuffer(`${c.name}.packed_weight`, (wFloats + padding) * 4, {
          kind: 'conv-weight', conv: c.name, bn: bnName, bias: c.bias, outC: c.outChannels, inC: inS.c, kernel: c.kernel, groups: c.groups, ocb: tile.ocb, padding,
        }, label);
        const bBuf = paramBuffer(`${c.name}.packed_bias`, blocks * tile.ocb * 4, {
          kind: 'conv-bias', conv: c.name, bn: bnName, bias: c.bias, outC: c.outChannels, groups: c.groups, ocb: tile.ocb,
        }, label);
        const slots: [string, number][] = [['x_in', c.input], ['y_out', s.anchor]];
        if (s.residual !== undefined) slots.push(['r_in', s.residual]);
        const gen = genConv(
          {
            name: label,
            ...base,
            inC: inS.c,
            inH: inS.h,
            inW: inS.w,
            outC: outS.c,
            input: layout(c.input),
            output: layout(s.anchor),
            residual: s.residual !== undefined ? layout(s.residual) : undefined,
            relu: s.relu,
            tile: { ...options.convTile, ...tile },
            subgroupSize: sg,
          },
          aliases(slots),
          dl,
        );
        const slotBuffers: Record<string, number> = { x_in: bufOf(c.input), x_in4: bufOf(c.input), wgt: wBuf, bias: bBuf, y_out: bufOf(s.anchor) };
        if (s.residual !== undefined) slotBuffers.r_in = bufOf(s.residual);
        const flops = 2 * batch * c.outChannels * (inS.c / c.groups) * c.kernel * c.kernel * c.shape.h * c.shape.w;
        emit('conv', gen, slotBuffers, names, flops);
        break;
      }
      case 'ewise':
      case 'copy': {
        const a = s.kind === 'ewise' ? s.a : s.src;
        const outId = s.kind === 'ewise' ? s.anchor : s.dst;
        const sh = nodes[a].shape;
        let out = layout(outId);
        if (s.kind === 'copy') out = { ...out, offset: out.offset + s.offset * sh.h * sh.w };
        const slots: [string, number][] = [['a_in', a]];
        const slotBuffers: Record<string, number> = { a_in: bufOf(a), y_out: bufOf(outId) };
        let bn = false;
        if (s.kind === 'ewise' && s.b !== undefined) {
          slots.push(['b_in', s.b]);
          slotBuffers.b_in = bufOf(s.b);
        }
        if (s.kind === 'ewise' && s.bn !== undefined) {
          bn = true;
          const bnNode = nodes[s.bn];
          slotBuffers.scale = paramBuffer(`${bnNode.name}.scale`, sh.c * 4, { kind: 'bn-scale', bn: bnNode.name, c: sh.c }, label);
          slotBuffers.shift = paramBuffer(`${bnNode.name}.shift`, sh.c * 4, { kind: 'bn-shift', bn: bnNode.name, c: sh.c }, label);
        }
        slots.push(['y_out', outId]);
        const gen = genEwise(
          {
            name: label,
            batch,
            c: sh.c,
            h: sh.h,
            w: sh.w,
            a: layout(a),
            out,
            bn,
            b: s.kind === 'ewise' && s.b !== undefined ? layout(s.b) : undefined,
            relu: s.kind === 'ewise' ? s.relu : undefined,
          },
          aliases(slots),
          dl,
        );
        emit(s.kind === 'copy' ? 'copy' : 'ewise', gen, slotBuffers, s.kind === 'copy' ? [`${nodeOf(s.dst).name} <- ${nodes[s.src].name}`] : names, 0);
        break;
      }
      case 'avgpool': {
        const sh = nodes[s.input].shape;
        const gen = genAvgPool(
          { name: label, batch, c: sh.c, h: sh.h, w: sh.w, input: layout(s.input), output: layout(s.anchor) },
          aliases([['x_in', s.input], ['y_out', s.anchor]]),
          dl,
        );
        emit('avgpool', gen, { x_in: bufOf(s.input), y_out: bufOf(s.anchor) }, names, batch * sh.c * sh.h * sh.w);
        break;
      }
      case 'maxpool': {
        const mp = nodes[s.anchor];
        if (mp.op !== 'maxpool') throw new Error('compilePlan: maxpool step without maxpool node');
        const sh = nodes[s.input].shape;
        const shape = { batch, c: sh.c, h: sh.h, w: sh.w, oh: mp.shape.h, ow: mp.shape.w, kernel: mp.kernel, stride: mp.stride };
        const gen = genMaxPool(label, shape, { input: layout(s.input), output: layout(s.anchor) }, aliases([['x_in', s.input], ['y_out', s.anchor]]), dl);
        emit('maxpool', gen, { x_in: bufOf(s.input), y_out: bufOf(s.anchor) }, names, batch * sh.c * mp.shape.h * mp.shape.w * mp.kernel * mp.kernel);
        break;
      }
      case 'fc': {
        const fcNode = nodes[s.anchor];
        if (fcNode.op !== 'fc') throw new Error('compilePlan: fc step without fc node');
        const sh = nodes[s.input].shape;
        const inF = sh.c * sh.h * sh.w;
        const wBuf = paramBuffer(`${fcNode.name}.weight`, inF * fcNode.outFeatures * 4, { kind: 'fc-weight', fc: fcNode.name, outFeatures: fcNode.outFeatures, inFeatures: inF }, label);
        const bBuf = paramBuffer(`${fcNode.name}.bias`, fcNode.outFeatures * 4, { kind: 'fc-bias', fc: fcNode.name, outFeatures: fcNode.outFeatures }, label);
        const gen = genFc(
          { name: label, batch, inFeatures: inF, outFeatures: fcNode.outFeatures, input: layout(s.input), output: layout(s.anchor) },
          aliases([['x_in', s.input], ['y_out', s.anchor]]),
          dl,
        );
        emit('fc', gen, { x_in: bufOf(s.input), wgt: wBuf, bias: bBuf, y_out: bufOf(s.anchor) }, names, 2 * batch * inF * fcNode.outFeatures);
        break;
      }
    }
  }

  // ---- head: softmax and argmax of the logits
  const classes = outputRoot.c * outputRoot.plane;
  const output: Plan['output'] = { node: nodes[graph.output].name, logits: outputRoot.buffer, classes };
  if (options.head ?? true) {
    output.probs = addBuffer({ name: 'probs', kind: 'output', bytes: batch * classes * 4, values: ['softmax'] });
    output.argmax = addBuffer({ name: 'classes', kind: 'output', bytes: batch * 4, values: ['argmax'] });
    emit('softmax', genSoftmax('softmax', batch, classes, dl), { x_in: outputRoot.buffer, y_out: output.probs }, ['softmax'], 0);
    emit('argmax', genArgmax('argmax', batch, classes, dl), { x_in: outputRoot.buffer, y_out: output.argmax }, ['argmax'], 0);
  }

  const sum = (kind: BufferKind) => buffers.filter((b) => b.kind === kind).reduce((s, b) => s + b.bytes, 0);
  const memory: PlanMemory = {
    activationBytes: sum('activation'),
    noReuseBytes,
    paramBytes: sum('param'),
    ioBytes: sum('input') + sum('output'),
  };
  return {
    graph: graph.name,
    batch,
    subgroupSize: sg,
    input: { node: inputNode.name, buffer: inputRoot.buffer, shape: { ...inputNode.shape }, elements: batch * inputNode.shape.c * inputNode.shape.h * inputNode.shape.w },
    output,
    buffers,
    tensors,
    kernels,
    dispatches,
    memory,
  };
}

/** Total floating-point operations of one run (multiply-add = 2). */
export function planFlops(plan: Plan): number {
  return plan.dispatches.reduce((s, d) => s + d.flops, 0);
}
