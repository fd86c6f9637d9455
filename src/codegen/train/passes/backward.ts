// Training pass `backward`: every step's backward dispatches, last step first (src/codegen/train/
// backward.ts does the work); gradients land in their homes, written or accumulated channel by
// channel.

import type { StagePass } from '../../../passes/stages.js';
import { emitBackward } from '../backward.js';
import { need } from '../../graph/state.js';
import { fork, type TrainState } from '../state.js';

export const backwardPass: StagePass<TrainState> = {
  name: 'backward',
  summary: 'emit the backward dispatches: parameter gradients and value gradients, last step first',
  run(state) {
    need(state, 'loss', 'backward');
    const { b, fwd, grads } = fork(state, 'backward');
    emitBackward({ b, fwd, grads, store: need(state, 'store', 'backward'), bn: need(state, 'bn', 'backward') }, need(state, 'steps', 'backward'));
    return { ...state, builder: b, fwd, grads };
  },
};
