// The table of the layer graph's ops at the graph level: one entry per folder of src/ops/. Adding
// an op adds its folder (whose graph.ts adds its node type to the IR's NodeTypes) and one line to
// each table of this folder (this one, reference.ts, export.ts, and kernels.ts for an op that is a
// step of its own); src/ops/index.ts hands the tables to the layers.

import type { GraphOp, NodeOf, OpName } from '../ir/node.js';
import { addGraph } from './add/graph.js';
import { avgpoolGraph } from './avgpool/graph.js';
import { bnGraph } from './bn/graph.js';
import { concatGraph } from './concat/graph.js';
import { convGraph } from './conv/graph.js';
import { fcGraph } from './fc/graph.js';
import { inputGraph } from './input/graph.js';
import { maxpoolGraph } from './maxpool/graph.js';
import { reluGraph } from './relu/graph.js';
import { sliceGraph } from './slice/graph.js';

export const GRAPH_OPS: { [K in OpName]: GraphOp<NodeOf<K>> } = {
  input: inputGraph,
  conv: convGraph,
  bn: bnGraph,
  relu: reluGraph,
  add: addGraph,
  slice: sliceGraph,
  concat: concatGraph,
  avgpool: avgpoolGraph,
  maxpool: maxpoolGraph,
  fc: fcGraph,
};
