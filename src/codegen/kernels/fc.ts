// Fully connected layer (kernels/fc.wgsl).

import { u, type TemplateValues } from '../template.js';
import { DEFAULT_DISPATCH_LIMITS, finishPerElement, type GeneratedKernel, type Slot, type SlotAliases, sumLanes, vecType, type ViewLayout, viewValues, workgroupFor } from './common.js';

export interface FcKernelSpec {
  name: string;
  batch: number;
  inFeatures: number;
  outFeatures: number;
  input: ViewLayout;
  output: ViewLayout;
}

export function genFc(spec: FcKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  const aligned = spec.inFeatures % 4 === 0 && spec.input.offset % 4 === 0 && spec.input.batchStride % 4 === 0;
  const vec = aligned ? 4 : 1;
  const total = spec.batch * spec.outFeatures;
  const slots: Slot[] = [
    { name: 'x_in', type: `array<${vecType(vec)}>`, write: false },
    { name: 'wgt', type: `array<${vecType(vec)}>`, write: false },
    { name: 'bias', type: 'array<f32>', write: false },
    { name: 'y_out', type: 'array<f32>', write: true },
  ];
  const values: TemplateValues = {
    IN: u(spec.inFeatures / vec),
    OUT: u(spec.outFeatures),
    ...viewValues(spec.name, 'IN', spec.input, vec),
    ...viewValues(spec.name, 'OUT', spec.output),
    T: vecType(vec),
    REDUCE: sumLanes(vec),
  };
  return finishPerElement({ template: 'fc', name: spec.name, total, workgroupSize: workgroupFor(total), slots, alias, values }, limits);
}
