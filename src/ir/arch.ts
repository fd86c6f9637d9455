// The architecture IR: a network as the paper describes it (stem, stages of residual blocks with
// per-stage widths and depths, a head, a stage criticality order) plus the per-stage ReLU plan that
// the DeepReShape passes edit. Lowering turns it into the layer graph (graph.ts).

export interface Shape {
  c: number;
  h: number;
  w: number;
}

/**
 * The block of every stage. `basic`: conv-bn-relu-conv-bn, shortcut add, relu (post-activation).
 * `bottleneck`: 1x1, kxk (optionally grouped), 1x1 with 4x expansion. `preact`: the pre-activation
 * basic block (bn-relu-conv-bn-relu-conv, shortcut add; Wide ResNets). `plain`: one conv-bn-relu
 * per depth step, no shortcut, downsampling by max pooling (VGG).
 */
export type BlockKind = 'basic' | 'bottleneck' | 'preact' | 'plain';

/** Every block kind, in the order messages and editors list them. */
export const BLOCK_KINDS: readonly BlockKind[] = ['basic', 'bottleneck', 'preact', 'plain'];

/** The words a head may name: a global pooling first, then fully connected layers. */
export const HEAD_ITEMS: readonly string[] = ['avgpool', 'maxpool', 'fc'];

/**
 * What happens to a stage's nonlinearities. Culling and thinning are the paper's ReLU-dropping
 * operations (DeepReDuce); `reuse` is ReLU-reuse's N (1 means ordinary ReLUs on every channel).
 */
export interface ReluPlan {
  /** Every ReLU of the stage removed (the stem's too, for the first stage). */
  culled: boolean;
  /** Every other ReLU layer of the stage removed, the first one included (docs/architecture.md, "Counting"). */
  thinned: boolean;
  /** ReLU-reuse factor N: each remaining ReLU layer activates C/N of its C channels. */
  reuse: number;
  /**
   * Single ReLU layers removed, by position in the stage's order (in Stage1 position 0 is the
   * stem's ReLU; then each block's ReLUs in order). Written `cull S2.b1.relu1`.
   */
  culledLayers?: number[];
  /** Reuse factors of single ReLU layers (position -> N), overriding `reuse` there. */
  layerReuse?: Record<number, number>;
}

export interface StageIR {
  /** `S1`, `S2`, ...: stages are named by position, 1-based. */
  name: string;
  /** Number of residual blocks. */
  depth: number;
  /** Output channels of the stage's blocks (for bottleneck blocks: the inner width; output is 4x). */
  channels: number;
  /** Stride of the first block's first convolution (spatial downsampling). */
  stride: number;
  relu: ReluPlan;
}

/**
 * When a network is written with a base width and stagewise factors (the paper's m, alpha, beta,
 * gamma, ...), channels are m * prod(factors before the stage). Passes that change widths
 * (equalize width, alpha) edit these and recompute `channels`.
 */
export interface WidthBasis {
  m: number;
  /** One factor between consecutive stages: length = stages - 1. */
  factors: number[];
}

export interface StemIR {
  channels: number;
  kernel: number;
  stride: number;
}

export interface HeadIR {
  /** Global pooling before the classifier: average, or max (VGG). */
  pool: 'avg' | 'max';
  /** Hidden fully connected layers (each followed by a ReLU) before the classifier: VGG's 4096, 4096. */
  hidden?: number[];
  /** A fully connected layer to `classes` logits. */
  fc: boolean;
}

export interface ArchIR {
  name: string;
  input: Shape;
  classes: number;
  /** Kernel size f of the block convolutions. */
  kernel: number;
  stem: StemIR;
  block: BlockKind;
  /** Groups of the bottleneck's kxk convolution (RegNet-style); absent or 1: dense. */
  groups?: number;
  stages: StageIR[];
  /** Present when the widths come from a base and factors rather than an explicit channel list. */
  widths?: WidthBasis;
  /** Stage names, most critical first (the paper's C_k order). */
  criticality: string[];
  head: HeadIR;
  /** The passes applied so far, in order, as written (e.g. `thin S2 S3 S4`), for printing. */
  history: string[];
}

export const ORDINARY_RELUS: Readonly<ReluPlan> = Object.freeze({ culled: false, thinned: false, reuse: 1 });

/** The head as the language writes it: `avgpool fc`, `maxpool fc(4096) fc(4096) fc`. */
export function headText(h: HeadIR): string {
  return [`${h.pool}pool`, ...(h.hidden ?? []).map((n) => `fc(${n})`), ...(h.fc ? ['fc'] : [])].join(' ');
}

/** The block statement's value: `basic`, `bottleneck groups 8`. */
export function blockText(a: Pick<ArchIR, 'block' | 'groups'>): string {
  return a.groups !== undefined && a.groups > 1 ? `${a.block} groups ${a.groups}` : a.block;
}

export function stageName(index: number): string {
  return `S${index + 1}`;
}

/** Channels of every stage from a width basis: m, m*f1, m*f1*f2, ... */
export function channelsFromBasis(basis: WidthBasis): number[] {
  const out = [basis.m];
  for (const f of basis.factors) out.push(out[out.length - 1] * f);
  return out;
}

/** Short name for a family member, in the paper's notation: factors 5,5,3 -> `5x5x3x`. */
export function factorTag(factors: readonly number[]): string {
  return factors.map((f) => `${f}x`).join('');
}
