// hrn's public API, the same in Node and in a browser: the front end (parse, --set, resolve), the
// passes, counting, lowering, planning and WGSL, and the WebGPU executor. Nothing here touches files
// or a particular WebGPU implementation: kernel templates come from a TemplateSource and devices
// from a GPUAdapter. The package's Node entry (node.ts) adds the file-based pieces and Dawn.

export { DiagnosticError, formatDiagnostic, formatDiagnostics, hasErrors, type Diagnostic, type Severity, type SourceMap, type SourceSpan } from './diagnostics.js';
export { parseHrn, parseOverride, parsePipelineText, resolveNetwork } from './parser/index.js';
export type { HrnFile, Override } from './parser/index.js';
export {
  DriverError,
  failOnErrors,
  loadNetworksFromText,
  lowerNetwork,
  pipelineTable,
  planNetwork,
  runPipelineText,
  type LoadedNetworks,
  type SourceOptions,
} from './driver.js';
export type { ArchIR, Shape, StageIR } from './ir/arch.js';
export type { GraphNode, LayerGraph } from './ir/graph.js';
export type { PipelineStep } from './ir/pipeline.js';
export { networkStats, FLOPS_CONVENTION, type NetworkStats } from './ir/stats.js';
export { printArch, printGraph } from './ir/print.js';
export { emitHrn } from './ir/emit-hrn.js';
export { BUILTIN_PIPELINES, runPipeline, runText, type PassEvent, type PassObserver, type RunOptions, type RunResult } from './passes/manager.js';
export { debugObserver, familyTable, formatPassDiff, formatPassEvent, irDiff, type DebugOptions } from './passes/debug.js';
export { defaultRegistry } from './passes/registry.js';
export { compilePlan, type Plan, type PlanKernel, type PlanOptions } from './codegen/plan.js';
export { kernelFileText, kernelHeader, planManifest } from './codegen/plan-text.js';
export { setTemplateSource, tableTemplateSource, type TemplateSource } from './codegen/template.js';
export { dispatchLoads, peakMemoryBytes, planFlops, type DispatchLoad } from './codegen/dispatch-load.js';
export { STARVATION_LIMITS, starvedDispatches, type StarvationLimits, type StarvedDispatch } from './codegen/lint.js';
export { contextFromAdapter, isCpuDriver, type GpuContext } from './runtime/gpu-context.js';
export { GpuDeviceLostError, GpuOutOfMemoryError, GpuUncapturedError } from './runtime/device-watch.js';
export { Executor, KernelCompileError, type Classification } from './runtime/executor.js';
export { checkWeights, initWeights, type Weights, type WeightTensor } from './weights/weights.js';
export { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsContents } from './weights/safetensors-format.js';
