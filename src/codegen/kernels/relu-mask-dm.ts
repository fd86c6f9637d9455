// The gradient of an SNL mask (kernels/train/relu_mask_dm.wgsl): one invocation per mask entry,
// each summing over the batch (and, per channel, over the plane), plus the L1 penalty's gradient
// (the uniform's l1), or 0 once the masks are frozen.

import { argU, type DispatchLimits } from './common.js';
import type { MaskView } from './chain-bwd.js';
import { build, grid, type BufView, type GradTarget, type PlaneShape, reads, type SlotDef, type TrainKernel, WG, writes } from './train-common.js';

export interface ReluMaskDmSpec {
  name: string;
  /** The activation's shape (all its channels; the mask covers [start, end)). */
  shape: PlaneShape;
  relu: { start: number; end: number };
  /** Gradient of the ReLU's output. */
  g: BufView;
  /** The ReLU's input. */
  v: BufView;
  /** The mask (its entries decide where the L1 penalty applies). */
  mask: Omit<MaskView, 'granularity'>;
  /** Where the mask's gradient goes. */
  dm: GradTarget & Pick<MaskView, 'granularity'>;
  /** The training step's uniform (learning rate, ..., the L1 weight, the frozen flag). */
  uniform: number;
}

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
