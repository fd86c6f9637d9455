export * from './weights.js';
export * from './safetensors.js';
export * from './snl-masks.js';
