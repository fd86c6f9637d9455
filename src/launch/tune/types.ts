// What `hrn tune`'s search (search.ts) takes and gives: its options, its progress events and the
// measured result per kernel signature.

import type { Knobs } from '../../codegen/schedule/candidates.js';
import type { KernelSignature } from '../../codegen/schedule/signature.js';
import type { PlanProfile, ProfileName, ScheduleFamily, ScheduleTarget } from '../../codegen/schedule/types.js';
import type { LayerGraph } from '../../ir/graph.js';
import type { GpuContext } from '../../runtime/gpu-context.js';
import type { GpuClock } from '../../runtime/gpu-timer.js';

export type TuneMode = 'inference' | 'training';

export interface TuneOptions {
  graph: LayerGraph;
  /** The plan whose kernels are tuned: a forward pass, or a training step. */
  mode: TuneMode;
  batch: number;
  /** The profile the plans are compiled under (its choice is every signature's first candidate); default the device's. */
  profile?: ProfileName;
  /** Milliseconds for the whole search; it stops when they are spent, keeping what it measured. */
  budgetMs: number;
  /** Timed samples per candidate (the fastest is its time); default 5. */
  reps?: number;
  /** Largest normwise difference from the profile choice's result a candidate may have; default 1e-3. */
  tolerance?: number;
  /** Seeds the inputs and parameters; default 1. */
  seed?: number;
  /** The schedules worth timing for a signature; default the family's list (candidates.ts). Tests pass broken ones here. */
  candidates?: (sig: KernelSignature, target: ScheduleTarget) => Knobs[];
  /**
   * Rewrites the WGSL of a candidate's kernels before they run (a test seam: a deliberately wrong
   * kernel, fast because it skips its work, must be rejected). Never applied to the profile's choice,
   * the reference the others are checked against.
   */
  editKernel?: (sig: KernelSignature, knobs: Knobs, wgsl: string) => string;
  /** Signatures not to tune (measured already, for another network of the same run). */
  skip?: ReadonlySet<string>;
  onProgress?: (p: TuneProgress) => void;
  /** Checked before every candidate: true ends the search as a spent budget does (Ctrl-C), keeping what was measured. */
  shouldStop?: () => boolean;
  /** Milliseconds, for the budget (tests); default performance.now. */
  now?: () => number;
  /** Time candidates by the GPU's timestamps where the device has them (default true); false: the wall clock. */
  timestamps?: boolean;
}

export interface TuneProgress {
  /** Candidates measured (or rejected) so far. */
  done: number;
  /** Candidates of every signature known so far. */
  total: number;
  /** The signature just measured. */
  signature: string;
}

export interface Measured {
  knobs: Knobs;
  /**
   * Milliseconds per run of the signature's dispatches: the fastest of the timed samples (what else
   * the machine runs only ever adds to a sample, so the fastest is the steadiest estimate).
   */
  ms: number;
}

export interface SignatureTuning {
  key: string;
  signature: KernelSignature;
  family: ScheduleFamily;
  /** The first layer of the signature, as the plan labels its dispatch. */
  label: string;
  /** Dispatches of this signature in the plan. */
  dispatches: number;
  /** Candidates in its list (the profile's choice first). */
  candidates: number;
  /** Candidates measured or rejected. */
  tried: number;
  /** The profile's choice; absent when the budget ran out before it was measured. */
  baseline?: Measured;
  /** The fastest candidate whose result matched the profile choice's (the profile's choice itself when none beat it). */
  best?: Measured;
  rejected: { knobs: Knobs; why: string }[];
}

export interface TuneResult {
  profile: PlanProfile;
  signatures: SignatureTuning[];
  /** Candidates measured or rejected, and all there were. */
  tried: number;
  total: number;
  /** Whether the budget ran out (or shouldStop said so) before every candidate was measured. */
  stopped: boolean;
  reps: number;
  /**
   * What timed the candidates: `timestamp`, the GPU's timestamps around each pass, when every
   * sample had them; `wall`, the host's clock from submission to completion, otherwise (a device
   * without the feature, `timestamps: false`, or a sample whose timestamps were unusable).
   */
  clock: GpuClock;
}

/** What the search needs of the device. */
export type TuneDevice = Pick<GpuContext, 'device' | 'subgroupSize' | 'limits' | 'cpuDriver'> & Partial<Pick<GpuContext, 'subgroupMaxSize'>>;
