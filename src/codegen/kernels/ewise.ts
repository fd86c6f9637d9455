// Elementwise kernel (kernels/ewise.wgsl): batch-norm scale/shift, add, ReLU range, copy.

import { u, type TemplateValues } from '../template.js';
import type { ElementwiseSchedule } from '../schedule/types.js';
import { tUnits } from './train-common.js';
import { DEFAULT_DISPATCH_LIMITS, finishPerElement, runInvocations, type GeneratedKernel, argU, scalarValues, type Slot, type SlotAliases, vecType, type ViewLayout, viewArgs } from './common.js';

export interface EwiseKernelSpec {
  name: string;
  batch: number;
  c: number;
  h: number;
  w: number;
  a: ViewLayout;
  out: ViewLayout;
  /** Per-channel scale and shift (inference batch norm) applied to `a` first. */
  bn?: boolean;
  /** Added after bn. */
  b?: ViewLayout;
  /** ReLU on channels [start, end); with `mask`, SNL's partial ReLU x + m*(relu(x) - x) there. */
  relu?: { start: number; end: number; mask?: 'pixel' | 'channel'; maskOffset?: number };
}

/** The vector width genEwise reads `spec`'s elements in: 4 where the plane is a multiple of 4. */
export const ewiseVec = (spec: Pick<EwiseKernelSpec, 'h' | 'w'>): 1 | 4 => ((spec.h * spec.w) % 4 === 0 ? 4 : 1);

/**
 * `asArgs`: sizes, views and the ReLU range as dispatch arguments rather than constants (the
 * training plan uses this: its many elementwise dispatches then share a few kernels, each of
 * which the CPU driver would otherwise compile on the first step).
 */
export function genEwise(spec: EwiseKernelSpec, schedule: ElementwiseSchedule, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS, asArgs = false): GeneratedKernel {
  const plane = spec.h * spec.w;
  const vec = ewiseVec(spec);
  const units = plane / vec;
  const T = vecType(vec);
  const relu = spec.relu && spec.relu.end > spec.relu.start ? spec.relu : undefined;
  const slots: Slot[] = [{ name: 'a_in', type: `array<${T}>`, write: false }];
  if (spec.b) slots.push({ name: 'b_in', type: `array<${T}>`, write: false });
  if (spec.bn) {
    slots.push({ name: 'scale', type: 'array<f32>', write: false });
    slots.push({ name: 'shift', type: 'array<f32>', write: false });
  }
  const mask = relu?.mask;
  // A per-pixel mask has the activation's layout over the ReLU's channels (so vec4 planes read it
  // as vec4); a per-channel mask is one f32 per channel, splat across the lanes.
  if (mask !== undefined) slots.push({ name: 'mask', type: mask === 'pixel' ? `array<${T}>` : 'array<f32>', write: false });
  slots.push({ name: 'y_out', type: `array<${T}>`, write: true });
  const scalars = scalarValues(
    {
      C: argU(spec.c),
      PLANE: argU(plane / vec),
      ...viewArgs(spec.name, 'A', spec.a, vec),
      ...viewArgs(spec.name, 'OUT', spec.out, vec),
      ...viewArgs(spec.name, 'B', spec.b, vec),
      RELU_START: argU(relu?.start ?? 0),
      RELU_END: argU(relu?.end ?? 0),
    },
    asArgs,
  );
  // A per-pixel mask is read in units of T (its plane is the activation's), a per-channel one as
  // an f32 splat over the lanes (kernels/lib/snl_mask.wgsl).
  const off = relu?.maskOffset ?? 0;
  const values: TemplateValues = { ...scalars.values, T, RUN: schedule.run, ...(mask === undefined ? {} : { M_OFF: mask === 'pixel' ? tUnits(off, vec, `${spec.name}: mask offset`) : u(off) }) };
  const flags = { BN: !!spec.bn, ADD: !!spec.b, RELU: !!relu, MASK: mask !== undefined, MASK_PIXEL: mask === 'pixel', ARGS: asArgs };
  const total = runInvocations(spec.name, spec.batch * spec.c, units, schedule.run);
  return finishPerElement({ template: 'ewise', name: spec.name, total, workgroupSize: schedule.wg, slots, alias, values, flags, args: scalars.args }, limits);
}
