// Batch-norm batch statistics, first phase: per-chunk partial sums.

import { f, u } from '../template.js';
import { type DispatchLimits, pow2AtLeast, sumLanes } from './common.js';
import { type BufView, build, type ChannelChunks, grid, type PlaneShape, type TrainKernel, tUnits, vecFor, WG } from './train-common.js';

export function genBnStats(name: string, sh: PlaneShape, x: BufView, part: number, cc: ChannelChunks, limits: DispatchLimits): TrainKernel {
  const plane = sh.h * sh.w;
  const vec = vecFor(plane, [x]);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const total = sh.c * cc.chunks;
  const wg = Math.min(WG, Math.max(8, pow2AtLeast(total)));
  const [nx, , nz] = grid(total, wg, limits, name);
  return build(
    'train/bn_stats',
    [
      { name: 'x_in', type: `array<${T}>`, access: 'read', buffer: x.buffer },
      { name: 'part', type: 'array<vec2<f32>>', access: 'write', buffer: part },
    ],
    {
      C: u(sh.c),
      PLANE: u(plane / vec),
      N: u(sh.batch),
      IPC: u(cc.imagesPerChunk),
      NCH: u(cc.chunks),
      TOTAL: u(total),
      X_BS: tUnits(x.batchStride, vec, name),
      X_OFF: tUnits(x.offset, vec, name),
      PLANE_ELEMS: f(plane),
      NX: u(nx),
      WG: wg,
      T,
      REDUCE_ACC: sumLanes(vec, 'acc'),
      REDUCE_Q: sumLanes(vec, 'q'),
    },
    {},
    wg,
    [nx, 1, nz],
  );
}
