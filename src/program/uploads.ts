// The program's weight transforms, applied on the host: weights.ts's PyTorch layout to the
// contents of the buffers that the program's uploads name (batch norm folded into inference convs,
// everything packed as the kernels read it), and training state back again. Pure: the runtime
// does the GPU side.

import { setFloat16 } from '@petamoriken/float16';
import type { LayerGraph } from '../ir/graph.js';
import { bnScaleShift, bnTensors, foldBn } from '../weights/bn-fold.js';
import { getWeight, numel, weightSpecs, type Weights } from '../weights/weights.js';
import { packConv, packParam, unpackParam } from './param-layout.js';
import type { ParamEntry, ParamSource, Program, WeightTransform } from './types.js';

type ConvSource = Extract<ParamSource, { kind: 'conv-weight' | 'conv-bias' }>;

/** Folds and packs inference convolutions once per (conv, channel block), for their weight and bias buffers. */
class ConvPacker {
  private readonly packed = new Map<string, { weight: Float32Array; bias: Float32Array }>();
  /** Conv weight sources carry inC and kernel; bias sources find them through the weight source. */
  private readonly geometry = new Map<string, { inC: number; kernel: number }>();

  constructor(private readonly weights: Weights, sources: readonly ParamSource[]) {
    for (const s of sources) if (s.kind === 'conv-weight') this.geometry.set(s.conv, { inC: s.inC, kernel: s.kernel });
  }

  of(src: ConvSource): { weight: Float32Array; bias: Float32Array } {
    const key = `${src.conv}|${src.ocb}`;
    let p = this.packed.get(key);
    if (!p) {
      const g = this.geometry.get(src.conv);
      if (!g) throw new Error(`weight uploads: no weight buffer for conv ${src.conv}`);
      const cig = g.inC / src.groups;
      const w = getWeight(this.weights, `${src.conv}.weight`, src.outC * cig * g.kernel * g.kernel);
      const b = src.bias ? getWeight(this.weights, `${src.conv}.bias`, src.outC) : undefined;
      const f = foldBn(w, b, src.outC, src.bn === undefined ? undefined : bnTensors(this.weights, src.bn));
      p = packConv(f.weight, f.bias, src.outC, g.inC, g.kernel, src.groups, src.ocb);
      this.packed.set(key, p);
    }
    return p;
  }
}

function foldPacked(src: ParamSource, weights: Weights, convs: ConvPacker): Float32Array {
  switch (src.kind) {
    case 'conv-weight': {
      const packed = convs.of(src).weight;
      const data = new Float32Array(packed.length + src.padding);
      data.set(packed);
      return data;
    }
    case 'conv-bias':
      return convs.of(src).bias;
    case 'bn-scale':
      return bnScaleShift(bnTensors(weights, src.bn)).scale;
    case 'bn-shift':
      return bnScaleShift(bnTensors(weights, src.bn)).shift;
    case 'fc-weight':
      return getWeight(weights, `${src.fc}.weight`, src.outFeatures * src.inFeatures);
    case 'fc-bias':
      return getWeight(weights, `${src.fc}.bias`, src.outFeatures);
    case 'relu-mask':
      return getWeight(weights, `${src.relu}.mask`, src.length);
  }
}

/** `data` as f16 bits (round to nearest even), padded to a whole number of 4-byte words as buffer writes need. */
export function toF16(data: Float32Array): Uint16Array<ArrayBuffer> {
  const out = new Uint16Array(data.length + (data.length % 2));
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) setFloat16(view, 2 * i, data[i], true);
  return out;
}

/** A flat buffer with every trainable tensor of `tensors` packed at its entry's offset. */
export function flatTensors(t: Extract<WeightTransform, { kind: 'flat-params' }>, tensors: Weights, what = 'the weight set', noun = 'tensor'): Float32Array<ArrayBuffer> {
  const flat = new Float32Array(t.floats);
  for (const p of t.params) {
    const tensor = tensors.get(p.name);
    if (!tensor) throw new Error(`${what} has no ${noun} for ${p.name}`);
    if (tensor.data.length !== numel(p.shape)) throw new Error(`${what}: ${p.name} has ${tensor.data.length} values, the parameter ${numel(p.shape)}`);
    flat.set(packParam(p, tensor.data), p.offset);
  }
  return flat;
}

function flatRunning(t: Extract<WeightTransform, { kind: 'flat-running' }>, weights: Weights): Float32Array<ArrayBuffer> {
  const run = new Float32Array(t.floats);
  for (const r of t.running) {
    run.set(getWeight(weights, `${r.bn}.running_mean`, r.c), r.mean);
    run.set(getWeight(weights, `${r.bn}.running_var`, r.c), r.variance);
  }
  return run;
}

/**
 * The contents of every buffer the program's uploads fill, by buffer id, from `weights` (checked
 * against the graph by the caller).
 */
export function weightContents(program: Program, weights: Weights): Map<number, Float32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>> {
  const sources = program.uploads.flatMap((u) => (u.transform.kind === 'fold-pack' ? [u.transform.source] : []));
  const convs = new ConvPacker(weights, sources);
  const out = new Map<number, Float32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>>();
  for (const u of program.uploads) {
    const t = u.transform;
    const f32 = t.kind === 'fold-pack' ? foldPacked(t.source, weights, convs) : t.kind === 'flat-params' ? flatTensors(t, weights) : flatRunning(t, weights);
    // Folded and packed in f32 first, then rounded once.
    const data = t.kind === 'fold-pack' && 'f16' in t.source && t.source.f16 ? toF16(f32) : f32;
    const b = program.buffers[u.buffer];
    if (data.byteLength > b.bytes) throw new Error(`weight uploads: ${b.name} takes ${data.byteLength} bytes, the buffer holds ${b.bytes}`);
    out.set(u.buffer, data as Float32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>);
  }
  return out;
}

/** The program's one flat-params upload (training): the layout gradients and momentum share. */
export function flatLayout(program: Program): Extract<WeightTransform, { kind: 'flat-params' }> & { buffer: number } {
  for (const u of program.uploads) if (u.transform.kind === 'flat-params') return { ...u.transform, buffer: u.buffer };
  throw new Error(`${program.name}: the program has no flat parameter buffer (it is not a training program)`);
}

/** One tensor per trainable parameter (momentum, gradients), from a buffer laid out like the parameters. */
export function tensorsFromFlat(params: readonly ParamEntry[], flat: Float32Array): Weights {
  return new Map(params.map((p) => [p.name, { shape: [...p.shape], data: unpackParam(p, flat) }]));
}

/**
 * Parameters and running statistics in weights.ts layout, from the contents of a training
 * program's flat-params and flat-running buffers (by buffer id).
 */
export function weightsFromContents(program: Program, graph: LayerGraph, contents: ReadonlyMap<number, Float32Array>): Weights {
  const byName = new Map<string, { p: ParamEntry; flat: Float32Array }>();
  const runBy = new Map<string, { at: { mean: number; variance: number; c: number }; flat: Float32Array }>();
  for (const u of program.uploads) {
    const flat = contents.get(u.buffer);
    if (!flat) continue;
    if (u.transform.kind === 'flat-params') for (const p of u.transform.params) byName.set(p.name, { p, flat });
    if (u.transform.kind === 'flat-running') for (const r of u.transform.running) runBy.set(r.bn, { at: r, flat });
  }
  const out: Weights = new Map();
  for (const spec of weightSpecs(graph)) {
    const p = byName.get(spec.name);
    let data: Float32Array;
    if (p) data = unpackParam(p.p, p.flat);
    else {
      const r = runBy.get(spec.node);
      if (!r) throw new Error(`${program.name}: no buffer holds ${spec.name}`);
      const at = spec.role === 'running_mean' ? r.at.mean : r.at.variance;
      data = Float32Array.from(r.flat.subarray(at, at + r.at.c));
    }
    out.set(spec.name, { shape: [...spec.shape], data });
  }
  return out;
}
