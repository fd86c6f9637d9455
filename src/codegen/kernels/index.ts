// The kernel generators of codegen's own steps and of the elementwise chain, one file each; the
// shared pieces are in common.ts and train-common.ts. The ops' kernels are in their folders of
// src/ops/ (conv, batch norm, ReLU, pooling, fc), which codegen reaches through its contracts
// (op-kernels.ts, step-op.ts).

export * from './common.js';
export * from './train-common.js';
export * from './ewise.js';
export * from './softmax.js';
export * from './argmax.js';
export * from './chain-parts.js';
export * from './chain-bwd.js';
export * from './loss.js';
export * from './sgd.js';
