// Layer graph -> training plan: every buffer and every dispatch of one training step at a fixed
// batch size, so that a step is one command buffer: forward in training mode, loss, backward,
// update.
//
// The work is done by the training passes (src/codegen/train/passes/): the fusion pass inference
// uses (without the conv epilogue, because batch norm needs the conv's output for its batch
// statistics), then params, values, forward, loss, backward, update and allocate (which lets
// buffers never live at the same time share GPU memory), run through the pass manager's stage
// runner so `--debug` can print the IR after each. From a network, the graph pass
// `lower` runs first, as it does for inference.

import type { ArchIR } from '../ir/arch.js';
import type { LayerGraph } from '../ir/graph.js';
import { runGraphPasses } from '../passes/framework.js';
import type { LossSpec, SgdHyper } from './kernels/index.js';
import { SGD_DEFAULTS } from './kernels/index.js';
import { GRAPH_PASSES } from './graph/index.js';
import { printGraphState } from './graph/print.js';
import { need, type GraphState } from './graph/state.js';
import { checkPlanFits, withBatchAdvice } from './device-limits.js';
import { DEFAULT_LIMITS } from './plan-types.js';
import { checkedBatch, scheduleSettings } from './plan.js';
import { TRAIN_PASSES } from './train/passes/index.js';
import { printTrainState } from './train/print.js';
import type { TrainState } from './train/state.js';
import type { TrainBufferKind, TrainPlan, TrainPlanOptions } from './train/types.js';

export * from './train/types.js';
export { TRAIN_PASSES } from './train/passes/index.js';
export type { TrainState } from './train/state.js';

/** The graph's output node and class count, checked for training. */
function trainOutput(graph: LayerGraph) {
  const nodes = graph.nodes;
  nodes.forEach((n, i) => {
    if (n.id !== i) throw new Error(`compileTrainPlan: node ${n.name} has id ${n.id} at position ${i}`);
  });
  const inputs = nodes.filter((n) => n.op === 'input');
  if (inputs.length !== 1) throw new Error(`compileTrainPlan: graph ${graph.name} has ${inputs.length} input nodes, expected 1`);
  const outNode = nodes[graph.output];
  if (outNode.op === 'input' || outNode.op === 'slice') {
    throw new Error(`compileTrainPlan: the output of ${graph.name} is ${outNode.op} ${outNode.name}; training needs a computed output`);
  }
  const classes = outNode.shape.c * outNode.shape.h * outNode.shape.w;
  if (classes !== graph.classes) throw new Error(`compileTrainPlan: the output ${outNode.name} has ${classes} values per image, the graph declares ${graph.classes} classes`);
  return { input: inputs[0], outNode, classes };
}

/** Every option resolved: the plan options the shared passes read, and the training settings. */
function resolveOptions(options: TrainPlanOptions): Pick<TrainState, 'options' | 'train'> {
  const batch = checkedBatch('compileTrainPlan', options);
  const loss: LossSpec = options.loss ?? { kind: 'ce' };
  const sgd: SgdHyper = {
    momentum: options.sgd?.momentum ?? SGD_DEFAULTS.momentum,
    weightDecay: options.sgd?.weightDecay ?? SGD_DEFAULTS.weightDecay,
    nesterov: options.sgd?.nesterov ?? SGD_DEFAULTS.nesterov,
  };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  // Training fuses bn / add / relu chains but keeps each conv alone; `reuse` is the allocate pass's.
  const stage = { batch, subgroupSize: options.subgroupSize ?? 0, limits, reuse: options.reuse ?? true, fuse: true, convEpilogue: false, head: false, f16Weights: false, schedule: scheduleSettings(options) };
  return { options: stage, train: { loss, sgd, decay: options.sgd?.decay ?? (() => true), bnMomentum: options.bnMomentum ?? 0.1 } };
}

/** The training plan of a layer graph, every training pass reported to `options.observer`. */
export function compileTrainPlan(graph: LayerGraph, options: TrainPlanOptions): TrainPlan {
  return trainPlanAdvised(graph, options, 1);
}

/** Lowers a network (the graph pass `lower`) and compiles its training step, every pass reported to `options.observer`. */
export function compileTrainNetwork(net: ArchIR, options: TrainPlanOptions): { graph: LayerGraph; plan: TrainPlan } {
  const resolved = resolveOptions(options);
  const lowered = runGraphPasses<GraphState>({ options: resolved.options, arch: net }, { passes: GRAPH_PASSES.slice(0, 1), print: printGraphState, network: net.name, observer: options.observer });
  const graph = need(lowered, 'graph', 'compileTrainNetwork');
  return { graph, plan: trainPlanAdvised(graph, options, 2) };
}

/** Buffers whose size does not depend on the batch. */
const FIXED_KINDS: ReadonlySet<TrainBufferKind> = new Set(['params', 'grads', 'momentum', 'running', 'bnstate', 'coef', 'uniform', 'args', 'zeros']);

/**
 * The plan, checked against the device's limits; when the batch is too large, says which batch
 * would fit (planning again at smaller batches, unobserved).
 */
function trainPlanAdvised(graph: LayerGraph, options: TrainPlanOptions, first: number): TrainPlan {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const checked = (o: TrainPlanOptions) => {
    const plan = trainPlanOf(graph, o, first);
    const dispatches = plan.dispatches.map((d) => ({ label: d.label, workgroups: d.workgroups, bindings: d.bindings }));
    checkPlanFits(plan.buffers, dispatches, limits, (b) => !FIXED_KINDS.has(b.kind));
    return plan;
  };
  const unobserved = { ...options, observer: undefined };
  return withBatchAdvice(graph.name, 'training', options.batch, () => checked(options), (batch) => checked({ ...unobserved, batch }));
}

/** Runs the training passes (the first reported as pass `first`) and collects the plan. */
function trainPlanOf(graph: LayerGraph, options: TrainPlanOptions, first: number): TrainPlan {
  const start: TrainState = { ...resolveOptions(options), graph };
  trainOutput(graph);
  const state = runGraphPasses(start, { passes: TRAIN_PASSES, print: printTrainState, network: graph.name, observer: options.observer, first });
  return need(state, 'trainPlan', 'compileTrainPlan');
}
