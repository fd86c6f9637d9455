// What `hrn compile --json` and `hrn compile --lint` say about a compiled plan (inference, or a
// training step with --train): every dispatch with its invocations and FLOPs, the plan's GPU
// memory, and the dispatches that would starve a GPU (codegen/lint.ts).

import { dispatchLoads, peakMemoryBytes, type DispatchLoad } from '../codegen/dispatch-load.js';
import { STARVATION_LIMITS, starvedDispatches, type StarvedDispatch } from '../codegen/lint.js';
import type { Plan } from '../codegen/plan-types.js';
import type { PlanProfile } from '../codegen/schedule/types.js';
import type { TrainPlan } from '../codegen/train/types.js';

export interface CompiledRecord {
  network: string;
  mode: 'inference' | 'training';
  batch: number;
  subgroupSize: number;
  /** The schedule profile the kernels were shaped by, and how it was chosen. */
  profile: PlanProfile;
  kernels: number;
  flops: number;
  peakMemoryBytes: number;
  dispatches: DispatchLoad[];
  /** With --lint: the dispatches that starve a GPU, and the limits they were held to. */
  lint?: { minInvocations: number; minFlopsShare: number; starved: Pick<StarvedDispatch, 'index' | 'kernel' | 'label' | 'invocations' | 'flopsShare'>[] };
}

/** One network's entry of `hrn compile --json`. */
export function compiledRecord(network: string, mode: CompiledRecord['mode'], plan: Plan | TrainPlan, lint: boolean): CompiledRecord {
  const dispatches = dispatchLoads(plan);
  const rec: CompiledRecord = {
    network,
    mode,
    batch: plan.batch,
    subgroupSize: plan.subgroupSize,
    profile: plan.profile,
    kernels: plan.kernels.length,
    flops: dispatches.reduce((s, d) => s + d.flops, 0),
    peakMemoryBytes: peakMemoryBytes(plan),
    dispatches,
  };
  if (lint) {
    const starved = starvedDispatches(dispatches).map(({ index, kernel, label, invocations, flopsShare }) => ({ index, kernel, label, invocations, flopsShare }));
    rec.lint = { ...STARVATION_LIMITS, starved };
  }
  return rec;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The lint's report for one network: a line saying how many dispatches starve a GPU, and a table of them. */
export function lintReport(rec: CompiledRecord): string {
  const starved = rec.lint?.starved ?? [];
  const { minInvocations, minFlopsShare } = STARVATION_LIMITS;
  const what = `${rec.network}: ${rec.mode === 'training' ? 'training step' : 'inference'} at batch ${rec.batch}`;
  const rule = `over ${100 * minFlopsShare}% of the FLOPs in fewer than ${count(minInvocations)} invocations`;
  if (starved.length === 0) return `${what}: no dispatch starves a GPU (${rule})`;
  const rows = starved.map((d) => [String(d.index), d.kernel, d.label, count(d.invocations), `${(100 * d.flopsShare).toFixed(1)}%`]);
  const head = ['dispatch', 'kernel', 'label', 'invocations', 'FLOPs share'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  // Numbers right-aligned, names left.
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 || i >= 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  const share = starved.reduce((s, d) => s + d.flopsShare, 0);
  return [
    `${what}: ${starved.length} of ${rec.dispatches.length} dispatches starve a GPU (each ${rule}; together ${(100 * share).toFixed(1)}% of the FLOPs):`,
    `  ${fmt(head)}`,
    ...rows.map((r) => `  ${fmt(r)}`),
  ].join('\n');
}
