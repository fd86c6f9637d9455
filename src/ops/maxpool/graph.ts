// Max pooling over square windows (the stem of ImageNet-style networks).

import { convOutSize, NO_COUNTS, type GraphOp, type NodeBase } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    maxpool: MaxPoolNode;
  }
}

/**
 * Max pooling over kernel x kernel windows with the given stride. Padding adds `pad` rows and
 * columns on each side that never win a window (as if -infinity), so a window only sees real values.
 */
export interface MaxPoolNode extends NodeBase {
  op: 'maxpool';
  input: number;
  kernel: number;
  stride: number;
  pad: number;
}

export const maxpoolGraph: GraphOp<MaxPoolNode> = {
  fusion: 'own',
  inputs: (n) => [n.input],
  infer(n, [s], fail) {
    // A window must hold at least one real value, or its maximum would be the padding.
    if (2 * n.pad >= n.kernel) fail(`padding ${n.pad} leaves windows of ${n.kernel} without input`);
    const h = convOutSize(s.h, n.kernel, n.stride, n.pad);
    const w = convOutSize(s.w, n.kernel, n.stride, n.pad);
    if (h < 1 || w < 1) fail(`output ${h}x${w} is empty`);
    return { c: s.c, h, w };
  },
  counts: () => NO_COUNTS,
  params: () => [],
  attributes: () => '',
  layerRow: (n) => `maxpool${n.kernel}x${n.kernel}${n.stride === 1 ? '' : `/${n.stride}`}`,
};
