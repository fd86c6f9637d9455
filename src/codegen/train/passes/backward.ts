// Training pass `backward`: every step's backward dispatches, last step first (src/codegen/train/
// backward.ts does the work); gradients land in their homes, written or accumulated channel by
// channel. With buffer sharing on, some chain outputs are recomputed here rather than kept from the
// forward (src/codegen/train/recompute.ts).

import type { GraphPass } from '../../../passes/framework.js';
import { emitBackward } from '../backward.js';
import { chainsToRecompute, SavedValues } from '../recompute.js';
import { need } from '../../graph/state.js';
import { fork, type TrainState } from '../state.js';

export const backwardPass: GraphPass<TrainState> = {
  name: 'backward',
  summary: 'emit the backward dispatches: parameter gradients and value gradients, last step first',
  run(state) {
    const { uniform } = need(state, 'loss', 'backward');
    const { b, fwd, grads } = fork(state, 'backward');
    const [steps, bn, store] = [need(state, 'steps', 'backward'), need(state, 'bn', 'backward'), need(state, 'store', 'backward')];
    // Recomputing chains saves memory only where buffers are shared (see recompute.ts).
    const saved = state.options.reuse ? new SavedValues({ b, fwd, bn, store }, chainsToRecompute(state.graph, steps, fwd)) : fwd;
    emitBackward({ b, saved, grads, store, bn, uniform }, steps);
    return { ...state, builder: b, fwd, grads };
  },
};
