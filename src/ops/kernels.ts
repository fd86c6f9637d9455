// The table of the kernels of the ops that are steps of their own (fusion role `own` in their
// graph.ts): one entry per such folder of src/ops/. The fused ops' kernels (the conv's, and each
// elementwise chain op's parts) are handed to codegen in src/ops/index.ts itself, and the placed
// ops (input, slice, concat) run no kernel of their own. src/ops/index.ts hands it to codegen.

import { avgpoolKernels } from './avgpool/kernels.js';
import { fcKernels } from './fc/kernels.js';
import { maxpoolKernels } from './maxpool/kernels.js';

export const STEP_KERNELS = { avgpool: avgpoolKernels, maxpool: maxpoolKernels, fc: fcKernels };
