// The tables of kernels/lib/store_loop.wgsl: a register block's vec4 stores as one runtime loop (why
// a loop, see the snippet), or one store each for blocks past STORE_LOOP_MAX_ITEMS.

import { type TemplateItem, u } from '../../../codegen/template.js';

/** Most items a block may have for the loop (its select chains grow with the square of it). */
export const STORE_LOOP_MAX_ITEMS = 18;

/** One store of a block: WGSL expressions, which the including kernel's tables compute. */
export interface StoreItem {
  /** The vec4<f32> to store. */
  value: string;
  /** Its index relative to the block's base (a u32 expression, usually a constant). */
  offset: string;
  /** Stored only where this holds (a bool expression); always when absent. */
  when?: string;
  /** The output channel it belongs to (a u32 expression), for the body's per-channel work. */
  channel?: string;
}

/**
 * One item of the table an including kernel walks as `st`: the block's first item, the select
 * picks of the others, and all of them for the unrolled form.
 */
export function storeBlock(items: readonly StoreItem[]): TemplateItem {
  if (items.length === 0) throw new Error('codegen: a store block needs at least one store');
  const fields = (it: StoreItem, i: number) => ({ i: u(i), value: it.value, offset: it.offset, when: it.when ?? 'true', ch: it.channel ?? '0u' });
  const all = items.map(fields);
  return {
    ...all[0],
    loop: items.length <= STORE_LOOP_MAX_ITEMS,
    count: u(items.length),
    guarded: items.some((it) => it.when !== undefined),
    channel: items.some((it) => it.channel !== undefined),
    picks: all.slice(1),
    items: all,
  };
}
