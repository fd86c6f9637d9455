// The residual add's part in an elementwise chain (codegen/chain-stage.ts): none beyond the
// chain's arithmetic. The chain's kernels read its other operand as a value like the first, and
// it has no parameters and no dispatch of its own. src/ops/index.ts hands the table to codegen.

import type { ChainStageKernels } from '../../codegen/chain-stage.js';
import type { AddNode } from './graph.js';

export const addKernels: ChainStageKernels<AddNode> = {};
