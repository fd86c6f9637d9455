// Convolution: cross-correlation with zero padding, optionally grouped, optionally with a bias.

import { convMacs } from '../../ir/count.js';
import { convOutSize, type GraphOp, type NodeBase } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    conv: ConvNode;
  }
}

export interface ConvNode extends NodeBase {
  op: 'conv';
  input: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: number;
  /** Grouped convolution: input and output channels split into `groups` independent parts. */
  groups: number;
  bias: boolean;
}

const stride = (s: number) => (s === 1 ? '' : `/${s}`);

export const convGraph: GraphOp<ConvNode> = {
  fusion: 'conv',
  inputs: (n) => [n.input],
  infer(n, [s], fail) {
    if (s.c % n.groups !== 0 || n.outChannels % n.groups !== 0) {
      fail(`channels ${s.c} -> ${n.outChannels} not divisible by groups ${n.groups}`);
    }
    const h = convOutSize(s.h, n.kernel, n.stride, n.pad);
    const w = convOutSize(s.w, n.kernel, n.stride, n.pad);
    if (h < 1 || w < 1) fail(`output ${h}x${w} is empty`);
    return { c: n.outChannels, h, w };
  },
  counts(n, [s]) {
    const weights = n.outChannels * (s.c / n.groups) * n.kernel * n.kernel;
    return { relus: 0, flops: convMacs(n, s.c), params: weights + (n.bias ? n.outChannels : 0) };
  },
  params(n, [s]) {
    const weight = { role: 'weight' as const, shape: [n.outChannels, s.c / n.groups, n.kernel, n.kernel], trainable: true };
    return n.bias ? [weight, { role: 'bias', shape: [n.outChannels], trainable: true }] : [weight];
  },
  attributes: (n) => `{k=${n.kernel}, s=${n.stride}, p=${n.pad}${n.groups > 1 ? `, g=${n.groups}` : ''}}`,
  layerRow: (n) => `conv${n.kernel}x${n.kernel}${stride(n.stride)}${n.groups > 1 ? ` g${n.groups}` : ''}`,
};
