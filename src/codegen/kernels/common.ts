// Shared by the inference kernel generators: kernel and binding types, the template finish (through
// the binding renderer), dispatch grids, and the per-element kernel frame (lib/per_element.wgsl).

import { instantiate, u, type TemplateValues } from '../template.js';
import { renderBindings } from './bindings.js';

/** Where a tensor lives in its buffer: element offset of (n=0, c=0) and elements per image. */
export interface ViewLayout {
  batchStride: number;
  offset: number;
}

/** A storage binding a kernel declares. `name` is its slot placeholder in the template (`{{name}}`). */
export interface Slot {
  name: string;
  type: string;
  write: boolean;
}

export interface KernelBinding {
  binding: number;
  /** The template slots that share this binding (several when they view the same buffer). */
  slots: string[];
  write: boolean;
}

export interface GeneratedKernel {
  /** Template name (kernels/<template>.wgsl). */
  template: string;
  wgsl: string;
  entryPoint: string;
  bindings: KernelBinding[];
  workgroupSize: number;
  workgroups: [number, number, number];
  /** The constants the kernel was specialized for (`NAME=value ...`), for its file header. */
  specialization: string;
}

export interface DispatchLimits {
  maxComputeWorkgroupsPerDimension: number;
}

export const DEFAULT_DISPATCH_LIMITS: DispatchLimits = { maxComputeWorkgroupsPerDimension: 65535 };

/**
 * Slots that view the same buffer must share one binding (see bindings.ts). `alias` maps a slot
 * to the slot whose binding (and WGSL identifier) it uses.
 */
export type SlotAliases = Record<string, string>;

/** The scalar constants and flags of a template instantiation, `NAME=value ...` (code blocks left out). */
export function specializationOf(values: TemplateValues, flags: Record<string, boolean>): string {
  const scalars = Object.entries(values)
    .filter(([, v]) => typeof v === 'number' || /^-?[0-9][0-9.eu]*$/.test(v))
    .map(([k, v]) => `${k}=${String(v).replace(/u$/, '')}`);
  const on = Object.entries(flags).filter(([, v]) => v).map(([k]) => k);
  return [...scalars, ...on].join(' ');
}

export function finish(
  template: string,
  slots: Slot[],
  alias: SlotAliases,
  values: TemplateValues,
  flags: Record<string, boolean>,
  workgroupSize: number,
  workgroups: [number, number, number],
): GeneratedKernel {
  const r = renderBindings(
    slots.map((s) => ({ ...s, shares: alias[s.name] })),
    'codegen',
  );
  const wgsl = instantiate(template, { ...values, BINDINGS: r.decl }, flags, undefined, r.names);
  const bindings: KernelBinding[] = r.bindings.map((b) => ({ binding: b.binding, slots: b.slots.map((s) => s.name), write: b.write }));
  return { template, wgsl, entryPoint: 'main', bindings, workgroupSize, workgroups, specialization: specializationOf(values, flags) };
}

/**
 * Splits `tiles` workgroups over x and z so neither exceeds the per-dimension limit. Kernels
 * compute the linear tile as wid.x + wid.z * NX and skip tiles past the end.
 */
export function splitTiles(tiles: number, limits: DispatchLimits, what: string): { nx: number; nz: number } {
  const max = limits.maxComputeWorkgroupsPerDimension;
  const nx = Math.max(1, Math.min(tiles, max));
  const nz = Math.max(1, Math.ceil(tiles / nx));
  if (nz > max) throw new Error(`${what}: ${tiles} workgroups do not fit in a dispatch (${max} x ${max}); use a smaller batch`);
  return { nx, nz };
}

export const pow2AtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** A power-of-two workgroup size from 8 to 64: no larger than `invocations` needs. */
export const workgroupFor = (invocations: number) => Math.min(64, Math.max(8, pow2AtLeast(invocations)));

/** The WGSL type of elements read `vec` floats at a time (1 or 4). */
export const vecType = (vec: number) => (vec === 4 ? 'vec4<f32>' : 'f32');

/** Sums the lanes of a `vecType(vec)` accumulator `acc` to one f32. */
/** WGSL summing the lanes of `v` when it is a vec4 (the value itself when scalar). */
export const sumLanes = (vec: number, v = 'acc') => (vec === 4 ? `(${v}.x + ${v}.y + ${v}.z + ${v}.w)` : v);

/**
 * The template constants `<PREFIX>_BS` and `<PREFIX>_OFF` of a view: batch stride and offset in
 * units of `vec` floats. An absent view (an operand the kernel variant does not read) gives zeros.
 */
export function viewValues(name: string, prefix: string, view: ViewLayout | undefined, vec = 1): TemplateValues {
  const units = (n: number) => {
    if (n % vec !== 0) throw new Error(`${name}: view offset or batch stride ${n} not a multiple of ${vec}`);
    return u(n / vec);
  };
  return { [`${prefix}_BS`]: units(view?.batchStride ?? 0), [`${prefix}_OFF`]: units(view?.offset ?? 0) };
}

/**
 * ENABLE, LANE and LANE_DECL of a template that may use subgroups: on when the width `sg` is not 0.
 * A kernel generated for width `sg` shares loads within groups of `sg` lanes: lane l loads element
 * l (mod sg) of a batch and subgroupBroadcast reads lanes 0 .. sg-1. It is correct whenever the
 * device's real subgroup size is at least `sg` (and the workgroup has at least `sg` invocations):
 * lanes at or past `sg` of a wider subgroup load a copy of a valid element and are never read.
 */
export function subgroupValues(sg: number): TemplateValues {
  if (sg <= 0) return { ENABLE: '', LANE: '', LANE_DECL: '' };
  if ((sg & (sg - 1)) !== 0) throw new Error(`subgroup width ${sg} is not a power of two`);
  return {
    ENABLE: 'enable subgroups;',
    LANE: ', @builtin(subgroup_invocation_id) sg_id: u32',
    LANE_DECL: `  let lane = sg_id & ${u(sg - 1)};`,
  };
}

/** A kernel whose template includes lib/per_element.wgsl: one invocation per element. */
interface PerElementKernel {
  template: string;
  /** The step's name, for errors. */
  name: string;
  /** Elements (invocations). */
  total: number;
  workgroupSize: number;
  slots: Slot[];
  alias: SlotAliases;
  values: TemplateValues;
  flags?: Record<string, boolean>;
}

/** Fills in what lib/per_element.wgsl needs (TOTAL, NX, WG) and the matching dispatch. */
export function finishPerElement(k: PerElementKernel, limits: DispatchLimits): GeneratedKernel {
  const wg = k.workgroupSize;
  const { nx, nz } = splitTiles(Math.ceil(k.total / wg), limits, k.name);
  const values = { ...k.values, TOTAL: u(k.total), NX: u(nx), WG: wg };
  return finish(k.template, k.slots, k.alias, values, k.flags ?? {}, wg, [nx, 1, nz]);
}

/** A kernel over [batch, K] logits with one invocation per image, writing `out` elements. */
export function genPerImage(template: 'softmax' | 'argmax', name: string, batch: number, k: number, out: string, limits: DispatchLimits): GeneratedKernel {
  const slots: Slot[] = [
    { name: 'x_in', type: 'array<f32>', write: false },
    { name: 'y_out', type: `array<${out}>`, write: true },
  ];
  return finishPerElement({ template, name, total: batch, workgroupSize: workgroupFor(batch), slots, alias: {}, values: { K: u(k) } }, limits);
}
