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
  /** Bottleneck blocks: output channels per inner channel (absent: 4, ResNet's; RegNet-X uses 1). */
  expansion?: number;
  /** Bottleneck blocks: groups of the kxk convolution (ResNeXt's cardinality); absent or 1: dense. */
  groups?: number;
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

/** Max pooling after the stem's convolution (ImageNet ResNets: 3x3, stride 2, padded by 1). */
export interface StemPoolIR {
  kernel: number;
  stride: number;
}

export interface StemIR {
  channels: number;
  kernel: number;
  stride: number;
  pool?: StemPoolIR;
}

export interface HeadIR {
  /** Global pooling before the classifier: average, or max (VGG). */
  pool: 'avg' | 'max';
  /** Hidden fully connected layers (each followed by a ReLU) before the classifier: VGG's 4096, 4096. */
  hidden?: number[];
  /** A fully connected layer to `classes` logits. */
  fc: boolean;
}

/**
 * Selective network linearization (SNL, Cho et al. 2022): every ReLU of the stem and the stages gets
 * a mask learned in training, and only `budget` of them stay nonlinear. `granularity` says what one
 * mask entry covers: one activation element (`pixel`, SNL's default) or one channel of a layer.
 */
export interface SnlPlan {
  budget: number;
  granularity: 'pixel' | 'channel';
}

export interface ArchIR {
  name: string;
  input: Shape;
  classes: number;
  /** Kernel size f of the block convolutions. */
  kernel: number;
  stem: StemIR;
  block: BlockKind;
  stages: StageIR[];
  /** Present when the widths come from a base and factors rather than an explicit channel list. */
  widths?: WidthBasis;
  /** Stage names, most critical first (the paper's C_k order). */
  criticality: string[];
  head: HeadIR;
  /** The passes applied so far, in order, as written (e.g. `thin S2 S3 S4`), for printing. */
  history: string[];
  /** Present after `snl BUDGET`: the ReLUs of the stem and stages become masked (partial) ReLUs. */
  snl?: SnlPlan;
}

export const ORDINARY_RELUS: Readonly<ReluPlan> = Object.freeze({ culled: false, thinned: false, reuse: 1 });

/** The head as the language writes it: `avgpool fc`, `maxpool fc(4096) fc(4096) fc`. */
export function headText(h: HeadIR): string {
  return [`${h.pool}pool`, ...(h.hidden ?? []).map((n) => `fc(${n})`), ...(h.fc ? ['fc'] : [])].join(' ');
}

/** Default output channels per inner channel of a bottleneck block (ResNet-50's). */
export const BOTTLENECK_EXPANSION = 4;

/** Output channels of a stage's blocks: the inner width times the expansion for bottlenecks. */
export function stageOutChannels(arch: Pick<ArchIR, 'block'>, stage: StageIR): number {
  return arch.block === 'bottleneck' ? stage.channels * (stage.expansion ?? BOTTLENECK_EXPANSION) : stage.channels;
}

/** A per-stage option as the language writes it: one value when all stages agree, else a list. */
function stageOption(values: readonly number[]): string {
  return values.every((v) => v === values[0]) ? String(values[0]) : `[${values.join(', ')}]`;
}

/** The block statement's value: `basic`, `bottleneck groups 8`, `bottleneck expansion 1 groups [2, 4]`. */
export function blockText(a: Pick<ArchIR, 'block' | 'stages'>): string {
  if (a.block !== 'bottleneck') return a.block;
  const parts: string[] = [a.block];
  const expansion = a.stages.map((s) => s.expansion ?? BOTTLENECK_EXPANSION);
  if (expansion.some((e) => e !== BOTTLENECK_EXPANSION)) parts.push(`expansion ${stageOption(expansion)}`);
  const groups = a.stages.map((s) => s.groups ?? 1);
  if (groups.some((g) => g > 1)) parts.push(`groups ${stageOption(groups)}`);
  return parts.join(' ');
}

/** The stem statement's value: `conv3x3(16)`, `conv7x7(64), stride 2, maxpool3x3, stride 2`. */
export function stemText(stem: StemIR, channels: string = String(stem.channels)): string {
  const parts = [`conv${stem.kernel}x${stem.kernel}(${channels})`];
  if (stem.stride !== 1) parts.push(`stride ${stem.stride}`);
  if (stem.pool) {
    parts.push(`maxpool${stem.pool.kernel}x${stem.pool.kernel}`);
    if (stem.pool.stride !== 1) parts.push(`stride ${stem.pool.stride}`);
  }
  return parts.join(', ');
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
