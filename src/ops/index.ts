// Hands each layer its table of the ops' definitions: the IR the graph-level ones, codegen the
// kernels of the ops that are steps of their own and of the fused ones, the exporters the exports.
// The layers look an op up by name and import no op's folder, so the folders sit above all of
// them; this module is imported once by whatever starts a program (the driver, the package
// entries, the tests' setup). The references are handed over by ./reference.ts, which only the
// tests import.

import { defineOpKernels } from '../codegen/op-kernels.js';
import { defineStepKernels } from '../codegen/step-op.js';
import { defineExportOps } from '../export/op.js';
import { defineGraphOps } from '../ir/node.js';
import { EXPORT_OPS } from './export.js';
import { GRAPH_OPS } from './graph.js';
import { STEP_KERNELS } from './kernels.js';
import { addKernels } from './add/kernels.js';
import { bnKernels } from './bn/kernels.js';
import { convKernels } from './conv/kernels.js';
import { reluKernels } from './relu/kernels.js';

defineGraphOps(GRAPH_OPS);
defineStepKernels(STEP_KERNELS);
defineOpKernels({ conv: convKernels, bn: bnKernels, add: addKernels, relu: reluKernels });
defineExportOps(EXPORT_OPS);

// Each op's folder adds its node type to the IR's NodeTypes (and its kernels to codegen's
// OwnStepOps or ChainOps) by a module augmentation, which a type checker sees only in the files it reads. A
// module that exports nothing has an empty declaration file, so these exports are what keeps every
// op's augmentation in a library user's program (the package entry imports this module).
export type { AddNode } from './add/graph.js';
export type { AvgPoolNode } from './avgpool/graph.js';
export type { BatchNormNode } from './bn/graph.js';
export type { ConcatNode } from './concat/graph.js';
export type { ConvNode } from './conv/graph.js';
export type { FcNode } from './fc/graph.js';
export type { InputNode } from './input/graph.js';
export type { MaxPoolNode } from './maxpool/graph.js';
export type { ReluNode } from './relu/graph.js';
export type { SliceNode } from './slice/graph.js';
export { addKernels } from './add/kernels.js';
export { avgpoolKernels } from './avgpool/kernels.js';
export { bnKernels } from './bn/kernels.js';
export { fcKernels } from './fc/kernels.js';
export { maxpoolKernels } from './maxpool/kernels.js';
export { reluKernels } from './relu/kernels.js';
