// A lint for GPU starvation. hrn's kernels were shaped for lavapipe, where a few hundred
// invocations keep every CPU core busy; a GPU needs tens of thousands in flight (an H100 holds
// 132 SMs x 2,048 = 270,336 resident threads). A dispatch that carries a real share of the step's
// arithmetic with fewer invocations than that leaves most of a GPU idle while it runs.

import type { DispatchLoad } from './dispatch-load.js';
import { GPU_MIN_INVOCATIONS } from './schedule/workgroup.js';

export interface StarvationLimits {
  /** Fewer invocations than this starve a GPU... */
  minInvocations: number;
  /** ...when the dispatch carries more than this fraction of the plan's FLOPs. */
  minFlopsShare: number;
}

/** 32,768 invocations (GPU_MIN_INVOCATIONS: an eighth of an H100's resident threads), 1% of the FLOPs. */
export const STARVATION_LIMITS: StarvationLimits = { minInvocations: GPU_MIN_INVOCATIONS, minFlopsShare: 0.01 };

export interface StarvedDispatch extends DispatchLoad {
  /** The dispatch's share of the plan's FLOPs, 0..1. */
  flopsShare: number;
}

/** The dispatches of a plan (dispatchLoads) that carry more than the share of FLOPs with fewer invocations. */
export function starvedDispatches(loads: readonly DispatchLoad[], limits: StarvationLimits = STARVATION_LIMITS): StarvedDispatch[] {
  const total = loads.reduce((s, d) => s + d.flops, 0);
  if (total === 0) return [];
  return loads
    .map((d) => ({ ...d, flopsShare: d.flops / total }))
    .filter((d) => d.flopsShare > limits.minFlopsShare && d.invocations < limits.minInvocations);
}
