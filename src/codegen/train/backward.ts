// The backward half of a training step (run by the `backward` pass): every step's backward, last
// step first, from the logits gradient the loss wrote.

import type { ConcatNode } from '../../ir/graph.js';
import type { ChainStep, ConvStep, SimpleStep } from '../graph/state.js';
import { chainBwdVec, type ChainKernelPart, genChainBwd, type ChainBwdSpec, type GradTarget, partsWrite } from '../kernels/index.js';
import type { ConvGeometry } from '../conv-layout.js';
import { chainNodes, chainStage, opKernels } from '../op-kernels.js';
import { hasStepKernels, stepKernels } from '../step-op.js';
import type { TrainBuilder } from './builder.js';
import { chainNames, type TrainStep } from './forward.js';
import type { BnStore, ParamStore } from './params.js';
import type { ForwardValues, Gradients } from './values.js';

export interface BackwardContext {
  b: TrainBuilder;
  /** The forward values the kernels read (with recomputed chain outputs swapped in: recompute.ts). */
  saved: Pick<ForwardValues, 'view'>;
  grads: Gradients;
  store: ParamStore;
  bn: BnStore;
  /** The step's uniform (learning rate, SNL's L1 weight and frozen flag). */
  uniform: number;
}

function geometry(x: BackwardContext, s: ConvStep): ConvGeometry {
  const c = s.conv;
  const inS = x.b.nodes[c.input].shape;
  const ocb = x.store.tiles.get(c.name)!.value.ocb;
  return { batch: x.b.batch, inC: inS.c, inH: inS.h, inW: inS.w, outC: c.outChannels, outH: c.shape.h, outW: c.shape.w, kernel: c.kernel, stride: c.stride, pad: c.pad, groups: c.groups, ocb };
}

/** A step of an op with kernels of its own (src/ops/<op>/kernels.ts). */
function simple(x: BackwardContext, s: SimpleStep): void {
  const node = x.b.nodes[s.anchor];
  if (!hasStepKernels(node)) throw new Error(`compileTrainPlan: ${s.kind} step without its node (internal error)`);
  stepKernels(node).trainBackward({ node, input: s.input, b: x.b, saved: x.saved, grads: x.grads, store: x.store });
}

function chain(x: BackwardContext, s: ChainStep): void {
  const { b, grads } = x;
  const g = grads.read(s.anchor);
  const shape = b.shapeOf(s.a);
  const names = chainNames(b, s);
  // A gradient target's buffer is made when it is first asked for: the first operand's before the
  // other's, and after the recomputed values the ops' dispatches read first, so plans keep one
  // buffer order.
  let ta: GradTarget | undefined;
  let targeted = false;
  const inputTarget = () => {
    if (!targeted) ta = grads.needed[s.a] ? grads.target(s.a) : undefined;
    targeted = true;
    return ta;
  };
  const otherGradient = () => {
    inputTarget();
    return s.b !== undefined && grads.needed[s.b] ? grads.target(s.b) : undefined;
  };
  const stage = { names, shape, b, store: x.store, bn: x.bn, g, output: () => x.saved.view(s.anchor), input: () => x.saved.view(s.a), uniform: x.uniform, inputGradient: grads.needed[s.a], otherGradient, doubled: s.doubled };
  // Last node first: what each op's dispatches read is the gradient that reaches it, through the
  // parts of the ops after it.
  const parts: ChainKernelPart[] = [];
  for (const node of chainNodes(b.nodes, s.nodes).reverse()) {
    const part = chainStage(node).trainBackward({ node, ...stage, after: [...parts] });
    if (part) parts.push(part);
  }
  const a = inputTarget();
  if (a || partsWrite(parts)) chainBwd(b, `${names} dX`, { name: `${names} dX`, shape, g, a, parts });
}

function conv(x: BackwardContext, s: ConvStep): void {
  const { b, grads, store } = x;
  const c = s.conv;
  const sg = b.subgroupSize;
  const g = grads.read(c.id);
  const geo = geometry(x, s);
  const xin = x.saved.view(c.input);
  const wp = store.paramOf.get(`${c.name}.weight`)!;
  const dw = b.scheduler.convDw(`${c.name} dW`, geo);
  const tiling = dw.value;
  if (tiling.chunks > 1) {
    b.sizes.scratch = Math.max(b.sizes.scratch, tiling.chunks * tiling.size4 * 16);
    b.emit('backward', `${c.name} dW partial`, opKernels('conv').weightGradient(`${c.name} dW`, geo, xin, g, { buffer: b.scratch, offset4: 0 }, tiling, b.dl, sg), b.convFlops(c), dw.record);
    const sum = b.scheduler.dwReduce(`${c.name} dW reduce`, tiling.chunks, dw);
    const reduce = opKernels('conv').weightGradientSum(`${c.name} dW reduce`, b.scratch, { buffer: store.G, offset4: wp.offset / 4 }, tiling.size4, tiling.chunks, sum.value.wg, b.dl, sum.value.lanes);
    b.emit('backward', `${c.name} dW`, reduce, 0, sum.record);
  } else {
    b.emit('backward', `${c.name} dW`, opKernels('conv').weightGradient(`${c.name} dW`, geo, xin, g, { buffer: store.G, offset4: wp.offset / 4 }, tiling, b.dl, sg), b.convFlops(c), dw.record);
  }
  if (c.bias) b.emit('backward', `${c.name} db`, opKernels('conv').biasGradient(geo, g, { buffer: store.G, offset: store.paramOf.get(`${c.name}.bias`)!.offset }, b.dl));
  if (grads.needed[c.input]) {
    const dx = b.scheduler.convDx(`${c.name} dX`, geo);
    b.emit('backward', `${c.name} dX`, opKernels('conv').inputGradient(`${c.name} dX`, geo, g, grads.target(c.input), { buffer: store.P, offset: wp.offset }, dx.value, b.dl, sg), b.convFlops(c), dx.record);
  }
}

function concat(x: BackwardContext, cat: ConcatNode): void {
  const { b, grads } = x;
  if (!grads.needed[cat.id]) return;
  const gc = grads.view(cat.id);
  let chan = 0;
  for (const i of cat.inputs) {
    const region = { buffer: gc.buffer, offset: gc.offset + chan * b.plane(i), batchStride: gc.batchStride };
    chan += b.nodes[i].shape.c;
    if (!grads.needed[i]) continue;
    const gi = grads.view(i);
    if (gi.buffer === region.buffer && gi.offset === region.offset) continue; // lives there already
    grads.read(cat.id);
    const name = `${cat.name} -> ${b.nodes[i].name}`;
    chainBwd(b, `${name} dX`, { name, shape: b.shapeOf(i), g: region, a: grads.target(i), parts: [] });
  }
}

/** Emits every step's backward, last step first. */
export function emitBackward(x: BackwardContext, steps: readonly TrainStep[]): void {
  for (let si = steps.length - 1; si >= 0; si--) {
    const s = steps[si];
    if (s.kind === 'concat') concat(x, s.node);
    else if (s.kind === 'chain') chain(x, s);
    else if (s.kind === 'conv') conv(x, s);
    else simple(x, s);
  }
}

/** A chain's gradient kernel (or a plain gradient copy) with its schedule, emitted as `label`. */
function chainBwd(b: TrainBuilder, label: string, spec: ChainBwdSpec): void {
  const geo = { batch: spec.shape.batch, c: spec.shape.c, plane: spec.shape.h * spec.shape.w, vec: chainBwdVec(spec) };
  const schedule = b.scheduler.elementwise(spec.name, 'chain_bwd', geo);
  b.emit('backward', label, genChainBwd(spec, schedule.value, b.dl), 0, schedule.record);
}
