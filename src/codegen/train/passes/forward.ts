// Training pass `forward`: the forward dispatches of every step, batch norm on batch statistics
// (src/codegen/train/forward.ts does the work).

import type { GraphPass } from '../../../passes/framework.js';
import { emitForward } from '../forward.js';
import { need } from '../../graph/state.js';
import { fork, type TrainState } from '../state.js';

export const forwardPass: GraphPass<TrainState> = {
  name: 'forward',
  summary: 'emit the forward dispatches (the inference kernels; batch norm on batch statistics)',
  run(state) {
    const { b, fwd, grads } = fork(state, 'forward');
    const x = { b, fwd, store: need(state, 'store', 'forward'), bn: need(state, 'bn', 'forward'), bnMomentum: state.train.bnMomentum };
    emitForward(x, need(state, 'steps', 'forward'));
    return { ...state, builder: b, fwd, grads };
  },
};
