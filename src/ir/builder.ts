// Builds a layer graph node by node, assigning ids and inferring each node's output shape as it
// goes, so that a graph is never observed without shapes.

import type { Shape } from './arch.js';
import type { GraphNode, LayerGraph } from './graph.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A node as written by lowering: the builder fills in `id` and `shape`. */
export type NodeSpec = DistributiveOmit<GraphNode, 'id' | 'shape'>;

/** Output size of a convolution along one axis. */
export function convOutSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

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
    switch (spec.op) {
      case 'input':
        fail('input nodes are created with an explicit shape');
        break;
      case 'conv': {
        const s = this.shape(spec.input);
        if (s.c % spec.groups !== 0 || spec.outChannels % spec.groups !== 0) {
          fail(`channels ${s.c} -> ${spec.outChannels} not divisible by groups ${spec.groups}`);
        }
        const h = convOutSize(s.h, spec.kernel, spec.stride, spec.pad);
        const w = convOutSize(s.w, spec.kernel, spec.stride, spec.pad);
        if (h < 1 || w < 1) fail(`output ${h}x${w} is empty`);
        return { c: spec.outChannels, h, w };
      }
      case 'bn':
      case 'relu': {
        const s = this.shape(spec.input);
        if (spec.op === 'relu' && !(0 <= spec.start && spec.start <= spec.end && spec.end <= s.c)) {
          fail(`channel range [${spec.start}, ${spec.end}) outside 0..${s.c}`);
        }
        return { ...s };
      }
      case 'add': {
        const a = this.shape(spec.inputs[0]);
        const b = this.shape(spec.inputs[1]);
        if (a.c !== b.c || a.h !== b.h || a.w !== b.w) {
          fail(`adding ${a.c}x${a.h}x${a.w} and ${b.c}x${b.h}x${b.w}`);
        }
        return { ...a };
      }
      case 'slice': {
        const s = this.shape(spec.input);
        if (!(0 <= spec.start && spec.start < spec.end && spec.end <= s.c)) {
          fail(`slice [${spec.start}, ${spec.end}) outside 0..${s.c}`);
        }
        return { c: spec.end - spec.start, h: s.h, w: s.w };
      }
      case 'concat': {
        const shapes = spec.inputs.map((i) => this.shape(i));
        const first = shapes[0] ?? fail('concat of nothing');
        if (shapes.some((s) => s.h !== first.h || s.w !== first.w)) fail('concat of different spatial sizes');
        return { c: shapes.reduce((sum, s) => sum + s.c, 0), h: first.h, w: first.w };
      }
      case 'avgpool':
        return { c: this.shape(spec.input).c, h: 1, w: 1 };
      case 'maxpool': {
        const s = this.shape(spec.input);
        // A window must hold at least one real value, or its maximum would be the padding.
        if (2 * spec.pad >= spec.kernel) fail(`padding ${spec.pad} leaves windows of ${spec.kernel} without input`);
        const h = convOutSize(s.h, spec.kernel, spec.stride, spec.pad);
        const w = convOutSize(s.w, spec.kernel, spec.stride, spec.pad);
        if (h < 1 || w < 1) fail(`output ${h}x${w} is empty`);
        return { c: s.c, h, w };
      }
      case 'fc':
        return { c: spec.outFeatures, h: 1, w: 1 };
    }
    return fail(`unknown op`);
  }

  /** Input nodes carry their shape from the network declaration. */
  addInput(name: string, shape: Shape): number {
    const id = this.nodes.length;
    this.nodes.push({ op: 'input', id, name, region: 'stem', shape: { ...shape } });
    return id;
  }
}
