// The graph-level passes, registered once, in the order they run. `hrn compile --debug` prints the
// IR after each (through the pass manager's observer), and `--debug-only` accepts their names.

import type { GraphPass } from '../../passes/framework.js';
import { allocatePass } from './allocate.js';
import { kernelsPass } from './emit.js';
import { fusePass } from './fuse.js';
import { livenessPass } from './liveness.js';
import { lowerPass } from './lower.js';
import { placePass } from './place.js';
import { programPass } from './program.js';
import type { GraphState } from './state.js';

/** From the architecture IR to the execution plan. */
export const GRAPH_PASSES: readonly GraphPass<GraphState>[] = Object.freeze([lowerPass, fusePass, placePass, livenessPass, allocatePass, kernelsPass, programPass]);

/** The passes after lowering (for a layer graph built directly). */
export const PLAN_PASSES: readonly GraphPass<GraphState>[] = GRAPH_PASSES.slice(1);

export { printGraphState } from './print.js';
export type { GraphState, GraphPassOptions } from './state.js';
