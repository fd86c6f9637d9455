// Max pooling in exports: ONNX MaxPool, and a torch MaxPool2d.

import type { ExportOp } from '../../export/op.js';
import { ints } from '../../export/onnx-writer.js';
import type { MaxPoolNode } from './graph.js';

export const maxpoolExport: ExportOp<MaxPoolNode> = {
  onnx: (n, { w, x: [x] }) =>
    w.node('MaxPool', [x], n.name, [ints('kernel_shape', [n.kernel, n.kernel]), ints('strides', [n.stride, n.stride]), ints('pads', [n.pad, n.pad, n.pad, n.pad])]),
  torch: (n) => ({ kernel: n.kernel, stride: n.stride, pad: n.pad }),
};
