// Global average pooling's kernels (kernels/avgpool.wgsl, kernels/train/avgpool_bwd.wgsl): forward
// (inference and training) and the input gradient.

import { f, type TemplateValues, u } from '../../codegen/template.js';
import { DEFAULT_DISPATCH_LIMITS, type DispatchLimits, finishPerElement, fixedWorkgroup, type GeneratedKernel, type Slot, type SlotAliases, vecType, type ViewLayout, viewValues, workgroupFor } from '../../codegen/kernels/common.js';
import { type BufView, build, type GradTarget, grid, type PlaneShape, reads, type TrainKernel, tUnits, vecFor, WG, writes } from '../../codegen/kernels/train-common.js';
import type { StepKernels } from '../../codegen/step-op.js';
import type { AvgPoolNode } from './graph.js';

declare module '../../codegen/step-op.js' {
  interface OwnStepOps {
    avgpool: true;
  }
}

interface AvgPoolKernelSpec {
  name: string;
  batch: number;
  c: number;
  h: number;
  w: number;
  input: ViewLayout;
  output: ViewLayout;
}

function genAvgPool(spec: AvgPoolKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
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
    INV_HW: f(1 / plane),
  };
  return finishPerElement({ template: 'avgpool', name: spec.name, total, workgroupSize: workgroupFor(total), slots, alias, values, flags: { VEC4: vec === 4 } }, limits);
}

function genAvgPoolBwd(name: string, sh: PlaneShape, g: BufView, dx: GradTarget, limits: DispatchLimits): TrainKernel {
  const plane = sh.h * sh.w;
  const vec = vecFor(plane, [dx]);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const total = sh.batch * sh.c * (plane / vec);
  const wg = fixedWorkgroup(WG, limits);
  const [nx, , nz] = grid(total, wg, limits, name);
  return build(
    'train/avgpool_bwd',
    [reads('g_in', g.buffer), writes('dx', dx.buffer, `array<${T}>`)],
    {
      C: u(sh.c),
      PLANE: u(plane / vec),
      TOTAL: u(total),
      G_BS: u(g.batchStride),
      G_OFF: u(g.offset),
      DX_BS: tUnits(dx.batchStride, vec, name),
      DX_OFF: tUnits(dx.offset, vec, name),
      INV_HW: f(1 / plane),
      NX: u(nx),
      WG: wg,
      T,
    },
    { ACC: dx.accumulate },
    wg,
    [nx, 1, nz],
  );
}

export const avgpoolKernels: StepKernels<AvgPoolNode> = {
  inference({ label, batch, inShape: sh, io, alias, dl, buffers, emit }) {
    const gen = genAvgPool({ name: label, batch, c: sh.c, h: sh.h, w: sh.w, ...io }, alias, dl);
    emit(gen, buffers, batch * sh.c * sh.h * sh.w);
  },
  trainForward({ node, b, x, y }) {
    const sh = b.shapeOf(node.input);
    const gen = genAvgPool({ name: node.name, batch: b.batch, c: sh.c, h: sh.h, w: sh.w, input: x, output: y }, {}, b.dl);
    b.emitInference('forward', `${node.name} forward`, gen, { x_in: { buffer: x.buffer }, y_out: { buffer: y.buffer } });
  },
  trainBackward({ node, input, b, grads }) {
    if (!grads.needed[input]) return;
    const g = grads.read(node.id);
    const name = `${node.name} dX`;
    b.emit('backward', name, genAvgPoolBwd(name, b.shapeOf(input), g, grads.target(input), b.dl));
  },
  backwardReadsInput: false,
};
