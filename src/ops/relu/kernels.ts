// The ReLU's kernel of its own: the gradient of an SNL mask (kernels/train/relu_mask_dm.wgsl), one
// invocation per mask entry, each summing over the batch (and, per channel, over the plane), plus
// the L1 penalty's gradient (the uniform's l1), or 0 once the masks are frozen. Its part of the
// fused chain's kernels is codegen's. src/ops/index.ts hands the table to codegen.

import type { ReluKernels, ReluMaskDmSpec } from '../../codegen/op-kernels.js';
import { argU, type DispatchLimits } from '../../codegen/kernels/common.js';
import { build, grid, reads, type SlotDef, type TrainKernel, WG, writes } from '../../codegen/kernels/train-common.js';

export function genReluMaskDm(s: ReluMaskDmSpec, limits: DispatchLimits): TrainKernel {
  const plane = s.shape.h * s.shape.w;
  const channels = s.relu.end - s.relu.start;
  if (channels <= 0) throw new Error(`${s.name}: an empty ReLU range has no mask`);
  const pixel = s.dm.granularity === 'pixel';
  const total = pixel ? channels * plane : channels;
  const workgroups = grid(total, WG, limits, s.name);
  const slots: SlotDef[] = [reads('g_in', s.g.buffer), reads('v_in', s.v.buffer), reads('mask', s.mask.buffer), writes('dm', s.dm.buffer)];
  return build('train/relu_mask_dm', slots, { WG }, { PIXEL: pixel, ACC: s.dm.accumulate }, WG, workgroups, s.uniform, {
    PLANE: argU(plane),
    N: argU(s.shape.batch),
    G_BS: argU(s.g.batchStride),
    G_OFF: argU(s.g.offset),
    V_BS: argU(s.v.batchStride),
    V_OFF: argU(s.v.offset),
    RELU_START: argU(s.relu.start),
    M_OFF: argU(s.mask.offset),
    DM_OFF: argU(s.dm.offset),
    TOTAL: argU(total),
    NX: argU(workgroups[0]),
  });
}

export const reluKernels: ReluKernels = { maskGradient: genReluMaskDm };
