// Graph pass `fuse`: groups the layer graph's nodes into steps, one kernel each. Inference and
// training share it.
//
// - conv -> [bn] -> [add] -> [relu] becomes one conv step when `convEpilogue` is on (inference:
//   bn folded into the weights, the add's other operand read in the epilogue);
// - the other ops whose fusion role is `chain` make elementwise chain steps, each as long as its
//   ops' places allow (codegen/chain-stage.ts: a batch norm first, one add, a ReLU last, an
//   SNL-masked ReLU alone: [bn] [add] [relu]);
// - the ops whose fusion role is `own` (src/ops/<op>/graph.ts: pooling, fc) are steps of their
//   own; `placed` ops (input, slice, concat) are not steps (placement decides their storage).
// A node is absorbed only when it is the sole consumer of the previous one, and the graph's output
// is never absorbed.

import type { GraphPass } from '../../passes/framework.js';
import { nodeInputs, type GraphNode, type LayerGraph } from '../../ir/graph.js';
import { graphOp } from '../../ir/node.js';
import { chainStage, type ChainNode } from '../op-kernels.js';
import { hasStepKernels } from '../step-op.js';
import { need, type ChainStep, type ConvStep, type Fusion, type FusedStep, type GraphState } from './state.js';

export interface FuseOptions {
  /** Absorb anything at all (false: one step per op). */
  fuse: boolean;
  /** Fold bn / residual add / ReLU into the conv before them. */
  convEpilogue: boolean;
}

class Fuser {
  private readonly consumers: number[][];
  private readonly absorbed = new Set<number>();
  private readonly steps: FusedStep[] = [];

  constructor(
    private readonly graph: LayerGraph,
    private readonly options: FuseOptions,
  ) {
    this.consumers = graph.nodes.map(() => []);
    for (const n of graph.nodes) for (const i of nodeInputs(n)) this.consumers[i].push(n.id);
  }

  /** The one consumer of a node, if fusion may absorb it. */
  private sole(id: number): GraphNode | undefined {
    const c = this.consumers[id];
    if (!this.options.fuse || id === this.graph.output || c.length !== 1 || this.absorbed.has(c[0])) return undefined;
    return this.graph.nodes[c[0]];
  }

  /** Adds a step whose chain runs from its first node along sole consumers to `last`, its anchor. */
  private add(step: FusedStep, last: number): void {
    for (let id = step.anchor; id !== last; ) {
      id = this.consumers[id][0];
      step.nodes.push(id);
      this.absorbed.add(id);
    }
    step.anchor = last;
    this.steps.push(step);
  }

  /**
   * Fuses a ReLU that is the sole consumer of `last`; returns the chain's new end. An SNL-masked
   * ReLU stays a step of its own: training needs its input (the mask's gradient reads it), and the
   * conv epilogue has no mask.
   */
  private relu(step: ConvStep, last: number): number {
    const next = this.sole(last);
    if (next?.op !== 'relu' || next.mask !== undefined) return last;
    step.relu = { start: next.start, end: next.end };
    return next.id;
  }

  private conv(n: GraphNode & { op: 'conv' }): void {
    const step: ConvStep = { kind: 'conv', anchor: n.id, nodes: [n.id], conv: n };
    if (!this.options.convEpilogue) return this.add(step, n.id);
    let last = n.id;
    let next = this.sole(last);
    if (next?.op === 'bn') {
      step.bn = next.id;
      last = next.id;
      next = this.sole(last);
    }
    if (next?.op === 'add') {
      const other = next.inputs[0] === last ? next.inputs[1] : next.inputs[0];
      if (other !== last) {
        step.residual = other;
        last = next.id;
      }
    }
    this.add(step, this.relu(step, last));
  }

  /** A chain from `n` along sole consumers, as far as its ops' places allow (codegen/chain-stage.ts). */
  private chain(n: ChainNode): void {
    const step: ChainStep = { kind: 'chain', anchor: n.id, nodes: [n.id], a: -1, doubled: false };
    const [a, other] = nodeInputs(n);
    const place = chainStage(n).chainPlace(n);
    step.a = a;
    if (place === 'join' && other === a) step.doubled = true;
    else if (place === 'join') step.b = other;
    let joined = place === 'join';
    let last = n.id;
    // An op placed `last` or `alone` ends its chain where it starts.
    for (let next = place === 'last' || place === 'alone' ? undefined : this.sole(last); next && graphOp(next).fusion === 'chain'; next = this.sole(last)) {
      const node = next as ChainNode;
      const at = chainStage(node).chainPlace(node);
      if (at === 'first' || at === 'alone') break;
      if (at === 'join') {
        // One join per chain (its other operand is the chain's second input), and not of the chain's value with itself.
        const [x, y] = nodeInputs(node);
        if (joined || x === y) break;
        step.b = x === last ? y : x;
        joined = true;
      }
      last = node.id;
      if (at === 'last') break;
    }
    this.add(step, last);
  }

  run(): Fusion {
    for (const n of this.graph.nodes) {
      if (this.absorbed.has(n.id)) continue;
      if (n.op === 'conv') this.conv(n);
      else if (graphOp(n).fusion === 'chain') this.chain(n as ChainNode);
      else if (graphOp(n).fusion === 'own') {
        if (!hasStepKernels(n)) throw new Error(`fuse: ${n.name}: op ${n.op} is a step of its own but has no kernels (src/ops/kernels.ts)`);
        this.add({ kind: n.op, anchor: n.id, nodes: [n.id], input: n.input }, n.id);
      }
    }
    // A chain runs where its last node is (its add's other operand may be computed after its bn).
    const steps = [...this.steps].sort((a, b) => a.anchor - b.anchor);
    return { steps, absorbed: this.absorbed, producedBy: new Map(steps.map((s) => [s.anchor, s])) };
  }
}

/** Groups a layer graph's nodes into fused steps. */
export function fuseGraph(graph: LayerGraph, options: FuseOptions): Fusion {
  return new Fuser(graph, options).run();
}

export const fusePass: GraphPass<GraphState> = {
  name: 'fuse',
  summary: 'group conv / bn / add / relu chains into one kernel each',
  run(state) {
    const graph = need(state, 'graph', 'fuse');
    return { ...state, fusion: fuseGraph(graph, { fuse: state.options.fuse, convEpilogue: state.options.convEpilogue }) };
  },
};
