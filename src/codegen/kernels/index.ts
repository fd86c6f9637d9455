// Every kernel generator but those of the ops that are steps of their own (pooling, fc: in their
// folders of src/ops/, kernels.ts), one file each; the shared pieces are in common.ts and
// train-common.ts.

export * from './common.js';
export * from './train-common.js';
export * from './conv.js';
export * from './ewise.js';
export * from './softmax.js';
export * from './argmax.js';
export * from './conv-dx.js';
export * from './conv-dw.js';
export * from './conv-dw-reduce.js';
export * from './conv-db.js';
export * from './bn-stats.js';
export * from './bn-finalize.js';
export * from './chain-bwd.js';
export * from './chain-bwd-reduce.js';
export * from './chain-bwd-finalize.js';
export * from './relu-mask-dm.js';
export * from './loss.js';
export * from './sgd.js';
