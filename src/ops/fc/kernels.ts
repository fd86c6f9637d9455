// The fully connected layer's kernels (kernels/fc.wgsl; kernels/train/fc_dw.wgsl and fc_dx.wgsl):
// forward (inference, optionally on f16 weights, and training) and the weight and input
// gradients, each shaped by the `fc` schedule family.

import type { FcSchedule } from '../../codegen/schedule/types.js';
import { argU, DEFAULT_DISPATCH_LIMITS, type DispatchLimits, finishPerElement, type GeneratedKernel, scalarValues, type Slot, type SlotAliases, vecType, viewArgs, type ViewLayout } from '../../codegen/kernels/common.js';
import { u } from '../../codegen/template.js';
import { type BufView, build, fcBackward, type FcGeometry, type GradTarget, reads, type TrainKernel, writes } from '../../codegen/kernels/train-common.js';
import type { StepKernels } from '../../codegen/step-op.js';
import { paramRange } from '../../codegen/train/params.js';
import type { FcNode } from './graph.js';

declare module '../../codegen/step-op.js' {
  interface OwnStepOps {
    fc: true;
  }
}

interface FcKernelSpec {
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
function genFc(spec: FcKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS, asArgs = false): GeneratedKernel {
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
  const values = { ...scalars.values, T: vecType(vec) };
  const workgroupSize = spec.schedule.wg;
  return finishPerElement({ template: 'fc', name: spec.name, total, workgroupSize, slots, alias, values, flags: { ARGS: asArgs, F16W: spec.f16Weights === true, VEC4: vec === 4 }, args: scalars.args }, limits);
}

function genFcDw(
  name: string,
  fc: FcGeometry,
  g: BufView,
  x: BufView,
  grad: { buffer: number; weight: number; bias: number },
  schedule: FcSchedule,
  limits: DispatchLimits,
): TrainKernel {
  const vec = fc.inFeatures % 4 === 0 && x.offset % 4 === 0 && x.batchStride % 4 === 0 ? 4 : 1;
  const k = fcBackward(name, fc, g, vec, (inT) => fc.outFeatures * inT + fc.outFeatures, schedule.wg, limits);
  return build(
    'train/fc_dw',
    [reads('g_in', g.buffer), reads('x_in', x.buffer, `array<${k.T}>`), writes('grad', grad.buffer)],
    {
      ...k.values,
      N: u(fc.batch),
      X_BS: u(x.batchStride / vec),
      X_OFF: u(x.offset / vec),
      GW_OFF: u(grad.weight),
      GB_OFF: u(grad.bias),
      VEC: vec,
    },
    { VEC4: vec === 4 },
    schedule.wg,
    k.workgroups,
  );
}

export function genFcDx(
  name: string,
  fc: FcGeometry,
  g: BufView,
  dx: GradTarget,
  weight: { buffer: number; offset: number },
  schedule: FcSchedule,
  limits: DispatchLimits,
): TrainKernel {
  const vec = fc.inFeatures % 4 === 0 && weight.offset % 4 === 0 && dx.offset % 4 === 0 && dx.batchStride % 4 === 0 ? 4 : 1;
  const k = fcBackward(name, fc, g, vec, (inT) => fc.batch * inT, schedule.wg, limits);
  return build(
    'train/fc_dx',
    [reads('g_in', g.buffer), reads('prm', weight.buffer, `array<${k.T}>`), writes('dx', dx.buffer, `array<${k.T}>`)],
    {
      ...k.values,
      W_OFF: u(weight.offset / vec),
      DX_BS: u(dx.batchStride / vec),
      DX_OFF: u(dx.offset / vec),
    },
    { ACC: dx.accumulate },
    schedule.wg,
    k.workgroups,
  );
}

export const fcKernels: StepKernels<FcNode> = {
  inference({ node, label, batch, inShape: sh, io, alias, dl, buffers, scheduler, f16Weights: f16, paramBuffer, emit }) {
    const inF = sh.c * sh.h * sh.w;
    const out = node.outFeatures;
    // f16 weights: padded to a whole number of 4-byte words.
    const wBytes = f16 ? Math.ceil((inF * out) / 2) * 4 : inF * out * 4;
    const wBuf = paramBuffer(`${node.name}.weight`, wBytes, { kind: 'fc-weight', fc: node.name, outFeatures: out, inFeatures: inF, ...(f16 ? { f16: true as const } : {}) });
    const bBuf = paramBuffer(`${node.name}.bias`, out * 4, { kind: 'fc-bias', fc: node.name, outFeatures: out });
    const schedule = scheduler.fc(label, 'fc', { batch, inFeatures: inF, outFeatures: out });
    const gen = genFc({ name: label, batch, inFeatures: inF, outFeatures: out, ...io, schedule: schedule.value, ...(f16 ? { f16Weights: true } : {}) }, alias, dl);
    emit(gen, { x_in: buffers.x_in, wgt: wBuf, bias: bBuf, y_out: buffers.y_out }, 2 * batch * inF * out, schedule.record);
  },
  trainForward({ node, b, store, x, y }) {
    const inF = b.perImage(node.input);
    const schedule = b.scheduler.fc(node.name, 'fc_train', { batch: b.batch, inFeatures: inF, outFeatures: node.outFeatures });
    const gen = genFc({ name: node.name, batch: b.batch, inFeatures: inF, outFeatures: node.outFeatures, input: x, output: y, schedule: schedule.value }, {}, b.dl, true);
    const slots = { x_in: { buffer: x.buffer }, wgt: paramRange(store, `${node.name}.weight`), bias: paramRange(store, `${node.name}.bias`), y_out: { buffer: y.buffer } };
    b.emitInference('forward', `${node.name} forward`, gen, slots, 2 * b.batch * inF * node.outFeatures, schedule.record);
  },
  trainBackward({ node, input, b, saved, grads, store }) {
    const g = grads.read(node.id);
    const xin = saved.view(input);
    const geo = { batch: b.batch, inFeatures: b.perImage(input), outFeatures: node.outFeatures };
    const wp = store.paramOf.get(`${node.name}.weight`)!;
    const bp = store.paramOf.get(`${node.name}.bias`)!;
    const flops = 2 * b.batch * geo.inFeatures * geo.outFeatures;
    const dw = b.scheduler.fc(`${node.name} dW`, 'fc_dw', geo);
    b.emit('backward', `${node.name} dW`, genFcDw(`${node.name} dW`, geo, g, xin, { buffer: store.G, weight: wp.offset, bias: bp.offset }, dw.value, b.dl), flops, dw.record);
    if (grads.needed[input]) {
      const dx = b.scheduler.fc(`${node.name} dX`, 'fc_dx', geo);
      b.emit('backward', `${node.name} dX`, genFcDx(`${node.name} dX`, geo, g, grads.target(input), { buffer: store.P, offset: wp.offset }, dx.value, b.dl), flops, dx.record);
    }
  },
  backwardReadsInput: true,
};
