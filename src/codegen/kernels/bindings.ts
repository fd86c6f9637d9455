// The one binding renderer of every kernel generator. Slots that view the same buffer share one
// binding (WebGPU forbids binding a buffer twice when one binding is writable), so a slot's WGSL
// identifier is that of the binding it lands in. Templates and generated code name slots by
// placeholder (`{{x_in}}`), and the renderer gives each placeholder its final identifier: nothing
// is renamed after the fact.

/** A storage binding a template declares; `shares` names the slot whose binding it uses. */
export interface BindingSlot {
  name: string;
  type: string;
  write: boolean;
  shares?: string;
}

/** One rendered binding: the slots it serves (the first gives its identifier and type). */
export interface RenderedBinding {
  binding: number;
  slots: BindingSlot[];
  write: boolean;
}

export interface RenderedBindings {
  bindings: RenderedBinding[];
  /** WGSL declarations, one line per binding, in binding order. */
  decl: string;
  /** Each slot's WGSL identifier. */
  names: Record<string, string>;
}

/** Renders the storage bindings of `slots`; `what` names the kernel in errors. */
export function renderBindings(slots: readonly BindingSlot[], what: string): RenderedBindings {
  const bindings: RenderedBinding[] = [];
  const byName = new Map<string, RenderedBinding>();
  for (const s of slots) {
    if (s.shares !== undefined && s.shares !== s.name) continue;
    const b: RenderedBinding = { binding: bindings.length, slots: [s], write: s.write };
    bindings.push(b);
    byName.set(s.name, b);
  }
  for (const s of slots) {
    if (s.shares === undefined || s.shares === s.name) continue;
    const b = byName.get(s.shares);
    if (!b) throw new Error(`${what}: slot ${s.name} shares ${s.shares}, which is not a bound slot`);
    if (b.slots[0].type !== s.type) throw new Error(`${what}: slot ${s.name} (${s.type}) cannot share ${s.shares} (${b.slots[0].type})`);
    b.slots.push(s);
    b.write ||= s.write;
  }
  const names: Record<string, string> = {};
  for (const b of bindings) for (const s of b.slots) names[s.name] = b.slots[0].name;
  const decl = bindings
    .map((b) => `@group(0) @binding(${b.binding}) var<storage, ${b.write ? 'read_write' : 'read'}> ${b.slots[0].name}: ${b.slots[0].type};`)
    .join('\n');
  return { bindings, decl, names };
}
