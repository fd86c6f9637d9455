// Backward of an elementwise chain [bn] [add] [relu]: the input gradients.

import { f, u } from '../template.js';
import type { ElementwiseSchedule } from '../schedule/types.js';
import { argU, type DispatchLimits, fixedWorkgroup, runInvocations } from './common.js';
import { type BufView, build, type GradTarget, grid, type PlaneShape, type SlotDef, type TrainKernel, argUnits, tUnits, vecFor, reads, writes } from './train-common.js';

export interface ChainBwdSpec {
  name: string;
  shape: PlaneShape;
  /** Gradient of the chain's output. */
  g: BufView;
  /** The chain's output (forward), for the ReLU mask. */
  out?: BufView;
  relu?: { start: number; end: number };
  /**
   * SNL's partial ReLU on the relu range: the buffer holding the mask (per pixel: the range's
   * C*H*W entries in NCHW order without the batch; per channel: one per channel) and its offset.
   */
  mask?: MaskView;
  /** Batch norm: its input (forward), the bn-state buffer and the offset of its (mean, inv_std). */
  bn?: { x: BufView; state: number; stats: number; coef: number };
  /** Gradient of the chain's first input. */
  a?: GradTarget;
  /** Multiplies target a's gradient (2 when an add has the same value on both sides). */
  scaleA?: number;
  /** Gradient of the add's other operand. */
  b?: GradTarget;
}

export interface MaskView {
  buffer: number;
  offset: number;
  granularity: 'pixel' | 'channel';
}

/**
 * The mask slot of a kernel with vector type T, and where the mask starts for the template's read
 * of it (MASK_PIXEL, M_OFF): a per-pixel mask is read in T units (its plane is the activation's),
 * a per-channel one as an f32 splat over the lanes.
 */
function maskSlot(m: MaskView, vec: 1 | 4, what: string): { slot: SlotDef; offset: string } {
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  if (m.granularity === 'pixel') return { slot: reads('mask', m.buffer, `array<${T}>`), offset: tUnits(m.offset, vec, what) };
  return { slot: reads('mask', m.buffer, 'array<f32>'), offset: u(m.offset) };
}

/** The vector width genChainBwd reads `s`'s elements in: 4 where the plane and every view are multiples of 4. */
export function chainBwdVec(s: ChainBwdSpec): 1 | 4 {
  const relu = s.relu && s.relu.end > s.relu.start;
  const views: BufView[] = [s.g];
  if (relu) views.push(s.out!);
  if (s.bn && s.a) views.push(s.bn.x);
  if (s.a) views.push(s.a);
  if (s.b) views.push(s.b);
  return vecFor(s.shape.h * s.shape.w, views);
}

/** The elementwise part of a chain's backward (also a plain gradient copy: no relu, bn or b). */
export function genChainBwd(s: ChainBwdSpec, schedule: ElementwiseSchedule, limits: DispatchLimits): TrainKernel {
  const sh = s.shape;
  const plane = sh.h * sh.w;
  const relu = s.relu && s.relu.end > s.relu.start ? s.relu : undefined;
  if (!s.a && !s.b) throw new Error(`${s.name}: a chain backward with no target`);
  const vec = chainBwdVec(s);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const total = runInvocations(s.name, sh.batch * sh.c, plane / vec, schedule.run);
  const wg = fixedWorkgroup(schedule.wg, limits);
  const [nx, , nz] = grid(total, wg, limits, s.name);
  const bn = s.bn && s.a ? s.bn : undefined;
  const slots: SlotDef[] = [reads('g_in', s.g.buffer, `array<${T}>`)];
  if (relu) slots.push(reads('o_in', s.out!.buffer, `array<${T}>`));
  const mask = relu && s.mask ? maskSlot(s.mask, vec, s.name) : undefined;
  if (mask) slots.push(mask.slot);
  if (bn) {
    slots.push(reads('x_in', bn.x.buffer, `array<${T}>`));
    slots.push(reads('coef', bn.coef, 'array<vec4<f32>>'));
  }
  if (s.a) slots.push(writes('ta', s.a.buffer, `array<${T}>`));
  if (s.b) slots.push(writes('tb', s.b.buffer, `array<${T}>`));
  const vu = (n: number) => argUnits(n, vec, s.name);
  const scaled = s.scaleA !== undefined && s.scaleA !== 1;
  return build(
    'train/chain_bwd',
    slots,
    { WG: wg, T, RUN: schedule.run, ...(mask ? { M_OFF: mask.offset, RELU_START: 'args.RELU_START', PLANE: 'args.PLANE' } : {}), ...(scaled ? { SCALE_A: f(s.scaleA!) } : {}) },
    { RELU: !!relu, MASK: !!mask, MASK_PIXEL: s.mask?.granularity === 'pixel', SCALED: scaled, BN: !!bn, TA: !!s.a, TB: !!s.b, ACC_A: !!s.a?.accumulate, ACC_B: !!s.b?.accumulate },
    wg,
    [nx, 1, nz],
    undefined,
    {
      C: argU(sh.c),
      PLANE: argU(plane / vec),
      TOTAL: argU(total),
      NX: argU(nx),
      G_BS: vu(s.g.batchStride),
      G_OFF: vu(s.g.offset),
      O_BS: relu ? vu(s.out!.batchStride) : argU(0),
      O_OFF: relu ? vu(s.out!.offset) : argU(0),
      RELU_START: argU(relu?.start ?? 0),
      RELU_END: argU(relu?.end ?? 0),
      X_BS: bn ? vu(bn.x.batchStride) : argU(0),
      X_OFF: bn ? vu(bn.x.offset) : argU(0),
      A_BS: s.a ? vu(s.a.batchStride) : argU(0),
      A_OFF: s.a ? vu(s.a.offset) : argU(0),
      B_BS: s.b ? vu(s.b.batchStride) : argU(0),
      B_OFF: s.b ? vu(s.b.offset) : argU(0),
    },
  );
}
