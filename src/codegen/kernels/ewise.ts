// Elementwise kernel (kernels/ewise.wgsl): an elementwise chain's forward, its ops' parts in order
// (chain-parts.ts), or a copy.

import type { TemplateValues } from '../template.js';
import type { ElementwiseSchedule } from '../schedule/types.js';
import { type ChainKernelPart, partInputs } from './chain-parts.js';
import { DEFAULT_DISPATCH_LIMITS, finishPerElement, runInvocations, type GeneratedKernel, argU, scalarValues, type Slot, type SlotAliases, vecType, type ViewLayout, viewArgs } from './common.js';

export interface EwiseKernelSpec {
  name: string;
  batch: number;
  c: number;
  h: number;
  w: number;
  a: ViewLayout;
  out: ViewLayout;
  /** The chain's ops' parts, in the chain's order (none: a copy of `a`). */
  parts: ChainKernelPart[];
}

/** The vector width genEwise reads `spec`'s elements in: 4 where the plane is a multiple of 4. */
export const ewiseVec = (spec: Pick<EwiseKernelSpec, 'h' | 'w'>): 1 | 4 => ((spec.h * spec.w) % 4 === 0 ? 4 : 1);

/**
 * `asArgs`: sizes, views and the parts' sizes as dispatch arguments rather than constants (the
 * training plan uses this: its many elementwise dispatches then share a few kernels, each of
 * which the CPU driver would otherwise compile on the first step).
 */
export function genEwise(spec: EwiseKernelSpec, schedule: ElementwiseSchedule, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS, asArgs = false): GeneratedKernel {
  const plane = spec.h * spec.w;
  const vec = ewiseVec(spec);
  const T = vecType(vec);
  const parts = partInputs(spec.parts, vec, spec.name);
  const slots: Slot[] = [
    { name: 'a_in', type: `array<${T}>`, write: false },
    ...parts.slots.map((s) => ({ name: s.name, type: s.type, write: s.write !== undefined })),
    { name: 'y_out', type: `array<${T}>`, write: true },
  ];
  const scalars = scalarValues({ C: argU(spec.c), PLANE: argU(plane / vec), ...viewArgs(spec.name, 'A', spec.a, vec), ...viewArgs(spec.name, 'OUT', spec.out, vec), ...parts.scalars }, asArgs);
  const values: TemplateValues = { ...scalars.values, ...parts.values, T, RUN: schedule.run };
  const total = runInvocations(spec.name, spec.batch * spec.c, plane / vec, schedule.run);
  const kernel = { template: 'ewise', name: spec.name, total, workgroupSize: schedule.wg, slots, alias, values, flags: { ...parts.flags, ARGS: asArgs }, args: scalars.args };
  return finishPerElement({ ...kernel, parts: spec.parts.map((p) => p.op) }, limits);
}
