// Layer graph + weights -> an ONNX model (the protobuf messages of the official onnx.proto, from
// the onnx-proto package). Only ops that private-inference frameworks import are used: Conv,
// BatchNormalization, Relu, Add, Concat, Slice, GlobalAveragePool, Flatten and Gemm, at opset 13.
// Each op writes its own nodes (src/ops/<op>/export.ts). An SNL-masked ReLU's Relu covers every
// candidate, so the ReLUs the masks keep are recorded in the metadata (`hrn.relus`,
// `hrn.snl.kept`) instead.

import onnxProto from 'onnx-proto';
import { countGraph } from '../ir/count.js';
import { nodeInputs, type LayerGraph } from '../ir/graph.js';
import { exportOp } from './op.js';
import type { Weights } from '../weights/weights.js';
import { keptRelus, maskedRelus } from '../weights/snl-masks.js';
import { foldableBatchNorms } from './fold-bn.js';
import { ONNX_INPUT, OnnxGraphWriter } from './onnx-writer.js';

const { onnx } = onnxProto;
export type OnnxModel = onnxProto.onnx.IModelProto;

/** The operator set the exported graphs declare (every op used has had its opset-13 form since then). */
export const ONNX_OPSET = 13;
/** The IR version that goes with opset 13. */
export const ONNX_IR_VERSION = 7;
export { ONNX_INPUT };
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

/** Builds the ONNX model of `graph` with `weights` (checked by the caller). */
export function buildOnnxModel(graph: LayerGraph, weights: Weights, o: OnnxExportOptions = {}): OnnxModel {
  const w = new OnnxGraphWriter();
  const folds = o.foldBatchNorm ? foldableBatchNorms(graph) : new Map<number, number>();
  const foldInto = new Map([...folds].map(([bn, conv]) => [conv, bn]));
  const value: string[] = [];
  for (const n of graph.nodes) {
    const ctx = {
      w,
      weights,
      x: nodeInputs(n).map((id) => value[id]),
      value: (id: number) => value[id],
      foldedBn: (convId: number) => {
        const bn = foldInto.get(convId);
        return bn === undefined ? undefined : graph.nodes[bn].name;
      },
      foldedInto: (bnId: number) => folds.get(bnId),
    };
    value.push(exportOp(n).onnx(n, ctx));
  }
  const input = graph.nodes[0].shape;
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
      input: [valueInfo(ONNX_INPUT, ['batch', input.c, input.h, input.w])],
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
