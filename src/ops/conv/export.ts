// Convolution in exports: an ONNX Conv (with a batch norm folded in under --fold-bn), and a
// torch Conv2d.

import type { ExportOp } from '../../export/op.js';
import { foldedConv } from '../../export/fold-bn.js';
import { int, ints, tensorOf } from '../../export/onnx-writer.js';
import type { ConvNode } from './graph.js';

export const convExport: ExportOp<ConvNode> = {
  onnx(n, { w, x: [x], weights, foldedBn }) {
    const bnName = foldedBn(n.id);
    let inputs: string[];
    if (bnName !== undefined) {
      const f = foldedConv(n, bnName, weights);
      inputs = [x, w.weight(`${n.name}.weight`, f.weight), w.weight(`${n.name}.bias`, f.bias)];
    } else {
      inputs = [x, w.weight(`${n.name}.weight`, tensorOf(weights, `${n.name}.weight`))];
      if (n.bias) inputs.push(w.weight(`${n.name}.bias`, tensorOf(weights, `${n.name}.bias`)));
    }
    const attrs = [
      ints('kernel_shape', [n.kernel, n.kernel]),
      ints('strides', [n.stride, n.stride]),
      ints('pads', [n.pad, n.pad, n.pad, n.pad]),
      ints('dilations', [1, 1]),
      int('group', n.groups),
    ];
    return w.node('Conv', inputs, n.name, attrs);
  },
  torch(n, { module, inputs: [s], tensor, put }) {
    put(`${module}.weight`, tensor(`${n.name}.weight`));
    if (n.bias) put(`${module}.bias`, tensor(`${n.name}.bias`));
    return { module, inChannels: s.c, outChannels: n.outChannels, kernel: n.kernel, stride: n.stride, pad: n.pad, groups: n.groups, bias: n.bias };
  },
};
