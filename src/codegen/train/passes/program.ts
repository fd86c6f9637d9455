// Training pass `program`: the training step collected into its plan and lowered to the program
// the runtime runs, with the weight uploads that pack the parameters flat and place the running
// statistics (src/codegen/program.ts).

import type { LayerGraph } from '../../../ir/graph.js';
import type { GraphPass } from '../../../passes/framework.js';
import { need } from '../../graph/state.js';
import { trainingProgram } from '../../program.js';
import type { TrainState } from '../state.js';
import type { TrainPlanBody, ValueInfo } from '../types.js';
import type { ForwardValues, Gradients } from '../values.js';

function valueInfos(graph: LayerGraph, fwd: ForwardValues, grads: Gradients): ValueInfo[] {
  return graph.nodes.map((n) => {
    const info: ValueInfo = { node: n.name, shape: { ...n.shape } };
    if (fwd.has(n.id) || n.op === 'slice') info.forward = fwd.view(n.id);
    if (grads.needed[n.id] && grads.views.has(n.id)) info.grad = grads.views.get(n.id);
    return info;
  });
}

/** Everything the training passes built, as the plan. */
function collect(state: TrainState): TrainPlanBody {
  const done = 'program';
  const graph = state.graph;
  const [b, fwd, grads] = [need(state, 'builder', done), need(state, 'fwd', done), need(state, 'grads', done)];
  const [store, bn, io, memory] = [need(state, 'store', done), need(state, 'bn', done), need(state, 'loss', done), need(state, 'memory', done)];
  const input = graph.nodes.find((n) => n.op === 'input')!;
  return {
    graph: graph.name,
    batch: b.batch,
    classes: graph.classes,
    subgroupSize: b.subgroupSize,
    loss: state.train.loss,
    sgd: state.train.sgd,
    bnMomentum: state.train.bnMomentum,
    buffers: b.buffers,
    params: store.params,
    paramFloats: store.paramFloats,
    running: bn.running,
    kernels: b.kernels,
    dispatches: b.dispatches,
    clears: [...grads.clears].sort((x, y) => x - y),
    memory,
    input: { buffer: fwd.view(input.id).buffer, shape: { ...input.shape }, elements: b.batch * b.perImage(input.id) },
    labels: io.labels,
    teacher: io.teacher,
    sums: io.sums,
    uniform: io.uniform,
    output: { node: graph.nodes[graph.output].name, logits: fwd.view(graph.output), classes: graph.classes },
    bufferIds: { params: store.P, grads: store.G, momentum: store.M, running: bn.R },
    values: valueInfos(graph, fwd, grads),
    profile: state.options.schedule.profile,
    schedules: b.schedules,
  };
}

export const programPass: GraphPass<TrainState> = {
  name: 'program',
  summary: 'collect the training step and lower it to the program the runtime runs, with its weight uploads',
  run(state) {
    const body = collect(state);
    return { ...state, trainPlan: { ...body, program: trainingProgram(body) } };
  },
};
