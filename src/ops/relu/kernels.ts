// The ReLU's part in an elementwise chain (codegen/chain-stage.ts). Its arithmetic, on a channel
// range and with SNL's mask, is the chain's kernels'; its own are an SNL mask's buffer, which the
// chain's kernel binds, and the mask's gradient (kernels/train/relu_mask_dm.wgsl), one invocation
// per mask entry, each summing over the batch (and, per channel, over the plane), plus the L1
// penalty's gradient (the uniform's l1), or 0 once the masks are frozen. src/ops/index.ts hands the
// table to codegen.

import type { ChainStageKernels, ChainTrainBackward } from '../../codegen/chain-stage.js';
import type { MaskView } from '../../codegen/kernels/chain-bwd.js';
import { argU, type DispatchLimits } from '../../codegen/kernels/common.js';
import { build, type BufView, type GradTarget, grid, type PlaneShape, reads, type SlotDef, type TrainKernel, WG, writes } from '../../codegen/kernels/train-common.js';
import type { SlotRange } from '../../codegen/train/builder.js';
import { paramRange } from '../../codegen/train/params.js';
import type { ReluNode } from './graph.js';

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

/**
 * An SNL mask's gradient, before the chain's gradient kernel scales the ReLU's by the mask. A
 * masked ReLU is a chain of its own (codegen/graph/fuse.ts), so its input is the chain's operand.
 */
function trainBackward({ node, names, shape, b, store, g, input, uniform }: ChainTrainBackward<ReluNode>): { mask?: MaskView } {
  if (node.mask === undefined) return {};
  const param = store.paramOf.get(`${node.name}.mask`)!;
  const mask = { buffer: store.P, offset: param.offset, granularity: node.mask };
  const dm = { buffer: store.G, offset: param.offset, batchStride: 0, accumulate: false, granularity: node.mask };
  b.emit('backward', `${names} dM`, genReluMaskDm({ name: `${names} dM`, shape, relu: { start: node.start, end: node.end }, g, v: input(), mask, dm, uniform }, b.dl));
  return { mask };
}

export const reluKernels: ChainStageKernels<ReluNode> = {
  // An SNL mask is a parameter: for inference a buffer of its own, in training bound at its
  // (aligned) offset in the parameter buffer.
  inferenceBuffers: ({ node, shape, paramBuffer }): Record<string, number> => {
    if (node.mask === undefined) return {};
    const length = (node.end - node.start) * (node.mask === 'pixel' ? shape.h * shape.w : 1);
    return { mask: paramBuffer(`${node.name}.mask`, length * 4, { kind: 'relu-mask', relu: node.name, length }) };
  },
  trainBuffers: ({ node, store }): Record<string, SlotRange> => (node.mask === undefined ? {} : { mask: paramRange(store, `${node.name}.mask`) }),
  trainBackward,
  // A mask's gradient reads the ReLU's input.
  backwardReadsInput: (node) => node.mask !== undefined,
};
