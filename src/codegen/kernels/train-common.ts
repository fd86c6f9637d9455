// Shared by the training kernel generators: buffer views, bindings by buffer id, dispatch grids
// and vector widths.
//
// Buffers are named by plan-level ids; a kernel binds whole buffers and addresses them with
// constant offsets, so two slots that land in the same buffer (a gradient view read and another
// written in one dispatch, e.g. inside a concatenation's gradient) share one binding.

import { instantiate, templateWithParts, type TemplateValues, u } from '../template.js';
import type { ReductionSplit } from '../schedule/reduction.js';
import { renderBindings } from './bindings.js';
import { argU, type DispatchLimits, type KernelArg, type KernelArgs, type PackedArgs, renderArgs, splitTiles } from './common.js';

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

import type { BindingType } from '../../program/types.js';

export type { BindingType };

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
  /** The dispatch's arguments (see KernelArgs). */
  args?: PackedArgs;
}

export interface SlotDef {
  name: string;
  type: string;
  access: 'read' | 'write';
  buffer: number;
}

/** A slot the kernel reads, on `buffer` (a plain f32 array unless `type` says otherwise). */
export const reads = (name: string, buffer: number, type = 'array<f32>'): SlotDef => ({ name, type, access: 'read', buffer });

/** A slot the kernel writes, on `buffer` (a plain f32 array unless `type` says otherwise). */
export const writes = (name: string, buffer: number, type = 'array<f32>'): SlotDef => ({ name, type, access: 'write', buffer });

export const WG = 64;

/**
 * Declares the storage bindings of `slots` through renderBindings (slots on the same buffer share
 * the first one's binding and identifier, read_write if any of them writes), plus an optional
 * uniform binding last, and instantiates the template with the declarations in {{BINDINGS}}.
 */
export function build(
  template: string,
  slots: SlotDef[],
  values: TemplateValues,
  flags: Record<string, boolean>,
  workgroupSize: number,
  workgroups: [number, number, number],
  uniform?: number,
  args?: KernelArgs,
  parts?: readonly string[],
): TrainKernel {
  const owner = new Map<number, SlotDef>();
  const bufferOf = new Map(slots.map((s) => [s.name, s.buffer]));
  for (const s of slots) if (!owner.has(s.buffer)) owner.set(s.buffer, s);
  const r = renderBindings(
    slots.map((s) => ({ name: s.name, type: s.type, write: s.access === 'write', shares: owner.get(s.buffer)!.name })),
    template,
  );
  const bindings: TrainBinding[] = r.bindings.map((b) => ({ binding: b.binding, buffer: owner.get(bufferOf.get(b.slots[0].name)!)!.buffer, type: b.write ? 'storage' : 'read-only-storage' }));
  const vals: TemplateValues = { ...values, BINDINGS: r.decl };
  if (uniform !== undefined) {
    vals.UNIFORM_BINDING = bindings.length;
    bindings.push({ binding: bindings.length, buffer: uniform, type: 'uniform' });
  }
  let packed: TrainKernel['args'];
  if (args !== undefined) {
    const a = renderArgs(args, bindings.length);
    vals.BINDINGS = `${r.decl}\n${a.decl}`;
    packed = { binding: bindings.length, words: a.words };
  }
  const wgsl = instantiate(template, vals, flags, templateWithParts(template, parts), r.names);
  return { template, wgsl, entryPoint: 'main', workgroupSize, bindings, workgroups, ...(packed ? { args: packed } : {}) };
}

export function grid(total: number, wg: number, limits: DispatchLimits, what: string, y = 1): [number, number, number] {
  const { nx, nz } = splitTiles(Math.ceil(total / wg), limits, what);
  return [nx, y, nz];
}

/** Vector width for elementwise work over planes of `plane` elements with these views. */
export function vecFor(plane: number, views: Pick<BufView, 'offset' | 'batchStride'>[]): 1 | 4 {
  return plane % 4 === 0 && views.every((v) => v.offset % 4 === 0 && v.batchStride % 4 === 0) ? 4 : 1;
}

export function tUnits(n: number, vec: number, what: string): string {
  return u(unitsOf(n, vec, what));
}

/** The same as a kernel argument. */
export function argUnits(n: number, vec: number, what: string): KernelArg {
  return argU(unitsOf(n, vec, what));
}

function unitsOf(n: number, vec: number, what: string): number {
  if (n % vec !== 0) throw new Error(`${what}: ${n} is not a multiple of ${vec}`);
  return n / vec;
}

/**
 * The grid, flags and arguments of a per-channel reduction over chunks (one invocation per channel
 * and chunk): C, PLANE (in `vec` units), N, IPC, NCH, TOTAL and NX, and with planes cut (flag
 * SPLIT) PCH plane chunks of PPC (`vec` units) each. The workgroup is the schedule's, the same for
 * every layer, so that nothing of the layer's shape shows in the kernel's source.
 */
export function chunkedReduction(
  name: string,
  sh: PlaneShape,
  vec: number,
  split: ReductionSplit,
  wg: number,
  limits: DispatchLimits,
): { wg: number; workgroups: [number, number, number]; flags: { SPLIT: boolean }; args: KernelArgs } {
  const plane = sh.h * sh.w;
  const total = sh.c * split.chunks;
  const workgroups = grid(total, wg, limits, name);
  const args: KernelArgs = { C: argU(sh.c), PLANE: argU(plane / vec), N: argU(sh.batch), IPC: argU(split.imagesPerChunk), NCH: argU(split.chunks), TOTAL: argU(total), NX: argU(workgroups[0]) };
  const cut = split.planeChunks > 1;
  if (cut) Object.assign(args, { PCH: argU(split.planeChunks), PPC: argUnits(split.planePerChunk, vec, name) });
  return { wg, workgroups, flags: { SPLIT: cut }, args };
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
 * G_OFF, NX, WG (`wg`, the fc schedule's) and T, with the grid for `total` invocations.
 */
export function fcBackward(
  name: string,
  fc: FcGeometry,
  g: BufView,
  vec: number,
  total: (inT: number) => number,
  wg: number,
  limits: DispatchLimits,
): { T: string; workgroups: [number, number, number]; values: Record<string, string | number> } {
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const inT = fc.inFeatures / vec;
  const n = total(inT);
  const workgroups = grid(n, wg, limits, name);
  const values = { IN: u(inT), OUT: u(fc.outFeatures), TOTAL: u(n), G_BS: u(g.batchStride), G_OFF: u(g.offset), NX: u(workgroups[0]), WG: wg, T };
  return { T, workgroups, values };
}

/** The first slots of a per-channel finalize kernel: the partial sums, the parameters and the bn state. */
export function finalizeSlots(bufs: { part: number; params: number; state: number }, state: SlotDef['access']): SlotDef[] {
  return [
    reads('part', bufs.part, 'array<vec2<f32>>'),
    reads('prm', bufs.params),
    { name: 'st', type: 'array<f32>', access: state, buffer: bufs.state },
  ];
}

/**
 * A kernel with one invocation per channel (the second phase of a chunked reduction), every
 * scalar an argument (`args.C` channels): one pipeline serves all layers. The workgroup is the
 * reduction schedule's `wg`, so that the channel count does not show in the source either.
 */
export function buildPerChannel(template: string, c: number, slots: SlotDef[], args: KernelArgs, wg: number, flags: Record<string, boolean> = {}): TrainKernel {
  return build(template, slots, { WG: wg }, flags, wg, [Math.ceil(c / wg), 1, 1], undefined, { C: argU(c), ...args });
}
