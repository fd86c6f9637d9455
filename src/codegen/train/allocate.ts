// Where the training step's buffers live in GPU memory (run by the training pass `allocate`).
//
// A step runs its dispatches in one order (forward, loss, backward, update), so each buffer is live
// from the first dispatch that binds it to the last; transient buffers (activations, gradients,
// reduction scratch, batch-norm state) whose spans do not overlap share one allocation, packed by
// the best fit inference uses (src/codegen/live-pack.ts). Every buffer starts at byte 0 of its
// allocation, so the offsets the dispatches bind (256-byte aligned where they have one) stay valid,
// and an allocation is as large as its largest buffer.
//
// Nothing that lives beyond one step, or that the host touches outside the dispatch list, shares:
// see KEPT. Gradient buffers the step clears before its first dispatch (`clears`) are never put
// into an allocation an earlier buffer of the step used, since the clear would run before that
// buffer's last use and wipe nothing of the gradient's own; they open an allocation of their own,
// which buffers live after them may take over (the clear at the start of the next step then zeroes
// it again before the gradient is first touched). Putting a clear at the start of each gradient's
// span instead would need clears between dispatches of the one compute pass a step records.

import { packLiveRanges, type LiveRange } from '../live-pack.js';
import type { TrainBuffer, TrainBufferKind, TrainDispatch, TrainMemory } from './types.js';

/** Buffer kinds that keep an allocation of their own, and why. */
const KEPT: Record<TrainBufferKind, boolean> = {
  params: true, // persists across steps
  grads: true, // the host reads the last step's parameter gradients (Trainer.readGrads)
  momentum: true, // persists across steps
  running: true, // persists across steps
  input: true, // uploaded by the host before the step
  labels: true, // uploaded by the host before the step
  teacher: true, // copied in from the teacher's logits before the step's dispatches
  uniform: true, // uploaded by the host before the step
  sums: true, // accumulates across steps; the host reads and clears it
  args: true, // uploaded once, when the trainer is created
  zeros: true, // the zero bias: must stay zero, and no dispatch writes it
  activation: false,
  gradient: false,
  scratch: false,
  coef: false,
  bnstate: false, // scale, shift and batch statistics are recomputed by every step
};

/** A buffer's first and last dispatch (indices into the step's dispatch list). */
export interface Span {
  first: number;
  last: number;
}

/** The span of each buffer, by id; undefined for a buffer no dispatch binds. */
export function bufferSpans(buffers: readonly TrainBuffer[], dispatches: readonly TrainDispatch[]): (Span | undefined)[] {
  const spans: (Span | undefined)[] = buffers.map(() => undefined);
  for (const d of dispatches) {
    for (const b of d.bindings) {
      const s = spans[b.buffer];
      if (s) s.last = d.index;
      else spans[b.buffer] = { first: d.index, last: d.index };
    }
  }
  return spans;
}

/**
 * Buffers that must keep an allocation of their own: the kinds in KEPT, any buffer no dispatch
 * binds, and `readable` (the logits and their gradient, which tools read after a step).
 */
export function keptBuffers(buffers: readonly TrainBuffer[], spans: readonly (Span | undefined)[], readable: Iterable<number>): Set<number> {
  const kept = new Set<number>(readable);
  for (const b of buffers) if (KEPT[b.kind] || spans[b.id] === undefined) kept.add(b.id);
  return kept;
}

/** The step's allocations: with `reuse`, transient buffers never live together share one. */
export function allocateTrainMemory(buffers: readonly TrainBuffer[], dispatches: readonly TrainDispatch[], o: { readable: Iterable<number>; clears: ReadonlySet<number>; reuse: boolean }): TrainMemory {
  const spans = bufferSpans(buffers, dispatches);
  const kept = keptBuffers(buffers, spans, o.readable);
  // A kept buffer is live before the first dispatch and never dies, so it opens an allocation
  // nothing else can take.
  const ranges: LiveRange[] = buffers.map((b) => {
    const s = spans[b.id];
    if (kept.has(b.id) || !s) return { start: -1, end: Infinity, bytes: b.bytes };
    return { start: s.first, end: s.last, bytes: b.bytes, fresh: o.clears.has(b.id) };
  });
  const packing = packLiveRanges(ranges, o.reuse);
  const allocations = packing.bytes.map((bytes, id) => ({ id, bytes, buffers: [] as number[] }));
  const order = buffers.map((b) => b.id).sort((x, y) => ranges[x].start - ranges[y].start || x - y);
  for (const id of order) allocations[packing.bufferOf[id]].buffers.push(id);
  return {
    allocations,
    allocationOf: packing.bufferOf,
    bytes: packing.bytes.reduce((s, x) => s + x, 0),
    noReuseBytes: buffers.reduce((s, b) => s + b.bytes, 0),
  };
}
