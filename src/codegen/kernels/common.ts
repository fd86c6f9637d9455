// Shared by the inference kernel generators: kernel and binding types, the template finish (through
// the binding renderer), dispatch grids, and the per-element kernel frame (lib/per_element.wgsl).

import { f, instantiate, templateWithParts, u, type TemplateValues } from '../template.js';
import { DeviceLimitError } from '../device-limits.js';
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
  /** The dispatch's arguments, when the kernel reads some scalars from a uniform (KernelArgs). */
  args?: PackedArgs;
}

export interface DispatchLimits {
  maxComputeWorkgroupsPerDimension: number;
  /**
   * What kernels of a fixed workgroup round it up to a multiple of (the gpu profile's: the
   * adapter's largest subgroup size, see schedule/workgroup.ts); absent: 1.
   */
  workgroupMultiple?: number;
}

export const DEFAULT_DISPATCH_LIMITS: DispatchLimits = { maxComputeWorkgroupsPerDimension: 65535 };

/** The dispatch limits of a plan: the device's, and the schedule target's workgroup multiple when it has one. */
export function dispatchLimits(limits: { maxComputeWorkgroupsPerDimension: number }, target: { workgroupMultiple?: number }): DispatchLimits {
  const dl: DispatchLimits = { maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension };
  return target.workgroupMultiple !== undefined && target.workgroupMultiple > 1 ? { ...dl, workgroupMultiple: target.workgroupMultiple } : dl;
}

/** A kernel's fixed workgroup `wg` as `limits` want it: rounded up to their multiple (its extra invocations find no element). */
export const fixedWorkgroup = (wg: number, limits: DispatchLimits) => Math.ceil(wg / (limits.workgroupMultiple ?? 1)) * (limits.workgroupMultiple ?? 1);

/**
 * Slots that view the same buffer must share one binding (see bindings.ts). `alias` maps a slot
 * to the slot whose binding (and WGSL identifier) it uses.
 */
export type SlotAliases = Record<string, string>;

/** One per-dispatch scalar: a u32 or an f32, packed into the uniform as its 32 bits. */
export interface KernelArg {
  type: 'u32' | 'f32';
  value: number;
}

/**
 * Per-dispatch scalars a template reads as `args.NAME` from a small uniform instead of having
 * them baked in as constants: kernels that differ only in these (offsets, strides, channel and
 * batch counts of the small per-channel kernels) are then one pipeline, which the CPU driver
 * compiles once instead of once per layer.
 */
export type KernelArgs = Record<string, KernelArg>;

/** A u32 argument, checked as u() checks a literal. */
export function argU(n: number): KernelArg {
  u(n);
  return { type: 'u32', value: n };
}

/** An f32 argument, rounded to float32 as f() rounds a literal. */
export function argF(x: number): KernelArg {
  f(x);
  return { type: 'f32', value: Math.fround(x) };
}

/** The WGSL literals of arguments, for a kernel that bakes them in instead. */
export function argLiterals(args: KernelArgs): Record<string, string> {
  return Object.fromEntries(Object.entries(args).map(([k, a]) => [k, a.type === 'u32' ? u(a.value) : f(a.value)]));
}

/** A dispatch's arguments: the uniform's binding number and its contents (a 16-byte multiple). */
export interface PackedArgs {
  binding: number;
  words: Uint32Array;
}

/** The WGSL declaration of `args` at `binding` and the uniform's contents. */
export function renderArgs(args: KernelArgs, binding: number): { decl: string; words: Uint32Array } {
  const names = Object.keys(args);
  const words = new Uint32Array(Math.max(4, Math.ceil(names.length / 4) * 4));
  const floats = new Float32Array(words.buffer);
  const fields = names.map((name, i) => {
    const a = args[name];
    if (a.type === 'u32') words[i] = a.value;
    else floats[i] = a.value;
    return `  ${name}: ${a.type},`;
  });
  const decl = `struct Args {\n${fields.join('\n')}\n}\n@group(0) @binding(${binding}) var<uniform> args: Args;`;
  return { decl, words };
}

/** The scalar constants and flags of a template instantiation, `NAME=value ...` (code and tables left out). */
export function specializationOf(values: TemplateValues, flags: Record<string, boolean>): string {
  const scalars = Object.entries(values)
    .filter(([, v]) => typeof v === 'number' || (typeof v === 'string' && /^-?[0-9][0-9.eu]*$/.test(v)))
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
  args?: KernelArgs,
  parts?: readonly string[],
): GeneratedKernel {
  const r = renderBindings(
    slots.map((s) => ({ ...s, shares: alias[s.name] })),
    'codegen',
  );
  const packed = args && renderArgs(args, r.bindings.length);
  const decl = packed ? `${r.decl}\n${packed.decl}` : r.decl;
  const wgsl = instantiate(template, { ...values, BINDINGS: decl }, flags, templateWithParts(template, parts), r.names);
  const bindings: KernelBinding[] = r.bindings.map((b) => ({ binding: b.binding, slots: b.slots.map((s) => s.name), write: b.write }));
  const out: GeneratedKernel = { template, wgsl, entryPoint: 'main', bindings, workgroupSize, workgroups, specialization: specializationOf({ ...values, ...(args ? argLiterals(args) : {}) }, flags) };
  if (packed) out.args = { binding: r.bindings.length, words: packed.words };
  return out;
}

/**
 * The template values of `scalars`: literals baked into the source, or (`asArgs`) references
 * `args.NAME` together with the arguments that carry them, so that one kernel serves every size.
 */
export function scalarValues(scalars: KernelArgs, asArgs: boolean): { values: TemplateValues; args?: KernelArgs } {
  if (!asArgs) return { values: argLiterals(scalars) };
  return { values: Object.fromEntries(Object.keys(scalars).map((k) => [k, `args.${k}`])), args: scalars };
}

/**
 * Splits `tiles` workgroups over x and z so neither exceeds the per-dimension limit. Kernels
 * compute the linear tile as wid.x + wid.z * NX and skip tiles past the end.
 */
export function splitTiles(tiles: number, limits: DispatchLimits, what: string): { nx: number; nz: number } {
  const max = limits.maxComputeWorkgroupsPerDimension;
  const nx = Math.max(1, Math.min(tiles, max));
  const nz = Math.max(1, Math.ceil(tiles / nx));
  if (nz > max) throw new DeviceLimitError(`${what}: ${tiles} workgroups do not fit in a dispatch (${max} x ${max})`, { needed: tiles, limit: max * max });
  return { nx, nz };
}

export const pow2AtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** A power-of-two workgroup size from 8 to 64: no larger than `invocations` needs. */
export const workgroupFor = (invocations: number) => Math.min(64, Math.max(8, pow2AtLeast(invocations)));

/** The WGSL type of elements read `vec` floats at a time (1 or 4). */
export const vecType = (vec: number) => (vec === 4 ? 'vec4<f32>' : 'f32');

/**
 * The template constants `<PREFIX>_BS` and `<PREFIX>_OFF` of a view: batch stride and offset in
 * units of `vec` floats. An absent view (an operand the kernel variant does not read) gives zeros.
 */
export function viewValues(name: string, prefix: string, view: ViewLayout | undefined, vec = 1): Record<string, string> {
  return argLiterals(viewArgs(name, prefix, view, vec));
}

/** The same as arguments (`args.<PREFIX>_BS`, `args.<PREFIX>_OFF`). */
export function viewArgs(name: string, prefix: string, view: ViewLayout | undefined, vec = 1): KernelArgs {
  const units = (n: number) => {
    if (n % vec !== 0) throw new Error(`${name}: view offset or batch stride ${n} not a multiple of ${vec}`);
    return argU(n / vec);
  };
  return { [`${prefix}_BS`]: units(view?.batchStride ?? 0), [`${prefix}_OFF`]: units(view?.offset ?? 0) };
}

/**
 * The flags and value of kernels/lib/enables.wgsl and kernels/lib/subgroup_entry.wgsl: subgroups
 * on when the width `sg` is not 0, f16 weights when `f16`. A kernel generated for width `sg` shares
 * loads within groups of `sg` lanes: lane l loads element l (mod sg) of a batch and
 * subgroupBroadcast reads lanes 0 .. sg-1. It is correct whenever the device's real subgroup size
 * is at least `sg` (and the workgroup has at least `sg` invocations): lanes at or past `sg` of a
 * wider subgroup load a copy of a valid element and are never read.
 */
export function kernelFeatures(sg: number, f16 = false): { values: TemplateValues; flags: Record<string, boolean> } {
  if (sg > 0 && (sg & (sg - 1)) !== 0) throw new Error(`subgroup width ${sg} is not a power of two`);
  return { values: sg > 0 ? { LANE_MASK: u(sg - 1) } : {}, flags: { SUBGROUPS: sg > 0, F16: f16 } };
}

/**
 * The invocations of a per-element kernel over `planes` planes of `units` elements, `run` of them
 * each (the elementwise schedule's run, which must divide a plane so that no run crosses one).
 */
export function runInvocations(name: string, planes: number, units: number, run: number): number {
  if (units % run !== 0) throw new Error(`${name}: a run of ${run} does not divide the plane's ${units} elements`);
  return (planes * units) / run;
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
  /**
   * Arguments (see scalarValues): TOTAL and NX join them, and the template includes
   * lib/per_element_args.wgsl under its flag ARGS.
   */
  args?: KernelArgs;
  /** An elementwise chain's ops, whose parts the template's `//#parts` lines take (template.ts). */
  parts?: readonly string[];
}

/** Fills in what lib/per_element.wgsl needs (TOTAL, NX, WG) and the matching dispatch. */
export function finishPerElement(k: PerElementKernel, limits: DispatchLimits): GeneratedKernel {
  const wg = fixedWorkgroup(k.workgroupSize, limits);
  const { nx, nz } = splitTiles(Math.ceil(k.total / wg), limits, k.name);
  if (k.args) {
    const args = { ...k.args, TOTAL: argU(k.total), NX: argU(nx) };
    return finish(k.template, k.slots, k.alias, { ...k.values, WG: wg }, { ...k.flags, ARGS: true }, wg, [nx, 1, nz], args, k.parts);
  }
  const values = { ...k.values, TOTAL: u(k.total), NX: u(nx), WG: wg };
  return finish(k.template, k.slots, k.alias, values, k.flags ?? {}, wg, [nx, 1, nz], undefined, k.parts);
}

/** A kernel over [batch, K] logits with one invocation per image, writing `out` elements. */
export function genPerImage(template: 'softmax' | 'argmax', name: string, batch: number, k: number, out: string, limits: DispatchLimits): GeneratedKernel {
  const slots: Slot[] = [
    { name: 'x_in', type: 'array<f32>', write: false },
    { name: 'y_out', type: `array<${out}>`, write: true },
  ];
  return finishPerElement({ template, name, total: batch, workgroupSize: workgroupFor(batch), slots, alias: {}, values: { K: u(k) } }, limits);
}
