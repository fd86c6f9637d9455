// The forward half of a training step (run by the `forward` pass). The steps are the shared fusion
// pass's (codegen/graph/fuse.ts) without the conv epilogue, plus a copy step per concatenation.
// conv is the inference kernel on packed weights. An elementwise chain is the inference
// elementwise kernel, after the dispatches its ops run first (chain-stage.ts): a batch norm's
// batch statistics, which give the per-channel scale and shift the chain applies and update the
// running statistics.

import type { ConcatNode, LayerGraph } from '../../ir/graph.js';
import { convPacking } from '../../program/param-layout.js';
import type { ChainStep, ConvStep, FusedStep, Fusion, SimpleStep } from '../graph/state.js';
import type { BufView } from '../kernels/index.js';
import { chainNodes, chainStage, opKernels } from '../op-kernels.js';
import { hasStepKernels, stepKernels } from '../step-op.js';
import type { SlotRange, TrainBuilder } from './builder.js';
import type { TrainPhase } from './types.js';
import { paramRange, type BnStore, type ParamStore } from './params.js';
import type { ForwardValues } from './values.js';
import { convShapeOf, ewiseSpecOf, forwardParts, scheduledEwise } from '../step-specs.js';

export type TrainStep = FusedStep | { kind: 'concat'; anchor: number; nodes: number[]; node: ConcatNode };

/** The steps of a training step's forward half, in the order they run: the fused steps and a copy per concatenation. */
export function trainSteps(graph: LayerGraph, fusion: Fusion): TrainStep[] {
  const fused: TrainStep[] = [...fusion.steps];
  const concats: TrainStep[] = graph.nodes.filter((n): n is ConcatNode => n.op === 'concat').map((n) => ({ kind: 'concat', anchor: n.id, nodes: [n.id], node: n }));
  return [...fused, ...concats].sort((a, b) => a.anchor - b.anchor);
}

/** Names of a chain's nodes, `bn + add + relu`. */
export function chainNames(b: TrainBuilder, s: ChainStep): string {
  return s.nodes.map((id) => b.nodes[id].name).join(' + ');
}

export interface ForwardContext {
  b: TrainBuilder;
  fwd: ForwardValues;
  store: ParamStore;
  bn: BnStore;
  bnMomentum: number;
}

function conv(x: ForwardContext, s: ConvStep): void {
  const { b, fwd, store } = x;
  const c = s.conv;
  const schedule = store.tiles.get(c.name)!;
  const tile = schedule.value;
  const xin = fwd.view(c.input);
  const y = fwd.view(c.id);
  const spec = { name: c.name, ...convShapeOf(b.nodes, c, b.batch) };
  const views = { input: { batchStride: xin.batchStride, offset: xin.offset }, output: { batchStride: y.batchStride, offset: y.offset } };
  const gen = opKernels('conv').forward({ ...spec, ...views, tile, subgroupSize: b.subgroupSize }, {}, b.dl);
  const biasBytes = convPacking(c.outChannels, c.groups, tile.ocb).blocks * tile.ocb * 4;
  b.sizes.zeros = Math.max(b.sizes.zeros, biasBytes);
  const bias = c.bias ? paramRange(store, `${c.name}.bias`) : { buffer: b.zeros, offset: 0, size: biasBytes };
  // x_in4 is the same input read as vec4 (when the generator uses it).
  const slots = { x_in: { buffer: xin.buffer }, x_in4: { buffer: xin.buffer }, wgt: paramRange(store, `${c.name}.weight`), bias, y_out: { buffer: y.buffer } };
  b.emitInference('forward', `${c.name} forward`, gen, slots, b.convFlops(c), schedule.record);
}

function chain(x: ForwardContext, s: ChainStep): void {
  const { b, fwd } = x;
  const shape = b.shapeOf(s.a);
  for (const node of chainNodes(b.nodes, s.nodes)) chainStage(node).trainForward?.({ node, shape, b, store: x.store, bn: x.bn, x: fwd.view(s.a), bnMomentum: x.bnMomentum });
  applyChain(x, s, fwd.view(s.anchor), 'forward', `${chainNames(b, s)} forward`);
}

/**
 * The elementwise kernel of a chain (bn with the scale/shift its statistics gave, add, ReLU range)
 * writing `out`: the forward's, or a recomputation in the backward half (recompute.ts).
 */
export function applyChain(x: Pick<ForwardContext, 'b' | 'fwd' | 'bn' | 'store'>, s: ChainStep, out: BufView, phase: TrainPhase, label: string): void {
  const { b, fwd } = x;
  const a = fwd.view(s.a);
  const sh = b.shapeOf(s.a);
  const bView = s.doubled ? a : s.b !== undefined ? fwd.view(s.b) : undefined;
  const slots: [string, BufView][] = [['a_in', a]];
  if (bView) slots.push(['b_in', bView]);
  slots.push(['y_out', out]);
  const name = b.nodes[s.anchor].name;
  const { gen, record } = scheduledEwise(b.scheduler, ewiseSpecOf(name, b.batch, sh, a, out, forwardParts(b.nodes, s, bView)), b.aliasesOf(slots), b.dl, true);
  const ranges: Record<string, SlotRange> = { a_in: { buffer: a.buffer }, b_in: { buffer: bView?.buffer ?? -1 }, y_out: { buffer: out.buffer } };
  for (const node of chainNodes(b.nodes, s.nodes)) Object.assign(ranges, chainStage(node).trainBuffers?.({ node, shape: sh, b, store: x.store, bn: x.bn }));
  b.emitInference(phase, label, gen, ranges, 0, record);
}

function concat(x: ForwardContext, node: ConcatNode): void {
  const { b, fwd } = x;
  const dst = fwd.view(node.id);
  let chan = 0;
  for (const i of node.inputs) {
    const src = fwd.view(i);
    const sh = b.shapeOf(i);
    const out = { buffer: dst.buffer, offset: dst.offset + chan * b.plane(i), batchStride: dst.batchStride };
    const label = `${node.name} <- ${b.nodes[i].name}`;
    const { gen, record } = scheduledEwise(b.scheduler, ewiseSpecOf(label, b.batch, sh, src, out), b.aliasesOf([['a_in', src], ['y_out', out]]), b.dl, true);
    b.emitInference('forward', label, gen, { a_in: { buffer: src.buffer }, y_out: { buffer: dst.buffer } }, 0, record);
    chan += sh.c;
  }
}

/** A step of an op with kernels of its own (src/ops/<op>/kernels.ts). */
function simple(x: ForwardContext, s: SimpleStep): void {
  const node = x.b.nodes[s.anchor];
  if (!hasStepKernels(node)) throw new Error(`compileTrainPlan: ${s.kind} step without its node (internal error)`);
  stepKernels(node).trainForward({ node, b: x.b, store: x.store, x: x.fwd.view(s.input), y: x.fwd.view(s.anchor) });
}

/** Emits the forward dispatches of every step. */
export function emitForward(x: ForwardContext, steps: readonly TrainStep[]): void {
  for (const s of steps) {
    if (s.kind === 'conv') conv(x, s);
    else if (s.kind === 'chain') chain(x, s);
    else if (s.kind === 'concat') concat(x, s.node);
    else simple(x, s);
  }
}
