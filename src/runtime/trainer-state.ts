// Where a training program keeps a node's value or gradient after a step, and that value made
// dense. Pure: the Trainer does the GPU side.

import type { Program, ProgramValue, ValueView } from '../program/types.js';

/**
 * Where node `node`'s value (`forward`) or gradient (`grad`) of the last step is, refused when the
 * step lets a later buffer share its memory (it is gone after the step then).
 */
export function valueLocation(program: Program, node: string, which: 'forward' | 'grad'): { info: ProgramValue; view: ValueView } {
  const info = program.values.find((v) => v.node === node);
  if (!info) throw new Error(`${program.name}: no node ${node}`);
  const view = which === 'forward' ? info.forward : info.grad;
  const what = which === 'forward' ? 'value' : 'gradient';
  if (!view) throw new Error(`${program.name}: ${node} has no materialized ${what}`);
  const held = program.allocations.find((a) => a.buffers.includes(view.buffer))!.buffers;
  if (held[held.length - 1] !== view.buffer) {
    throw new Error(`${program.name}: ${node}'s ${what} shares GPU memory with a buffer the step uses later, so it is gone after the step; create the trainer with reuse: false to read it`);
  }
  return { info, view };
}

/** The value at `at` in its buffer's contents `all`, dense [batch, C, H, W]. */
export function denseValue(program: Program, at: ReturnType<typeof valueLocation>, all: Float32Array): Float32Array {
  const { info, view } = at;
  const per = info.shape.c * info.shape.h * info.shape.w;
  const out = new Float32Array(program.batch * per);
  for (let n = 0; n < program.batch; n++) out.set(all.subarray(n * view.batchStride + view.offset, n * view.batchStride + view.offset + per), n * per);
  return out;
}
