// Max pooling's kernels (kernels/maxpool.wgsl, kernels/train/maxpool_bwd.wgsl): forward (inference
// and training) and the input gradient, which routes each window's gradient to its maximum in the
// saved input. Plain per-element kernels: VGG-style pooling is a small share of a network's work,
// so nothing here is tiled.

import { u } from '../../codegen/template.js';
import { DEFAULT_DISPATCH_LIMITS, type DispatchLimits, finishPerElement, fixedWorkgroup, type GeneratedKernel, type SlotAliases, type ViewLayout, viewValues, workgroupFor } from '../../codegen/kernels/common.js';
import { type BufView, build, type GradTarget, grid, reads, type TrainKernel, WG, writes } from '../../codegen/kernels/train-common.js';
import type { StepKernels } from '../../codegen/step-op.js';
import type { MaxPoolNode } from './graph.js';

declare module '../../codegen/step-op.js' {
  interface OwnStepOps {
    maxpool: true;
  }
}

interface MaxPoolShape {
  batch: number;
  c: number;
  /** Input plane. */
  h: number;
  w: number;
  /** Output plane. */
  oh: number;
  ow: number;
  kernel: number;
  stride: number;
  pad: number;
}

/** The kernel shape of a pooling node (anything with its output plane, kernel and stride) over its input. */
function maxPoolShape(batch: number, input: { c: number; h: number; w: number }, pool: { shape: { h: number; w: number }; kernel: number; stride: number; pad: number }): MaxPoolShape {
  return { batch, c: input.c, h: input.h, w: input.w, oh: pool.shape.h, ow: pool.shape.w, kernel: pool.kernel, stride: pool.stride, pad: pool.pad };
}

function shapeValues(s: MaxPoolShape): Record<string, string> {
  return { C: u(s.c), IH: u(s.h), IW: u(s.w), OH: u(s.oh), OW: u(s.ow), K: u(s.kernel), S: u(s.stride), P: u(s.pad) };
}

function genMaxPool(
  name: string,
  s: MaxPoolShape,
  views: { input: ViewLayout; output: ViewLayout },
  alias: SlotAliases = {},
  limits: DispatchLimits = DEFAULT_DISPATCH_LIMITS,
): GeneratedKernel {
  const total = s.batch * s.c * s.oh * s.ow;
  return finishPerElement(
    {
      template: 'maxpool',
      name,
      total,
      workgroupSize: workgroupFor(total),
      slots: [
        { name: 'x_in', type: 'array<f32>', write: false },
        { name: 'y_out', type: 'array<f32>', write: true },
      ],
      alias,
      values: { ...shapeValues(s), ...viewValues(name, 'IN', views.input), ...viewValues(name, 'OUT', views.output) },
    },
    limits,
  );
}

/** dX of max pooling: x is the forward input, g the output's gradient, dx the input's gradient. */
function genMaxPoolBwd(name: string, s: MaxPoolShape, x: BufView, g: BufView, dx: GradTarget, limits: DispatchLimits): TrainKernel {
  const total = s.batch * s.c * s.h * s.w;
  const wg = fixedWorkgroup(WG, limits);
  const [nx, , nz] = grid(total, wg, limits, name);
  return build(
    'train/maxpool_bwd',
    [reads('x_in', x.buffer), reads('g_in', g.buffer), writes('dx', dx.buffer)],
    {
      ...shapeValues(s),
      TOTAL: u(total),
      X_BS: u(x.batchStride),
      X_OFF: u(x.offset),
      G_BS: u(g.batchStride),
      G_OFF: u(g.offset),
      DX_BS: u(dx.batchStride),
      DX_OFF: u(dx.offset),
      NX: u(nx),
      WG: wg,
    },
    { ACC: dx.accumulate },
    wg,
    [nx, 1, nz],
  );
}

export const maxpoolKernels: StepKernels<MaxPoolNode> = {
  inference({ node, label, batch, inShape: sh, io, alias, dl, buffers, emit }) {
    const gen = genMaxPool(label, maxPoolShape(batch, sh, node), io, alias, dl);
    emit(gen, buffers, batch * sh.c * node.shape.h * node.shape.w * node.kernel * node.kernel);
  },
  trainForward({ node, b, x, y }) {
    const gen = genMaxPool(node.name, maxPoolShape(b.batch, b.shapeOf(node.input), node), { input: x, output: y }, {}, b.dl);
    b.emitInference('forward', `${node.name} forward`, gen, { x_in: { buffer: x.buffer }, y_out: { buffer: y.buffer } });
  },
  trainBackward({ node, input, b, saved, grads }) {
    if (!grads.needed[input]) return;
    const g = grads.read(node.id);
    const name = `${node.name} dX`;
    b.emit('backward', name, genMaxPoolBwd(name, maxPoolShape(b.batch, b.shapeOf(input), node), saved.view(input), g, grads.target(input), b.dl));
  },
  backwardReadsInput: true,
};
