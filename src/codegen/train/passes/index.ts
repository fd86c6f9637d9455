// The training passes, registered once, in the order they run: the fusion pass inference uses
// (without the conv epilogue: batch norm needs the conv's output for its batch statistics), then
// the training step's storage, forward, loss, backward and update, and where its buffers live in
// GPU memory. `--debug` prints the IR after
// each (through the pass manager's observer), and `--debug-only` accepts their names.

import type { GraphPass } from '../../../passes/framework.js';
import { fusePass } from '../../graph/fuse.js';
import type { TrainState } from '../state.js';
import { allocatePass } from './allocate.js';
import { backwardPass } from './backward.js';
import { forwardPass } from './forward.js';
import { lossPass } from './loss.js';
import { paramsPass } from './params.js';
import { programPass } from './program.js';
import { updatePass } from './update.js';
import { valuesPass } from './values.js';

/** The shared fusion pass on the training state (it adds the fusion and keeps the rest). */
const trainFuse: GraphPass<TrainState> = {
  name: fusePass.name,
  summary: fusePass.summary,
  run: (state) => ({ ...state, fusion: fusePass.run(state).fusion }),
};

/** From the layer graph to the training step. */
export const TRAIN_PASSES: readonly GraphPass<TrainState>[] = Object.freeze([trainFuse, paramsPass, valuesPass, forwardPass, lossPass, backwardPass, updatePass, allocatePass, programPass]);
