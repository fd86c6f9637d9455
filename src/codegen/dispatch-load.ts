// What each dispatch of a plan (inference or a training step) asks of the GPU: how many invocations
// it launches and how much arithmetic it carries, and the GPU memory the plan's buffers take. Read
// by `hrn compile --json` and by the starvation lint (lint.ts).

import type { Plan } from './plan-types.js';
import type { DispatchSchedule, ProfileName, ScheduleFamily, ScheduleSource } from './schedule/types.js';
import type { TrainPhase, TrainPlan } from './train/types.js';

/** A dispatch's schedule (src/codegen/schedule/) as `hrn compile --json` lists it. */
export interface LoadSchedule {
  family: ScheduleFamily;
  /** The family's knobs and what follows from them for this dispatch (chunks, partial sums). */
  knobs: Record<string, number | boolean>;
  profile: ProfileName;
  from: ScheduleSource;
  /** The kernel signature it was chosen for: what hrn tune's cache is keyed by. */
  signature: string;
}

export interface DispatchLoad {
  index: number;
  /** The kernel's file stem (`k03_conv`, `t12_conv_dw`). */
  kernel: string;
  /** What it computes: the fused layers of an inference dispatch, a training dispatch's label. */
  label: string;
  /** Training: the step's phase the dispatch belongs to. */
  phase?: TrainPhase;
  workgroupSize: number;
  workgroups: [number, number, number];
  /** Workgroups times the workgroup size: every invocation launched, idle ones past the end of a split grid included. */
  invocations: number;
  /** Floating-point operations (a multiply-add counts 2); 0 for memory-bound kernels. */
  flops: number;
  /** The kernel's schedule, for the kernel families that have one. */
  schedule?: LoadSchedule;
}

/** Floating-point operations of one run of an inference plan, or of one training step (a multiply-add counts 2). */
export function planFlops(plan: { dispatches: readonly { flops: number }[] }): number {
  return plan.dispatches.reduce((s, d) => s + d.flops, 0);
}

function loadSchedule(s: DispatchSchedule): LoadSchedule {
  const { family, ...knobs } = s.schedule;
  return { family, knobs, profile: s.profile, from: s.from, signature: s.signature };
}

/** Every dispatch of `plan`, in order, with its invocations, FLOPs and schedule. */
export function dispatchLoads(plan: Plan | TrainPlan): DispatchLoad[] {
  const schedules = new Map(plan.schedules.map((s) => [s.dispatch, s]));
  return plan.dispatches.map((d) => {
    const k = plan.kernels[d.kernel];
    const [x, y, z] = d.workgroups;
    const s = schedules.get(d.index);
    return {
      index: d.index,
      kernel: k.name,
      label: 'label' in d ? d.label : d.nodes.join('+'),
      ...('phase' in d ? { phase: d.phase } : {}),
      workgroupSize: k.workgroupSize,
      workgroups: [x, y, z],
      invocations: x * y * z * k.workgroupSize,
      flops: d.flops,
      ...(s ? { schedule: loadSchedule(s) } : {}),
    };
  });
}

/**
 * Bytes of GPU memory the plan's buffers take at once: a training step's allocations (buffers
 * never live together share one); an inference plan's activation buffers (shared the same way),
 * parameters, input and outputs.
 */
export function peakMemoryBytes(plan: Plan | TrainPlan): number {
  if ('allocations' in plan.memory) return plan.memory.bytes;
  const m = plan.memory;
  return m.activationBytes + m.paramBytes + m.ioBytes;
}
