export * from './device.js';
export * from './executor.js';
export * from './bench.js';
