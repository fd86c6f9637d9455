// The conv op's kernels (codegen/conv-kernels.ts says what codegen asks of them): the forward
// conv, direct or as an implicit product, and its input, weight and bias gradients. The
// generators are in ./kernels/, one per kernel; src/ops/index.ts hands this table to codegen.

import type { ConvKernels } from '../../codegen/conv-kernels.js';
import { genConv } from './kernels/conv.js';
import { genConvDb } from './kernels/conv-db.js';
import { genConvDw } from './kernels/conv-dw.js';
import { genConvDwReduce } from './kernels/conv-dw-reduce.js';
import { genConvDx } from './kernels/conv-dx.js';

export const convKernels: ConvKernels = {
  forward: genConv,
  inputGradient: genConvDx,
  weightGradient: genConvDw,
  weightGradientSum: genConvDwReduce,
  biasGradient: genConvDb,
};

export { genConv, genConvDb, genConvDw, genConvDwReduce, genConvDx };
