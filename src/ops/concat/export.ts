// Stacking along channels in exports.

import type { ExportOp } from '../../export/op.js';
import { int } from '../../export/onnx-writer.js';
import type { ConcatNode } from './graph.js';

export const concatExport: ExportOp<ConcatNode> = {
  onnx: (n, { w, x }) => w.node('Concat', x, n.name, [int('axis', 1)]),
  torch: () => ({}),
};
