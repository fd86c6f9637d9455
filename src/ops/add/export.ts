// The residual sum in exports.

import type { ExportOp } from '../../export/op.js';
import type { AddNode } from './graph.js';

export const addExport: ExportOp<AddNode> = {
  onnx: (n, { w, x }) => w.node('Add', x, n.name),
  torch: () => ({}),
};
