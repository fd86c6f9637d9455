// Max pooling kernels: the inference forward (kernels/maxpool.wgsl, also the training forward) and
// the training backward (kernels/train/maxpool_bwd.wgsl). Plain per-element kernels: VGG-style
// pooling is a small share of a network's work, so nothing here is tiled.

import { u } from '../template.js';
import { DEFAULT_DISPATCH_LIMITS, type DispatchLimits, finishPerElement, fixedWorkgroup, type GeneratedKernel, type SlotAliases, type ViewLayout, viewValues, workgroupFor } from './common.js';
import { type BufView, build, type GradTarget, grid, type TrainKernel, WG, reads, writes } from './train-common.js';

export interface MaxPoolShape {
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
export function maxPoolShape(batch: number, input: { c: number; h: number; w: number }, pool: { shape: { h: number; w: number }; kernel: number; stride: number; pad: number }): MaxPoolShape {
  return { batch, c: input.c, h: input.h, w: input.w, oh: pool.shape.h, ow: pool.shape.w, kernel: pool.kernel, stride: pool.stride, pad: pool.pad };
}

function shapeValues(s: MaxPoolShape): Record<string, string> {
  return { C: u(s.c), IH: u(s.h), IW: u(s.w), OH: u(s.oh), OW: u(s.ow), K: u(s.kernel), S: u(s.stride), P: u(s.pad) };
}

export function genMaxPool(
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
export function genMaxPoolBwd(name: string, s: MaxPoolShape, x: BufView, g: BufView, dx: GradTarget, limits: DispatchLimits): TrainKernel {
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
