// The kernels of the ops that codegen fuses into its steps (fusion roles `conv` and `chain`): the
// conv's (conv-kernels.ts says what they are), and what each op of an elementwise chain brings to
// the chain's kernels (chain-stage.ts). They are in the ops' folders of src/ops/ (kernels.ts), and
// src/ops/index.ts hands them over once (`defineOpKernels`). A chain is one kernel forward and one
// backward (kernels/ewise.wgsl, kernels/train/chain_bwd.wgsl) composed of its ops' parts.

import type { GraphNode, NodeOf } from '../ir/graph.js';
import { graphOp } from '../ir/node.js';
import type { ChainOp, ChainStageKernels, ChainStages } from './chain-stage.js';
import type { ConvKernels } from './conv-kernels.js';

/** The kernels of the fused ops that have kernels of their own, by op. */
export type OpKernels = ChainStages & { conv: ConvKernels };

let defined: OpKernels | undefined;

/** Hands codegen the fused ops' kernels (src/ops/index.ts does, once). */
export function defineOpKernels(kernels: OpKernels): void {
  if (defined !== undefined && defined !== kernels) throw new Error("codegen: the fused ops' kernels are defined twice");
  defined = kernels;
}

/** Whether an op is one of the fused ops with kernels of their own. */
export function hasOpKernels(op: string): op is keyof OpKernels {
  return defined !== undefined && Object.hasOwn(defined, op);
}

/** The kernels of a fused op. */
export function opKernels<K extends keyof OpKernels>(op: K): OpKernels[K] {
  if (defined === undefined) throw new Error(`codegen: the ${op} op's kernels are not defined (whatever starts a program imports src/ops/index.ts, which hands them over)`);
  return defined[op];
}

/** A node of an elementwise chain (fusion role `chain`). */
export type ChainNode = NodeOf<ChainOp>;

/** A chain step's nodes, in the chain's order. */
export function chainNodes(nodes: readonly GraphNode[], ids: readonly number[]): ChainNode[] {
  return ids.map((id) => {
    const n = nodes[id];
    if (graphOp(n).fusion !== 'chain') throw new Error(`codegen: ${n.name} (${n.op}) in an elementwise chain (internal error)`);
    return n as ChainNode;
  });
}

/** What a chain's node brings to the chain's kernels (chain-stage.ts). */
export function chainStage(n: ChainNode): ChainStageKernels<ChainNode> {
  // Each entry is for the node type its key names, which a lookup by a node's op cannot show.
  return opKernels(n.op) as ChainStageKernels<ChainNode>;
}
