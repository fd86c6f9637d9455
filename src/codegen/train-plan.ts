// Layer graph -> training plan: every buffer and every dispatch of one training step at a fixed
// batch size, so that a step is one command buffer: forward in training mode, loss, backward,
// optimizer.
//
// The steps come from the same fusion pass as inference (src/codegen/graph/fuse.ts), without the
// conv epilogue, because batch norm needs the conv's output for its batch statistics. Then, in
// src/codegen/train/: parameter layout (params.ts), value and gradient storage (values.ts), the
// forward dispatches (forward.ts), the loss, the backward dispatches and the optimizer
// (backward.ts).

import type { LayerGraph } from '../ir/graph.js';
import type { LossSpec, SgdHyper } from './kernels/index.js';
import { LOSS_SUMS, SGD_DEFAULTS } from './kernels/index.js';
import { DEFAULT_LIMITS } from './plan-types.js';
import { emitBackward, emitLoss, emitOptimizer } from './train/backward.js';
import { TrainBuilder } from './train/builder.js';
import { emitForward, trainSteps } from './train/forward.js';
import { layoutBatchNorm, layoutParams } from './train/params.js';
import type { TrainPlan, TrainPlanOptions, ValueInfo } from './train/types.js';
import { ForwardValues, Gradients } from './train/values.js';

export * from './train/types.js';

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

function valueInfos(graph: LayerGraph, fwd: ForwardValues, grads: Gradients): ValueInfo[] {
  return graph.nodes.map((n) => {
    const info: ValueInfo = { node: n.name, shape: { ...n.shape } };
    if (fwd.has(n.id) || n.op === 'slice') info.forward = fwd.view(n.id);
    if (grads.needed[n.id] && grads.views.has(n.id)) info.grad = grads.views.get(n.id);
    return info;
  });
}

export function compileTrainPlan(graph: LayerGraph, options: TrainPlanOptions): TrainPlan {
  const batch = options.batch;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`compileTrainPlan: batch must be a positive integer, got ${batch}`);
  const loss: LossSpec = options.loss ?? { kind: 'ce' };
  const sgd: SgdHyper = {
    momentum: options.sgd?.momentum ?? SGD_DEFAULTS.momentum,
    weightDecay: options.sgd?.weightDecay ?? SGD_DEFAULTS.weightDecay,
    nesterov: options.sgd?.nesterov ?? SGD_DEFAULTS.nesterov,
  };
  const bnMomentum = options.bnMomentum ?? 0.1;
  const { input, outNode, classes } = trainOutput(graph);
  const b = new TrainBuilder(graph, batch, { ...DEFAULT_LIMITS, ...options.limits }, options.subgroupSize ?? 0);
  const store = layoutParams(b, options.sgd?.decay ?? (() => true));
  const bn = layoutBatchNorm(b, store);
  const steps = trainSteps(graph);
  const fwd = new ForwardValues(b);
  fwd.own(input.id, 'input');
  for (const s of steps) fwd.own(s.anchor, 'activation');
  const grads = new Gradients(b);
  b.addScratch();
  emitForward({ b, fwd, store, bn, bnMomentum }, steps);
  const labels = b.addBuffer('labels', 'labels', batch * 4);
  const teacher = loss.kind !== 'ce' ? b.addBuffer('teacher-logits', 'teacher', batch * classes * 4) : undefined;
  const sums = b.addBuffer('loss-sums', 'sums', LOSS_SUMS.length * 4);
  const uniform = b.addBuffer('hyper', 'uniform', 16);
  const bx = { b, fwd, grads, store, bn };
  emitLoss(bx, graph, classes, loss, { labels, teacher, sums, uniform });
  emitBackward(bx, steps);
  emitOptimizer(bx, sgd, uniform, store.M);
  b.finishScratch();
  return {
    graph: graph.name,
    batch,
    classes,
    subgroupSize: b.subgroupSize,
    loss,
    sgd,
    bnMomentum,
    buffers: b.buffers,
    params: store.params,
    paramFloats: store.paramFloats,
    running: bn.running,
    kernels: b.kernels,
    dispatches: b.dispatches,
    clears: [...grads.clears].sort((x, y) => x - y),
    input: { buffer: fwd.view(input.id).buffer, shape: { ...input.shape }, elements: batch * b.perImage(input.id) },
    labels,
    teacher,
    sums,
    uniform,
    output: { node: outNode.name, logits: fwd.view(graph.output), classes },
    bufferIds: { params: store.P, grads: store.G, momentum: store.M, running: bn.R },
    values: valueInfos(graph, fwd, grads),
  };
}

/** Floating-point operations of one training step (multiply-add = 2). */
export function trainPlanFlops(plan: TrainPlan): number {
  return plan.dispatches.reduce((s, d) => s + d.flops, 0);
}
