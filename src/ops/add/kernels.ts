// The residual add in an elementwise chain (codegen/chain-stage.ts): its parts in the chain's
// kernels (kernels/chain/add.wgsl). Forward it reads its other operand; backward it hands the
// gradient to that operand (where it needs one), or doubles it for an add of a value with itself.
// It has no parameters and no dispatch of its own. src/ops/index.ts hands the table to codegen.

import type { ChainStageKernels, ChainTrainBackward } from '../../codegen/chain-stage.js';
import type { ChainKernelPart } from '../../codegen/kernels/chain-parts.js';
import type { AddNode } from './graph.js';

declare module '../../codegen/chain-stage.js' {
  interface ChainOps {
    add: true;
  }
}

function trainBackward({ otherGradient, doubled }: ChainTrainBackward<AddNode>): ChainKernelPart | undefined {
  const tb = doubled ? undefined : otherGradient();
  if (!tb && !doubled) return undefined;
  return {
    op: 'add',
    slots: tb ? [{ name: 'tb', elem: 'T', write: { flag: 'TB', view: 'B' }, buffer: tb.buffer }] : [],
    ...(tb ? { views: { B: tb } } : {}),
    flags: { TB: tb !== undefined, ACC_B: tb?.accumulate === true, DOUBLED: doubled },
  };
}

export const addKernels: ChainStageKernels<AddNode> = {
  chainPlace: () => 'join',
  forwardPart: ({ node, other }) => {
    if (other === undefined) throw new Error(`${node.name}: an add in a chain without its other operand (internal error)`);
    return { op: 'add', slots: [{ name: 'b_in', elem: 'T' }], views: { B: other } };
  },
  trainBackward,
};
