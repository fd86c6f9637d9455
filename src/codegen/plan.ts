// Layer graph -> execution plan: which kernels run in which order on which buffers. The work is
// done by the graph passes in src/codegen/graph/ (fuse, place, liveness, allocate, kernels), run
// through the pass manager's stage runner so `--debug` can print the IR after each.

import type { ArchIR } from '../ir/arch.js';
import type { LayerGraph } from '../ir/graph.js';
import { runGraphPasses, type GraphPassObserver } from '../passes/framework.js';
import { GRAPH_PASSES, PLAN_PASSES } from './graph/index.js';
import { printGraphState } from './graph/print.js';
import type { GraphState, GraphPassOptions } from './graph/state.js';
import { checkPlanFits, withBatchAdvice } from './device-limits.js';
import { DEFAULT_LIMITS, type Plan, type PlanOptions, type ScheduleOptions } from './plan-types.js';
import { planProfile } from './schedule/profiles.js';
import { workgroupMultiple } from './schedule/workgroup.js';
import type { ScheduleSettings } from './schedule/scheduler.js';

export * from './plan-types.js';

/** The schedule options with their defaults (inference and training). */
export function scheduleSettings(o: ScheduleOptions): ScheduleSettings {
  const profile = planProfile(o.profile, o.profileFrom);
  return {
    profile,
    overrides: o.schedules ?? {},
    ...(o.tuned !== undefined ? { tuned: o.tuned } : {}),
    workgroupMultiple: workgroupMultiple(profile.name, o.subgroupMaxSize),
  };
}

/**
 * `options.batch`, checked. Plans are compiled for a fixed batch, so there is no default; the
 * message names the function called and the option, for callers without the types (plain JS).
 */
export function checkedBatch(fn: string, options: { batch: number } | undefined): number {
  const batch: unknown = options?.batch;
  if (batch === undefined) throw new TypeError(`${fn}: options.batch is required: the number of images per run, a positive integer (e.g. { batch: 1 })`);
  if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1) {
    throw new TypeError(`${fn}: options.batch must be a positive integer (the number of images per run), got ${JSON.stringify(batch) ?? String(batch)}`);
  }
  return batch;
}

/** Plan options with the defaults filled in, checked; `fn` is the public function called, for errors. */
export function stageOptions(options: PlanOptions, fn = 'compilePlan'): GraphPassOptions {
  const batch = checkedBatch(fn, options);
  return {
    batch,
    subgroupSize: options.subgroupSize ?? 0,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    reuse: options.reuse ?? true,
    fuse: options.fuse ?? true,
    convEpilogue: true,
    head: options.head ?? true,
    f16Weights: options.f16Weights ?? false,
    schedule: scheduleSettings(options),
  };
}

function checkGraph(graph: LayerGraph): void {
  graph.nodes.forEach((n, i) => {
    if (n.id !== i) throw new Error(`compilePlan: node ${n.name} has id ${n.id} at position ${i}`);
  });
  const inputs = graph.nodes.filter((n) => n.op === 'input');
  if (inputs.length !== 1) throw new Error(`compilePlan: graph ${graph.name} has ${inputs.length} input nodes, expected 1`);
}

function finish(state: GraphState): Plan {
  const body = state.plan;
  const program = state.program;
  if (body === undefined || program === undefined) throw new Error('compilePlan: the graph passes produced no plan (internal error)');
  const plan: Plan = { ...body, program };
  const dispatches = plan.dispatches.map((d) => ({ label: d.nodes.join(' + '), workgroups: d.workgroups, bindings: d.bindings }));
  checkPlanFits(plan.buffers, dispatches, state.options.limits, (b) => b.kind !== 'param');
  return plan;
}

/** Runs the plan passes from `state` (the graph lowered); a plan that does not fit the device is a DeviceLimitError. */
function planFrom(state: GraphState, observer: GraphPassObserver | undefined, first: number): Plan {
  return finish(runGraphPasses(state, { passes: PLAN_PASSES, print: printGraphState, network: state.graph!.name, observer, first }));
}

/**
 * Plans `state`, and when the batch is too large for the device, says which batch would fit
 * (planning again at smaller batches, unobserved).
 */
function planAdvised(state: GraphState, observer: GraphPassObserver | undefined, first: number): Plan {
  const { batch } = state.options;
  return withBatchAdvice(
    state.graph!.name,
    'inference',
    batch,
    () => planFrom(state, observer, first),
    (b) => planFrom({ ...state, options: { ...state.options, batch: b } }, undefined, first),
  );
}

/** The execution plan of a layer graph. */
export function compilePlan(graph: LayerGraph, options: PlanOptions, observer?: GraphPassObserver): Plan {
  checkGraph(graph);
  return planAdvised({ options: stageOptions(options), graph }, observer, 1);
}

/** Lowers a network and plans it, every graph pass reported to `observer`; returns both. */
export function compileNetwork(net: ArchIR, options: PlanOptions, observer?: GraphPassObserver): { graph: LayerGraph; plan: Plan } {
  const opts = stageOptions(options, 'planNetwork');
  const lowered = runGraphPasses<GraphState>({ options: opts, arch: net }, { passes: GRAPH_PASSES.slice(0, 1), print: printGraphState, network: net.name, observer });
  checkGraph(lowered.graph!);
  return { graph: lowered.graph!, plan: planAdvised(lowered, observer, 2) };
}
