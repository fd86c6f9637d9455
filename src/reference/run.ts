// Runs a whole layer graph with the reference ops: the oracle for the WebGPU executor.

import { maskName, type LayerGraph } from '../ir/graph.js';
import { maskedRelu, maskSize } from './masked-relu.js';
import { getWeight, type Weights } from '../weights/weights.js';
import * as ops from './ops.js';
import type { Tensor } from './ops.js';

/** Every node's output for a batch (index = node id). */
export function runReferenceAll(graph: LayerGraph, weights: Weights, input: Float32Array, batch: number): Tensor[] {
  const out: Tensor[] = [];
  for (const node of graph.nodes) {
    const s = node.shape;
    let y: Tensor;
    switch (node.op) {
      case 'input':
        y = ops.tensor(batch, s.c, s.h, s.w, input);
        break;
      case 'conv': {
        const x = out[node.input];
        const k = node.kernel;
        y = ops.conv2d(x, {
          outChannels: node.outChannels,
          kernel: k,
          stride: node.stride,
          pad: node.pad,
          groups: node.groups,
          weight: getWeight(weights, `${node.name}.weight`, (node.outChannels * x.c * k * k) / node.groups),
          bias: node.bias ? getWeight(weights, `${node.name}.bias`, node.outChannels) : undefined,
        });
        break;
      }
      case 'bn':
        y = ops.batchNorm(out[node.input], {
          gamma: getWeight(weights, `${node.name}.gamma`, s.c),
          beta: getWeight(weights, `${node.name}.beta`, s.c),
          mean: getWeight(weights, `${node.name}.running_mean`, s.c),
          variance: getWeight(weights, `${node.name}.running_var`, s.c),
        });
        break;
      case 'relu': {
        const x = out[node.input];
        y = node.mask === undefined
          ? ops.reluRange(x, node.start, node.end)
          : maskedRelu(x, node.start, node.end, getWeight(weights, maskName(node), maskSize(x, node.start, node.end, node.mask)), node.mask);
        break;
      }
      case 'add':
        y = ops.add(out[node.inputs[0]], out[node.inputs[1]]);
        break;
      case 'slice':
        y = ops.slice(out[node.input], node.start, node.end);
        break;
      case 'concat':
        y = ops.concat(node.inputs.map((i) => out[i]));
        break;
      case 'avgpool':
        y = ops.avgpool(out[node.input]);
        break;
      case 'maxpool':
        y = ops.maxpool(out[node.input], node.kernel, node.stride, node.pad);
        break;
      case 'fc': {
        const x = out[node.input];
        const inF = x.c * x.h * x.w;
        y = ops.fc(
          x,
          getWeight(weights, `${node.name}.weight`, node.outFeatures * inF),
          getWeight(weights, `${node.name}.bias`, node.outFeatures),
          node.outFeatures,
        );
        break;
      }
    }
    if (y.c !== s.c || y.h !== s.h || y.w !== s.w) {
      throw new Error(`reference: ${node.name} produced ${y.c}x${y.h}x${y.w}, graph says ${s.c}x${s.h}x${s.w}`);
    }
    out.push(y);
  }
  return out;
}

/** The graph's output (the logits, [batch, classes]) for an NCHW input batch. */
export function runReference(graph: LayerGraph, weights: Weights, input: Float32Array, batch: number): Float32Array {
  const inputNode = graph.nodes.find((n) => n.op === 'input');
  if (!inputNode) throw new Error(`reference: graph ${graph.name} has no input node`);
  const per = inputNode.shape.c * inputNode.shape.h * inputNode.shape.w;
  if (input.length !== per * batch) {
    throw new Error(`reference: input has ${input.length} values, batch ${batch} of ${inputNode.shape.c}x${inputNode.shape.h}x${inputNode.shape.w} needs ${per * batch}`);
  }
  return runReferenceAll(graph, weights, input, batch)[graph.output].data;
}
