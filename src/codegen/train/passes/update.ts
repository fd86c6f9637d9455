// Training pass `update`: SGD with momentum over the flat parameter buffer, one dispatch per run of
// parameters with the same weight decay; then the scratch buffers get the size the kernels grew
// them to, so this pass ends the training step's dispatches.

import type { GraphPass } from '../../../passes/framework.js';
import { genSgd } from '../../kernels/index.js';
import { need } from '../../graph/state.js';
import { fork, type TrainState } from '../state.js';
import { alignUp, type ParamEntry } from '../types.js';

/** Runs of consecutive parameters with the same weight decay, as float ranges of the flat buffer. */
function decayRuns(params: readonly ParamEntry[]): { offset: number; end: number; decay: boolean }[] {
  const runs: { offset: number; end: number; decay: boolean }[] = [];
  for (const p of params) {
    const last = runs[runs.length - 1];
    if (last && last.decay === p.decay) last.end = alignUp(p.offset + p.length);
    else runs.push({ offset: p.offset, end: alignUp(p.offset + p.length), decay: p.decay });
  }
  return runs;
}

export const updatePass: GraphPass<TrainState> = {
  name: 'update',
  summary: 'emit the SGD update of the parameters and size the scratch buffers',
  run(state) {
    const store = need(state, 'store', 'update');
    const uniform = need(state, 'loss', 'update').uniform;
    const { b, fwd, grads } = fork(state, 'update');
    const sgd = state.train.sgd;
    const bufs = { params: store.P, grads: store.G, momentum: store.M, uniform };
    for (const r of decayRuns(store.params)) {
      const hyper = { ...sgd, weightDecay: r.decay ? sgd.weightDecay : 0 };
      b.emit('optimizer', `sgd [${r.offset}, ${r.end})`, genSgd('sgd', { offset: r.offset, length: r.end - r.offset }, bufs, hyper, b.dl));
    }
    b.finishScratch();
    return { ...state, builder: b, fwd, grads };
  },
};
