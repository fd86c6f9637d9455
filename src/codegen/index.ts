export * from './conv-layout.js';
export * from './kernels/index.js';
export * from './pack.js';
export * from './plan.js';
export * from './template.js';
export * from './template-files.js';
export * from './write.js';
