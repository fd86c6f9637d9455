// Layer graph + weights -> an ONNX model (the protobuf messages of the official onnx.proto, from
// the onnx-proto package). Only ops that private-inference frameworks import are used: Conv,
// BatchNormalization, Relu, Add, Concat, Slice, GlobalAveragePool, Flatten and Gemm, at opset 13.
// A ReLU on a channel range only becomes Slice + Relu + Concat, so the Relu nodes' output
// elements are exactly hrn's ReLU count. An SNL-masked ReLU becomes x + M * (Relu(x) - x) with its
// trained mask M a constant (Sub, Mul, Add); its Relu covers every candidate, so the ReLUs the
// masks keep are recorded in the metadata (`hrn.relus`, `hrn.snl.kept`) instead.

import onnxProto from 'onnx-proto';
import { countGraph } from '../ir/count.js';
import { BN_EPS, maskName, type GraphNode, type LayerGraph } from '../ir/graph.js';
import type { WeightTensor, Weights } from '../weights/weights.js';
import { keptRelus, maskedRelus } from '../weights/snl-masks.js';
import { foldableBatchNorms, foldedConv } from './fold-bn.js';

const { onnx } = onnxProto;
export type OnnxModel = onnxProto.onnx.IModelProto;

/** The operator set the exported graphs declare (every op used has had its opset-13 form since then). */
export const ONNX_OPSET = 13;
/** The IR version that goes with opset 13. */
export const ONNX_IR_VERSION = 7;
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'logits';

export interface OnnxExportOptions {
  /** Fold batch norm into the convolution before it where possible (default: keep BatchNormalization). */
  foldBatchNorm?: boolean;
  /** The pipeline the network came from, recorded in the metadata ('' or absent: none). */
  pipeline?: string;
  /** hrn's version, for producer_version. */
  producerVersion?: string;
  /** Extra metadata_props entries. */
  metadata?: Record<string, string>;
}

/** The metadata_props keys hrn writes (values are decimal strings, or the pipeline text). */
export const METADATA_KEYS = {
  relus: 'hrn.relus',
  flops: 'hrn.flops',
  params: 'hrn.params',
  pipeline: 'hrn.pipeline',
  network: 'hrn.network',
  /** SNL networks only: the ReLUs the masks keep, and the candidates they chose from. */
  snlKept: 'hrn.snl.kept',
  snlCandidates: 'hrn.snl.candidates',
} as const;

type Attribute = onnxProto.onnx.IAttributeProto;

const ints = (name: string, values: number[]): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name: string, value: number): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
const float = (name: string, value: number): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value });

function floatTensor(name: string, t: WeightTensor): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.length * 4);
  const view = new DataView(bytes.buffer);
  // raw_data is little-endian by the ONNX spec, whatever the host.
  for (let i = 0; i < t.data.length; i++) view.setFloat32(4 * i, t.data[i], true);
  return { name, dims: t.shape, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}

/** Accumulates nodes and initializers; value names are the hrn node names. */
class OnnxGraphWriter {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly constants = new Map<string, string>();

  node(opType: string, inputs: string[], output: string, attribute: Attribute[] = []): string {
    this.nodes.push({ opType, name: output, input: inputs, output: [output], attribute });
    return output;
  }

  weight(name: string, t: WeightTensor): string {
    this.initializers.push(floatTensor(name, t));
    return name;
  }

  /** A 1-element int64 constant, shared between the Slice nodes that need it. */
  int64(value: number): string {
    const key = `const.i64.${value}`;
    if (!this.constants.has(key)) {
      this.initializers.push({ name: key, dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [value] });
      this.constants.set(key, key);
    }
    return key;
  }

  /** Channels [start, end) of `x` (NCHW), as an opset-13 Slice on axis 1. */
  slice(x: string, start: number, end: number, output: string): string {
    return this.node('Slice', [x, this.int64(start), this.int64(end), this.int64(1)], output);
  }
}

function tensorOf(weights: Weights, name: string): WeightTensor {
  const t = weights.get(name);
  if (!t) throw new Error(`weights: missing tensor ${name}`);
  return t;
}

function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** A ReLU on channels [start, end) of a C-channel value: whole, partial, or (empty range) nothing. */
function emitRelu(w: OnnxGraphWriter, n: Extract<GraphNode, { op: 'relu' }>, x: string): string {
  const c = n.shape.c;
  if (n.start >= n.end) return x;
  if (n.start === 0 && n.end === c) return w.node('Relu', [x], n.name);
  const parts: string[] = [];
  if (n.start > 0) parts.push(w.slice(x, 0, n.start, `${n.name}.before`));
  parts.push(w.node('Relu', [w.slice(x, n.start, n.end, `${n.name}.range`)], `${n.name}.active`));
  if (n.end < c) parts.push(w.slice(x, n.end, c, `${n.name}.after`));
  return w.node('Concat', parts, n.name, [int('axis', 1)]);
}

/**
 * SNL's partial ReLU with its trained mask as a constant: y = x + M * (Relu(x) - x), where M spans
 * every channel (0 outside the ReLU's range, so those channels pass unchanged) and is [1, C, H, W]
 * for a per-pixel mask or [1, C, 1, 1] for a per-channel one (broadcast over the plane).
 */
function emitMaskedRelu(w: OnnxGraphWriter, n: Extract<GraphNode, { op: 'relu' }>, x: string, weights: Weights): string {
  const { c, h, w: width } = n.shape;
  const mask = tensorOf(weights, maskName(n)).data;
  const plane = n.mask === 'pixel' ? h * width : 1;
  const full = new Float32Array(c * plane);
  full.set(mask, n.start * plane);
  const m = w.weight(maskName(n), { shape: [1, c, n.mask === 'pixel' ? h : 1, n.mask === 'pixel' ? width : 1], data: full });
  const relu = w.node('Relu', [x], `${n.name}.relu`);
  const diff = w.node('Sub', [relu, x], `${n.name}.gain`);
  return w.node('Add', [x, w.node('Mul', [m, diff], `${n.name}.masked`)], n.name);
}

/** Builds the ONNX model of `graph` with `weights` (checked by the caller). */
export function buildOnnxModel(graph: LayerGraph, weights: Weights, o: OnnxExportOptions = {}): OnnxModel {
  const w = new OnnxGraphWriter();
  const folds = o.foldBatchNorm ? foldableBatchNorms(graph) : new Map<number, number>();
  const foldInto = new Map([...folds].map(([bn, conv]) => [conv, bn]));
  const value: string[] = [];
  let inputShape: number[] = [];
  for (const n of graph.nodes) {
    const x = (id: number) => value[id];
    switch (n.op) {
      case 'input':
        inputShape = [n.shape.c, n.shape.h, n.shape.w];
        value.push(ONNX_INPUT);
        break;
      case 'conv': {
        const bnId = foldInto.get(n.id);
        let inputs: string[];
        if (bnId !== undefined) {
          const bnName = graph.nodes[bnId].name;
          const f = foldedConv(n, bnName, weights);
          inputs = [x(n.input), w.weight(`${n.name}.weight`, f.weight), w.weight(`${n.name}.bias`, f.bias)];
        } else {
          inputs = [x(n.input), w.weight(`${n.name}.weight`, tensorOf(weights, `${n.name}.weight`))];
          if (n.bias) inputs.push(w.weight(`${n.name}.bias`, tensorOf(weights, `${n.name}.bias`)));
        }
        const attrs = [
          ints('kernel_shape', [n.kernel, n.kernel]),
          ints('strides', [n.stride, n.stride]),
          ints('pads', [n.pad, n.pad, n.pad, n.pad]),
          ints('dilations', [1, 1]),
          int('group', n.groups),
        ];
        value.push(w.node('Conv', inputs, n.name, attrs));
        break;
      }
      case 'bn': {
        const conv = folds.get(n.id);
        if (conv !== undefined) {
          value.push(value[conv]);
          break;
        }
        const p = (role: string) => w.weight(`${n.name}.${role}`, tensorOf(weights, `${n.name}.${role}`));
        const inputs = [x(n.input), p('gamma'), p('beta'), p('running_mean'), p('running_var')];
        value.push(w.node('BatchNormalization', inputs, n.name, [float('epsilon', BN_EPS)]));
        break;
      }
      case 'relu':
        value.push(n.mask === undefined ? emitRelu(w, n, x(n.input)) : emitMaskedRelu(w, n, x(n.input), weights));
        break;
      case 'add':
        value.push(w.node('Add', [x(n.inputs[0]), x(n.inputs[1])], n.name));
        break;
      case 'slice':
        value.push(w.slice(x(n.input), n.start, n.end, n.name));
        break;
      case 'concat':
        value.push(w.node('Concat', n.inputs.map(x), n.name, [int('axis', 1)]));
        break;
      case 'avgpool':
        value.push(w.node('GlobalAveragePool', [x(n.input)], n.name));
        break;
      case 'maxpool':
        value.push(w.node('MaxPool', [x(n.input)], n.name, [ints('kernel_shape', [n.kernel, n.kernel]), ints('strides', [n.stride, n.stride]), ints('pads', [n.pad, n.pad, n.pad, n.pad])]));
        break;
      case 'fc': {
        const flat = w.node('Flatten', [x(n.input)], `${n.name}.flatten`, [int('axis', 1)]);
        const inputs = [flat, w.weight(`${n.name}.weight`, tensorOf(weights, `${n.name}.weight`)), w.weight(`${n.name}.bias`, tensorOf(weights, `${n.name}.bias`))];
        value.push(w.node('Gemm', inputs, n.name, [int('transB', 1)]));
        break;
      }
    }
  }
  // The graph output gets the fixed name `logits`: rename the producing node's output.
  const last = value[graph.output];
  const producer = w.nodes.find((nd) => nd.output?.[0] === last);
  if (!producer) throw new Error(`export: the output of ${graph.name} is not computed by any node`);
  producer.output = [ONNX_OUTPUT];
  for (const nd of w.nodes) nd.input = nd.input?.map((i) => (i === last ? ONNX_OUTPUT : i));

  // Masked ReLUs count what their trained masks keep, as `hrn stats --weights` does.
  const masked = maskedRelus(graph).length > 0;
  const counts = countGraph(graph, masked ? keptRelus(graph, weights) : undefined).total;
  const meta: Record<string, string> = {
    [METADATA_KEYS.network]: graph.name,
    [METADATA_KEYS.relus]: String(counts.relus),
    [METADATA_KEYS.flops]: String(counts.flops),
    [METADATA_KEYS.params]: String(counts.params),
    [METADATA_KEYS.pipeline]: o.pipeline ?? '',
    ...(masked ? snlMetadata(graph, weights) : {}),
    ...o.metadata,
  };
  return {
    irVersion: ONNX_IR_VERSION,
    producerName: 'hrn',
    producerVersion: o.producerVersion ?? '',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    docString: `${graph.name} exported by hrn: ${counts.relus} ReLUs, ${counts.flops} FLOPs (multiply-accumulates of convolutions and the classifier)`,
    metadataProps: Object.entries(meta).map(([key, v]) => ({ key, value: v })),
    graph: {
      name: graph.name,
      node: w.nodes,
      initializer: w.initializers,
      input: [valueInfo(ONNX_INPUT, ['batch', ...inputShape])],
      output: [valueInfo(ONNX_OUTPUT, ['batch', graph.classes])],
    },
  };
}

/** The protobuf bytes of a model. */
export function encodeOnnx(model: OnnxModel): Uint8Array {
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`export: the ONNX model is malformed: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}

/** Parses ONNX protobuf bytes (for inspecting an exported file). */
export function decodeOnnx(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

function snlMetadata(graph: LayerGraph, weights: Weights): Record<string, string> {
  const nodes = maskedRelus(graph);
  const kept = [...keptRelus(graph, weights).values()].reduce((a, b) => a + b, 0);
  const candidates = nodes.reduce((a, n) => a + (n.end - n.start) * n.shape.h * n.shape.w, 0);
  return { [METADATA_KEYS.snlKept]: String(kept), [METADATA_KEYS.snlCandidates]: String(candidates) };
}
