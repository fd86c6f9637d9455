export * from './fold-bn.js';
export * from './onnx-model.js';
export * from './pytorch.js';
