// Graph pass `kernels`: every step becomes a specialized WGSL kernel (src/codegen/kernels/) bound
// to its buffers, shaped by the schedule its profile picks (src/codegen/schedule/), with its
// dispatch size checked against the device limits; parameter buffers are added as the kernels need
// them. Identical sources are one kernel (one pipeline). The result is the execution plan.

import type { GraphPass } from '../../passes/framework.js';
import type { LayerGraph } from '../../ir/graph.js';
import { convMacs } from '../../ir/count.js';
import { convPacking } from '../../program/param-layout.js';
import { convWeightPadding } from '../conv-layout.js';
import { checkBinding, DeviceLimitError } from '../device-limits.js';
import { genArgmax, genSoftmax, type GeneratedKernel, type SlotAliases, type ViewLayout } from '../kernels/index.js';
import { chainNodes, chainStage, opKernels } from '../op-kernels.js';
import { hasStepKernels, stepKernels } from '../step-op.js';
import { dispatchLimits, type DispatchLimits } from '../kernels/common.js';
import type { BufferKind, ParamSource, PlanBody, PlanBuffer, PlanDispatch, PlanKernel, PlanTensor } from '../plan-types.js';
import { Scheduler, scheduleTarget, type ScheduleRecord } from '../schedule/scheduler.js';
import type { DispatchSchedule } from '../schedule/types.js';
import { isMaterialized } from './place.js';
import { need, nodeOf, type Allocation, type ChainStep, type ConvStep, type CopyStep, type Fusion, type GraphState, type Liveness, type Placement, type SimpleStep, type GraphPassOptions } from './state.js';
import { convShapeOf, ewiseSpecOf, forwardParts, scheduledEwise } from '../step-specs.js';

class Emitter {
  readonly buffers: PlanBuffer[];
  readonly kernels: PlanKernel[] = [];
  readonly dispatches: PlanDispatch[] = [];
  readonly schedules: DispatchSchedule[] = [];
  private readonly kernelBySource = new Map<string, number>();
  private readonly dl: DispatchLimits;
  private readonly scheduler: Scheduler;

  constructor(
    private readonly graph: LayerGraph,
    private readonly placement: Placement,
    private readonly liveness: Liveness,
    private readonly allocation: Allocation,
    private readonly options: GraphPassOptions,
  ) {
    this.buffers = allocation.buffers.map((b) => (b.values === undefined ? { ...b } : { ...b, values: [...b.values] }));
    this.scheduler = new Scheduler(options.schedule, scheduleTarget(options.subgroupSize, options.limits, options.schedule.workgroupMultiple));
    this.dl = dispatchLimits(options.limits, this.scheduler.target);
  }

  addBuffer(b: Omit<PlanBuffer, 'id'>): number {
    this.buffers.push({ id: this.buffers.length, ...b });
    return this.buffers.length - 1;
  }

  private node(id: number) {
    return nodeOf(this.graph, this.placement, id);
  }

  private root(id: number) {
    return this.liveness.roots.get(this.placement.views.get(id)!.root)!;
  }

  bufOf(id: number): number {
    return this.allocation.bufferOf.get(this.root(id).id)!;
  }

  layout(id: number): ViewLayout {
    const v = this.placement.views.get(id)!;
    const r = this.root(id);
    return { batchStride: r.c * r.plane, offset: v.chan * r.plane };
  }

  /** Slots that view the same root share the first one's binding. */
  private aliases(slots: [string, number][]): SlotAliases {
    const first = new Map<number, string>();
    const out: SlotAliases = {};
    for (const [slot, id] of slots) {
      const root = this.placement.views.get(id)!.root;
      const f = first.get(root);
      if (f === undefined) first.set(root, slot);
      else out[slot] = f;
    }
    return out;
  }

  private paramBuffer(name: string, bytes: number, param: ParamSource, layer: string): number {
    checkBinding(`layer ${layer}: parameters ${name}`, bytes, this.options.limits);
    return this.addBuffer({ name, kind: 'param', bytes: Math.max(4, bytes), param });
  }

  emit(op: PlanDispatch['op'], gen: GeneratedKernel, slotBuffers: Record<string, number>, stepNodes: string[], flops: number, schedule?: ScheduleRecord): void {
    const maxBindings = this.options.limits.maxStorageBuffersPerShaderStage;
    if (gen.bindings.length > maxBindings) {
      throw new DeviceLimitError(`${stepNodes.join(' + ')}: ${gen.bindings.length} storage bindings, above the device's maxStorageBuffersPerShaderStage (${maxBindings})`);
    }
    let k = this.kernelBySource.get(gen.wgsl);
    if (k === undefined) {
      k = this.kernels.length;
      this.kernels.push({
        id: k,
        name: `k${String(k).padStart(2, '0')}_${gen.template}`,
        template: gen.template,
        wgsl: gen.wgsl,
        entryPoint: gen.entryPoint,
        workgroupSize: gen.workgroupSize,
        bindings: gen.bindings.map((b) => ({ binding: b.binding, write: b.write })),
        specialization: gen.specialization,
      });
      this.kernelBySource.set(gen.wgsl, k);
    }
    const bindings = gen.bindings.map((b) => ({ binding: b.binding, buffer: slotBuffers[b.slots[0]], write: b.write }));
    if (schedule) this.schedules.push({ dispatch: this.dispatches.length, ...schedule });
    this.dispatches.push({ index: this.dispatches.length, kernel: k, op, nodes: stepNodes, bindings, workgroups: gen.workgroups, flops });
  }

  conv(s: ConvStep, names: string[]): void {
    const { batch, subgroupSize: sg } = this.options;
    const label = names.join(' + ');
    const c = s.conv;
    const inS = this.graph.nodes[c.input].shape;
    const shape = convShapeOf(this.graph.nodes, c, batch);
    const schedule = this.scheduler.conv(label, shape);
    const tile = schedule.value;
    const { blocks } = convPacking(c.outChannels, c.groups, tile.ocb);
    const bn = s.bn !== undefined ? this.graph.nodes[s.bn].name : undefined;
    const wFloats = blocks * (inS.c / c.groups) * c.kernel * c.kernel * tile.ocb;
    const padding = convWeightPadding(sg);
    const common = { conv: c.name, bn, bias: c.bias, outC: c.outChannels, groups: c.groups, ocb: tile.ocb };
    const f16 = this.options.f16Weights;
    const wBuf = this.paramBuffer(`${c.name}.packed_weight`, (wFloats + padding) * (f16 ? 2 : 4), { kind: 'conv-weight', ...common, inC: inS.c, kernel: c.kernel, padding, ...(f16 ? { f16: true as const } : {}) }, label);
    const bBuf = this.paramBuffer(`${c.name}.packed_bias`, blocks * tile.ocb * 4, { kind: 'conv-bias', ...common }, label);
    const slots: [string, number][] = [['x_in', c.input], ['y_out', s.anchor]];
    if (s.residual !== undefined) slots.push(['r_in', s.residual]);
    const gen = opKernels('conv').forward(
      {
        name: label,
        ...shape,
        input: this.layout(c.input),
        output: this.layout(s.anchor),
        residual: s.residual !== undefined ? this.layout(s.residual) : undefined,
        relu: s.relu,
        tile,
        subgroupSize: sg,
        ...(f16 ? { f16Weights: true } : {}),
      },
      this.aliases(slots),
      this.dl,
    );
    const slotBuffers: Record<string, number> = { x_in: this.bufOf(c.input), x_in4: this.bufOf(c.input), wgt: wBuf, bias: bBuf, y_out: this.bufOf(s.anchor) };
    if (s.residual !== undefined) slotBuffers.r_in = this.bufOf(s.residual);
    const flops = 2 * batch * convMacs(c, inS.c);
    this.emit('conv', gen, slotBuffers, names, flops, schedule.record);
  }

  ewise(s: ChainStep | CopyStep, names: string[]): void {
    const label = names.join(' + ');
    const chain = s.kind === 'chain' ? s : undefined;
    const a = chain ? chain.a : (s as CopyStep).src;
    const b = chain ? (chain.doubled ? chain.a : chain.b) : undefined;
    const outId = chain ? s.anchor : (s as CopyStep).dst;
    const sh = this.graph.nodes[a].shape;
    let out = this.layout(outId);
    if (s.kind === 'copy') out = { ...out, offset: out.offset + s.offset * sh.h * sh.w };
    const slots: [string, number][] = [['a_in', a]];
    const slotBuffers: Record<string, number> = { a_in: this.bufOf(a), y_out: this.bufOf(outId) };
    if (b !== undefined) {
      slots.push(['b_in', b]);
      slotBuffers.b_in = this.bufOf(b);
    }
    slots.push(['y_out', outId]);
    const paramBuffer = (name: string, bytes: number, param: ParamSource) => this.paramBuffer(name, bytes, param, label);
    for (const node of chain ? chainNodes(this.graph.nodes, chain.nodes) : []) {
      Object.assign(slotBuffers, chainStage(node).inferenceBuffers?.({ node, shape: { batch: this.options.batch, ...sh }, paramBuffer }));
    }
    const parts = chain ? forwardParts(this.graph.nodes, chain, b !== undefined ? this.layout(b) : undefined) : [];
    const spec = ewiseSpecOf(label, this.options.batch, sh, this.layout(a), out, parts);
    const { gen, record } = scheduledEwise(this.scheduler, spec, this.aliases(slots), this.dl);
    const dispatchNames = s.kind === 'copy' ? [`${this.node(s.dst).name} <- ${this.graph.nodes[s.src].name}`] : names;
    this.emit(s.kind === 'copy' ? 'copy' : 'ewise', gen, slotBuffers, dispatchNames, 0, record);
  }

  /** A step of an op with kernels of its own (src/ops/<op>/kernels.ts). */
  simple(s: SimpleStep, names: string[]): void {
    const label = names.join(' + ');
    const node = this.graph.nodes[s.anchor];
    if (!hasStepKernels(node)) throw new Error(`compilePlan: ${s.kind} step without its node (internal error)`);
    stepKernels(node).inference({
      node,
      label,
      batch: this.options.batch,
      inShape: this.graph.nodes[s.input].shape,
      io: { input: this.layout(s.input), output: this.layout(s.anchor) },
      alias: this.aliases([['x_in', s.input], ['y_out', s.anchor]]),
      buffers: { x_in: this.bufOf(s.input), y_out: this.bufOf(s.anchor) },
      dl: this.dl,
      scheduler: this.scheduler,
      f16Weights: this.options.f16Weights === true,
      paramBuffer: (name, bytes, param) => this.paramBuffer(name, bytes, param, label),
      emit: (gen, slots, flops, schedule) => this.emit(s.kind, gen, slots, names, flops, schedule),
    });
  }

  /** Softmax probabilities and argmax classes of the logits. */
  head(logits: number, classes: number): { probs: number; argmax: number } {
    const { batch } = this.options;
    const probs = this.addBuffer({ name: 'probs', kind: 'output', bytes: batch * classes * 4, values: ['softmax'] });
    const argmax = this.addBuffer({ name: 'classes', kind: 'output', bytes: batch * 4, values: ['argmax'] });
    this.emit('softmax', genSoftmax('softmax', batch, classes, this.dl), { x_in: logits, y_out: probs }, ['softmax'], 0);
    this.emit('argmax', genArgmax('argmax', batch, classes, this.dl), { x_in: logits, y_out: argmax }, ['argmax'], 0);
    return { probs, argmax };
  }
}

function tensors(graph: LayerGraph, fusion: Fusion, e: Emitter): PlanTensor[] {
  const out: PlanTensor[] = [];
  for (const n of graph.nodes) {
    if (!isMaterialized(graph, fusion, n.id)) continue;
    const l = e.layout(n.id);
    out.push({ node: n.name, buffer: e.bufOf(n.id), offset: l.offset, batchStride: l.batchStride, shape: { ...n.shape } });
  }
  return out;
}

/** The execution plan of a placed, allocated graph. */
export function emitPlan(graph: LayerGraph, fusion: Fusion, placement: Placement, liveness: Liveness, allocation: Allocation, options: GraphPassOptions): PlanBody {
  const e = new Emitter(graph, placement, liveness, allocation, options);
  const planTensors = tensors(graph, fusion, e);
  for (const s of placement.order) {
    const names = s.nodes.map((id) => nodeOf(graph, placement, id).name);
    if (s.kind === 'conv') e.conv(s, names);
    else if (s.kind === 'chain' || s.kind === 'copy') e.ewise(s, names);
    else e.simple(s, names);
  }
  const outputRoot = liveness.roots.get(placement.outputValue)!;
  const logits = allocation.bufferOf.get(outputRoot.id)!;
  const classes = outputRoot.c * outputRoot.plane;
  const output: PlanBody['output'] = { node: graph.nodes[graph.output].name, logits, classes };
  if (options.head) Object.assign(output, e.head(logits, classes));
  const input = graph.nodes.find((n) => n.op === 'input')!;
  const sum = (kind: BufferKind) => e.buffers.filter((b) => b.kind === kind).reduce((s, b) => s + b.bytes, 0);
  return {
    graph: graph.name,
    batch: options.batch,
    subgroupSize: options.subgroupSize,
    input: { node: input.name, buffer: e.bufOf(input.id), shape: { ...input.shape }, elements: options.batch * input.shape.c * input.shape.h * input.shape.w },
    output,
    buffers: e.buffers,
    tensors: planTensors,
    kernels: e.kernels,
    dispatches: e.dispatches,
    memory: { activationBytes: sum('activation'), noReuseBytes: allocation.noReuseBytes, paramBytes: sum('param'), ioBytes: sum('input') + sum('output') },
    profile: options.schedule.profile,
    schedules: e.schedules,
  };
}

export const kernelsPass: GraphPass<GraphState> = {
  name: 'kernels',
  summary: 'generate a specialized WGSL kernel per step and the dispatch list: the execution plan',
  run(state) {
    const k = 'kernels';
    const plan = emitPlan(need(state, 'graph', k), need(state, 'fusion', k), need(state, 'placement', k), need(state, 'liveness', k), need(state, 'allocation', k), state.options);
    return { ...state, plan };
  },
};
