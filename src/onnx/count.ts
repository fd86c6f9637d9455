// Counts an ONNX model as `hrn stats` counts a network: ReLUs, FLOPs (multiply-accumulates of the
// convolutions and fully connected layers), parameters and the private-inference cost, for one
// image. The graph is put in order here (Kahn's algorithm: a cycle or a value nobody makes is an
// error, whatever order the file lists its nodes in) and every shape is inferred by ops.ts; nothing
// of the file's own annotations (value_info, hrn's metadata) is trusted. SNL's masked ReLUs count
// the elements their masks keep (masked-relu.ts).

import { UserError } from '../errors.js';
import { piCostOfLayers, type PiCost } from '../ir/cost.js';
import type { HeConstants } from '../ir/he-constants.js';
import type { LinearLayer } from '../ir/he-cost.js';
import { findMaskedRelus } from './masked-relu.js';
import { decodeModel, int64, MAX_DIMENSION, OnnxProblem, opsetOf, tensorDims, tensorInts, type ModelProto, type NodeProto } from './model.js';
import { OP_RULES, type NodeContext, type Value } from './ops.js';

export const ONNX_FLOPS_CONVENTION = 'multiply-accumulates of convolutions (Conv) and fully connected layers (Gemm, MatMul by constant weights)';
/** Elements of one tensor at most: counts stay exact integers well below 2^53. */
const MAX_ELEMENTS = 2 ** 40;

export interface OnnxLayer {
  node: string;
  op: string;
  /** The first output's shape for one image (the batch dimension left out). */
  output: string;
  relus: number;
  flops: number;
  params: number;
}

export interface OnnxOpTotals {
  nodes: number;
  relus: number;
  flops: number;
  params: number;
}

export interface OnnxStats {
  network: string;
  source: 'onnx';
  producer: string;
  opset: number;
  /** The first input's shape for one image, e.g. `3x32x32`. */
  input: string;
  /** The last dimension of the first output. */
  classes: number;
  relus: { total: number };
  flops: { total: number; convention: string };
  params: { total: number };
  ops: Record<string, OnnxOpTotals>;
  layers: OnnxLayer[];
  piCost: PiCost;
}

const label = (n: NodeProto, i: number) => (n.name ? `'${n.name}'` : `#${i}`);

/** The node indices in an order where each comes after the nodes whose outputs it reads. */
function topologicalOrder(nodes: readonly NodeProto[], given: ReadonlySet<string>): number[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) {
      if (o === '') continue;
      if (producer.has(o) || given.has(o)) throw new OnnxProblem(`node ${label(n, i)} (${n.opType}) writes '${o}', which ${given.has(o) ? 'is an input or initializer' : `node ${label(nodes[producer.get(o)!], producer.get(o)!)} writes too`}`);
      producer.set(o, i);
    }
  });
  const waiting = nodes.map(() => 0);
  const readers = nodes.map((): number[] => []);
  nodes.forEach((n, i) => {
    for (const v of n.input ?? []) {
      if (v === '' || given.has(v)) continue;
      const p = producer.get(v);
      if (p === undefined) throw new OnnxProblem(`node ${label(n, i)} (${n.opType}) reads '${v}', which no node, input or initializer provides`);
      waiting[i]++;
      readers[p].push(i);
    }
  });
  // The file's own order when it is already one (ONNX asks for it): the per-layer table then reads as the file does.
  const seen = new Set<number>();
  const inFileOrder = nodes.every((n, i) => {
    const ok = (n.input ?? []).every((v) => v === '' || given.has(v) || seen.has(producer.get(v)!));
    seen.add(i);
    return ok;
  });
  if (inFileOrder) return nodes.map((_, i) => i);
  const order: number[] = [];
  const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
  while (ready.length > 0) {
    const i = ready.pop()!;
    order.push(i);
    for (const r of readers[i]) if (--waiting[r] === 0) ready.push(r);
  }
  if (order.length < nodes.length) {
    // Walk back from a node left waiting through inputs whose makers wait too: the first node met
    // twice is on a cycle (the one left waiting may only be downstream of it).
    let stuck = nodes.findIndex((_, i) => waiting[i] > 0);
    const met = new Set<number>();
    while (!met.has(stuck)) {
      met.add(stuck);
      const back = (nodes[stuck].input ?? []).map((v) => producer.get(v)).find((p) => p !== undefined && waiting[p] > 0);
      if (back === undefined) break;
      stuck = back;
    }
    throw new OnnxProblem(`the graph has a cycle: node ${label(nodes[stuck], stuck)} (${nodes[stuck].opType}) depends on its own output`);
  }
  return order;
}

function checkShape(dims: readonly number[], what: string): void {
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0 || d > MAX_DIMENSION)) throw new OnnxProblem(`${what} has the shape [${dims.join(', ')}]: a dimension out of range (0 to ${MAX_DIMENSION.toLocaleString('en-US')})`);
  if (dims.reduce((a, b) => a * b, 1) > MAX_ELEMENTS) throw new OnnxProblem(`${what} has the shape [${dims.join(', ')}]: more than 2^40 elements`);
}

/** The graph's inputs that are not initializers, with their shapes; the first dimension is the batch. */
function graphInputs(model: ModelProto, values: Map<string, Value>): { name: string; dims: number[] }[] {
  const out: { name: string; dims: number[] }[] = [];
  for (const v of model.graph?.input ?? []) {
    const name = v.name ?? '';
    if (values.has(name)) continue;
    const dimsProto = v.type?.tensorType?.shape?.dim;
    if (!dimsProto) throw new OnnxProblem(`input '${name}' has no tensor shape`);
    const dims = dimsProto.map((d, i) => {
      const n = int64(d.dimValue);
      if (n !== undefined && n > 0) return n;
      // A symbolic (or unset) first dimension is the batch: count one image.
      if (i === 0) return 1;
      throw new OnnxProblem(`input '${name}': dimension ${i} has no size (${d.dimParam ? `'${d.dimParam}'` : 'unset'}); hrn needs the image size to count`);
    });
    checkShape(dims, `input '${name}'`);
    out.push({ name, dims });
  }
  if (out.length === 0) throw new OnnxProblem('the graph has no input (every input is an initializer)');
  return out;
}

function nodeContext(node: NodeProto, opset: number, values: Map<string, Value>): NodeContext {
  const fail = (message: string): never => {
    throw new OnnxProblem(message);
  };
  const input = (i: number) => {
    const name = node.input?.[i];
    return name === undefined || name === '' ? undefined : values.get(name);
  };
  const need = (i: number) => input(i) ?? fail(`input ${i} is missing`);
  const ints = (i: number) => {
    const t = need(i).constant;
    if (t === undefined) return fail(`input ${i} ('${node.input?.[i]}') is computed; hrn needs it as a constant (an initializer or a Constant node)`);
    return tensorInts(t);
  };
  return { node, opset, input, need, ints, fail };
}

function perImage(n: number, batch: number, what: string): number {
  if (n % batch !== 0) throw new OnnxProblem(`${what}: its counts do not divide by the batch of ${batch}: the first dimension is not the batch everywhere`);
  return n / batch;
}

function countModel(model: ModelProto, name: string, he: HeConstants | undefined): OnnxStats {
  const g = model.graph!;
  const opset = opsetOf(model);
  const values = new Map<string, Value>();
  for (const t of g.initializer ?? []) {
    if (values.has(t.name ?? '')) throw new OnnxProblem(`initializer '${t.name}' is given twice`);
    try {
      values.set(t.name ?? '', { dims: tensorDims(t), constant: t });
    } catch (e) {
      if (e instanceof OnnxProblem) throw new OnnxProblem(`initializer '${t.name}': ${e.message}`);
      throw e;
    }
  }
  const inputs = graphInputs(model, values);
  const batch = inputs[0].dims[0];
  for (const i of inputs) values.set(i.name, { dims: i.dims });
  const nodes = g.node ?? [];
  const layers: OnnxLayer[] = [];
  const linear: LinearLayer[] = [];
  const layerOf = new Map<number, OnnxLayer>();
  for (const i of topologicalOrder(nodes, new Set(values.keys()))) {
    const node = nodes[i];
    const op = node.opType ?? '';
    const where = `node ${label(node, i)} (${op})`;
    const rule = node.domain && node.domain !== 'ai.onnx' ? undefined : OP_RULES[op];
    if (rule === undefined) {
      throw new OnnxProblem(`${where}: unsupported operator${node.domain ? ` of domain '${node.domain}'` : ''}; hrn counts ${Object.keys(OP_RULES).join(', ')}`);
    }
    try {
      const r = rule(nodeContext(node, opset, values));
      (node.output ?? []).forEach((o, k) => {
        if (o === '') return;
        const v = r.outputs[k] ?? (() => { throw new OnnxProblem(`output ${k} ('${o}') is not supported`); })();
        checkShape(v.dims, `output '${o}'`);
        values.set(o, v);
      });
      const layer = {
        node: node.name || (node.output?.[0] ?? `#${i}`),
        op,
        output: (r.outputs[0]?.dims ?? []).slice(1).join('x') || 'scalar',
        relus: perImage(r.relus ?? 0, batch, 'ReLUs'),
        flops: perImage(r.flops ?? 0, batch, 'FLOPs'),
        params: r.params ?? 0,
      };
      layers.push(layer);
      layerOf.set(i, layer);
      for (const l of r.linear ?? []) linear.push({ ...l, repeat: perImage(l.repeat ?? 1, batch, 'linear layers') });
    } catch (e) {
      if (e instanceof OnnxProblem) throw new OnnxProblem(`${where}: ${e.message}`);
      throw e;
    }
  }
  // An SNL mask decides which of its Relu's elements are ReLUs at all; it is a selection, not a weight.
  for (const m of findMaskedRelus(nodes, values, new Set((g.output ?? []).map((o) => o.name ?? '')))) {
    layerOf.get(m.relu)!.relus = perImage(m.kept, batch, 'ReLUs');
    layerOf.get(m.mul)!.params = 0;
  }
  const total = (k: 'relus' | 'flops' | 'params') => layers.reduce((s, l) => s + l[k], 0);
  const ops: Record<string, OnnxOpTotals> = {};
  for (const l of layers) {
    const o = (ops[l.op] ??= { nodes: 0, relus: 0, flops: 0, params: 0 });
    o.nodes++;
    o.relus += l.relus;
    o.flops += l.flops;
    o.params += l.params;
  }
  const out = values.get(g.output?.[0]?.name ?? '');
  if (out === undefined) throw new OnnxProblem(`the graph's output '${g.output?.[0]?.name ?? ''}' is made by no node`);
  const relus = total('relus');
  if (!Number.isSafeInteger(relus) || !Number.isSafeInteger(total('flops'))) throw new OnnxProblem('its counts are too large to be exact');
  return {
    network: g.name || name,
    source: 'onnx',
    producer: [model.producerName, model.producerVersion].filter((s) => s).join(' '),
    opset,
    input: inputs[0].dims.slice(1).join('x'),
    classes: out.dims[out.dims.length - 1] ?? 1,
    relus: { total: relus },
    flops: { total: total('flops'), convention: ONNX_FLOPS_CONVENTION },
    params: { total: total('params') },
    ops,
    layers,
    piCost: piCostOfLayers(relus, linear, he),
  };
}

/**
 * The counts of the ONNX model in `bytes`; `what` (the file's path) names it in errors and stands
 * for a missing graph name; `he` prices the linear layers with other than the fitted constants.
 */
export function countOnnx(bytes: Uint8Array, what: string, he?: HeConstants): OnnxStats {
  const model = decodeModel(bytes, what);
  try {
    return countModel(model, what.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, ''), he);
  } catch (e) {
    if (e instanceof OnnxProblem) throw new UserError(`${what}: ${e.message}`);
    throw e;
  }
}
