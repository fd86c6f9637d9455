// Where the training plan keeps its parameters: all trainable tensors in one flat buffer (conv
// weights in the forward kernel's packed layout, the rest as in weights.ts), each at a 64-float
// (256-byte) aligned offset so the inference kernels can bind them with a buffer offset; gradients
// and momentum are flat buffers with the same layout, so the optimizer is one dispatch over the
// whole buffer. Running statistics live in a buffer of their own, untouched by the optimizer, and
// every bn has a slot in the bn-state buffer for its batch statistics and scale/shift.

import type { ConvNode } from '../../ir/graph.js';
import { weightSpecs } from '../../weights/weights.js';
import { convPacking } from '../../program/param-layout.js';
import { convWeightPadding, packedConvSize, type ConvTile } from '../conv-layout.js';
import type { Chosen } from '../schedule/scheduler.js';
import { checkBinding } from '../device-limits.js';
import type { TrainBuilder } from './builder.js';
import { ALIGN, alignUp, type ParamEntry, type ParamLayout, type RunningEntry } from './types.js';

export interface ParamStore {
  params: ParamEntry[];
  paramFloats: number;
  paramOf: ReadonlyMap<string, ParamEntry>;
  /** The forward schedule (register tile) of every conv, by name: the packed layout depends on it. */
  tiles: ReadonlyMap<string, Chosen<ConvTile>>;
  /** Buffer ids: parameters, their gradients, momentum. */
  P: number;
  G: number;
  M: number;
}

/** Offsets (floats) of one batch norm's state: in the parameter, bn-state and running buffers. */
export interface BnOffsets {
  gamma: number;
  beta: number;
  /** (mean, inv_std) pairs. */
  stats: number;
  scale: number;
  shift: number;
  runningMean: number;
  runningVar: number;
}

export interface BnStore {
  running: RunningEntry[];
  /** Float offsets of each bn's parameters and state, by node id. */
  bnOff: ReadonlyMap<number, BnOffsets>;
  /** Buffer ids: running statistics, bn state. */
  R: number;
  S: number;
}

function paramEntry(b: TrainBuilder, spec: ReturnType<typeof weightSpecs>[number], conv: ConvNode | undefined, tiles: Map<string, Chosen<ConvTile>>): Pick<ParamEntry, 'layout' | 'length'> {
  let layout: ParamLayout = { kind: 'plain' };
  let length = spec.shape.reduce((x, y) => x * y, 1);
  if (conv && spec.role === 'weight') {
    const ocb = tiles.get(conv.name)!.value.ocb;
    const inC = b.nodes[conv.input].shape.c;
    layout = { kind: 'conv-weight', outC: conv.outChannels, inC, kernel: conv.kernel, groups: conv.groups, ocb };
    length = packedConvSize({ inC, outC: conv.outChannels, groups: conv.groups, kernel: conv.kernel, ocb }) + convWeightPadding(b.subgroupSize);
  } else if (conv && spec.role === 'bias') {
    const ocb = tiles.get(conv.name)!.value.ocb;
    layout = { kind: 'conv-bias', outC: conv.outChannels, groups: conv.groups, ocb };
    length = convPacking(conv.outChannels, conv.groups, ocb).blocks * ocb;
  }
  return { layout, length };
}

/** Lays out every trainable parameter and adds the parameter, gradient and momentum buffers. */
export function layoutParams(b: TrainBuilder, decayOf: (name: string) => boolean): ParamStore {
  const tiles = new Map<string, Chosen<ConvTile>>();
  const convOf = new Map<string, ConvNode>();
  for (const n of b.nodes) {
    if (n.op !== 'conv') continue;
    convOf.set(n.name, n);
    const inS = b.nodes[n.input].shape;
    const shape = { batch: b.batch, inC: inS.c, inH: inS.h, inW: inS.w, outC: n.outChannels, outH: n.shape.h, outW: n.shape.w, kernel: n.kernel, stride: n.stride, pad: n.pad, groups: n.groups };
    tiles.set(n.name, b.scheduler.conv(n.name, shape));
  }
  const params: ParamEntry[] = [];
  let cursor = 0;
  for (const spec of weightSpecs(b.graph)) {
    if (!spec.trainable) continue;
    const { layout, length } = paramEntry(b, spec, convOf.get(spec.node), tiles);
    // SNL masks have their own penalty (L1, in the mask gradient) and no weight decay.
    params.push({ name: spec.name, shape: [...spec.shape], offset: cursor, length, layout, decay: spec.role !== 'mask' && decayOf(spec.name) });
    cursor = alignUp(cursor + length);
  }
  const paramFloats = Math.max(ALIGN, cursor);
  checkBinding(`${b.graph.name}: its parameters`, paramFloats * 4, b.limits);
  const P = b.addBuffer('params', 'params', paramFloats * 4);
  const G = b.addBuffer('param-grads', 'grads', paramFloats * 4);
  const M = b.addBuffer('momentum', 'momentum', paramFloats * 4);
  return { params, paramFloats, paramOf: new Map(params.map((p) => [p.name, p])), tiles, P, G, M };
}

/** Running statistics and per-bn state, and their buffers. */
export function layoutBatchNorm(b: TrainBuilder, store: ParamStore): BnStore {
  const running: RunningEntry[] = [];
  const bnOff = new Map<number, BnOffsets>();
  let rCursor = 0;
  let sCursor = 0;
  for (const n of b.nodes) {
    if (n.op !== 'bn') continue;
    const c = n.shape.c;
    running.push({ bn: n.name, c, mean: rCursor, variance: rCursor + c });
    const stats = sCursor;
    const scale = alignUp(stats + 2 * c);
    const shift = alignUp(scale + c);
    sCursor = alignUp(shift + c);
    const gamma = store.paramOf.get(`${n.name}.gamma`)!.offset;
    const beta = store.paramOf.get(`${n.name}.beta`)!.offset;
    bnOff.set(n.id, { gamma, beta, stats, scale, shift, runningMean: rCursor, runningVar: rCursor + c });
    rCursor += 2 * c;
  }
  const R = b.addBuffer('running-stats', 'running', rCursor * 4);
  const S = b.addBuffer('bn-state', 'bnstate', sCursor * 4);
  return { running, bnOff, R, S };
}

/** The parameter's byte range in the parameter buffer. */
export function paramRange(store: ParamStore, name: string): { buffer: number; offset: number; size: number } {
  const p = store.paramOf.get(name);
  if (!p) throw new Error(`compileTrainPlan: no parameter ${name} (internal error)`);
  return { buffer: store.P, offset: p.offset * 4, size: p.length * 4 };
}
