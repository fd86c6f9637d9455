// The peer: the same layer graph with the same weights, executed by TensorFlow.js on its WebGPU
// backend, so benchmarks compare like with like. tfjs works in NHWC, so weights are transposed
// once at load; grouped convolutions (absent from tfjs) run as one convolution per group.

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
        case 'relu': {
          const x = vals[n.input];
          const c = n.shape.c;
          if (n.start === 0 && n.end === c) {
            vals[n.id] = tf.relu(x);
          } else {
            const parts: Tensor[] = [];
            if (n.start > 0) parts.push(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, n.start]));
            parts.push(tf.relu(tf.slice(x, [0, 0, 0, n.start], [-1, -1, -1, n.end - n.start])));
            if (n.end < c) parts.push(tf.slice(x, [0, 0, 0, n.end], [-1, -1, -1, c - n.end]));
            vals[n.id] = tf.concat(parts, 3);
          }
          break;
        }
        case 'add':
          vals[n.id] = tf.add(vals[n.inputs[0]], vals[n.inputs[1]]);
          break;
        case 'slice':
          vals[n.id] = tf.slice(vals[n.input], [0, 0, 0, n.start], [-1, -1, -1, n.end - n.start]);
          break;
        case 'concat':
          vals[n.id] = tf.concat(n.inputs.map((i) => vals[i]), 3);
          break;
        case 'avgpool':
          vals[n.id] = tf.mean(vals[n.input], [1, 2]);
          break;
        case 'fc':
          vals[n.id] = tf.add(tf.matMul(vals[n.input] as import('@tensorflow/tfjs-core').Tensor2D, p(`${n.name}.weight`) as unknown as import('@tensorflow/tfjs-core').Tensor2D), p(`${n.name}.bias`));
          break;
      }
    }
    return vals[g.output];
  }

  /** Logits as a plain array (inference mode). */
  async infer(inputNchw: Float32Array, batch: number): Promise<Float32Array> {
    const tf = this.tf;
    const s = this.graph.nodes[0].shape;
    const out = tf.tidy(() => this.forward(tf.tensor4d(inputNchw, [batch, s.c, s.h, s.w]), false));
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const b of this.buffers.values()) b.dispose();
  }
}
