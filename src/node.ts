/// <reference types="@webgpu/types" preserve="true" />
/**
 * hrn's public API in Node, what `import ... from 'hrn'` (or `require('hrn')`) gives there:
 * everything of the `index` module, with kernel templates read from the package's `kernels/`, and
 * the pieces that need files or Dawn (the `webgpu` package): {@link openDevice} opens a WebGPU
 * device, {@link readSafetensors} and {@link writeSafetensors} read and write weights,
 * {@link writeCompiled} writes a compiled plan's kernels.
 *
 * @packageDocumentation
 * @module node
 */

import './codegen/template-files.js';

export * from './index.js';
export { fileTemplateSource, kernelDir } from './codegen/template-files.js';
export { writeCompiled } from './codegen/write.js';
export { DeviceError, listAdapters, openDevice, type ListedAdapter, type OpenDeviceOptions } from './runtime/device.js';
export { readSafetensors, writeSafetensors } from './weights/safetensors.js';
