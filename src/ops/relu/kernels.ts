// The ReLU in an elementwise chain (codegen/chain-stage.ts): its parts in the chain's kernels
// (kernels/chain/relu.wgsl: on a channel range, with SNL's mask), an SNL mask's buffer, which the
// chain's kernels bind, and the mask's gradient (kernels/train/relu_mask_dm.wgsl), one invocation
// per mask entry, each summing over the batch (and, per channel, over the plane), plus the L1
// penalty's gradient (the uniform's l1), or 0 once the masks are frozen. src/ops/index.ts hands the
// table to codegen.

import type { ChainStageKernels, ChainTrainBackward } from '../../codegen/chain-stage.js';
import type { ChainKernelPart } from '../../codegen/kernels/chain-parts.js';
import { argU, type DispatchLimits } from '../../codegen/kernels/common.js';
import { build, type BufView, type GradTarget, grid, type PlaneShape, reads, type SlotDef, type TrainKernel, WG, writes } from '../../codegen/kernels/train-common.js';
import type { SlotRange } from '../../codegen/train/builder.js';
import { paramRange } from '../../codegen/train/params.js';
import type { ReluNode } from './graph.js';

declare module '../../codegen/chain-stage.js' {
  interface ChainOps {
    relu: true;
  }
}

/** An SNL mask in the parameter buffer: per pixel, the range's C*H*W entries in NCHW order without the batch; per channel, one per channel. */
export interface MaskView {
  buffer: number;
  offset: number;
  granularity: 'pixel' | 'channel';
}

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

/** The ReLU's part in a chain's kernel: its channel range, and with SNL its mask at `mask` (elements into the mask's slot). */
export function reluPart(node: Pick<ReluNode, 'start' | 'end' | 'mask'>, mask: { buffer?: number; offset: number }, more: Pick<ChainKernelPart, 'slots' | 'views'>): ChainKernelPart | undefined {
  if (node.end <= node.start) return undefined;
  const masked = node.mask !== undefined;
  const pixel = node.mask === 'pixel';
  // A per-pixel mask has the activation's layout over the ReLU's channels (so vec4 planes read it
  // as vec4); a per-channel mask is one f32 per channel, splat across the lanes.
  const slots = masked ? [...more.slots, { name: 'mask', elem: pixel ? ('T' as const) : ('f32' as const), ...(mask.buffer === undefined ? {} : { buffer: mask.buffer }) }] : more.slots;
  return {
    op: 'relu',
    slots,
    ...(more.views ? { views: more.views } : {}),
    scalars: { RELU_START: node.start, RELU_END: node.end },
    offsets: masked ? { M_OFF: { elements: mask.offset, unit: pixel ? 'T' : 'f32' } } : {},
    flags: { MASK: masked, MASK_PIXEL: pixel },
  };
}

/**
 * An SNL mask's gradient, then the ReLU's part in the chain's gradient kernel, which reads the
 * chain's output (the ReLU is last in its chain) for where the input was positive. A masked ReLU
 * is a chain of its own (codegen/graph/fuse.ts), so its input is the chain's operand.
 */
function trainBackward({ node, names, shape, b, store, g, output, input, uniform }: ChainTrainBackward<ReluNode>): ChainKernelPart | undefined {
  const out = node.end > node.start ? output() : undefined;
  let mask: MaskView | undefined;
  if (node.mask !== undefined) {
    const param = store.paramOf.get(`${node.name}.mask`)!;
    mask = { buffer: store.P, offset: param.offset, granularity: node.mask };
    const dm = { buffer: store.G, offset: param.offset, batchStride: 0, accumulate: false, granularity: node.mask };
    b.emit('backward', `${names} dM`, genReluMaskDm({ name: `${names} dM`, shape, relu: { start: node.start, end: node.end }, g, v: input(), mask, dm, uniform }, b.dl));
  }
  if (out === undefined) return undefined;
  return reluPart(node, mask ?? { offset: 0 }, { slots: [{ name: 'o_in', elem: 'T', buffer: out.buffer }], views: { O: out } });
}

export const reluKernels: ChainStageKernels<ReluNode> = {
  chainPlace: (node) => (node.mask === undefined ? 'last' : 'alone'),
  // Bound at the mask's own buffer (inference) or its range of the parameter buffer (training), so at element 0.
  forwardPart: ({ node }) => reluPart(node, { offset: 0 }, { slots: [] }),
  // An SNL mask is a parameter: for inference a buffer of its own, in training bound at its
  // (aligned) offset in the parameter buffer.
  inferenceBuffers: ({ node, shape, paramBuffer }): Record<string, number> => {
    if (node.mask === undefined) return {};
    const length = (node.end - node.start) * (node.mask === 'pixel' ? shape.h * shape.w : 1);
    return { mask: paramBuffer(`${node.name}.mask`, length * 4, { kind: 'relu-mask', relu: node.name, length }) };
  },
  trainBuffers: ({ node, store }): Record<string, SlotRange> => (node.mask === undefined ? {} : { mask: paramRange(store, `${node.name}.mask`) }),
  trainBackward,
  // A mask's gradient reads the ReLU's input; where the input was positive is where the chain's
  // output is, which its part reads.
  backwardReadsInput: (node) => node.mask !== undefined,
  backwardReadsOutput: (node) => node.end > node.start,
};
