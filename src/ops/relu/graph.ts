// ReLU on a range of channels (the rest pass unchanged), optionally SNL's partial ReLU with a
// learned mask.

import { NO_COUNTS, type GraphOp, type NodeBase } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    relu: ReluNode;
  }
}

/**
 * max(x, 0) on channels [start, end); identity on the rest. An ordinary ReLU has start 0 and
 * end = C. Partial ranges come from ReLU-reuse.
 */
export interface ReluNode extends NodeBase {
  op: 'relu';
  input: number;
  start: number;
  end: number;
  /**
   * SNL's partial ReLU: y = m*relu(x) + (1-m)*x with a mask m learned per element of channels
   * [start, end) (`pixel`: (end-start)*H*W entries) or per channel (`channel`: end-start entries).
   * Absent: an ordinary ReLU.
   */
  mask?: 'pixel' | 'channel';
}

export const reluGraph: GraphOp<ReluNode> = {
  fusion: 'chain',
  inputs: (n) => [n.input],
  infer(n, [s], fail) {
    if (!(0 <= n.start && n.start <= n.end && n.end <= s.c)) fail(`channel range [${n.start}, ${n.end}) outside 0..${s.c}`);
    return { ...s };
  },
  // A masked ReLU counts what its trained mask keeps when that is known, else every candidate.
  counts: (n, _inputs, kept) => ({ ...NO_COUNTS, relus: (n.mask === undefined ? undefined : kept) ?? (n.end - n.start) * n.shape.h * n.shape.w }),
  // SNL's mask over the ReLU's channels.
  params: (n) =>
    n.mask === undefined ? [] : [{ role: 'mask', shape: n.mask === 'pixel' ? [n.end - n.start, n.shape.h, n.shape.w] : [n.end - n.start], trainable: true }],
  attributes: (n) => `{channels=${n.start}..${n.end}${n.mask === undefined ? '' : `, mask=${n.mask}`}}`,
};
