// Recomputing chain outputs in the backward half instead of keeping them through it.
//
// Buffer sharing alone cannot halve a training step's memory: every value the backward half reads
// is live from the forward until its own backward, so at the loss all of them are live at once, and
// for a network of conv + bn + ReLU layers they are as large as all the gradients together (the
// other half of a step without sharing). A chain `[bn] [add] [relu]` is cheap to run again (one
// elementwise pass, no statistics: the scale and shift its batch statistics gave stay in the
// bn-state buffer), so when sharing is on, the backward half reruns the chain's kernel into a buffer
// of its own just before the first dispatch that reads the output, and the forward's buffer dies
// after its forward readers. The kernel and its inputs are the forward's, so the values are the same
// bit for bit.
//
// A chain is recomputed only where that saves memory: its output is read by the backward half, and
// each of its inputs is too (so rereading them keeps nothing alive longer) and is not itself
// recomputed (so a recomputation never waits on another).

import type { LayerGraph } from '../../ir/graph.js';
import type { ChainStep } from '../graph/state.js';
import { chainNodes, chainStage } from '../op-kernels.js';
import { hasStepKernels, stepKernels } from '../step-op.js';
import type { BufView } from '../kernels/index.js';
import type { TrainBuilder } from './builder.js';
import { applyChain, chainNames, type TrainStep } from './forward.js';
import type { BnStore, ParamStore } from './params.js';
import type { ForwardValues } from './values.js';

/** The buffers whose forward values the backward half reads (see backward.ts). */
function readByBackward(graph: LayerGraph, steps: readonly TrainStep[], fwd: ForwardValues): Set<number> {
  const read = new Set<number>();
  const add = (id: number) => read.add(fwd.view(id).buffer);
  for (const s of steps) {
    if (s.kind === 'conv') add(s.conv.input);
    else if (s.kind === 'chain') {
      const nodes = chainNodes(graph.nodes, s.nodes);
      if (nodes.some((n) => chainStage(n).backwardReadsInput?.(n))) add(s.a);
      if (nodes.some((n) => chainStage(n).backwardReadsOutput?.(n))) add(s.anchor);
    } else if (s.kind !== 'concat') {
      const node = graph.nodes[s.anchor];
      if (hasStepKernels(node) && stepKernels(node).backwardReadsInput) add(s.input);
    }
  }
  return read;
}

/** The chains to recompute, by the buffer of their forward output. */
export function chainsToRecompute(graph: LayerGraph, steps: readonly TrainStep[], fwd: ForwardValues): Map<number, ChainStep> {
  const read = readByBackward(graph, steps, fwd);
  const chosen = new Map<number, ChainStep>();
  for (const s of steps) {
    if (s.kind !== 'chain' || s.anchor === graph.output) continue;
    const out = fwd.view(s.anchor).buffer;
    const inputs = [s.a, ...(s.b !== undefined ? [s.b] : [])].map((id) => fwd.view(id).buffer);
    if (read.has(out) && inputs.every((buf) => read.has(buf) && !chosen.has(buf))) chosen.set(out, s);
  }
  return chosen;
}

/**
 * The forward values as the backward half reads them: a recomputed chain's output (and any view of
 * it) from the buffer the recomputation writes, emitted before the first read.
 */
export class SavedValues {
  private readonly again = new Map<number, number>();

  constructor(
    private readonly x: { b: TrainBuilder; fwd: ForwardValues; bn: BnStore; store: ParamStore },
    private readonly recompute: ReadonlyMap<number, ChainStep>,
  ) {}

  view(id: number): BufView {
    const v = this.x.fwd.view(id);
    const s = this.recompute.get(v.buffer);
    if (!s) return v;
    let buffer = this.again.get(v.buffer);
    if (buffer === undefined) {
      const { b, fwd } = this.x;
      const out = fwd.view(s.anchor);
      buffer = b.addBuffer(`${b.nodes[s.anchor].name}.again`, 'activation', b.buffers[out.buffer].bytes);
      applyChain(this.x, s, { ...out, buffer }, 'backward', `${chainNames(b, s)} recompute`);
      this.again.set(v.buffer, buffer);
    }
    return { ...v, buffer };
  }
}
