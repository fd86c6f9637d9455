// Reading an ONNX model for counting: the protobuf decoded with onnx-proto (the official
// onnx.proto's messages), and the few facts the counter needs taken out of it with every field
// checked, so a damaged or hostile file is one clear error rather than a crash or a huge number.

import onnxProto from 'onnx-proto';
import { UserError } from '../errors.js';

const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.IModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export const TensorType = onnx.TensorProto.DataType;

/** Something wrong in the model, said without where: the counter adds the node or value it is about. */
export class OnnxProblem extends Error {
  override name = 'OnnxProblem';
}

/** A 64-bit integer as protobufjs gives it: a number, or a Long's two halves. */
type Int64 = number | { low: number; high: number; unsigned?: boolean };

/** Largest size of one dimension the counter accepts (a 2 GB dimension is a hostile or broken file). */
export const MAX_DIMENSION = 1 << 20;

/** An int64 as a number; undefined when it does not fit one exactly. */
export function int64(v: Int64 | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  const n = (v.unsigned ? v.high >>> 0 : v.high) * 2 ** 32 + (v.low >>> 0);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Decodes the bytes of an ONNX file; `what` names it in errors. */
export function decodeModel(bytes: Uint8Array, what: string): ModelProto {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    // protobufjs throws on a cut-short message or a bad wire type; nesting too deep for the stack
    // is a RangeError. Either way the file is not a model hrn can read.
    const why = e instanceof Error ? e.message.replace(/\s+/g, ' ').slice(0, 120) : String(e);
    throw new UserError(`${what}: not a readable ONNX model: the protobuf is damaged or cut short (${why})`);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) throw new UserError(`${what}: not an ONNX model: it holds no graph with nodes`);
  return model;
}

/** The default domain's operator set version the model imports (1 when it names none). */
export function opsetOf(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  return int64(entry?.version) ?? 1;
}

/** The attribute `name` of a node, if it has one. */
export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

/** A tensor's dimensions, each checked to be a whole number in range. */
export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => {
    const n = int64(d);
    if (n === undefined || n < 0 || n > MAX_DIMENSION) throw new OnnxProblem(`dimension ${String(n ?? d)} is out of range (0 to ${MAX_DIMENSION.toLocaleString('en-US')})`);
    return n;
  });
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
// PyTorch writes an open slice end as INT64_MAX: beyond 2^53 a value only says "to the end", so it
// is clamped to the largest exact number (a shape that large is refused by its dimension check).
const clamp = (v: bigint) => Number(v > MAX_EXACT ? MAX_EXACT : v < -MAX_EXACT ? -MAX_EXACT : v);

/** An int64 shape argument (a Slice bound, a Reshape size) as a number, clamped to the exact range. */
export function clampedInt(x: Int64): number {
  if (typeof x === 'number') return Number.isFinite(x) ? clamp(BigInt(Math.trunc(x))) : Number.NaN;
  return clamp((BigInt(x.unsigned ? x.high >>> 0 : x.high) << 32n) + BigInt(x.low >>> 0));
}

/** Constants read as integers are shape arguments: a handful of elements at most. */
const MAX_CONSTANT_ELEMENTS = 64;

/** The integers a small int64 or int32 tensor holds (Slice starts, Reshape shapes). */
export function tensorInts(t: TensorProto): number[] {
  const n = tensorDims(t).reduce((a, b) => a * b, 1);
  if (n > MAX_CONSTANT_ELEMENTS) throw new OnnxProblem(`a constant of ${n} integers where a shape argument was expected`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new OnnxProblem(`stored in an external file; hrn reads shape constants only from the model`);
  const fromList = (xs: Int64[]) => xs.map(clampedInt);
  let out: number[];
  if (t.dataType === TensorType.INT64) {
    if (t.rawData && t.rawData.length > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      out = Array.from({ length: Math.floor(t.rawData.length / 8) }, (_, i) => clamp(view.getBigInt64(8 * i, true)));
    } else out = fromList(t.int64Data ?? []);
  } else if (t.dataType === TensorType.INT32) {
    if (t.rawData && t.rawData.length > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      out = Array.from({ length: Math.floor(t.rawData.length / 4) }, (_, i) => view.getInt32(4 * i, true));
    } else out = t.int32Data ?? [];
  } else {
    throw new OnnxProblem(`expected an int64 or int32 tensor, found data type ${t.dataType ?? 'none'}`);
  }
  if (out.length !== n) throw new OnnxProblem(`holds ${out.length} integers where its dimensions say ${n}`);
  if (out.some((x) => !Number.isSafeInteger(x))) throw new OnnxProblem('holds a value that is not a whole number');
  return out;
}

/** The values of a float32 tensor (an SNL mask), from `rawData` or `floatData`. */
export function tensorFloats(t: TensorProto): Float32Array {
  const n = tensorDims(t).reduce((a, b) => a * b, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new OnnxProblem('stored in an external file; hrn reads constants only from the model');
  if (t.dataType !== TensorType.FLOAT) throw new OnnxProblem(`expected a float tensor, found data type ${t.dataType ?? 'none'}`);
  let out: Float32Array;
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    out = Float32Array.from({ length: Math.floor(t.rawData.length / 4) }, (_, i) => view.getFloat32(4 * i, true));
  } else out = Float32Array.from(t.floatData ?? []);
  if (out.length !== n) throw new OnnxProblem(`holds ${out.length} values where its dimensions say ${n}`);
  return out;
}

/** An integer attribute, or `fallback`. */
export function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  if (a === undefined) return fallback;
  const v = int64(a.i);
  if (v === undefined) throw new OnnxProblem(`attribute ${name} is not a whole number`);
  return v;
}

/** An integer-list attribute (clamped as shape arguments are), or undefined. */
export function intsAttr(node: NodeProto, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a === undefined ? undefined : (a.ints ?? []).map(clampedInt);
}

/** A string attribute, or `fallback`. */
export function stringAttr(node: NodeProto, name: string, fallback: string): string {
  const a = attribute(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}
