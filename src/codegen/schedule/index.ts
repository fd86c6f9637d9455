// Kernel schedules: a type per kernel family, the cpu and gpu profiles that choose them, the
// candidates a tuner times, kernel signatures and tuned schedules, and the scheduler the plan
// passes ask.

export * from './types.js';
export * from './workgroup.js';
export * from './conv.js';
export * from './conv-dx.js';
export * from './conv-dw.js';
export * from './fc.js';
export * from './reduction.js';
export * from './elementwise.js';
export * from './profiles.js';
export * from './scheduler.js';
export * from './describe.js';
export * from './signature.js';
export * from './tuned.js';
export * from './candidates.js';
