// Backward of a chain with batch norm, first phase: per-chunk partial sums for d(gamma, beta).

import { u } from '../template.js';
import { type ChainBwdSpec } from './chain-bwd.js';
import { type DispatchLimits, sumLanes } from './common.js';
import { build, type ChannelChunks, chunkedReduction, type SlotDef, type TrainKernel, tUnits, vecFor } from './train-common.js';

export function genChainBwdReduce(
  s: ChainBwdSpec & { bn: NonNullable<ChainBwdSpec['bn']> },
  part: number,
  cc: ChannelChunks,
  limits: DispatchLimits,
): TrainKernel {
  const sh = s.shape;
  const plane = sh.h * sh.w;
  const relu = s.relu && s.relu.end > s.relu.start ? s.relu : undefined;
  const views = [s.g, s.bn.x, ...(relu && s.out ? [s.out] : [])];
  const vec = vecFor(plane, views);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const r = chunkedReduction(s.name, sh, vec, cc, limits);
  const slots: SlotDef[] = [{ name: 'g_in', type: `array<${T}>`, access: 'read', buffer: s.g.buffer }];
  if (relu) slots.push({ name: 'o_in', type: `array<${T}>`, access: 'read', buffer: s.out!.buffer });
  slots.push({ name: 'x_in', type: `array<${T}>`, access: 'read', buffer: s.bn.x.buffer });
  slots.push({ name: 'st', type: 'array<f32>', access: 'read', buffer: s.bn.state });
  slots.push({ name: 'part', type: 'array<vec2<f32>>', access: 'write', buffer: part });
  return build(
    'train/chain_bwd_reduce',
    slots,
    { WG: r.wg, T, REDUCE_SG: sumLanes(vec, 'sg'), REDUCE_SGX: sumLanes(vec, 'sgx') },
    { RELU: !!relu },
    r.wg,
    r.workgroups,
    undefined,
    {
      ...r.args,
      G_BS: tUnits(s.g.batchStride, vec, s.name),
      G_OFF: tUnits(s.g.offset, vec, s.name),
      X_BS: tUnits(s.bn.x.batchStride, vec, s.name),
      X_OFF: tUnits(s.bn.x.offset, vec, s.name),
      O_BS: relu ? tUnits(s.out!.batchStride, vec, s.name) : u(0),
      O_OFF: relu ? tUnits(s.out!.offset, vec, s.name) : u(0),
      RELU_START: u(relu?.start ?? 0),
      RELU_END: u(relu?.end ?? 0),
      ST_OFF: u(s.bn.stats),
    },
  );
}
