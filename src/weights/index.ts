export * from './weights.js';
export * from './safetensors.js';
