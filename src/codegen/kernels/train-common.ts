// Shared by the training kernel generators: buffer views, bindings by buffer id, dispatch grids
// and vector widths.
//
// Buffers are named by plan-level ids; a kernel binds whole buffers and addresses them with
// constant offsets, so two slots that land in the same buffer (a gradient view read and another
// written in one dispatch, e.g. inside a concatenation's gradient) share one binding.

import { instantiate, u } from '../template.js';
import { renderBindings } from './bindings.js';
import { type DispatchLimits, pow2AtLeast, splitTiles } from './common.js';

/** A tensor view: buffer id, element offset of (n=0, c=0), elements per image (NCHW inside). */
export interface BufView {
  buffer: number;
  offset: number;
  batchStride: number;
}

/** A gradient target: a view that is written (=) or accumulated into (+=). */
export interface GradTarget extends BufView {
  accumulate: boolean;
}

export type BindingType = 'read-only-storage' | 'storage' | 'uniform';

export interface TrainBinding {
  binding: number;
  buffer: number;
  type: BindingType;
  /** Bytes; whole buffer when absent. */
  offset?: number;
  size?: number;
}

export interface TrainKernel {
  /** Template name (kernels/<template>.wgsl). */
  template: string;
  wgsl: string;
  entryPoint: string;
  workgroupSize: number;
  bindings: TrainBinding[];
  workgroups: [number, number, number];
}

export interface SlotDef {
  name: string;
  type: string;
  access: 'read' | 'write';
  buffer: number;
}

export const WG = 64;

/**
 * Declares the storage bindings of `slots` through renderBindings (slots on the same buffer share
 * the first one's binding and identifier, read_write if any of them writes), plus an optional
 * uniform binding last, and instantiates the template with the declarations in {{BINDINGS}}.
 */
export function build(
  template: string,
  slots: SlotDef[],
  values: Record<string, string | number>,
  flags: Record<string, boolean>,
  workgroupSize: number,
  workgroups: [number, number, number],
  uniform?: number,
): TrainKernel {
  const owner = new Map<number, SlotDef>();
  const bufferOf = new Map(slots.map((s) => [s.name, s.buffer]));
  for (const s of slots) if (!owner.has(s.buffer)) owner.set(s.buffer, s);
  const r = renderBindings(
    slots.map((s) => ({ name: s.name, type: s.type, write: s.access === 'write', shares: owner.get(s.buffer)!.name })),
    template,
  );
  const bindings: TrainBinding[] = r.bindings.map((b) => ({ binding: b.binding, buffer: owner.get(bufferOf.get(b.slots[0].name)!)!.buffer, type: b.write ? 'storage' : 'read-only-storage' }));
  const vals: Record<string, string | number> = { ...values, BINDINGS: r.decl };
  if (uniform !== undefined) {
    vals.UNIFORM_BINDING = bindings.length;
    bindings.push({ binding: bindings.length, buffer: uniform, type: 'uniform' });
  }
  const wgsl = instantiate(template, vals, flags, undefined, r.names);
  return { template, wgsl, entryPoint: 'main', workgroupSize, bindings, workgroups };
}

export function grid(total: number, wg: number, limits: DispatchLimits, what: string, y = 1): [number, number, number] {
  const { nx, nz } = splitTiles(Math.ceil(total / wg), limits, what);
  return [nx, y, nz];
}

/** Vector width for elementwise work over planes of `plane` elements with these views. */
export function vecFor(plane: number, views: BufView[]): 1 | 4 {
  return plane % 4 === 0 && views.every((v) => v.offset % 4 === 0 && v.batchStride % 4 === 0) ? 4 : 1;
}

export function tUnits(n: number, vec: number, what: string): string {
  if (n % vec !== 0) throw new Error(`${what}: ${n} is not a multiple of ${vec}`);
  return u(n / vec);
}

export interface ChannelChunks {
  chunks: number;
  imagesPerChunk: number;
}

/** Splits the batch so that channels x chunks gives the reductions enough invocations. */
export function channelChunks(c: number, batch: number, target = 256): ChannelChunks {
  let chunks = Math.max(1, Math.min(batch, Math.ceil(target / c)));
  const imagesPerChunk = Math.ceil(batch / chunks);
  chunks = Math.ceil(batch / imagesPerChunk);
  return { chunks, imagesPerChunk };
}

/**
 * The grid and constants of a per-channel reduction over batch chunks (one invocation per channel
 * and chunk): C, PLANE (in `vec` units), N, IPC, NCH, TOTAL, NX and WG.
 */
export function chunkedReduction(
  name: string,
  sh: PlaneShape,
  vec: number,
  cc: ChannelChunks,
  limits: DispatchLimits,
): { wg: number; workgroups: [number, number, number]; values: Record<string, string | number> } {
  const plane = sh.h * sh.w;
  const total = sh.c * cc.chunks;
  const wg = Math.min(WG, Math.max(8, pow2AtLeast(total)));
  const workgroups = grid(total, wg, limits, name);
  const values = { C: u(sh.c), PLANE: u(plane / vec), N: u(sh.batch), IPC: u(cc.imagesPerChunk), NCH: u(cc.chunks), TOTAL: u(total), NX: u(workgroups[0]), WG: wg };
  return { wg, workgroups, values };
}

export interface PlaneShape {
  batch: number;
  c: number;
  h: number;
  w: number;
}

export interface FcGeometry {
  batch: number;
  inFeatures: number;
  outFeatures: number;
}

/**
 * What the two fully connected backward kernels share: the element type for `vec`-wide input
 * features, and the constants IN (in `vec` units), OUT, TOTAL, the output gradient's G_BS and
 * G_OFF, NX, WG and T, with the grid for `total` invocations.
 */
export function fcBackward(
  name: string,
  fc: FcGeometry,
  g: BufView,
  vec: number,
  total: (inT: number) => number,
  limits: DispatchLimits,
): { T: string; workgroups: [number, number, number]; values: Record<string, string | number> } {
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const inT = fc.inFeatures / vec;
  const n = total(inT);
  const workgroups = grid(n, WG, limits, name);
  const values = { IN: u(inT), OUT: u(fc.outFeatures), TOTAL: u(n), G_BS: u(g.batchStride), G_OFF: u(g.offset), NX: u(workgroups[0]), WG, T };
  return { T, workgroups, values };
}

/** The first slots of a per-channel finalize kernel: the partial sums, the parameters and the bn state. */
export function finalizeSlots(bufs: { part: number; params: number; state: number }, state: SlotDef['access']): SlotDef[] {
  return [
    { name: 'part', type: 'array<vec2<f32>>', access: 'read', buffer: bufs.part },
    { name: 'prm', type: 'array<f32>', access: 'read', buffer: bufs.params },
    { name: 'st', type: 'array<f32>', access: state, buffer: bufs.state },
  ];
}

/** A kernel with one invocation per channel (the second phase of a chunked reduction); WG is filled in. */
export function buildPerChannel(template: string, c: number, slots: SlotDef[], values: Record<string, string | number>): TrainKernel {
  const wg = Math.min(WG, Math.max(8, pow2AtLeast(c)));
  return build(template, slots, { ...values, WG: wg }, {}, wg, [Math.ceil(c / wg), 1, 1]);
}
