// The program: what compiling a network gives the runtime, for inference and training alike. It
// lists GPU buffers and the memory they share, kernels, dispatches in order, and the transforms
// that fill buffers from weights and read them back. The runtime runs a program without knowing
// how it was planned; codegen (src/codegen/program.ts) lowers both kinds of plan to it.

import type { Shape } from '../ir/arch.js';
import type { PackedParam } from './param-layout.js';

/** Slots of the running sums a training program's loss kernel adds to (one float each), in order. */
export const LOSS_SUMS = ['loss', 'correct', 'steps', 'ce', 'kd1', 'kd2'] as const;

/** How a kernel binds a buffer (the bind group layout of one binding). */
export type BindingType = 'read-only-storage' | 'storage' | 'uniform';

export interface ProgramBuffer {
  id: number;
  name: string;
  bytes: number;
  usage: 'storage' | 'uniform';
  /** Contents written once when the buffer is created (dispatch arguments). */
  init?: Uint32Array<ArrayBuffer>;
  /** Read as zeros and never written (a missing bias): WebGPU's fresh buffer is what it needs. */
  zeros?: true;
  /** Written before it is read by the dispatches that use it: its contents between them mean nothing. */
  scratch?: true;
}

/** One GPU buffer that buffers never live at the same time share, each from byte 0. */
export interface ProgramAllocation {
  id: number;
  bytes: number;
  /** The buffers living here, in the order the program first uses them. */
  buffers: number[];
}

/** A kernel: its WGSL and how it is dispatched. */
export interface CompiledKernel {
  id: number;
  /** File stem when written out, e.g. `k03_conv`. */
  name: string;
  template: string;
  wgsl: string;
  entryPoint: string;
  workgroupSize: number;
}

export interface ProgramKernel extends CompiledKernel {
  /** Binding types, by binding number. */
  layout: BindingType[];
}

export interface ProgramBinding {
  binding: number;
  buffer: number;
  /** Bytes; the whole buffer when absent. */
  offset?: number;
  size?: number;
}

export interface ProgramDispatch {
  index: number;
  kernel: number;
  /** What it computes, for messages and profiles (`S1.b1.conv1 dW`, `S1.b1.conv1 + S1.b1.bn1`). */
  label: string;
  /** `inference`, or a training step's `forward`, `loss`, `backward`, `optimizer`. */
  phase: string;
  bindings: ProgramBinding[];
  workgroups: [number, number, number];
  /** Floating-point operations (a multiply-add counts 2); 0 for memory-bound kernels. */
  flops: number;
}

/** How an inference parameter buffer is made from the weights: batch norm folded, then packed. */
export type ParamSource =
  | { kind: 'conv-weight'; conv: string; bn?: string; bias: boolean; outC: number; inC: number; kernel: number; groups: number; ocb: number; padding: number; f16?: true }
  | { kind: 'conv-bias'; conv: string; bn?: string; bias: boolean; outC: number; groups: number; ocb: number }
  | { kind: 'bn-scale' | 'bn-shift'; bn: string; c: number }
  | { kind: 'fc-weight'; fc: string; outFeatures: number; inFeatures: number; f16?: true }
  | { kind: 'fc-bias'; fc: string; outFeatures: number }
  | { kind: 'relu-mask'; relu: string; length: number };

/** A trainable tensor; its offset is the same in the parameter, gradient and momentum buffers. */
export interface ParamEntry extends PackedParam {
  /** The tensor's name in weights.ts. */
  name: string;
  decay: boolean;
}

export interface RunningEntry {
  bn: string;
  c: number;
  /** Float offsets in the running-statistics buffer. */
  mean: number;
  variance: number;
}

/** A transform from weights (weights.ts layout) to a buffer's contents, and back where it is state. */
export type WeightTransform =
  /** One inference parameter buffer. */
  | { kind: 'fold-pack'; source: ParamSource }
  /** Every trainable tensor packed into one flat buffer (parameters; momentum and gradients share the layout). */
  | { kind: 'flat-params'; floats: number; params: ParamEntry[] }
  /** Batch norm running statistics side by side. */
  | { kind: 'flat-running'; floats: number; running: RunningEntry[] };

export interface WeightUpload {
  buffer: number;
  transform: WeightTransform;
}

/** Where a node's value lives: element offset of (n=0, c=0, 0, 0) and elements per image. */
export interface ValueView {
  buffer: number;
  offset: number;
  batchStride: number;
}

/** Where a node's value (and, in training, its gradient) lives. */
export interface ProgramValue {
  node: string;
  shape: Shape;
  forward?: ValueView;
  grad?: ValueView;
}

/** The buffers the host writes each run and reads back: by role. */
export interface ProgramIo {
  /** Images, NCHW, dense over the batch. */
  images: { buffer: number; shape: Shape; elements: number };
  /** Logits of the batch: [batch, classes] at `view`. */
  logits: { view: ValueView; classes: number };
  /** Inference with the head: softmax probabilities ([batch, classes], dense) and argmax classes. */
  probs?: number;
  argmax?: number;
  /** Training: labels (u32 per image), the step's uniform, the teacher's logits, the running loss sums. */
  labels?: number;
  step?: number;
  teacher?: number;
  sums?: number;
  /** Training state laid out like the parameters (flat-params): gradients and momentum. */
  grads?: number;
  momentum?: number;
}

/** What the runtime's runner needs to run a program: its memory, kernels and dispatches. */
export interface ProgramCore {
  /** The network's name (or, for a part cut out of a program, what it computes). */
  name: string;
  /** `inference` or `training`; `part` for dispatches cut out of a program (hrn tune's groups). */
  kind: 'inference' | 'training' | 'part';
  /** The subgroup width the kernels were generated for (0: none). */
  subgroupSize: number;
  buffers: ProgramBuffer[];
  /** Every buffer lives in exactly one allocation; uniform buffers never share. */
  allocations: ProgramAllocation[];
  kernels: ProgramKernel[];
  dispatches: ProgramDispatch[];
  /** Buffers zeroed before the dispatches of every run (training's gradient sums). */
  clears: number[];
}

/** A compiled network: the runnable core, and what the host fills and reads. */
export interface Program extends ProgramCore {
  kind: 'inference' | 'training';
  batch: number;
  /** What the weights fill, and how. */
  uploads: WeightUpload[];
  io: ProgramIo;
  values: ProgramValue[];
}
