export * from './device.js';
export * from './executor.js';
