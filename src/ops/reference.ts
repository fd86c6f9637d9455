// The table of the ops' references: one entry per folder of src/ops/ (see graph.ts here). Importing
// this module hands it to the reference's graph runners (src/reference/), so the tests' setup
// imports it; the ops' forward and backward functions that tests call one by one are here too.

import type { NodeOf, OpName } from '../ir/graph.js';
import { defineReferenceOps, type ReferenceOp } from '../reference/op.js';
import { addReference } from './add/reference.js';
import { avgpoolReference } from './avgpool/reference.js';
import { bnReference } from './bn/reference.js';
import { concatReference } from './concat/reference.js';
import { convReference } from './conv/reference.js';
import { fcReference } from './fc/reference.js';
import { inputReference } from './input/reference.js';
import { maxpoolReference } from './maxpool/reference.js';
import { reluReference } from './relu/reference.js';
import { sliceReference } from './slice/reference.js';

export { conv2d, conv2dBackward, conv2dBackwardInput, conv2dBackwardWeight, type ConvGrads, type ConvParams } from './conv/reference.js';
export { batchNorm, batchNormEvalBackward, batchNormTrain, batchNormTrainBackward, bnBatchStats, updateRunningStats, type BnParams } from './bn/reference.js';
export { reluRange, reluRangeBackward } from './relu/reference.js';
export { add, addBackward } from './add/reference.js';
export { slice, sliceBackward } from './slice/reference.js';
export { concat, concatBackward } from './concat/reference.js';
export { avgpool, avgpoolBackward } from './avgpool/reference.js';
export { maxpool, maxpoolBackward, windowMax } from './maxpool/reference.js';
export { fc, fcBackward } from './fc/reference.js';

const REFERENCE_OPS: { [K in OpName]: ReferenceOp<NodeOf<K>> } = {
  input: inputReference,
  conv: convReference,
  bn: bnReference,
  relu: reluReference,
  add: addReference,
  slice: sliceReference,
  concat: concatReference,
  avgpool: avgpoolReference,
  maxpool: maxpoolReference,
  fc: fcReference,
};

defineReferenceOps(REFERENCE_OPS);
