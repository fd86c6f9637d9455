// Writing ONNX graphs: nodes, initializers and shared constants, named by hrn's node names, with
// the protobuf messages of the onnx-proto package. The model's assembly is onnx-model.ts; each op
// writes its own nodes (src/ops/<op>/export.ts).

import onnxProto from 'onnx-proto';
import type { WeightTensor, Weights } from '../weights/weights.js';

const { onnx } = onnxProto;

/** The name of the exported graph's input. */
export const ONNX_INPUT = 'input';

export type Attribute = onnxProto.onnx.IAttributeProto;

export const ints = (name: string, values: number[]): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
export const int = (name: string, value: number): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
export const float = (name: string, value: number): Attribute => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value });

function floatTensor(name: string, t: WeightTensor): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.length * 4);
  const view = new DataView(bytes.buffer);
  // raw_data is little-endian by the ONNX spec, whatever the host.
  for (let i = 0; i < t.data.length; i++) view.setFloat32(4 * i, t.data[i], true);
  return { name, dims: t.shape, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}

/** Accumulates nodes and initializers; value names are the hrn node names. */
export class OnnxGraphWriter {
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

export function tensorOf(weights: Weights, name: string): WeightTensor {
  const t = weights.get(name);
  if (!t) throw new Error(`weights: missing tensor ${name}`);
  return t;
}
