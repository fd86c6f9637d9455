// Fully connected layer (kernels/fc.wgsl).

import type { FcSchedule } from '../schedule/types.js';
import { argU, DEFAULT_DISPATCH_LIMITS, finishPerElement, scalarValues, type GeneratedKernel, type Slot, type SlotAliases, sumLanes, vecType, type ViewLayout, viewArgs } from './common.js';

export interface FcKernelSpec {
  name: string;
  batch: number;
  inFeatures: number;
  outFeatures: number;
  input: ViewLayout;
  output: ViewLayout;
  /** The workgroup (schedule/fc.ts chooses it). */
  schedule: FcSchedule;
  /** Weights stored as f16 (the `shader-f16` feature), read into f32: accumulation stays f32. */
  f16Weights?: boolean;
}

/**
 * `asArgs`: sizes and offsets as dispatch arguments rather than constants (the training plan
 * uses this: a constant feature count lets the CPU driver unroll the dot product, which takes it
 * seconds to compile).
 */
export function genFc(spec: FcKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS, asArgs = false): GeneratedKernel {
  const aligned = spec.inFeatures % 4 === 0 && spec.input.offset % 4 === 0 && spec.input.batchStride % 4 === 0;
  const vec = aligned ? 4 : 1;
  const total = spec.batch * spec.outFeatures;
  const slots: Slot[] = [
    { name: 'x_in', type: `array<${vecType(vec)}>`, write: false },
    { name: 'wgt', type: spec.f16Weights ? `array<${vec === 4 ? 'vec4<f16>' : 'f16'}>` : `array<${vecType(vec)}>`, write: false },
    { name: 'bias', type: 'array<f32>', write: false },
    { name: 'y_out', type: 'array<f32>', write: true },
  ];
  const scalars = scalarValues(
    { IN: argU(spec.inFeatures / vec), OUT: argU(spec.outFeatures), ...viewArgs(spec.name, 'IN', spec.input, vec), ...viewArgs(spec.name, 'OUT', spec.output) },
    asArgs,
  );
  const values = { ...scalars.values, T: vecType(vec), REDUCE: sumLanes(vec) };
  const workgroupSize = spec.schedule.wg;
  return finishPerElement({ template: 'fc', name: spec.name, total, workgroupSize, slots, alias, values, flags: { ARGS: asArgs, F16W: spec.f16Weights === true }, args: scalars.args }, limits);
}
