// The table of the kernels of the ops that are steps of their own (fusion role `own` in their
// graph.ts): one entry per such folder of src/ops/. The conv and the elementwise chain (batch
// norm, add, ReLU) are fused kernel families of codegen (codegen/graph/fuse.ts), and the placed
// ops (input, slice, concat) run no kernel of their own. src/ops/index.ts hands it to codegen.

import { avgpoolKernels } from './avgpool/kernels.js';
import { fcKernels } from './fc/kernels.js';
import { maxpoolKernels } from './maxpool/kernels.js';

export const STEP_KERNELS = { avgpool: avgpoolKernels, maxpool: maxpoolKernels, fc: fcKernels };
