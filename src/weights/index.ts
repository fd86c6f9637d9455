export * from './weights.js';
export * from './safetensors.js';
export * from './finite.js';
