// The execution plan's types: what the graph passes (src/codegen/graph/) produce and the runtime
// runs. A plan lists every buffer, kernel and dispatch of one batch at a fixed batch size.

import type { Shape } from '../ir/arch.js';
import type { DispatchSchedule, PlanProfile, ProfileName, ProfileOrigin, ScheduleOverrides } from './schedule/types.js';
import type { TunedSchedules } from './schedule/tuned.js';
import type { CompiledKernel, ParamSource, Program } from '../program/types.js';

export type { CompiledKernel, ParamSource };

export interface PlanLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
  /** The largest workgroup a schedule may use. */
  maxComputeInvocationsPerWorkgroup: number;
}

/** WebGPU's default limits (what every device offers); lavapipe offers the same binding size. */
export const DEFAULT_LIMITS: PlanLimits = {
  maxStorageBufferBindingSize: 128 * 1024 * 1024,
  maxBufferSize: 256 * 1024 * 1024,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
  maxComputeInvocationsPerWorkgroup: 256,
};

/** How kernels are shaped: the options inference and training plans share (see src/codegen/schedule/). */
export interface ScheduleOptions {
  /**
   * The schedule profile: `cpu` (lavapipe's shapes, the default) or `gpu` (many threads). The
   * runtime picks it from the device (`profileForDevice`) unless given.
   */
  profile?: ProfileName;
  /** How `profile` was chosen, for `--debug` and `--json` (default: `option` when given). */
  profileFrom?: ProfileOrigin;
  /** Knobs forced on every kernel of a family, over the profile's choice and any tuned schedule (tests, benchmarks). */
  schedules?: ScheduleOverrides;
  /**
   * Schedules `hrn tune` measured on this device, by kernel signature (schedule/signature.ts): a
   * dispatch whose signature has one takes it instead of the profile's choice.
   */
  tuned?: TunedSchedules;
  /**
   * The adapter's largest subgroup size (`GpuContext.subgroupMaxSize`, a power of two): the gpu
   * profile rounds every workgroup up to a multiple of it, so that no subgroup runs partly empty
   * (default 32 when not given; within the device's workgroup limit). The cpu profile ignores it.
   */
  subgroupMaxSize?: number;
}

export interface PlanOptions extends ScheduleOptions {
  /** Images per run; plans are compiled for a fixed batch. */
  batch: number;
  /**
   * The device's (fixed) subgroup size, to share weight loads across lanes; 0 or absent: kernels
   * use no subgroup operations. Use the value from `GpuContext.subgroupSize`.
   */
  subgroupSize?: number;
  limits?: Partial<PlanLimits>;
  /** Share activation buffers between values that are never live together (default true). */
  reuse?: boolean;
  /** Fuse conv/bn/add/relu chains (default true); false runs every op as its own kernel. */
  fuse?: boolean;
  /** Also compute softmax probabilities and argmax classes of the output (default true). */
  head?: boolean;
  /**
   * Store the conv and fc weights as f16, read into f32 by the kernels, which still accumulate in
   * f32 (default false): half their memory and bandwidth. The device needs `shader-f16`.
   */
  f16Weights?: boolean;
}

export type BufferKind = 'input' | 'activation' | 'param' | 'output';

export interface PlanBuffer {
  id: number;
  name: string;
  kind: BufferKind;
  bytes: number;
  /** Parameter buffers: how the weights fill them (the program's weight uploads). */
  param?: ParamSource;
  /** Activation, input and output buffers: the values (node names) stored in it over time. */
  values?: string[];
}

/** Where a node's output lives: element offset of (n=0, c=0, 0, 0) and elements per image. */
export interface PlanTensor {
  node: string;
  buffer: number;
  offset: number;
  batchStride: number;
  shape: Shape;
}

export interface PlanKernel extends CompiledKernel {
  /** The constants it was specialized for (see kernels/common.ts, `specializationOf`). */
  specialization?: string;
  /** Number of storage bindings and whether each is written (the bind group layout). */
  bindings: { binding: number; write: boolean }[];
}

export interface PlanDispatch {
  index: number;
  kernel: number;
  op: 'conv' | 'ewise' | 'copy' | 'avgpool' | 'maxpool' | 'fc' | 'softmax' | 'argmax';
  /** The graph nodes this dispatch computes, in order (a fused chain has several). */
  nodes: string[];
  bindings: { binding: number; buffer: number; write: boolean }[];
  workgroups: [number, number, number];
  /** Floating-point operations (a multiply-add counts 2). */
  flops: number;
}

export interface PlanMemory {
  /** Activation bytes with liveness-based reuse: the sum of the pooled buffers. */
  activationBytes: number;
  /** Activation bytes if every value had its own buffer. */
  noReuseBytes: number;
  paramBytes: number;
  /** Input and output buffers. */
  ioBytes: number;
}

/** The plan as the graph passes build it, before the `program` pass lowers it. */
export interface PlanBody {
  graph: string;
  batch: number;
  subgroupSize: number;
  input: { node: string; buffer: number; shape: Shape; elements: number };
  output: {
    node: string;
    /** Dense [batch, classes] logits. */
    logits: number;
    classes: number;
    probs?: number;
    argmax?: number;
  };
  buffers: PlanBuffer[];
  tensors: PlanTensor[];
  kernels: PlanKernel[];
  dispatches: PlanDispatch[];
  memory: PlanMemory;
  /** The schedule profile the kernels were shaped by. */
  profile: PlanProfile;
  /** The schedule of every dispatch of a scheduled kernel family (conv, fc, elementwise), by dispatch index. */
  schedules: DispatchSchedule[];
}

/** The inference plan, with the program the runtime runs (src/codegen/program.ts). */
export interface Plan extends PlanBody {
  program: Program;
}
