// The table of the kernels of the ops that are steps of their own (fusion role `own` in their
// graph.ts): one entry per such folder of src/ops/. The conv and the elementwise chain (batch
// norm, add, ReLU) are fused kernel families of codegen (codegen/graph/fuse.ts), and the placed
// ops (input, slice, concat) run no kernel of their own.

import type { StepKernels } from '../codegen/step-op.js';
import type { GraphNode, NodeOf } from './graph.js';
import { avgpoolKernels } from './avgpool/kernels.js';
import { fcKernels } from './fc/kernels.js';
import { maxpoolKernels } from './maxpool/kernels.js';

const STEP_KERNELS = { avgpool: avgpoolKernels, maxpool: maxpoolKernels, fc: fcKernels };

/** The ops that are steps of their own. */
export type OwnStepOp = keyof typeof STEP_KERNELS;

// Each entry's kernels are for the node type its key names.
const CHECKED: { [K in OwnStepOp]: StepKernels<NodeOf<K>> } = STEP_KERNELS;

/** Whether a node's op has kernels of its own here (its fusion role is `own`). */
export function hasStepKernels(n: GraphNode): n is NodeOf<OwnStepOp> {
  return Object.hasOwn(CHECKED, n.op);
}

/** The kernels of an op that is a step of its own. */
export function stepKernels<N extends NodeOf<OwnStepOp>>(n: N): StepKernels<N> {
  // As in graph.ts: the table pairs each op with its node type, which a union cannot show.
  return CHECKED[n.op] as unknown as StepKernels<N>;
}
