// Weights in PyTorch's vocabulary: a state dict with torchvision's ResNet names and layouts
// (`conv1`, `bn1`, `layer2.0.conv1`, `layer2.0.downsample.0`, `fc`; batch norm as weight, bias,
// running_mean, running_var, num_batches_tracked), plus a description of the layer graph in the
// safetensors metadata, from which examples/hrn_torch.py builds the matching nn.Module.

import { nodeInputs, type GraphNode, type LayerGraph } from '../ir/graph.js';
import { exportOp } from './op.js';
import type { WeightTensor, Weights } from '../weights/weights.js';

/** Metadata key of the graph description. */
export const TORCH_GRAPH_KEY = 'hrn.graph';
/** Version of the graph description that examples/hrn_torch.py reads. */
export const TORCH_GRAPH_VERSION = 1;

/**
 * The torchvision-style module path of a node: the stem's `conv1`/`bn1` stay, stage k block j
 * becomes `layer{k}.{j-1}`, a projection shortcut `downsample.0` (conv) and `.1` (bn), the
 * classifier `fc`; any other dots inside a block (ReLU-reuse's parts) become underscores, so no
 * module is both a layer and a container.
 */
export function torchModuleName(name: string): string {
  const stem = /^stem\.(.+)$/.exec(name);
  if (stem) return stem[1].replace(/\./g, '_');
  if (name === 'head.fc') return 'fc';
  const block = /^S(\d+)\.b(\d+)\.(.+)$/.exec(name);
  if (!block) return name.replace(/\./g, '_');
  const rest = block[3] === 'shortcut.conv' ? 'downsample.0' : block[3] === 'shortcut.bn' ? 'downsample.1' : block[3].replace(/\./g, '_');
  return `layer${block[1]}.${Number(block[2]) - 1}.${rest}`;
}

/** One node of the description: what examples/hrn_torch.py needs to build and run it. */
export type TorchGraphNode = { op: GraphNode['op']; inputs: number[]; module?: string } & Record<string, unknown>;

export interface TorchExport {
  tensors: Weights;
  metadata: Record<string, string>;
}

/** The state dict and graph description of `graph` with `weights` (checked by the caller). */
export function torchStateDict(graph: LayerGraph, weights: Weights): TorchExport {
  const tensors: Weights = new Map();
  const owner = new Map<string, string>();
  const put = (key: string, t: WeightTensor, node: string) => {
    const prev = owner.get(key);
    if (prev !== undefined) throw new Error(`export: ${node} and ${prev} both map to the PyTorch name ${key}`);
    owner.set(key, node);
    tensors.set(key, { shape: [...t.shape], data: t.data });
  };
  const tensor = (name: string): WeightTensor => {
    const t = weights.get(name);
    if (!t) throw new Error(`weights: missing tensor ${name}`);
    return t;
  };
  const nodes: TorchGraphNode[] = graph.nodes.map((n) => {
    const inputs = nodeInputs(n);
    const ctx = {
      module: torchModuleName(n.name),
      inputs: inputs.map((id) => graph.nodes[id].shape),
      tensor,
      put: (key: string, t: WeightTensor) => put(key, t, n.name),
    };
    return { op: n.op, inputs, ...exportOp(n).torch(n, ctx) };
  });
  const description = { version: TORCH_GRAPH_VERSION, name: graph.name, output: graph.output, classes: graph.classes, nodes };
  return { tensors, metadata: { [TORCH_GRAPH_KEY]: JSON.stringify(description), format: 'pt' } };
}
