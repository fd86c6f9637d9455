// The stores of a kernel's register block as one runtime loop instead of one store per register.
//
// lavapipe (Mesa's CPU driver) turns every store whose address differs between lanes into a loop
// over the lanes with an activity check and a bounds check per component, and LLVM unrolls those
// loops: a block of 8-18 unrolled vec4 stores made up about half of a conv kernel's compile time at
// its first run. In the loop, iteration i picks item i with a chain of selects (a few vector
// instructions each) and does the one store; the trip count is opaque to the compiler (arrayLength
// is never 0 for a bound buffer) so that it is not unrolled again. The select chain makes the loop
// quadratic in the items, so blocks beyond STORE_LOOP_MAX_ITEMS keep their unrolled stores
// (storeBlock chooses).

import { u } from '../template.js';

/** Most items a block may have for storeLoop (the select chains grow with the square of it). */
export const STORE_LOOP_MAX_ITEMS = 18;

export interface StoreItem {
  /** The value to store (any expression of the declared type). */
  value: string;
  /** Its index relative to the block's base (a u32 expression, usually a constant). */
  offset: string;
  /** Stored only where this holds (a bool expression); always when absent. */
  when?: string;
  /** The output channel it belongs to (a u32 expression), for the body's per-channel work. */
  channel?: string;
}

export interface StoreLoop {
  items: StoreItem[];
  /** WGSL type of the values. */
  type: string;
  /** A storage binding of the kernel, for the opaque trip count. */
  buffer: string;
  indent: string;
  /** The loop body given the picked value `v`, offset `off` and channel `ch` (mutable vars). */
  body: (names: { v: string; off: string; ch: string }) => string[];
}

/** The stores of a block: storeLoop's loop, or for more than STORE_LOOP_MAX_ITEMS items one store each. */
export function storeBlock(s: StoreLoop): string[] {
  if (s.items.length <= STORE_LOOP_MAX_ITEMS) return storeLoop(s);
  const out: string[] = [];
  for (const it of s.items) {
    out.push(`${s.indent}{`);
    out.push(`${s.indent}  var v: ${s.type} = ${it.value};`);
    out.push(`${s.indent}  let off = ${it.offset};`);
    if (it.channel !== undefined) out.push(`${s.indent}  let ch = ${it.channel};`);
    const body = s.body({ v: 'v', off: 'off', ch: 'ch' });
    if (it.when !== undefined) out.push(`${s.indent}  if (${it.when}) { ${body.join(' ')} }`);
    else for (const l of body) out.push(`${s.indent}  ${l}`);
    out.push(`${s.indent}}`);
  }
  return out;
}

/** The loop: declarations of the picked item, the select chains, the guarded body. */
function storeLoop(s: StoreLoop): string[] {
  const { items, indent } = s;
  if (items.length === 0) return [];
  const inner = `${indent}  `;
  const out: string[] = [];
  out.push(`${indent}let n_st = select(${u(items.length)}, 0u, arrayLength(&${s.buffer}) == 0u);`);
  out.push(`${indent}for (var i = 0u; i < n_st; i++) {`);
  const first = items[0];
  const guarded = items.some((it) => it.when !== undefined);
  const withChannel = items.some((it) => it.channel !== undefined);
  out.push(`${inner}var v: ${s.type} = ${first.value};`);
  out.push(`${inner}var off = ${first.offset};`);
  if (guarded) out.push(`${inner}var ok = ${first.when ?? 'true'};`);
  if (withChannel) out.push(`${inner}var ch = ${first.channel ?? '0u'};`);
  for (let j = 1; j < items.length; j++) {
    const it = items[j];
    const pick = `i == ${u(j)}`;
    out.push(`${inner}v = select(v, ${it.value}, ${pick});`);
    out.push(`${inner}off = select(off, ${it.offset}, ${pick});`);
    if (guarded) out.push(`${inner}ok = select(ok, ${it.when ?? 'true'}, ${pick});`);
    if (withChannel) out.push(`${inner}ch = select(ch, ${it.channel ?? '0u'}, ${pick});`);
  }
  const body = s.body({ v: 'v', off: 'off', ch: 'ch' });
  if (guarded) {
    out.push(`${inner}if (ok) {`);
    for (const l of body) out.push(`${inner}  ${l}`);
    out.push(`${inner}}`);
  } else {
    for (const l of body) out.push(`${inner}${l}`);
  }
  out.push(`${indent}}`);
  return out;
}
