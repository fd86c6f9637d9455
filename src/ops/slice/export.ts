// A channel range in exports: an opset-13 Slice on axis 1.

import type { ExportOp } from '../../export/op.js';
import type { SliceNode } from './graph.js';

export const sliceExport: ExportOp<SliceNode> = {
  onnx: (n, { w, x: [x] }) => w.slice(x, n.start, n.end, n.name),
  torch: (n, { inputs: [s] }) => ({ start: n.start, end: n.end, channels: s.c }),
};
