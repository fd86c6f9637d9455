// Backward of a chain with batch norm, first phase: per-chunk partial sums for d(gamma, beta).

import type { ReductionSplit } from '../schedule/reduction.js';
import { type ChainBwdSpec, maskSlot } from './chain-bwd.js';
import { argU, type DispatchLimits } from './common.js';
import { build, chunkedReduction, type SlotDef, type TrainKernel, argUnits, vecFor, reads, writes } from './train-common.js';

/** The partial sums of `split` (its reduction schedule's), `wg` invocations per workgroup. */
export function genChainBwdReduce(
  s: ChainBwdSpec & { bn: NonNullable<ChainBwdSpec['bn']> },
  part: number,
  split: ReductionSplit,
  wg: number,
  limits: DispatchLimits,
): TrainKernel {
  const sh = s.shape;
  const plane = sh.h * sh.w;
  const relu = s.relu && s.relu.end > s.relu.start ? s.relu : undefined;
  const views = [s.g, s.bn.x, ...(relu && s.out ? [s.out] : [])];
  const vec = vecFor(plane, views);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const r = chunkedReduction(s.name, sh, vec, split, wg, limits);
  const slots: SlotDef[] = [reads('g_in', s.g.buffer, `array<${T}>`)];
  if (relu) slots.push(reads('o_in', s.out!.buffer, `array<${T}>`));
  const mask = relu && s.mask ? maskSlot(s.mask, vec, s.name) : undefined;
  if (mask) slots.push(mask.slot);
  slots.push(reads('x_in', s.bn.x.buffer, `array<${T}>`));
  slots.push(reads('st', s.bn.state));
  slots.push(writes('part', part, 'array<vec2<f32>>'));
  return build(
    'train/chain_bwd_reduce',
    slots,
    { WG: r.wg, T, ...(mask ? { M_OFF: mask.offset } : {}) },
    { RELU: !!relu, MASK: !!mask, MASK_PIXEL: s.mask?.granularity === 'pixel', VEC4: vec === 4, ...r.flags },
    r.wg,
    r.workgroups,
    undefined,
    {
      ...r.args,
      G_BS: argUnits(s.g.batchStride, vec, s.name),
      G_OFF: argUnits(s.g.offset, vec, s.name),
      X_BS: argUnits(s.bn.x.batchStride, vec, s.name),
      X_OFF: argUnits(s.bn.x.offset, vec, s.name),
      O_BS: relu ? argUnits(s.out!.batchStride, vec, s.name) : argU(0),
      O_OFF: relu ? argUnits(s.out!.offset, vec, s.name) : argU(0),
      RELU_START: argU(relu?.start ?? 0),
      RELU_END: argU(relu?.end ?? 0),
      ST_OFF: argU(s.bn.stats),
    },
  );
}
