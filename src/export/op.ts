// The contract of an op's export (src/ops/<op>/export.ts): the ONNX nodes it becomes and its entry
// in the PyTorch graph description, with the state-dict tensors it owns. src/ops/index.ts hands
// the exporters the table of every op's (`defineExportOps`).

import type { Shape } from '../ir/arch.js';
import type { GraphNode, NodeOf, OpName } from '../ir/graph.js';
import { OpTable } from '../util/op-table.js';
import type { WeightTensor, Weights } from '../weights/weights.js';
import type { OnnxGraphWriter } from './onnx-writer.js';

export interface OnnxContext {
  w: OnnxGraphWriter;
  weights: Weights;
  /** The ONNX value names of the node's inputs, in order. */
  x: string[];
  /** The ONNX value of another node, by id (a folded batch norm passes its convolution's on). */
  value(id: number): string;
  /** With --fold-bn: the name of the batch norm folded into this convolution, if one is. */
  foldedBn(convId: number): string | undefined;
  /** With --fold-bn: the convolution this batch norm is folded into, if it is. */
  foldedInto(bnId: number): number | undefined;
}

export interface TorchContext {
  /** The node's torchvision-style module path (export/pytorch.ts, torchModuleName). */
  module: string;
  /** The shapes of the node's inputs, in order. */
  inputs: Shape[];
  /** The weight tensor `name` of the hrn weights. */
  tensor(name: string): WeightTensor;
  /** Adds a tensor of the state dict, owned by this node. */
  put(key: string, t: WeightTensor): void;
}

export interface ExportOp<N> {
  /** Writes the node's ONNX nodes and returns the name of its output value. */
  onnx(n: N, ctx: OnnxContext): string;
  /** What examples/hrn_torch.py needs to build the node, beyond its op and inputs. */
  torch(n: N, ctx: TorchContext): Record<string, unknown>;
}

const EXPORT_OPS = new OpTable<ExportOp<GraphNode>>('export', 'exports');

/** Hands the exporters every op's export (src/ops/index.ts does, once). */
export function defineExportOps(ops: { [K in OpName]: ExportOp<NodeOf<K>> }): void {
  // Each entry is for the node type its key names, which a table over the union cannot show.
  EXPORT_OPS.define(ops as unknown as Record<string, ExportOp<GraphNode>>);
}

/** The export of a node's op. */
export function exportOp<N extends GraphNode>(n: N): ExportOp<N> {
  return EXPORT_OPS.get(n.op) as unknown as ExportOp<N>;
}
