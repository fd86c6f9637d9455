// hrn's public API in Node: everything of index.ts, with kernel templates read from kernels/, and
// the pieces that need files or Dawn (the `webgpu` package).

import './codegen/template-files.js';

export * from './index.js';
export { fileTemplateSource, kernelDir } from './codegen/template-files.js';
export { writeCompiled } from './codegen/write.js';
export { DeviceError, listAdapters, openDevice, type ListedAdapter, type OpenDeviceOptions } from './runtime/device.js';
export { readSafetensors, writeSafetensors } from './weights/safetensors.js';
