// Builds a layer graph node by node, assigning ids and inferring each node's output shape as it
// goes, so that a graph is never observed without shapes.

import type { Shape } from './arch.js';
import type { GraphNode, LayerGraph } from './graph.js';
import { graphOp, inputShapes, type NodeSpec } from './node.js';

export type { NodeSpec } from './node.js';

export { convOutSize } from './node.js';

export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];

  shape(id: number): Shape {
    const n = this.nodes[id];
    if (!n) throw new Error(`graph builder: no node %${id}`);
    return n.shape;
  }

  add(spec: NodeSpec): number {
    const id = this.nodes.length;
    const node = { ...spec, id, shape: this.infer(spec) } as GraphNode;
    this.nodes.push(node);
    return id;
  }

  finish(name: string, output: number, stages: string[], classes: number): LayerGraph {
    return { name, nodes: this.nodes.slice(), output, stages, classes };
  }

  private infer(spec: NodeSpec): Shape {
    // Lowering only builds graphs that the resolver and passes have already checked, so a shape
    // mismatch here is a bug in hrn, reported with the node's name.
    const fail = (why: string): never => {
      throw new Error(`shape inference: ${spec.name}: ${why}`);
    };
    return graphOp(spec).infer(spec, inputShapes(spec, (id) => this.shape(id)), fail);
  }

  /** Input nodes carry their shape from the network declaration. */
  addInput(name: string, shape: Shape): number {
    const id = this.nodes.length;
    this.nodes.push({ op: 'input', id, name, region: 'stem', shape: { ...shape } });
    return id;
  }
}
