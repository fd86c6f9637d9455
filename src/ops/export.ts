// The table of the ops' exports: one entry per folder of src/ops/ (see graph.ts here).

import type { ExportOp } from '../export/op.js';
import type { GraphNode, OpName } from './graph.js';
import { addExport } from './add/export.js';
import { avgpoolExport } from './avgpool/export.js';
import { bnExport } from './bn/export.js';
import { concatExport } from './concat/export.js';
import { convExport } from './conv/export.js';
import { fcExport } from './fc/export.js';
import { inputExport } from './input/export.js';
import { maxpoolExport } from './maxpool/export.js';
import { reluExport } from './relu/export.js';
import { sliceExport } from './slice/export.js';

const EXPORT_OPS: { [K in OpName]: ExportOp<Extract<GraphNode, { op: K }>> } = {
  input: inputExport,
  conv: convExport,
  bn: bnExport,
  relu: reluExport,
  add: addExport,
  slice: sliceExport,
  concat: concatExport,
  avgpool: avgpoolExport,
  maxpool: maxpoolExport,
  fc: fcExport,
};

/** The export of a node's op. */
export function exportOp<N extends GraphNode>(n: N): ExportOp<N> {
  // As in graph.ts: the table pairs each op with its node type, which a union cannot show.
  return EXPORT_OPS[n.op] as unknown as ExportOp<N>;
}
