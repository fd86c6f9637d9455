// Training pass `allocate`: where the step's buffers live in GPU memory. Transient buffers
// (activations, gradients, scratch) that are never live at the same time share an allocation; what
// persists across steps or the host touches keeps one of its own (src/codegen/train/allocate.ts
// does the work). With the plan option `reuse: false` every buffer keeps one of its own.

import type { GraphPass } from '../../../passes/framework.js';
import { need } from '../../graph/state.js';
import { allocateTrainMemory } from '../allocate.js';
import type { TrainState } from '../state.js';

export const allocatePass: GraphPass<TrainState> = {
  name: 'allocate',
  summary: 'share GPU memory between buffers never live at the same time',
  run(state) {
    const b = need(state, 'builder', 'allocate');
    const grads = need(state, 'grads', 'allocate');
    need(state, 'loss', 'allocate');
    const output = state.graph.output;
    const readable = [need(state, 'fwd', 'allocate').view(output).buffer];
    const dlogits = grads.views.get(output);
    if (dlogits) readable.push(dlogits.buffer);
    const memory = allocateTrainMemory(b.buffers, b.dispatches, { readable, clears: grads.clears, reuse: state.options.reuse });
    return { ...state, memory };
  },
};
