// Where the training step keeps values and gradients.
//
// Forward: slices are views; every other materialized value has a buffer of its own for the
// backward pass (the pass `allocate` later lets buffers never live at the same time share memory).
//
// Backward: each value's gradient has a home: a slice's gradient is a view of its input's gradient
// (so the slice's backward is free), and a value used by exactly one concatenation has its
// gradient inside the concatenation's gradient (so the concat's backward is free); everything else
// has a buffer of its own. Kernels write (=) a gradient region the first time anything lands in it
// and accumulate (+=) afterwards, decided here, channel by channel; a gradient buffer that would be
// read or accumulated with channels never written is cleared at the start of the step.

import { nodeInputs } from '../../ir/graph.js';
import { graphOp, inputShapes } from '../../ir/node.js';
import type { BufView, GradTarget } from '../kernels/index.js';
import type { TrainBuilder } from './builder.js';
import type { TrainBufferKind } from './types.js';

export class ForwardValues {
  private readonly views = new Map<number, BufView>();

  constructor(private readonly b: TrainBuilder) {}

  /** A copy on the builder `b` (a clone of this one's). */
  clone(b: TrainBuilder): ForwardValues {
    const c = new ForwardValues(b);
    for (const [id, v] of this.views) c.views.set(id, v);
    return c;
  }

  /** Gives value `id` a buffer of its own. */
  own(id: number, kind: TrainBufferKind): BufView {
    const b = this.b;
    const view = { buffer: b.addBuffer(b.nodes[id].name, kind, b.batch * b.perImage(id) * 4), offset: 0, batchStride: b.perImage(id) };
    this.views.set(id, view);
    return view;
  }

  has(id: number): boolean {
    return this.views.has(id);
  }

  view(id: number): BufView {
    const v = this.views.get(id);
    if (v) return v;
    const n = this.b.nodes[id];
    if (n.op === 'slice') {
      const p = this.view(n.input);
      const view = { buffer: p.buffer, offset: p.offset + n.start * this.b.plane(id), batchStride: p.batchStride };
      this.views.set(id, view);
      return view;
    }
    throw new Error(`compileTrainPlan: ${n.name} is not materialized (internal error)`);
  }
}

export class Gradients {
  /** Whether each value depends on a parameter (and so needs a gradient). */
  readonly needed: boolean[];
  readonly views = new Map<number, BufView>();
  /** Gradient buffers to zero at the start of every step. */
  readonly clears = new Set<number>();
  private readonly concatUse = new Map<number, { cat: number; chan: number; count: number }>();
  private readonly resolving = new Set<number>();
  private readonly coverage = new Map<number, Uint8Array>();

  /** A copy on the builder `b` (a clone of this one's). */
  clone(b: TrainBuilder): Gradients {
    const c = new Gradients(b);
    for (const [id, v] of this.views) c.views.set(id, v);
    for (const id of this.clears) c.clears.add(id);
    for (const [buffer, cov] of this.coverage) c.coverage.set(buffer, cov.slice());
    return c;
  }

  constructor(private readonly b: TrainBuilder) {
    const nodes = b.nodes;
    this.needed = nodes.map(() => false);
    // A value's gradient is needed where a trainable parameter is at or before it.
    for (const n of nodes) {
      const trains = graphOp(n).params(n, inputShapes(n, (id) => nodes[id].shape)).some((p) => p.trainable);
      this.needed[n.id] = trains || nodeInputs(n).some((i) => this.needed[i]);
    }
    for (const n of nodes) {
      if (n.op !== 'concat') continue;
      let chan = 0;
      for (const i of n.inputs) {
        const cur = this.concatUse.get(i);
        this.concatUse.set(i, { cat: n.id, chan, count: (cur?.count ?? 0) + 1 });
        chan += nodes[i].shape.c;
      }
    }
  }

  /** The home of value `id`'s gradient (allocated on first use). */
  view(id: number): BufView {
    const hit = this.views.get(id);
    if (hit) return hit;
    const { nodes, graph } = this.b;
    if (!this.needed[id]) throw new Error(`compileTrainPlan: ${nodes[id].name} has no gradient (internal error)`);
    if (this.resolving.has(id)) throw new Error(`compileTrainPlan: gradient storage cycle at ${nodes[id].name} (internal error)`);
    this.resolving.add(id);
    const n = nodes[id];
    let v: BufView;
    const use = this.concatUse.get(id);
    if (n.op === 'slice') {
      const p = this.view(n.input);
      v = { buffer: p.buffer, offset: p.offset + n.start * this.b.plane(id), batchStride: p.batchStride };
    } else if (use && use.count === 1 && id !== graph.output) {
      const p = this.view(use.cat);
      v = { buffer: p.buffer, offset: p.offset + use.chan * this.b.plane(id), batchStride: p.batchStride };
    } else {
      v = { buffer: this.b.addBuffer(`${n.name}.grad`, 'gradient', this.b.batch * this.b.perImage(id) * 4), offset: 0, batchStride: this.b.perImage(id) };
    }
    this.resolving.delete(id);
    this.views.set(id, v);
    return v;
  }

  private chanRange(v: BufView, id: number) {
    const pl = this.b.plane(id);
    const rootC = v.batchStride / pl;
    const start = v.offset / pl;
    return { rootC, start, end: start + this.b.nodes[id].shape.c };
  }

  private covOf(buffer: number, rootC: number): Uint8Array {
    let c = this.coverage.get(buffer);
    if (!c) {
      c = new Uint8Array(rootC);
      this.coverage.set(buffer, c);
    }
    return c;
  }

  /** The gradient of value `id` as a kernel output: write or accumulate, and mark it covered. */
  target(id: number): GradTarget {
    const v = this.view(id);
    const { rootC, start, end } = this.chanRange(v, id);
    const cov = this.covOf(v.buffer, rootC);
    let covered = 0;
    for (let c = start; c < end; c++) covered += cov[c];
    const accumulate = covered > 0;
    if (covered > 0 && covered < end - start) this.clears.add(v.buffer);
    cov.fill(1, start, end);
    return { ...v, accumulate };
  }

  /** The gradient of value `id` as a kernel input: complete unless some channel got nothing. */
  read(id: number): BufView {
    const v = this.view(id);
    const { rootC, start, end } = this.chanRange(v, id);
    const cov = this.covOf(v.buffer, rootC);
    for (let c = start; c < end; c++) if (!cov[c]) this.clears.add(v.buffer);
    return v;
  }
}
