// Training pass `params`: every trainable tensor gets its place in the flat parameter, gradient and
// momentum buffers, every batch norm its running statistics and state (src/codegen/train/params.ts
// does the work).

import type { GraphPass } from '../../../passes/framework.js';
import { TrainBuilder } from '../builder.js';
import { layoutBatchNorm, layoutParams } from '../params.js';
import type { TrainState } from '../state.js';

export const paramsPass: GraphPass<TrainState> = {
  name: 'params',
  summary: 'lay out the parameters, their gradients and momentum, and the batch-norm statistics',
  run(state) {
    const o = state.options;
    const b = new TrainBuilder(state.graph, o.batch, o.limits, o.subgroupSize, o.schedule);
    const store = layoutParams(b, state.train.decay);
    return { ...state, builder: b, store, bn: layoutBatchNorm(b, store) };
  },
};
