// SNL's partial ReLU layers in an ONNX graph: y = x + M * (Relu(x) - x) with M a constant mask,
// the form `hrn export` writes. Where M is 0 the element passes through linearly, so only the
// elements M keeps need a garbled circuit: the Relu of such a group counts those, not every element
// it sees. Any other arrangement of Relu, Sub, Mul and Add is counted operator by operator.

import { OnnxProblem, tensorFloats, type NodeProto } from './model.js';
import type { Value } from './ops.js';

export interface MaskedRelu {
  /** Node indices of the group's Relu and Mul. */
  relu: number;
  mul: number;
  /** The ReLUs the mask keeps, over the batch as declared (count.ts divides it out). */
  kept: number;
}

const isOp = (n: NodeProto | undefined, op: string) => n !== undefined && n.opType === op && (!n.domain || n.domain === 'ai.onnx');
const sameSet = (a: readonly (string | null | undefined)[], b: readonly string[]) => a.length === b.length && b.every((v) => a.includes(v)) && a.every((v) => v !== null && v !== undefined && b.includes(v));

/** The elements of an output of shape `out` that a mask of shape `mask` (broadcast to it) keeps; undefined unless the mask covers one image and broadcasts. */
function keptElements(mask: Float32Array, maskDims: readonly number[], out: readonly number[]): number | undefined {
  if (maskDims.length > out.length) return undefined;
  const dims = [...Array<number>(out.length - maskDims.length).fill(1), ...maskDims];
  if (dims[0] !== 1 || dims.some((d, i) => d !== 1 && d !== out[i])) return undefined;
  let nonzero = 0;
  for (const v of mask) if (v !== 0) nonzero++;
  return dims.reduce((k, d, i) => (d === 1 ? k * out[i] : k), nonzero);
}

/** Every masked-ReLU group of the graph, found by following each Relu's only reader forward. */
export function findMaskedRelus(nodes: readonly NodeProto[], values: ReadonlyMap<string, Value>, graphOutputs: ReadonlySet<string>): MaskedRelu[] {
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const v of n.input ?? []) if (v) readers.set(v, [...(readers.get(v) ?? []), i]);
  });
  /** The one node that reads `v`, when no other node and no graph output does. */
  const onlyReader = (v: string | undefined) => {
    const r = v === undefined || graphOutputs.has(v) ? undefined : readers.get(v);
    return r?.length === 1 ? r[0] : undefined;
  };
  const found: MaskedRelu[] = [];
  nodes.forEach((relu, i) => {
    if (!isOp(relu, 'Relu')) return;
    const x = relu.input?.[0];
    const r = relu.output?.[0];
    const sub = onlyReader(r);
    if (x === undefined || r === undefined || sub === undefined || !isOp(nodes[sub], 'Sub') || nodes[sub].input?.[0] !== r || nodes[sub].input?.[1] !== x) return;
    const d = nodes[sub].output?.[0];
    const mul = onlyReader(d);
    if (d === undefined || mul === undefined || !isOp(nodes[mul], 'Mul')) return;
    const m = (nodes[mul].input ?? []).find((v) => v !== d);
    const mask = m === undefined ? undefined : values.get(m);
    if (m === undefined || mask?.constant === undefined || !sameSet(nodes[mul].input ?? [], [m, d])) return;
    const e = nodes[mul].output?.[0];
    const add = onlyReader(e);
    if (e === undefined || add === undefined || !isOp(nodes[add], 'Add') || !sameSet(nodes[add].input ?? [], [x, e])) return;
    let data: Float32Array;
    try {
      data = tensorFloats(mask.constant);
    } catch (err) {
      if (err instanceof OnnxProblem) throw new OnnxProblem(`the mask '${m}' of Relu ${relu.name ? `'${relu.name}'` : `#${i}`}: ${err.message}`);
      throw err;
    }
    const kept = keptElements(data, mask.dims, values.get(r)?.dims ?? []);
    if (kept !== undefined) found.push({ relu: i, mul, kept });
  });
  return found;
}
