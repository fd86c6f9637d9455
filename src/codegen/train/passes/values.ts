// Training pass `values`: the steps of a training step (the shared fusion's, plus a copy per
// concatenation) and where their values live: every step's output keeps a buffer of its own for
// the backward half, gradients get their homes as the later passes first need them
// (src/codegen/train/values.ts), and the reduction scratch is added, to be sized by `update`.

import type { GraphPass } from '../../../passes/framework.js';
import { need } from '../../graph/state.js';
import { trainSteps } from '../forward.js';
import type { TrainState } from '../state.js';
import { ForwardValues, Gradients } from '../values.js';

export const valuesPass: GraphPass<TrainState> = {
  name: 'values',
  summary: 'give the input and every step output a buffer; set up gradient homes and the scratch buffers',
  run(state) {
    const steps = trainSteps(state.graph, need(state, 'fusion', 'values'));
    const b = need(state, 'builder', 'values').clone();
    const fwd = new ForwardValues(b);
    const input = state.graph.nodes.find((n) => n.op === 'input')!;
    fwd.own(input.id, 'input');
    for (const s of steps) fwd.own(s.anchor, 'activation');
    const grads = new Gradients(b);
    b.addScratch();
    return { ...state, builder: b, steps, fwd, grads };
  },
};
