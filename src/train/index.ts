export * from './losses.js';
export * from './sgd.js';
export * from './schedule.js';
export * from './checkpoint.js';
export * from './log.js';
export * from './progress.js';
export * from './interrupt.js';
