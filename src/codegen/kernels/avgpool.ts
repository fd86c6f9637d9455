// Global average pooling (kernels/avgpool.wgsl).

import { f, u, type TemplateValues } from '../template.js';
import { DEFAULT_DISPATCH_LIMITS, finishPerElement, type GeneratedKernel, type Slot, type SlotAliases, sumLanes, vecType, type ViewLayout, viewValues, workgroupFor } from './common.js';

export interface AvgPoolKernelSpec {
  name: string;
  batch: number;
  c: number;
  h: number;
  w: number;
  input: ViewLayout;
  output: ViewLayout;
}

export function genAvgPool(spec: AvgPoolKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  const plane = spec.h * spec.w;
  const vec = plane % 4 === 0 ? 4 : 1;
  const total = spec.batch * spec.c;
  const slots: Slot[] = [
    { name: 'x_in', type: `array<${vecType(vec)}>`, write: false },
    { name: 'y_out', type: 'array<f32>', write: true },
  ];
  const values: TemplateValues = {
    C: u(spec.c),
    PLANE: u(plane / vec),
    ...viewValues(spec.name, 'IN', spec.input, vec),
    ...viewValues(spec.name, 'OUT', spec.output),
    T: vecType(vec),
    REDUCE: sumLanes(vec),
    INV_HW: f(1 / plane),
  };
  return finishPerElement({ template: 'avgpool', name: spec.name, total, workgroupSize: workgroupFor(total), slots, alias, values }, limits);
}
