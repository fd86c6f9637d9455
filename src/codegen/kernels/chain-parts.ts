// What one op of an elementwise chain gives the chain's kernels (kernels/ewise.wgsl forward,
// kernels/train/chain_bwd.wgsl backward): its part, the sections of kernels/chain/<op>.wgsl that
// the templates' `//#parts` lines take, and what those sections read. The ops' folders build their
// parts (codegen/chain-stage.ts); the two generators turn them into slots, arguments, values and
// flags at the kernel's vector width.

import { u, type TemplateValues } from '../template.js';
import { argU, type KernelArgs, viewArgs, type ViewLayout } from './common.js';
import { tUnits } from './train-common.js';

/** Storage a part reads or writes beside the chain's own values. */
export interface PartSlot {
  name: string;
  /** One element: the kernel's vector type T, an f32 (splat over T's lanes), or a vec4<f32>. */
  elem: 'T' | 'f32' | 'vec4';
  /** Written: then `flag` is the flag its lines are under, and `view` the prefix of its view. */
  write?: { flag: string; view: string };
  /** The buffer it binds (the gradient kernel's; the forward kernel's slots are bound by name). */
  buffer?: number;
}

export interface ChainKernelPart {
  /** The op, whose file kernels/chain/<op>.wgsl holds the sections. */
  op: string;
  slots: PartSlot[];
  /** Views the sections index, by prefix (B gives B_BS and B_OFF), in elements: counted in T here. */
  views?: Record<string, ViewLayout>;
  /** Sizes and channel indices the sections read (RELU_START), as constants or arguments. */
  scalars?: Record<string, number>;
  /** Element offsets into a slot (M_OFF), counted in T ('T') or in f32s: always constants. */
  offsets?: Record<string, { elements: number; unit: 'T' | 'f32' }>;
  flags?: Record<string, boolean>;
}

/**
 * `part` as a kernel that only follows the gradient uses it (a batch norm's gradient sum, of what
 * reaches it from the ops after it): without what it writes.
 */
export function withoutWrites(part: ChainKernelPart): ChainKernelPart {
  const writes = part.slots.flatMap((s) => (s.write ? [s.write] : []));
  if (writes.length === 0) return part;
  const dropped = new Set(writes.map((w) => w.view));
  return {
    ...part,
    slots: part.slots.filter((s) => !s.write),
    views: Object.fromEntries(Object.entries(part.views ?? {}).filter(([prefix]) => !dropped.has(prefix))),
    flags: { ...part.flags, ...Object.fromEntries(writes.map((w) => [w.flag, false])) },
  };
}

/** Whether any of `parts` writes (an add's other operand's gradient): then a gradient kernel has work without the chain's input. */
export const partsWrite = (parts: readonly ChainKernelPart[]): boolean => parts.some((p) => p.slots.some((s) => s.write));

/** The views of `parts`, which decide the kernel's vector width with the chain's own. */
export const partViews = (parts: readonly ChainKernelPart[]): ViewLayout[] => parts.flatMap((p) => Object.values(p.views ?? {}));

/** What `parts` give a kernel of vector width `vec` (`what` names the kernel in errors). */
export function partInputs(parts: readonly ChainKernelPart[], vec: 1 | 4, what: string): { slots: (PartSlot & { type: string })[]; scalars: KernelArgs; values: TemplateValues; flags: Record<string, boolean> } {
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const type = { T: `array<${T}>`, f32: 'array<f32>', vec4: 'array<vec4<f32>>' };
  const scalars: KernelArgs = {};
  const values: Record<string, string> = {};
  const flags: Record<string, boolean> = {};
  const put = <V>(into: Record<string, V>, key: string, value: V, op: string) => {
    if (key in into) throw new Error(`${what}: two parts of the chain give ${key} (${op}'s is the second)`);
    into[key] = value;
  };
  for (const p of parts) {
    for (const [prefix, view] of Object.entries(p.views ?? {})) for (const [k, v] of Object.entries(viewArgs(what, prefix, view, vec))) put(scalars, k, v, p.op);
    for (const [k, n] of Object.entries(p.scalars ?? {})) put(scalars, k, argU(n), p.op);
    for (const [k, o] of Object.entries(p.offsets ?? {})) put(values, k, o.unit === 'T' ? tUnits(o.elements, vec, `${what}: ${k}`) : u(o.elements), p.op);
    for (const [k, f] of Object.entries(p.flags ?? {})) put(flags, k, f, p.op);
  }
  const slots = parts.flatMap((p) => p.slots.map((s) => ({ ...s, type: type[s.elem] })));
  return { slots, scalars, values, flags };
}
