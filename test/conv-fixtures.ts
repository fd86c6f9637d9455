// Small convolution graphs for the conv kernels' tests: one conv with the fusions its epilogue
// takes (bias, batch norm, a residual add, a ReLU range), on odd shapes, strides and groups.

import { GraphBuilder } from '../src/ir/builder.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { compilePlan, type ConvSchedule, type Plan, type PlanLimits } from '../src/codegen/index.js';
import { Executor, type GpuContext } from '../src/runtime/index.js';
import { errorVsReference } from './gpu-fixtures.js';

export interface RunOptions {
  batch: number;
  subgroupSize?: number;
  fuse?: boolean;
  convTile?: Partial<ConvSchedule>;
  limits?: Partial<PlanLimits>;
  seed?: number;
  f16Weights?: boolean;
}

/** Compiles `graph` for `ctx` and runs it against the reference: the plan and the largest relative error. */
export async function planVsReference(ctx: GpuContext, graph: LayerGraph, o: RunOptions): Promise<{ plan: Plan; err: number }> {
  const plan = compilePlan(graph, {
    batch: o.batch,
    subgroupSize: o.subgroupSize ?? ctx.subgroupSize,
    fuse: o.fuse,
    schedules: { conv: o.convTile },
    limits: { ...ctx.limits, ...o.limits },
    ...(o.f16Weights ? { f16Weights: true } : {}),
  });
  const err = await errorVsReference(graph, o.batch, o.seed ?? 1, (w) => Executor.create(ctx, plan.program, w));
  return { plan, err };
}

export interface ConvCase {
  name: string;
  c: number;
  h: number;
  w: number;
  co: number;
  k: number;
  s: number;
  p?: number;
  g: number;
  bias?: boolean;
  bn?: boolean;
  /** 'conv': a 1x1 strided conv + bn branch from the input; 'input': the input itself. */
  residual?: 'conv' | 'input';
  relu?: [number, number];
  batch: number;
}

export function convGraph(t: ConvCase): LayerGraph {
  const b = new GraphBuilder();
  const x = b.addInput('input', { c: t.c, h: t.h, w: t.w });
  const conv = b.add({
    op: 'conv', name: 'conv', region: 'S1', input: x, outChannels: t.co, kernel: t.k, stride: t.s,
    pad: t.p ?? Math.floor(t.k / 2), groups: t.g, bias: t.bias ?? false,
  });
  let y = conv;
  if (t.bn) y = b.add({ op: 'bn', name: 'bn', region: 'S1', input: y });
  if (t.residual) {
    let r = x;
    if (t.residual === 'conv') {
      const s = b.shape(y);
      const rc = b.add({ op: 'conv', name: 'res.conv', region: 'S1', input: x, outChannels: s.c, kernel: 1, stride: t.s, pad: 0, groups: 1, bias: false });
      r = b.add({ op: 'bn', name: 'res.bn', region: 'S1', input: rc });
    }
    y = b.add({ op: 'add', name: 'add', region: 'S1', inputs: [y, r] });
  }
  if (t.relu) y = b.add({ op: 'relu', name: 'relu', region: 'S1', input: y, start: t.relu[0], end: t.relu[1] });
  const s = b.shape(y);
  return b.finish(t.name, y, ['S1'], s.c * s.h * s.w);
}

export const convCases: ConvCase[] = [
  { name: '3x3 s1 7x5 3->12 bias bn relu', c: 3, h: 7, w: 5, co: 12, k: 3, s: 1, g: 1, bias: true, bn: true, relu: [0, 12], batch: 2 },
  { name: '3x3 s2 9x7 8->16 groups 2 partial relu', c: 8, h: 9, w: 7, co: 16, k: 3, s: 2, g: 2, bn: true, relu: [3, 11], batch: 3 },
  { name: '1x1 s1 7x5 12->8 groups 4 bias', c: 12, h: 7, w: 5, co: 8, k: 1, s: 1, g: 4, bias: true, batch: 2 },
  { name: '1x1 s2 8x8 6->10 groups 2 partial relu', c: 6, h: 8, w: 8, co: 10, k: 1, s: 2, g: 2, bn: true, relu: [0, 5], batch: 1 },
  { name: '5x5 s1 6x7 4->6 partial relu', c: 4, h: 6, w: 7, co: 6, k: 5, s: 1, g: 1, bn: true, relu: [0, 2], batch: 2 },
  { name: '5x5 s2 11x9 5->8 fused residual conv', c: 5, h: 11, w: 9, co: 8, k: 5, s: 2, g: 1, bn: true, residual: 'conv', relu: [0, 8], batch: 2 },
  { name: '3x3 5x5 16->16 groups 4 identity residual partial relu', c: 16, h: 5, w: 5, co: 16, k: 3, s: 1, g: 4, bn: true, residual: 'input', relu: [4, 12], batch: 2 },
  { name: '3x3 4x4 8->20 channel tail batch 5', c: 8, h: 4, w: 4, co: 20, k: 3, s: 1, g: 1, bn: true, relu: [0, 20], batch: 5 },
  { name: '3x3 unpadded 7x7 4->8', c: 4, h: 7, w: 7, co: 8, k: 3, s: 1, p: 0, g: 1, bias: true, batch: 1 },
  { name: '3x3 s3 unpadded 9x9 3->4', c: 3, h: 9, w: 9, co: 4, k: 3, s: 3, p: 0, g: 1, bn: true, batch: 2 },
  { name: '3x3 16x16 32->64 residual', c: 32, h: 16, w: 16, co: 64, k: 3, s: 1, g: 1, bn: true, residual: 'conv', relu: [0, 64], batch: 2 },
];
