/// <reference types="@webgpu/types" preserve="true" />
/**
 * hrn's public API, the same in Node and in a browser: the front end (parse, `--set`, resolve),
 * the passes, counting, lowering, planning and WGSL, and the WebGPU executor.
 *
 * Nothing here touches files or a particular WebGPU implementation: kernel templates come from a
 * {@link TemplateSource} (set one with {@link setTemplateSource} in a browser) and devices from a
 * `GPUAdapter` ({@link contextFromAdapter}). In Node, import the package's Node entry instead
 * (the same name, `hrn`: see the `node` module), which reads the templates from `kernels/` and
 * opens devices through Dawn.
 *
 * The usual path: {@link loadNetworksFromText} (text to networks), {@link networkStats} (ReLUs,
 * FLOPs, parameters), {@link planNetwork} (layer graph and execution plan), then
 * {@link openExecutor} with {@link initWeights} or loaded weights to run inference. See
 * docs/library.md for a complete example.
 *
 * The WebGPU types (`GPUDevice`, ...) come from the `@webgpu/types` package, a dependency; the
 * reference above makes them visible to a project that imports hrn, with no `types` setting.
 *
 * @packageDocumentation
 * @module index
 */

// Every op's definitions, handed to the layers that look them up.
import './ops/index.js';

export { DiagnosticError, formatDiagnostic, formatDiagnostics, hasErrors, type Diagnostic, type Severity, type SourceLines, type SourceMap, type SourceSpan } from './diagnostics.js';
export { parseHrn, parseOverride, parsePipelineText, resolveNetwork } from './parser/index.js';
// The syntax tree, schedule and training-plan modules hold only types, all reachable from the API.
export type * from './parser/ast.js';
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
export type { ArchIR, BlockKind, HeadIR, ReluPlan, Shape, StageIR, StemIR, WidthBasis } from './ir/arch.js';
export type {
  AddNode,
  AvgPoolNode,
  BatchNormNode,
  ConcatNode,
  ConvNode,
  FcNode,
  GraphNode,
  InputNode,
  LayerGraph,
  MaxPoolNode,
  ReluNode,
  SliceNode,
} from './ir/graph.js';
export type { PipelineArg, PipelineStep } from './ir/pipeline.js';
export { networkStats, FLOPS_CONVENTION, type NetworkStats } from './ir/stats.js';
export type { CriticalityCheck } from './ir/criticality.js';
export type { PiCost } from './ir/cost.js';
export type { HeCost } from './ir/he-cost.js';
export type { HeConstants } from './ir/he-constants.js';
export { printArch, printGraph } from './ir/print.js';
export { emitHrn } from './ir/emit-hrn.js';
export { BUILTIN_PIPELINES, runPipeline, runText, type PassEvent, type PassObserver, type PipelineTable, type RunOptions, type RunResult } from './passes/manager.js';
export type { GraphPassEvent, GraphPassObserver } from './passes/framework.js';
export { debugObserver, familyTable, formatPassDiff, formatPassEvent, irDiff, type DebugOptions } from './passes/debug.js';
export { defaultRegistry, type PassRegistry } from './passes/registry.js';
export {
  compilePlan,
  type BufferKind,
  type Plan,
  type PlanBuffer,
  type PlanDispatch,
  type PlanKernel,
  type PlanLimits,
  type PlanMemory,
  type PlanOptions,
  type PlanTensor,
} from './codegen/plan.js';
export type * from './codegen/schedule/types.js';
export type * from './codegen/train/types.js';
export type { BindingType, BufView, LossSpec, SgdHyper, TrainBinding } from './codegen/kernels/index.js';
export type { ConvTile } from './codegen/conv-layout.js';
export type { ParamLayout } from './program/param-layout.js';
export { kernelFileText, kernelHeader, planManifest } from './codegen/plan-text.js';
export { setTemplateSource, tableTemplateSource, type TemplateSource } from './codegen/template.js';
export { dispatchLoads, peakMemoryBytes, planFlops, type DispatchLoad, type LoadSchedule } from './codegen/dispatch-load.js';
export { STARVATION_LIMITS, starvedDispatches, type StarvationLimits, type StarvedDispatch } from './codegen/lint.js';
export { contextFromAdapter, isCpuDriver, type GpuContext } from './runtime/gpu-context.js';
export { GpuDeviceLostError, GpuOutOfMemoryError, GpuUncapturedError } from './runtime/device-watch.js';
export { Executor, KernelCompileError, type Classification, type CompileProgress } from './runtime/executor.js';
export { openExecutor } from './launch/infer.js';
export type * from './program/types.js';
export { LOSS_SUMS } from './program/types.js';
export type { OpenHelper } from './runtime/warm-up.js';
export { checkWeights, initWeights, type Weights, type WeightTensor } from './weights/weights.js';
export { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsContents } from './weights/safetensors-format.js';
