// Shape inference and counts for the operators a CNN uses, one function per op. Shapes include
// the batch dimension as the model declares it (graph.ts divides by it); the counts follow hrn's
// conventions (docs/onnx.md): ReLUs are elements leaving a Relu or a Clip, FLOPs are
// multiply-accumulates of Conv, Gemm and MatMul by constant weights, parameters are the elements
// of the constant weights those read, of constants added (biases) and of BatchNormalization's
// scale and shift.

import type { LinearLayer } from '../ir/he-cost.js';
import { attribute, intAttr, intsAttr, stringAttr, tensorDims, type NodeProto, type TensorProto } from './model.js';

/** A value of the graph: its shape, and the tensor itself when it is a constant. */
export interface Value {
  dims: number[];
  constant?: TensorProto;
}

/** What one node does, per batch as declared. */
export interface NodeOutcome {
  outputs: Value[];
  relus?: number;
  flops?: number;
  params?: number;
  /** The linear layers for the HE model, `repeat` counting the whole declared batch. */
  linear?: LinearLayer[];
}

export interface NodeContext {
  node: NodeProto;
  opset: number;
  /** Input i, undefined when absent or optional and left empty. */
  input(i: number): Value | undefined;
  /** Input i, which the op needs. */
  need(i: number): Value;
  /** The integers of constant input i (a shape argument). */
  ints(i: number): number[];
  /** Throws this node's one-line error. */
  fail(message: string): never;
}

type OpRule = (c: NodeContext) => NodeOutcome;

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const elements = (v: Value) => product(v.dims);
const paramsOf = (v: Value | undefined) => (v?.constant === undefined ? 0 : elements(v));

function axisOf(c: NodeContext, axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) c.fail(`${what} ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

/** NumPy broadcasting of two shapes. */
function broadcast(c: NodeContext, a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) c.fail(`cannot broadcast shapes [${a.join(', ')}] and [${b.join(', ')}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  autoPad: string;
  ceil: boolean;
}

function windowOf(c: NodeContext, spatial: number, kernel: number[] | undefined): Window {
  const k = kernel ?? intsAttr(c.node, 'kernel_shape');
  if (k === undefined || k.length !== spatial) c.fail(`expected kernel_shape of ${spatial} values, got ${k === undefined ? 'none' : `[${k.join(', ')}]`}`);
  const ones = Array<number>(spatial).fill(1);
  const w: Window = {
    kernel: k,
    strides: intsAttr(c.node, 'strides') ?? ones,
    dilations: intsAttr(c.node, 'dilations') ?? ones,
    pads: intsAttr(c.node, 'pads') ?? Array<number>(2 * spatial).fill(0),
    autoPad: stringAttr(c.node, 'auto_pad', 'NOTSET'),
    ceil: intAttr(c.node, 'ceil_mode', 0) === 1,
  };
  if (w.strides.length !== spatial || w.dilations.length !== spatial || w.pads.length !== 2 * spatial) c.fail('strides, dilations and pads do not match the kernel rank');
  if ([...w.kernel, ...w.strides, ...w.dilations].some((v) => v < 1) || w.pads.some((p) => p < 0)) c.fail('kernel, strides and dilations must be positive and pads not negative');
  return w;
}

/** Output spatial sizes of a sliding window (ONNX's formulas, with PyTorch's ceil-mode rule). */
function slide(c: NodeContext, sizes: readonly number[], w: Window): number[] {
  return sizes.map((size, i) => {
    const s = w.strides[i];
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(size / s);
    const span = w.dilations[i] * (w.kernel[i] - 1) + 1;
    const padded = size + (w.autoPad === 'VALID' ? 0 : w.pads[i] + w.pads[i + sizes.length]);
    if (padded < span) c.fail(`the window (${span} wide) is larger than the padded input (${padded})`);
    let out = (w.ceil ? Math.ceil((padded - span) / s) : Math.floor((padded - span) / s)) + 1;
    // A last window that would start in the right padding is dropped.
    if (w.ceil && (out - 1) * s >= size + (w.autoPad === 'VALID' ? 0 : w.pads[i])) out -= 1;
    return out;
  });
}

function spatialInput(c: NodeContext, x: Value): { batch: number; channels: number; sizes: number[] } {
  if (x.dims.length < 3) c.fail(`expected an input of shape N x C x spatial..., got [${x.dims.join(', ')}]`);
  return { batch: x.dims[0], channels: x.dims[1], sizes: x.dims.slice(2) };
}

const conv: OpRule = (c) => {
  const x = spatialInput(c, c.need(0));
  const w = c.need(1);
  if (w.dims.length !== x.sizes.length + 2) c.fail(`the weight of shape [${w.dims.join(', ')}] does not match an input with ${x.sizes.length} spatial dimensions`);
  const groups = intAttr(c.node, 'group', 1);
  const [outC, inPerGroup, ...kernel] = w.dims;
  if (groups < 1 || x.channels !== inPerGroup * groups || outC % groups !== 0) c.fail(`${x.channels} input channels, a weight of [${w.dims.join(', ')}] and group ${groups} do not fit together`);
  const win = windowOf(c, x.sizes.length, intsAttr(c.node, 'kernel_shape') ?? kernel);
  if (win.kernel.some((k, i) => k !== kernel[i])) c.fail(`kernel_shape [${win.kernel.join(', ')}] differs from the weight's [${kernel.join(', ')}]`);
  const sizes = slide(c, x.sizes, win);
  const plane = product(sizes);
  const taps = product(kernel);
  const bias = c.input(2);
  return {
    outputs: [{ dims: [x.batch, outC, ...sizes] }],
    flops: x.batch * outC * inPerGroup * taps * plane,
    params: paramsOf(w) + paramsOf(bias),
    linear: [{ inChannels: x.channels, inPlane: product(x.sizes), outChannels: outC, outPlane: plane, kernel: kernel[0] ?? 1, taps, groups, repeat: x.batch }],
  };
};

const pool: OpRule = (c) => {
  const x = spatialInput(c, c.need(0));
  const sizes = slide(c, x.sizes, windowOf(c, x.sizes.length, undefined));
  return { outputs: [{ dims: [x.batch, x.channels, ...sizes] }] };
};

const globalPool: OpRule = (c) => {
  const x = spatialInput(c, c.need(0));
  return { outputs: [{ dims: [x.batch, x.channels, ...x.sizes.map(() => 1)] }] };
};

const same: OpRule = (c) => ({ outputs: [{ dims: [...c.need(0).dims] }] });

/** Every element through a nonlinearity that a garbled circuit evaluates: one ReLU each. */
const activation: OpRule = (c) => {
  const x = c.need(0);
  return { outputs: [{ dims: [...x.dims] }], relus: elements(x) };
};

const batchNorm: OpRule = (c) => ({ outputs: [{ dims: [...c.need(0).dims] }], params: paramsOf(c.input(1)) + paramsOf(c.input(2)) });

/** A constant operand is a bias (a linear layer exported as MatMul + Add): its elements are parameters. */
const add: OpRule = (c) => ({ outputs: [{ dims: broadcast(c, c.need(0).dims, c.need(1).dims) }], params: paramsOf(c.input(0)) + paramsOf(c.input(1)) });

/** A constant operand scales or shifts (a folded batch norm written out): its elements are parameters. */
const sub: OpRule = add;

/**
 * Multiplying by a constant is linear (a scale, or an SNL mask, which count.ts recognizes); a
 * product of two computed values is not, and the PI cost model has no price for it.
 */
const mul: OpRule = (c) => {
  if (c.need(0).constant === undefined && c.need(1).constant === undefined) c.fail('multiplies two computed values: only a product with a constant (a scale or a mask) is counted');
  return add(c);
};

const concat: OpRule = (c) => {
  const inputs = (c.node.input ?? []).map((_, i) => c.need(i));
  if (inputs.length === 0) c.fail('no inputs');
  const rank = inputs[0].dims.length;
  const axis = axisOf(c, intAttr(c.node, 'axis', 0), rank);
  const dims = [...inputs[0].dims];
  dims[axis] = 0;
  for (const v of inputs) {
    if (v.dims.length !== rank || v.dims.some((d, i) => i !== axis && d !== inputs[0].dims[i])) c.fail(`inputs of shapes [${inputs[0].dims.join(', ')}] and [${v.dims.join(', ')}] do not concatenate on axis ${axis}`);
    dims[axis] += v.dims[axis];
  }
  return { outputs: [{ dims }] };
};

const slice: OpRule = (c) => {
  const x = c.need(0);
  const rank = x.dims.length;
  const fromInputs = c.opset >= 10;
  const starts = fromInputs ? c.ints(1) : (intsAttr(c.node, 'starts') ?? c.fail('missing starts'));
  const ends = fromInputs ? c.ints(2) : (intsAttr(c.node, 'ends') ?? c.fail('missing ends'));
  const axes = (fromInputs ? (c.input(3) ? c.ints(3) : undefined) : intsAttr(c.node, 'axes')) ?? starts.map((_, i) => i);
  const steps = (fromInputs && c.input(4) ? c.ints(4) : undefined) ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) c.fail('starts, ends, axes and steps differ in length');
  const dims = [...x.dims];
  axes.forEach((a, i) => {
    const axis = axisOf(c, a, rank);
    const size = x.dims[axis];
    const step = steps[i];
    if (step === 0) c.fail('a step of 0');
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + size : v, lo), hi);
    const start = step > 0 ? clamp(starts[i], 0, size) : clamp(starts[i], -1, size - 1);
    const end = step > 0 ? clamp(ends[i], 0, size) : clamp(ends[i], -1, size - 1);
    dims[axis] = Math.max(0, Math.ceil((end - start) / step));
  });
  return { outputs: [{ dims }] };
};

const flatten: OpRule = (c) => {
  const x = c.need(0);
  const axis = intAttr(c.node, 'axis', 1);
  const a = axis < 0 ? axis + x.dims.length : axis;
  if (a < 0 || a > x.dims.length) c.fail(`axis ${axis} is out of range for a tensor of rank ${x.dims.length}`);
  return { outputs: [{ dims: [product(x.dims.slice(0, a)), product(x.dims.slice(a))] }] };
};

const reshape: OpRule = (c) => {
  const x = c.need(0);
  const shape = c.opset >= 5 ? c.ints(1) : (intsAttr(c.node, 'shape') ?? c.fail('missing shape'));
  const allowZero = intAttr(c.node, 'allowzero', 0) === 1;
  const dims = shape.map((d, i) => (d === 0 && !allowZero ? (x.dims[i] ?? c.fail(`shape [${shape.join(', ')}] copies dimension ${i}, which the input lacks`)) : d));
  const free = dims.filter((d) => d === -1).length;
  if (free > 1 || dims.some((d) => d < -1)) c.fail(`the shape [${shape.join(', ')}] is not a valid reshape target`);
  const known = product(dims.filter((d) => d !== -1));
  if (free === 1) {
    if (known === 0 || elements(x) % known !== 0) c.fail(`cannot reshape ${elements(x)} elements into [${shape.join(', ')}]`);
    dims[dims.indexOf(-1)] = elements(x) / known;
  } else if (known !== elements(x)) c.fail(`cannot reshape ${elements(x)} elements into [${shape.join(', ')}]`);
  return { outputs: [{ dims }] };
};

/** A fully connected layer over `rows` rows (per batch as declared), K inputs and N outputs. */
function fc(rows: number, k: number, n: number): LinearLayer[] {
  return [{ inChannels: k, inPlane: 1, outChannels: n, outPlane: 1, kernel: 1, groups: 1, repeat: rows }];
}

const gemm: OpRule = (c) => {
  const a = c.need(0);
  const b = c.need(1);
  if (a.dims.length !== 2 || b.dims.length !== 2) c.fail(`expected two matrices, got [${a.dims.join(', ')}] and [${b.dims.join(', ')}]`);
  const [m, k] = intAttr(c.node, 'transA', 0) === 1 ? [a.dims[1], a.dims[0]] : a.dims;
  const [k2, n] = intAttr(c.node, 'transB', 0) === 1 ? [b.dims[1], b.dims[0]] : b.dims;
  if (k !== k2) c.fail(`inner dimensions differ: ${k} and ${k2}`);
  if (b.constant === undefined) c.fail('its B input is computed, not a constant weight: only fully connected layers (constant B) are counted');
  return { outputs: [{ dims: [m, n] }], flops: m * k * n, params: paramsOf(b) + paramsOf(c.input(2)), linear: fc(m, k, n) };
};

const matmul: OpRule = (c) => {
  const a = c.need(0);
  const b = c.need(1);
  if (b.constant === undefined) c.fail('its second input is computed, not a constant weight: only a MatMul by constant weights (a fully connected layer) is counted');
  if (a.dims.length < 2 || b.dims.length !== 2) c.fail(`expected [..., M, K] times a [K, N] weight, got [${a.dims.join(', ')}] and [${b.dims.join(', ')}]`);
  const k = a.dims[a.dims.length - 1];
  const [k2, n] = b.dims;
  if (k !== k2) c.fail(`inner dimensions differ: ${k} and ${k2}`);
  const rows = product(a.dims.slice(0, -1));
  return { outputs: [{ dims: [...a.dims.slice(0, -1), n] }], flops: rows * k * n, params: paramsOf(b), linear: fc(rows, k, n) };
};

const constant: OpRule = (c) => {
  const t = attribute(c.node, 'value')?.t;
  if (t) return { outputs: [{ dims: tensorDims(t), constant: t }] };
  const ints = intsAttr(c.node, 'value_ints');
  if (ints !== undefined) return { outputs: [{ dims: [ints.length], constant: { dims: [ints.length], dataType: 7, int64Data: ints } }] };
  const one = attribute(c.node, 'value_int');
  if (one !== undefined) return { outputs: [{ dims: [], constant: { dims: [], dataType: 7, int64Data: [intAttr(c.node, 'value_int', 0)] } }] };
  if (attribute(c.node, 'value_float') !== undefined) return { outputs: [{ dims: [] }] };
  const floats = attribute(c.node, 'value_floats');
  if (floats !== undefined) return { outputs: [{ dims: [(floats.floats ?? []).length] }] };
  return c.fail('a Constant with no value hrn reads (value, value_int(s) or value_float(s))');
};

/** Dropout at inference passes its input through; its optional mask has the same shape. */
const dropout: OpRule = (c) => ({ outputs: [{ dims: [...c.need(0).dims] }, { dims: [...c.need(0).dims] }] });

export const OP_RULES: Readonly<Record<string, OpRule>> = {
  Conv: conv,
  BatchNormalization: batchNorm,
  Relu: activation,
  // ReLU6 and other clamps: one comparison circuit per element, like a ReLU (docs/onnx.md).
  Clip: activation,
  Add: add,
  Sub: sub,
  Mul: mul,
  Concat: concat,
  Slice: slice,
  MaxPool: pool,
  AveragePool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  Flatten: flatten,
  Gemm: gemm,
  MatMul: matmul,
  Reshape: reshape,
  Identity: same,
  Dropout: dropout,
  Constant: constant,
};
