// SGD with momentum and weight decay, with PyTorch's torch.optim.SGD semantics (dampening 0,
// not Nesterov unless asked): the reference update the GPU optimizer kernel must match.
//
//   d   = g + weightDecay * w
//   buf = momentum * buf + d        (buf starts at 0, so the first step gives buf = d as in PyTorch)
//   w   = w - lr * buf              (Nesterov: w = w - lr * (d + momentum * buf))
//
// Arithmetic in float64 per element, stored to float32 once.

import type { LayerGraph } from '../ir/graph.js';
import { weightSpecs, type Weights } from '../weights/weights.js';

export interface SgdOptions {
  /** Default 0.9. */
  momentum?: number;
  /** L2 weight decay; default 5e-4. */
  weightDecay?: number;
  nesterov?: boolean;
  /**
   * Which parameters get weight decay (default: all, as the paper's recipe and mdistiller do).
   * Pass e.g. `(name) => name.endsWith('.weight')` to spare biases and batch-norm parameters.
   */
  decay?: (name: string) => boolean;
}

import { SGD_DEFAULTS } from '../codegen/kernels/sgd.js';
export { SGD_DEFAULTS };

/** One SGD step on one tensor, in place on `w` and `buf`. */
export function sgdUpdate(
  w: Float32Array,
  g: ArrayLike<number>,
  buf: Float32Array,
  lr: number,
  momentum: number = SGD_DEFAULTS.momentum,
  weightDecay: number = SGD_DEFAULTS.weightDecay,
  nesterov = false,
): void {
  if (g.length !== w.length || buf.length !== w.length) throw new Error(`sgd: ${w.length} weights, ${g.length} gradients, ${buf.length} momentum values`);
  for (let i = 0; i < w.length; i++) {
    const d = g[i] + weightDecay * w[i];
    const b = momentum * buf[i] + d;
    buf[i] = b;
    w[i] = w[i] - lr * (nesterov ? d + momentum * b : b);
  }
}

/**
 * The optimizer over a set of named parameters. `buffers` (the momentum, one tensor per parameter,
 * same names and shapes) is what a checkpoint stores as its optimizer file.
 */
export class Sgd {
  readonly params: readonly string[];
  readonly buffers: Weights;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly decay: (name: string) => boolean;

  constructor(weights: Weights, params: readonly string[], o: SgdOptions = {}) {
    this.params = [...params];
    this.momentum = o.momentum ?? SGD_DEFAULTS.momentum;
    this.weightDecay = o.weightDecay ?? SGD_DEFAULTS.weightDecay;
    this.nesterov = o.nesterov ?? false;
    this.decay = o.decay ?? (() => true);
    this.buffers = new Map();
    for (const name of this.params) {
      const t = weights.get(name);
      if (!t) throw new Error(`sgd: no parameter ${name} in the weights`);
      this.buffers.set(name, { shape: [...t.shape], data: new Float32Array(t.data.length) });
    }
  }

  /**
   * An optimizer over the graph's trainable parameters (batch-norm running statistics excluded).
   * SNL's masks are never decayed, as on the GPU: their L1 penalty is their only regularizer.
   */
  static forGraph(graph: LayerGraph, weights: Weights, o: SgdOptions = {}): Sgd {
    const specs = weightSpecs(graph).filter((s) => s.trainable);
    const masks = new Set(specs.filter((s) => s.role === 'mask').map((s) => s.name));
    const decay = o.decay ?? (() => true);
    return new Sgd(weights, specs.map((s) => s.name), { ...o, decay: (name) => !masks.has(name) && decay(name) });
  }

  /** Replaces the momentum buffers (resume); every parameter must be present with its size. */
  loadBuffers(saved: Weights): void {
    for (const name of this.params) {
      const src = saved.get(name);
      const dst = this.buffers.get(name)!;
      if (!src) throw new Error(`optimizer state has no momentum buffer for ${name}`);
      if (src.data.length !== dst.data.length) throw new Error(`optimizer state: ${name} has ${src.data.length} values, the parameter ${dst.data.length}`);
      dst.data.set(src.data);
    }
  }

  /** Updates every parameter in `weights` from `grads` (missing gradients are an error). */
  step(weights: Weights, grads: ReadonlyMap<string, ArrayLike<number>>, lr: number): void {
    for (const name of this.params) {
      const g = grads.get(name);
      if (!g) throw new Error(`sgd: no gradient for ${name}`);
      const w = weights.get(name);
      if (!w) throw new Error(`sgd: no parameter ${name} in the weights`);
      sgdUpdate(w.data, g, this.buffers.get(name)!.data, lr, this.momentum, this.decay(name) ? this.weightDecay : 0, this.nesterov);
    }
  }
}
