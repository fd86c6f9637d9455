// Graph pass `program`: the plan lowered to the program the runtime runs, with the weight uploads
// that fold batch norm into the convs and pack every parameter buffer (src/codegen/program.ts).

import type { GraphPass } from '../../passes/framework.js';
import { inferenceProgram } from '../program.js';
import { need, type GraphState } from './state.js';

export const programPass: GraphPass<GraphState> = {
  name: 'program',
  summary: 'lower the plan to the program the runtime runs: buffers, dispatches, weight uploads',
  run: (state) => ({ ...state, program: inferenceProgram(need(state, 'plan', 'program')) }),
};
