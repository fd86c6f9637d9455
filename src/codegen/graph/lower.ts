// Graph pass `lower`: the architecture IR becomes the layer graph (src/ir/lower.ts does the work).

import type { GraphPass } from '../../passes/framework.js';
import { lowerToGraph } from '../../ir/lower.js';
import { need, type GraphState } from './state.js';

export const lowerPass: GraphPass<GraphState> = {
  name: 'lower',
  summary: 'lower the architecture to the layer graph (conv, bn, add, relu, slice, concat, avgpool, fc)',
  run(state) {
    return { ...state, graph: lowerToGraph(need(state, 'arch', 'lower')) };
  },
};
