// Backward of an elementwise chain: the gradient of its first input, through its ops' parts last
// op first (chain-parts.ts), and what the parts write themselves (an add's other operand's).

import type { ElementwiseSchedule } from '../schedule/types.js';
import { type ChainKernelPart, partInputs, partsWrite, partViews } from './chain-parts.js';
import { argU, type DispatchLimits, fixedWorkgroup, runInvocations, scalarValues } from './common.js';
import { type BufView, build, type GradTarget, grid, type PlaneShape, type SlotDef, type TrainKernel, argUnits, vecFor, reads, writes } from './train-common.js';

export interface ChainBwdSpec {
  name: string;
  shape: PlaneShape;
  /** Gradient of the chain's output. */
  g: BufView;
  /** Gradient of the chain's first input. */
  a?: GradTarget;
  /** The chain's ops' parts, last op first (none: a plain gradient copy). */
  parts: ChainKernelPart[];
}

/** The vector width genChainBwd reads `s`'s elements in: 4 where the plane and every view are multiples of 4. */
export function chainBwdVec(s: ChainBwdSpec): 1 | 4 {
  return vecFor(s.shape.h * s.shape.w, [s.g, ...(s.a ? [s.a] : []), ...partViews(s.parts)]);
}

/** The gradient kernel of a chain (also a plain gradient copy: no parts). */
export function genChainBwd(s: ChainBwdSpec, schedule: ElementwiseSchedule, limits: DispatchLimits): TrainKernel {
  const sh = s.shape;
  const plane = sh.h * sh.w;
  if (!s.a && !partsWrite(s.parts)) throw new Error(`${s.name}: a chain backward with no target`);
  const vec = chainBwdVec(s);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const total = runInvocations(s.name, sh.batch * sh.c, plane / vec, schedule.run);
  const wg = fixedWorkgroup(schedule.wg, limits);
  const [nx, , nz] = grid(total, wg, limits, s.name);
  const parts = partInputs(s.parts, vec, s.name);
  const slots: SlotDef[] = [reads('g_in', s.g.buffer, `array<${T}>`)];
  for (const p of parts.slots) {
    if (p.buffer === undefined) throw new Error(`${s.name}: slot ${p.name} of the chain's gradient kernel has no buffer (internal error)`);
    slots.push(p.write ? writes(p.name, p.buffer, p.type) : reads(p.name, p.buffer, p.type));
  }
  if (s.a) slots.push(writes('ta', s.a.buffer, `array<${T}>`));
  const vu = (n: number) => argUnits(n, vec, s.name);
  const scalars = { C: argU(sh.c), PLANE: argU(plane / vec), G_BS: vu(s.g.batchStride), G_OFF: vu(s.g.offset), A_BS: vu(s.a?.batchStride ?? 0), A_OFF: vu(s.a?.offset ?? 0), ...parts.scalars };
  const values = { ...scalarValues(scalars, true).values, ...parts.values, WG: wg, T, RUN: schedule.run };
  const flags = { ...parts.flags, TA: !!s.a, ACC_A: !!s.a?.accumulate };
  const args = { ...scalars, TOTAL: argU(total), NX: argU(nx) };
  return build('train/chain_bwd', slots, values, flags, wg, [nx, 1, nz], undefined, args, s.parts.map((p) => p.op));
}
