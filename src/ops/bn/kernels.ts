// The batch norm in an elementwise chain (codegen/chain-stage.ts):
// - in training, the batch statistics before the chain runs: first the per-chunk partial sums
//   (kernels/train/bn_stats.wgsl), then their merge into mean, variance, scale, shift and running
//   statistics (kernels/train/bn_finalize.wgsl);
// - backward, d(gamma, beta) and the coefficients of its input's gradient before the chain's
//   gradient kernel runs: per-chunk partial sums of the gradient that reaches it, masked by the
//   chain's ReLU range (kernels/train/chain_bwd_reduce.wgsl), then their merge
//   (kernels/train/chain_bwd_finalize.wgsl);
// - the per-channel scale and shift the chain's kernel reads: folded from the weights for
//   inference, computed by the statistics in training;
// - its parts in the chain's kernels (kernels/chain/bn.wgsl).
// src/ops/index.ts hands the table to codegen.

import { BN_EPS } from '../../ir/graph.js';
import type { ChainStageKernels, ChainTrainBackward, ChainTrainForward } from '../../codegen/chain-stage.js';
import { type ChainKernelPart, partInputs, partViews, withoutWrites } from '../../codegen/kernels/chain-parts.js';
import type { ReductionSplit } from '../../codegen/schedule/reduction.js';
import { argF, argU, type DispatchLimits, scalarValues } from '../../codegen/kernels/common.js';
import { type BufView, build, buildPerChannel, chunkedReduction, finalizeSlots, type PlaneShape, type SlotDef, type TrainKernel, argUnits, vecFor, reads, writes } from '../../codegen/kernels/train-common.js';
import type { BnOffsets } from '../../codegen/train/params.js';
import type { BatchNormNode } from './graph.js';

declare module '../../codegen/chain-stage.js' {
  interface ChainOps {
    bn: true;
  }
}

/** The partial sums of `split` (its reduction schedule's), `wg` invocations per workgroup. */
export function genBnStats(name: string, sh: PlaneShape, x: BufView, part: number, split: ReductionSplit, wg: number, limits: DispatchLimits): TrainKernel {
  const plane = sh.h * sh.w;
  const vec = vecFor(plane, [x]);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const r = chunkedReduction(name, sh, vec, split, wg, limits);
  const args = { ...r.args, X_BS: argUnits(x.batchStride, vec, name), X_OFF: argUnits(x.offset, vec, name), PLANE_ELEMS: argF(plane) };
  return build(
    'train/bn_stats',
    [reads('x_in', x.buffer, `array<${T}>`), writes('part', part, 'array<vec2<f32>>')],
    { WG: r.wg, T },
    { ...r.flags, VEC4: vec === 4 },
    r.wg,
    r.workgroups,
    undefined,
    r.flags.SPLIT ? { ...args, UNIT_ELEMS: argF(vec) } : args,
  );
}

/** Merges the partial sums genBnStats wrote for `split`, `wg` invocations per workgroup. */
export function genBnFinalize(
  sh: PlaneShape,
  bufs: { part: number; params: number; state: number; running: number },
  off: BnOffsets,
  split: ReductionSplit,
  wg: number,
  o: { eps: number; momentum: number },
): TrainKernel {
  const plane = sh.h * sh.w;
  const count = sh.batch * plane;
  const cut = split.planeChunks > 1;
  return buildPerChannel(
    'train/bn_finalize',
    sh.c,
    [...finalizeSlots(bufs, 'write'), writes('run', bufs.running)],
    {
      NCH: argU(split.chunks),
      N: argU(sh.batch),
      IPC: argU(split.imagesPerChunk),
      PLANE_ELEMS: argF(plane),
      COUNT: argF(count),
      UNBIAS: argF(count > 1 ? count / (count - 1) : 1),
      EPS: argF(o.eps),
      MOMENTUM: argF(o.momentum),
      GAMMA_OFF: argU(off.gamma),
      BETA_OFF: argU(off.beta),
      ST_OFF: argU(off.stats),
      SC_OFF: argU(off.scale),
      SH_OFF: argU(off.shift),
      RM_OFF: argU(off.runningMean),
      RV_OFF: argU(off.runningVar),
      ...(cut ? { PCH: argU(split.planeChunks), PPC: argU(split.planePerChunk), PLANE: argU(plane) } : {}),
    },
    wg,
    { SPLIT: cut },
  );
}


/** The batch norm's input (forward), the bn-state buffer and the offset of its (mean, inv_std), and the coefficients' buffer. */
interface BnBackward {
  x: BufView;
  state: number;
  stats: number;
  coef: number;
}

/** The gradient reduction's view of the chain: its output's gradient, and the parts of the ops after the batch norm. */
interface ReduceSpec {
  name: string;
  shape: PlaneShape;
  g: BufView;
  after: readonly ChainKernelPart[];
  bn: BnBackward;
}

/**
 * The partial sums of d(gamma, beta) over `split` (its reduction schedule's), `wg` invocations per
 * workgroup: of the gradient reaching the batch norm (the chain's output gradient through the
 * parts of the ops after it, as the chain's gradient kernel follows it, without their writes), and
 * of its product with xhat.
 */
export function genBnBwdReduce(s: ReduceSpec, part: number, split: ReductionSplit, wg: number, limits: DispatchLimits): TrainKernel {
  const sh = s.shape;
  const after = s.after.map(withoutWrites);
  const vec = vecFor(sh.h * sh.w, [s.g, s.bn.x, ...partViews(after)]);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const r = chunkedReduction(s.name, sh, vec, split, wg, limits);
  const parts = partInputs(after, vec, s.name);
  const slots: SlotDef[] = [reads('g_in', s.g.buffer, `array<${T}>`)];
  for (const p of parts.slots) slots.push(reads(p.name, p.buffer!, p.type));
  slots.push(reads('x_in', s.bn.x.buffer, `array<${T}>`), reads('st', s.bn.state), writes('part', part, 'array<vec2<f32>>'));
  const views = { G_BS: argUnits(s.g.batchStride, vec, s.name), G_OFF: argUnits(s.g.offset, vec, s.name), X_BS: argUnits(s.bn.x.batchStride, vec, s.name), X_OFF: argUnits(s.bn.x.offset, vec, s.name) };
  const values = { ...scalarValues({ PLANE: r.args.PLANE, ...parts.scalars }, true).values, ...parts.values, WG: r.wg, T };
  const flags = { ...parts.flags, VEC4: vec === 4, ...r.flags };
  const args = { ...r.args, ...views, ...parts.scalars, ST_OFF: argU(s.bn.stats) };
  return build('train/chain_bwd_reduce', slots, values, flags, r.wg, r.workgroups, undefined, args, after.map((p) => p.op));
}

/** Merges genBnBwdReduce's partial sums into d(gamma, beta) and the coefficients of the input gradient. */
export function genBnBwdFinalize(
  c: number,
  count: number,
  bufs: { part: number; params: number; state: number; grads: number; coef: number },
  off: { gamma: number; dgamma: number; dbeta: number; stats: number },
  chunks: number,
  wg: number,
): TrainKernel {
  return buildPerChannel(
    'train/chain_bwd_finalize',
    c,
    [...finalizeSlots(bufs, 'read'), writes('grad', bufs.grads), writes('coef', bufs.coef, 'array<vec4<f32>>')],
    { NCH: argU(chunks), COUNT: argF(count), GAMMA_OFF: argU(off.gamma), DGAMMA_OFF: argU(off.dgamma), DBETA_OFF: argU(off.dbeta), ST_OFF: argU(off.stats) },
    wg,
  );
}

/** The batch statistics of the chain's input, and their merge, before the chain's kernel reads scale and shift. */
function trainForward({ node, shape: sh, b, store, bn, x, bnMomentum }: ChainTrainForward<BatchNormNode>): void {
  const red = b.scheduler.reduction(`${node.name} stats`, 'bn_stats', sh.c, b.batch, sh.h * sh.w);
  const { split, wg } = red.value;
  b.sizes.scratch = Math.max(b.sizes.scratch, sh.c * split.chunks * 8);
  b.emit('forward', `${node.name} batch statistics`, genBnStats(`${node.name} stats`, sh, x, b.scratch, split, wg, b.dl), 0, red.record);
  const bufs = { part: b.scratch, params: store.P, state: bn.S, running: bn.R };
  const merge = b.scheduler.reductionSum(`${node.name} finalize`, split.chunks, red);
  const finalize = genBnFinalize(sh, bufs, bn.bnOff.get(node.id)!, split, merge.value.wg, { eps: BN_EPS, momentum: bnMomentum });
  b.emit('forward', `${node.name} batch statistics (merge)`, finalize, 0, merge.record);
}

/**
 * d(gamma, beta) and the input gradient's coefficients; the part of the chain's gradient kernel
 * is the input gradient, where the chain's input gets one.
 */
function trainBackward({ node, names, shape: sh, b, store, bn, g, after, input, inputGradient }: ChainTrainBackward<BatchNormNode>): ChainKernelPart | undefined {
  const off = bn.bnOff.get(node.id)!;
  const red = b.scheduler.reduction(`${names} reduce`, 'chain_bwd_reduce', sh.c, b.batch, sh.h * sh.w);
  const { split, wg } = red.value;
  b.sizes.scratch = Math.max(b.sizes.scratch, sh.c * split.chunks * 8);
  b.sizes.coef = Math.max(b.sizes.coef, sh.c * 16);
  const x = input();
  const reduce = genBnBwdReduce({ name: `${names} reduce`, shape: sh, g, after, bn: { x, state: bn.S, stats: off.stats, coef: b.coef } }, b.scratch, split, wg, b.dl);
  b.emit('backward', `${names} d(gamma, beta) partial`, reduce, 0, red.record);
  const gp = store.paramOf.get(`${node.name}.gamma`)!;
  const bp = store.paramOf.get(`${node.name}.beta`)!;
  const bufs = { part: b.scratch, params: store.P, state: bn.S, grads: store.G, coef: b.coef };
  const offs = { gamma: gp.offset, dgamma: gp.offset, dbeta: bp.offset, stats: off.stats };
  const sum = b.scheduler.reductionSum(`${names} finalize`, split.chunks, red);
  b.emit('backward', `${names} d(gamma, beta)`, genBnBwdFinalize(sh.c, b.batch * sh.h * sh.w, bufs, offs, split.chunks, sum.value.wg), 0, sum.record);
  if (!inputGradient) return undefined;
  return { op: 'bn', slots: [{ name: 'x_in', elem: 'T', buffer: x.buffer }, { name: 'coef', elem: 'vec4', buffer: b.coef }], views: { X: x } };
}

export const bnKernels: ChainStageKernels<BatchNormNode> = {
  chainPlace: () => 'first',
  forwardPart: () => ({ op: 'bn', slots: [{ name: 'scale', elem: 'f32' }, { name: 'shift', elem: 'f32' }] }),
  inferenceBuffers: ({ node, shape, paramBuffer }) => ({
    scale: paramBuffer(`${node.name}.scale`, shape.c * 4, { kind: 'bn-scale', bn: node.name, c: shape.c }),
    shift: paramBuffer(`${node.name}.shift`, shape.c * 4, { kind: 'bn-shift', bn: node.name, c: shape.c }),
  }),
  trainBuffers: ({ node, shape, bn }) => {
    const off = bn.bnOff.get(node.id)!;
    return { scale: { buffer: bn.S, offset: off.scale * 4, size: shape.c * 4 }, shift: { buffer: bn.S, offset: off.shift * 4, size: shape.c * 4 } };
  },
  trainForward,
  trainBackward,
  // Its statistics' gradient and its input gradient read its input.
  backwardReadsInput: () => true,
};
