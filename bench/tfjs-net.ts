// The peer: the same layer graph with the same weights, executed by TensorFlow.js on its WebGPU
// backend, so benchmarks compare like with like. tfjs works in NHWC, so weights are transposed
// once at load; grouped convolutions (absent from tfjs) run as one convolution per group.

import '../src/ops/index.js';
import { create, globals } from 'webgpu';
import type { LayerGraph } from '../src/ir/graph.js';
import type { Weights } from '../src/weights/index.js';

type Tf = typeof import('@tensorflow/tfjs-core');
type Tensor4D = import('@tensorflow/tfjs-core').Tensor4D;
type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Variable = import('@tensorflow/tfjs-core').Variable;

const BN_EPS = 1e-5;

/** Loads tfjs with its WebGPU backend on Dawn (the adapter hrn uses). */
export async function loadTfjsWebgpu(): Promise<Tf> {
  Object.assign(globalThis, globals);
  (globalThis as { navigator?: unknown }).navigator = { gpu: create([]) };
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the webgpu backend did not initialize');
  await tf.ready();
  return tf;
}

type ChannelNode = Extract<LayerGraph['nodes'][number], { op: 'relu' | 'add' | 'slice' | 'concat' | 'avgpool' | 'maxpool' }>;

/** The ops both peers run alike, in NHWC: partial or full ReLU, add, channel slice and concat, pooling. */
function channelOp(tf: Tf, n: ChannelNode, vals: Tensor[]): Tensor {
  switch (n.op) {
    case 'relu': {
      const x = vals[n.input];
      const c = n.shape.c;
      if (n.start === 0 && n.end === c) return tf.relu(x);
      const parts: Tensor[] = [];
      if (n.start > 0) parts.push(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, n.start]));
      parts.push(tf.relu(tf.slice(x, [0, 0, 0, n.start], [-1, -1, -1, n.end - n.start])));
      if (n.end < c) parts.push(tf.slice(x, [0, 0, 0, n.end], [-1, -1, -1, c - n.end]));
      return tf.concat(parts, 3);
    }
    case 'add':
      return tf.add(vals[n.inputs[0]], vals[n.inputs[1]]);
    case 'slice':
      return tf.slice(vals[n.input], [0, 0, 0, n.start], [-1, -1, -1, n.end - n.start]);
    case 'concat':
      return tf.concat(n.inputs.map((i) => vals[i]), 3);
    case 'avgpool':
      return tf.mean(vals[n.input], [1, 2]);
    case 'maxpool': {
      const y = tf.maxPool(vals[n.input] as Tensor4D, [n.kernel, n.kernel], [n.stride, n.stride], 'valid');
      // A global max pool feeds the classifier, which takes [batch, channels] as avgpool gives it.
      return n.shape.h === 1 && n.shape.w === 1 ? tf.reshape(y, [-1, n.shape.c]) : y;
    }
  }
}

/** One NCHW batch through `forward`, read back as a plain array. */
async function logits(tf: Tf, graph: LayerGraph, forward: (x: Tensor4D) => Tensor, inputNchw: Float32Array, batch: number): Promise<Float32Array> {
  const s = graph.nodes[0].shape;
  const out = tf.tidy(() => forward(tf.tensor4d(inputNchw, [batch, s.c, s.h, s.w])));
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

export class TfjsNet {
  /** Trainable parameters, by hrn tensor name, in tfjs layouts. */
  readonly params = new Map<string, Variable>();
  private readonly buffers = new Map<string, Tensor>();

  constructor(
    private readonly tf: Tf,
    private readonly graph: LayerGraph,
    weights: Weights,
  ) {
    for (const n of graph.nodes) {
      const get = (role: string) => {
        const w = weights.get(`${n.name}.${role}`);
        if (!w) throw new Error(`tfjs peer: missing ${n.name}.${role}`);
        return w;
      };
      if (n.op === 'conv') {
        const w = get('weight');
        const [o, i, k] = w.shape;
        // hrn: [out, in/groups, k, k] -> tfjs: [k, k, in/groups, out]
        const t = tf.transpose(tf.tensor4d(w.data, [o, i, k, k]), [2, 3, 1, 0]);
        this.params.set(`${n.name}.weight`, tf.variable(t, true, `${n.name}.weight`));
        t.dispose();
      } else if (n.op === 'bn') {
        for (const role of ['gamma', 'beta'] as const) this.params.set(`${n.name}.${role}`, tf.variable(tf.tensor1d(get(role).data), true));
        for (const role of ['running_mean', 'running_var'] as const) this.buffers.set(`${n.name}.${role}`, tf.tensor1d(get(role).data));
      } else if (n.op === 'fc') {
        const w = get('weight');
        const t = tf.transpose(tf.tensor2d(w.data, [w.shape[0], w.shape[1]]));
        this.params.set(`${n.name}.weight`, tf.variable(t, true));
        t.dispose();
        this.params.set(`${n.name}.bias`, tf.variable(tf.tensor1d(get('bias').data), true));
      }
    }
  }

  /** Logits for an NCHW batch; `training` uses batch statistics in batch norm. */
  forward(inputNchw: Tensor4D, training: boolean): Tensor {
    const tf = this.tf;
    const g = this.graph;
    const vals: Tensor[] = new Array(g.nodes.length);
    const p = (name: string) => this.params.get(name)!;
    for (const n of g.nodes) {
      switch (n.op) {
        case 'input':
          vals[n.id] = tf.transpose(inputNchw, [0, 2, 3, 1]);
          break;
        case 'conv': {
          const x = vals[n.input] as Tensor4D;
          const w = p(`${n.name}.weight`) as unknown as Tensor4D;
          const pad = n.pad === 0 ? 'valid' : ([[0, 0], [n.pad, n.pad], [n.pad, n.pad], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]);
          if (n.groups === 1) {
            vals[n.id] = tf.conv2d(x, w, n.stride, pad);
          } else {
            const xs = tf.split(x, n.groups, 3);
            const ws = tf.split(w, n.groups, 3);
            vals[n.id] = tf.concat(xs.map((xi, i) => tf.conv2d(xi as Tensor4D, ws[i] as Tensor4D, n.stride, pad)), 3);
          }
          break;
        }
        case 'bn': {
          const x = vals[n.input];
          const gamma = p(`${n.name}.gamma`);
          const beta = p(`${n.name}.beta`);
          if (training) {
            const { mean, variance } = tf.moments(x, [0, 1, 2]);
            vals[n.id] = tf.batchNorm(x, mean, variance, beta, gamma, BN_EPS);
          } else {
            vals[n.id] = tf.batchNorm(x, this.buffers.get(`${n.name}.running_mean`)!, this.buffers.get(`${n.name}.running_var`)!, beta, gamma, BN_EPS);
          }
          break;
        }
        case 'fc':
          vals[n.id] = tf.add(tf.matMul(vals[n.input] as import('@tensorflow/tfjs-core').Tensor2D, p(`${n.name}.weight`) as unknown as import('@tensorflow/tfjs-core').Tensor2D), p(`${n.name}.bias`));
          break;
        default:
          vals[n.id] = channelOp(tf, n, vals);
      }
    }
    return vals[g.output];
  }

  /** Logits as a plain array (inference mode). */
  async infer(inputNchw: Float32Array, batch: number): Promise<Float32Array> {
    return logits(this.tf, this.graph, (x) => this.forward(x, false), inputNchw, batch);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const b of this.buffers.values()) b.dispose();
  }
}

/**
 * tfjs at its best for inference: batch norm folded into the convolution before it (with the
 * running statistics), and each convolution one `tf.fused.conv2d` with its bias and, where a full
 * ReLU follows the batch norm directly, the ReLU too. Adds and partial ReLUs stay separate ops.
 */
export class TfjsFusedNet {
  private readonly convs = new Map<number, { w: Tensor4D; b: Tensor; relu: boolean }>();
  /** Nodes whose value is the value of another node (folded bn, fused relu). */
  private readonly alias = new Map<number, number>();
  private readonly fc = new Map<number, { w: Tensor; b: Tensor }>();
  private readonly bns = new Map<number, { gamma: Tensor; beta: Tensor; mean: Tensor; variance: Tensor }>();

  constructor(
    private readonly tf: Tf,
    private readonly graph: LayerGraph,
    weights: Weights,
  ) {
    const users = new Map<number, number[]>();
    for (const n of graph.nodes) {
      const ins = 'inputs' in n ? n.inputs : 'input' in n ? [n.input] : [];
      for (const i of ins) users.set(i, [...(users.get(i) ?? []), n.id]);
    }
    const get = (name: string) => {
      const w = weights.get(name);
      if (!w) throw new Error(`tfjs peer: missing ${name}`);
      return w;
    };
    for (const n of graph.nodes) {
      if (n.op !== 'conv') continue;
      const w = get(`${n.name}.weight`);
      const [o, i, k] = w.shape;
      const wt = new Float32Array(w.data);
      const bias = n.bias ? new Float32Array(get(`${n.name}.bias`).data) : new Float32Array(o);
      const next = users.get(n.id) ?? [];
      const bn = next.length === 1 ? graph.nodes[next[0]] : undefined;
      let relu = false;
      if (bn?.op === 'bn') {
        const gamma = get(`${bn.name}.gamma`).data;
        const beta = get(`${bn.name}.beta`).data;
        const mean = get(`${bn.name}.running_mean`).data;
        const variance = get(`${bn.name}.running_var`).data;
        const per = wt.length / o;
        for (let c = 0; c < o; c++) {
          const scale = gamma[c] / Math.sqrt(variance[c] + BN_EPS);
          for (let j = 0; j < per; j++) wt[c * per + j] *= scale;
          bias[c] = beta[c] + (bias[c] - mean[c]) * scale;
        }
        this.alias.set(bn.id, n.id);
        const after = users.get(bn.id) ?? [];
        const r = after.length === 1 ? graph.nodes[after[0]] : undefined;
        if (r?.op === 'relu' && r.start === 0 && r.end === r.shape.c) {
          relu = true;
          this.alias.set(r.id, n.id);
        }
      }
      const t = tf.tensor4d(wt, [o, i, k, k]);
      this.convs.set(n.id, { w: tf.transpose(t, [2, 3, 1, 0]), b: tf.tensor1d(bias), relu });
      t.dispose();
    }
    // batch norms left unfolded, and the fc layer, in tfjs layout
    for (const n of graph.nodes) {
      if (n.op === 'bn' && !this.alias.has(n.id)) {
        const t = (role: string) => tf.tensor1d(get(`${n.name}.${role}`).data);
        this.bns.set(n.id, { gamma: t('gamma'), beta: t('beta'), mean: t('running_mean'), variance: t('running_var') });
      }
      if (n.op === 'fc') {
        const w = get(`${n.name}.weight`);
        this.fc.set(n.id, { w: tf.transpose(tf.tensor2d(w.data, [w.shape[0], w.shape[1]])), b: tf.tensor1d(get(`${n.name}.bias`).data) });
      }
    }
  }

  forward(inputNchw: Tensor4D): Tensor {
    const tf = this.tf;
    const g = this.graph;
    const vals: Tensor[] = new Array(g.nodes.length);
    for (const n of g.nodes) {
      const a = this.alias.get(n.id);
      if (a !== undefined) {
        vals[n.id] = vals[a];
        continue;
      }
      switch (n.op) {
        case 'input':
          vals[n.id] = tf.transpose(inputNchw, [0, 2, 3, 1]);
          break;
        case 'conv': {
          const c = this.convs.get(n.id)!;
          const pad = n.pad === 0 ? 'valid' : ([[0, 0], [n.pad, n.pad], [n.pad, n.pad], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]);
          const activation = c.relu ? 'relu' : 'linear';
          if (n.groups === 1) {
            vals[n.id] = tf.fused.conv2d({ x: vals[n.input] as Tensor4D, filter: c.w, strides: n.stride, pad, bias: c.b, activation });
          } else {
            // tfjs has no grouped convolution: one fused convolution per group
            const xs = tf.split(vals[n.input], n.groups, 3);
            const ws = tf.split(c.w, n.groups, 3);
            const bs = tf.split(c.b, n.groups);
            vals[n.id] = tf.concat(xs.map((xi, i) => tf.fused.conv2d({ x: xi as Tensor4D, filter: ws[i] as Tensor4D, strides: n.stride, pad, bias: bs[i], activation })), 3);
          }
          break;
        }
        case 'bn': {
          // one that could not be folded (its convolution feeds other nodes too)
          const b = this.bns.get(n.id)!;
          vals[n.id] = tf.batchNorm(vals[n.input], b.mean, b.variance, b.beta, b.gamma, BN_EPS);
          break;
        }
        case 'fc': {
          const f = this.fc.get(n.id)!;
          vals[n.id] = tf.add(tf.matMul(vals[n.input] as import('@tensorflow/tfjs-core').Tensor2D, f.w as import('@tensorflow/tfjs-core').Tensor2D), f.b);
          break;
        }
        default:
          vals[n.id] = channelOp(tf, n, vals);
      }
    }
    return vals[g.output];
  }

  async infer(inputNchw: Float32Array, batch: number): Promise<Float32Array> {
    return logits(this.tf, this.graph, (x) => this.forward(x), inputNchw, batch);
  }

  dispose(): void {
    for (const c of this.convs.values()) {
      c.w.dispose();
      c.b.dispose();
    }
    for (const f of this.fc.values()) {
      f.w.dispose();
      f.b.dispose();
    }
    for (const b of this.bns.values()) for (const t of Object.values(b)) t.dispose();
  }
}
