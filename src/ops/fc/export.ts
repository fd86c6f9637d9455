// The fully connected layer in exports: ONNX Flatten + Gemm, and a torch Linear.

import type { ExportOp } from '../../export/op.js';
import { int, tensorOf } from '../../export/onnx-writer.js';
import type { FcNode } from './graph.js';

export const fcExport: ExportOp<FcNode> = {
  onnx(n, { w, x: [x], weights }) {
    const flat = w.node('Flatten', [x], `${n.name}.flatten`, [int('axis', 1)]);
    const inputs = [flat, w.weight(`${n.name}.weight`, tensorOf(weights, `${n.name}.weight`)), w.weight(`${n.name}.bias`, tensorOf(weights, `${n.name}.bias`))];
    return w.node('Gemm', inputs, n.name, [int('transB', 1)]);
  },
  torch(n, { module, inputs: [s], tensor, put }) {
    put(`${module}.weight`, tensor(`${n.name}.weight`));
    put(`${module}.bias`, tensor(`${n.name}.bias`));
    return { module, inFeatures: s.c * s.h * s.w, outFeatures: n.outFeatures };
  },
};
