// The gradient of an SNL mask (kernels/train/relu_mask_dm.wgsl): one invocation per mask entry,
// each summing over the batch (and, per channel, over the plane).

import { u } from '../template.js';
import type { DispatchLimits } from './common.js';
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
  /** Where the mask's gradient goes (its offset is the mask's in the gradient buffer). */
  dm: GradTarget & Pick<MaskView, 'granularity'>;
}

export function genReluMaskDm(s: ReluMaskDmSpec, limits: DispatchLimits): TrainKernel {
  const plane = s.shape.h * s.shape.w;
  const channels = s.relu.end - s.relu.start;
  if (channels <= 0) throw new Error(`${s.name}: an empty ReLU range has no mask`);
  const pixel = s.dm.granularity === 'pixel';
  const total = pixel ? channels * plane : channels;
  const workgroups = grid(total, WG, limits, s.name);
  const slots: SlotDef[] = [reads('g_in', s.g.buffer), reads('v_in', s.v.buffer), writes('dm', s.dm.buffer)];
  return build('train/relu_mask_dm', slots, { WG }, { PIXEL: pixel, ACC: s.dm.accumulate }, WG, workgroups, undefined, {
    PLANE: u(plane),
    N: u(s.shape.batch),
    G_BS: u(s.g.batchStride),
    G_OFF: u(s.g.offset),
    V_BS: u(s.v.batchStride),
    V_OFF: u(s.v.offset),
    RELU_START: u(s.relu.start),
    DM_OFF: u(s.dm.offset),
    TOTAL: u(total),
    NX: u(workgroups[0]),
  });
}
