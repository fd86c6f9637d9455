// The graph's input in exports: ONNX's graph input, and the image shape for torch.

import type { ExportOp } from '../../export/op.js';
import { ONNX_INPUT } from '../../export/onnx-writer.js';
import type { InputNode } from './graph.js';

export const inputExport: ExportOp<InputNode> = {
  onnx: () => ONNX_INPUT,
  torch: (n) => ({ shape: [n.shape.c, n.shape.h, n.shape.w] }),
};
