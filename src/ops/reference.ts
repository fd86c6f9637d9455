// The table of the ops' references: one entry per folder of src/ops/ (see graph.ts here).

import type { GraphNode, OpName } from './graph.js';
import type { ReferenceOp } from '../reference/op.js';
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

const REFERENCE_OPS: { [K in OpName]: ReferenceOp<Extract<GraphNode, { op: K }>> } = {
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

/** The reference of a node's op. */
export function referenceOp<N extends GraphNode>(n: N): ReferenceOp<N> {
  // As in graph.ts: the table pairs each op with its node type, which a union cannot show.
  return REFERENCE_OPS[n.op] as unknown as ReferenceOp<N>;
}
