// A schedule is how one kernel's work is cut into invocations and workgroups: register tiles,
// workgroup sizes, the split of a reduction into partial sums. It changes speed and the order of
// float additions, never what is computed. Each kernel family has a schedule type of its own; a
// profile (profiles.ts) picks one per dispatch, and the generators take it explicitly.

import type { ConvTile } from '../conv-layout.js';

/**
 * `cpu`: few fat invocations, as lavapipe's 2-8 lanes per core want; `gpu`: enough invocations to
 * fill a GPU (tens of thousands per dispatch).
 */
export type ProfileName = 'cpu' | 'gpu';

export const PROFILE_NAMES: readonly ProfileName[] = ['cpu', 'gpu'];

/** How a plan's profile was chosen: hrn's default (no device), the device heuristic, or asked for (`--profile`, a plan option). */
export type ProfileOrigin = 'default' | 'device' | 'option';

/**
 * Where one dispatch's schedule came from: the plan's profile, an override of the family's knobs
 * (tests, benchmarks), or a schedule `hrn tune` measured for the kernel's signature (plan option `tuned`).
 */
export type ScheduleSource = ProfileOrigin | 'override' | 'tuned';

/** Forward convolution: the register tile (ocb output channels x pxb pixels per invocation) and the workgroup. */
export type ConvSchedule = ConvTile;

/** Convolution input gradient: icb input channels x pxb pixels (x stride rows) per invocation. */
export interface ConvDxSchedule {
  /** Input channels per invocation: a positive multiple of 4. */
  icb: number;
  /** Input pixels along a row per invocation: a multiple of the stride. */
  pxb: number;
  /** Input rows per invocation: a multiple of the stride (default: the stride, or 1 at stride 1). */
  rows?: number;
  /** Invocations per workgroup. */
  wg: number;
  /**
   * The implicit-product kernel with workgroup tiles (kernels/train/conv_dx_gemm.wgsl) in place of
   * the direct one: icb is then 4 and pxb counts pixels per invocation across rows and images.
   * Absent: the direct kernel.
   */
  gemm?: boolean;
}

/**
 * Convolution weight gradient: one invocation per input channel of a workgroup's block of output
 * channels and kernel rows, summing over a chunk of the batch's output rows; the chunks' partial
 * gradients are added by conv_dw_reduce.
 */
export interface ConvDwSchedule {
  /** Invocations (input channels) per workgroup. */
  wg: number;
  /** Output-channel vec4s per invocation (1 or the packed block's NV). */
  ovb: number;
  /** Kernel rows per invocation. */
  kyb: number;
  /** Output pixels per step along a row. */
  pxb: number;
  /** Invocations the reduction is split for: the rows are cut into as many chunks as reach it (at most one row each). */
  target: number;
}

/** Fully connected forward and backward: one invocation per output (or gradient) element. */
export interface FcSchedule {
  wg: number;
}

/**
 * The per-channel reductions of training (bn_stats, chain_bwd_reduce, then bn_finalize and
 * chain_bwd_finalize over their partial sums), and conv_dw_reduce over conv dW's chunks: a tree of
 * two levels, partial sums then one invocation per channel (or gradient vec4) adding them.
 */
export interface ReductionSchedule {
  /** Partial sums of the first level, over all channels: each channel's images (and, with splitPlane, planes) are cut to reach it. */
  target: number;
  /** Cut each image's plane too, once every image has a partial sum of its own. */
  splitPlane: boolean;
  /** Invocations per workgroup of both levels. */
  wg: number;
}

/**
 * The per-element kernels (batch norm, add and ReLU chains, and their gradients): `run`
 * consecutive elements of one plane per invocation.
 */
export interface ElementwiseSchedule {
  /** Elements (of the kernel's vector type) per invocation: the longest power of two up to it that divides the plane is taken. */
  run: number;
  /** Invocations per workgroup. */
  wg: number;
}

/** Each family's knobs, by family name. */
export interface FamilySchedules {
  conv: ConvSchedule;
  conv_dx: ConvDxSchedule;
  conv_dw: ConvDwSchedule;
  fc: FcSchedule;
  reduction: ReductionSchedule;
  elementwise: ElementwiseSchedule;
}

export type ScheduleFamily = keyof FamilySchedules;

export const SCHEDULE_FAMILIES: readonly ScheduleFamily[] = ['conv', 'conv_dx', 'conv_dw', 'fc', 'reduction', 'elementwise'];

/** Knobs to force on every kernel of a family, over what the profile chose (tests, tuning). */
export type ScheduleOverrides = { [F in ScheduleFamily]?: Partial<FamilySchedules[F]> };

/**
 * A dispatch's schedule as a plan records it: the family's knobs and what follows from them and the
 * shape (conv dW's chunks; a reduction's partial sums per channel, or per gradient element for
 * conv_dw_reduce). A reduction's second level has only its workgroup of the knobs.
 */
export type Schedule =
  | ({ family: 'conv' } & Required<ConvSchedule>)
  | ({ family: 'conv_dx' } & Required<ConvDxSchedule>)
  | ({ family: 'conv_dw' } & ConvDwSchedule & { chunks: number })
  | ({ family: 'fc' } & FcSchedule)
  | ({ family: 'reduction'; level: 1 } & ReductionSchedule & { partials: number })
  | { family: 'reduction'; level: 2; wg: number; partials: number; lanes?: number }
  | ({ family: 'elementwise' } & ElementwiseSchedule);

export interface DispatchSchedule {
  /** The dispatch's index in its plan. */
  dispatch: number;
  schedule: Schedule;
  profile: ProfileName;
  from: ScheduleSource;
  /**
   * The kernel signature the schedule was chosen for (signature.ts, `signatureKey`). A reduction's
   * second level carries its first level's, and conv_dw_reduce its conv_dw's: they are timed with it.
   */
  signature: string;
}

/** The plan's profile and how it was chosen. */
export interface PlanProfile {
  name: ProfileName;
  from: ProfileOrigin;
}

/** What a schedule must fit: the subgroup width the plan's kernels use and the device's limits. */
export interface ScheduleTarget {
  /** Subgroup width (0: no subgroup operations); workgroups that use subgroups are multiples of it. */
  subgroupSize: number;
  /** maxComputeInvocationsPerWorkgroup. */
  maxWorkgroupSize: number;
  /** The largest storage binding (bytes): conv dW's partial gradients must fit in one. */
  maxBindingBytes: number;
  /**
   * What the gpu profile rounds every workgroup up to a multiple of: the adapter's largest subgroup
   * size (workgroupMultiple in workgroup.ts). Absent: 1; the cpu profile ignores it.
   */
  workgroupMultiple?: number;
}
