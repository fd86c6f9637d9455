// Global average pooling in exports.

import type { ExportOp } from '../../export/op.js';
import type { AvgPoolNode } from './graph.js';

export const avgpoolExport: ExportOp<AvgPoolNode> = {
  onnx: (n, { w, x: [x] }) => w.node('GlobalAveragePool', [x], n.name),
  torch: () => ({}),
};
