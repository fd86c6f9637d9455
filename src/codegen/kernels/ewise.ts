// Elementwise kernel (kernels/ewise.wgsl): batch-norm scale/shift, add, ReLU range, copy.

import { u, type TemplateValues } from '../template.js';
import { DEFAULT_DISPATCH_LIMITS, finishPerElement, type GeneratedKernel, scalarValues, type Slot, type SlotAliases, vecType, type ViewLayout, viewValues } from './common.js';

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
  relu?: { start: number; end: number };
}

const ELEMENTWISE_WG = 64;

/**
 * `asArgs`: sizes, views and the ReLU range as dispatch arguments rather than constants (the
 * training plan uses this: its many elementwise dispatches then share a few kernels, each of
 * which the CPU driver would otherwise compile on the first step).
 */
export function genEwise(spec: EwiseKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS, asArgs = false): GeneratedKernel {
  const plane = spec.h * spec.w;
  const vec = plane % 4 === 0 ? 4 : 1;
  const T = vecType(vec);
  const relu = spec.relu && spec.relu.end > spec.relu.start ? spec.relu : undefined;
  const slots: Slot[] = [{ name: 'a_in', type: `array<${T}>`, write: false }];
  if (spec.b) slots.push({ name: 'b_in', type: `array<${T}>`, write: false });
  if (spec.bn) {
    slots.push({ name: 'scale', type: 'array<f32>', write: false });
    slots.push({ name: 'shift', type: 'array<f32>', write: false });
  }
  slots.push({ name: 'y_out', type: `array<${T}>`, write: true });
  const scalars = scalarValues(
    {
      C: u(spec.c),
      PLANE: u(plane / vec),
      ...viewValues(spec.name, 'A', spec.a, vec),
      ...viewValues(spec.name, 'OUT', spec.out, vec),
      ...viewValues(spec.name, 'B', spec.b, vec),
      RELU_START: u(relu?.start ?? 0),
      RELU_END: u(relu?.end ?? 0),
    },
    asArgs,
  );
  const values: TemplateValues = { ...scalars.values, T };
  const flags = { BN: !!spec.bn, ADD: !!spec.b, RELU: !!relu, ARGS: asArgs };
  const total = spec.batch * spec.c * (plane / vec);
  return finishPerElement({ template: 'ewise', name: spec.name, total, workgroupSize: ELEMENTWISE_WG, slots, alias, values, flags, args: scalars.args }, limits);
}
