export * from './ops.js';
export * from './run.js';
