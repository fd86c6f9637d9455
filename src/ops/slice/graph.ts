// A range of channels of a value (ReLU-reuse splits the channels into parts).

import { NO_COUNTS, type GraphOp, type NodeBase } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    slice: SliceNode;
  }
}

/** Channels [start, end) of the input. */
export interface SliceNode extends NodeBase {
  op: 'slice';
  input: number;
  start: number;
  end: number;
}

export const sliceGraph: GraphOp<SliceNode> = {
  fusion: 'placed',
  inputs: (n) => [n.input],
  infer(n, [s], fail) {
    if (!(0 <= n.start && n.start < n.end && n.end <= s.c)) fail(`slice [${n.start}, ${n.end}) outside 0..${s.c}`);
    return { c: n.end - n.start, h: s.h, w: s.w };
  },
  counts: () => NO_COUNTS,
  params: () => [],
  attributes: (n) => `{channels=${n.start}..${n.end}}`,
};
