// Lowering: architecture IR -> layer graph. Post-activation residual networks as the paper uses
// them (CIFAR-style ResNets): stem conv-bn-relu, stages of basic (two 3x3 convs) or bottleneck
// (1x1, kxk optionally grouped, 1x1 with an expansion, 4x unless the stage says otherwise) blocks, projection shortcuts where the shape
// changes, then global pooling and a fully connected classifier. Two more block kinds follow the
// networks the paper compares with: `preact` (Wide ResNets: bn-relu before each conv, a bare conv
// stem, and a final bn-relu after the last stage, counted in it) and `plain` (VGG: conv-bn-relu
// layers, max pooling where a stage's stride is above 1, no shortcuts).

import { stageOutChannels, type ArchIR, type StageIR } from './arch.js';
import { GraphBuilder } from './builder.js';
import { emitConvUnit } from './conv-unit.js';
import type { LayerGraph } from './graph.js';

/** ReLU layers per block, by block kind. */
export function relusPerBlock(arch: Pick<ArchIR, 'block'>): number {
  return { basic: 2, preact: 2, plain: 1, bottleneck: 3 }[arch.block];
}

export { stageOutChannels } from './arch.js';

/** Whether the stem ends in a ReLU: every kind but preact, whose blocks start with bn-relu. */
export function stemHasRelu(arch: Pick<ArchIR, 'block'>): boolean {
  return arch.block !== 'preact';
}

/**
 * Whether the ReLU layer at `position` of a stage survives its plan. Positions count the stage's
 * ReLU layers in order; in Stage1 position 0 is the stem's ReLU. Thinning drops every other layer
 * starting with the first (docs/architecture.md, "Counting").
 */
export function reluKept(stage: StageIR, position: number): boolean {
  if (stage.relu.culled) return false;
  if (stage.relu.culledLayers?.includes(position)) return false;
  if (stage.relu.thinned) return position % 2 === 1;
  return true;
}

/** The reuse factor of the ReLU layer at `position`: its own, else the stage's. */
export function reuseAt(stage: StageIR, position: number): number {
  return stage.relu.layerReuse?.[position] ?? stage.relu.reuse;
}

/** Names of a stage's ReLU layers by position (`stem.relu1` first in Stage1, then `S1.b1.relu1`, ...). */
export function reluLayerNames(arch: Pick<ArchIR, 'block' | 'stages'>, stage: StageIR): string[] {
  const names = stage === arch.stages[0] && stemHasRelu(arch) ? ['stem.relu1'] : [];
  for (let blk = 1; blk <= stage.depth; blk++) {
    for (let i = 1; i <= relusPerBlock(arch); i++) names.push(`${stage.name}.b${blk}.relu${i}`);
  }
  // A pre-activation network ends with bn-relu after its last block: the last stage's last layer.
  if (arch.block === 'preact' && stage === arch.stages[arch.stages.length - 1]) names.push('post.relu1');
  return names;
}

export function lowerToGraph(arch: ArchIR): LayerGraph {
  const b = new GraphBuilder();
  const first = arch.stages[0];
  const input = b.addInput('input', arch.input);

  // The stem's ReLU is counted in, and culled or thinned with, the first stage.
  let x = stemHasRelu(arch)
    ? emitConvUnit(b, {
      prefix: 'stem',
      index: 1,
      region: 'stem',
      input,
      outChannels: arch.stem.channels,
      kernel: arch.stem.kernel,
      stride: arch.stem.stride,
      relu: first ? reluKept(first, 0) : true,
      reuse: first ? reuseAt(first, 0) : 1,
    })
    : conv(b, 'stem.conv1', 'stem', input, arch.stem.channels, arch.stem.kernel, arch.stem.stride);
  // ImageNet stems pool after the convolution, padded like it so that stride 2 halves the side.
  const pool = arch.stem.pool;
  if (pool) x = b.add({ op: 'maxpool', name: 'stem.pool', region: 'stem', input: x, kernel: pool.kernel, stride: pool.stride, pad: Math.floor(pool.kernel / 2) });

  arch.stages.forEach((stage, si) => {
    let position = si === 0 && stemHasRelu(arch) ? 1 : 0;
    const perBlock = relusPerBlock(arch);
    const plan = (p: number): UnitPlan => ({ relu: reluKept(stage, p), reuse: reuseAt(stage, p) });
    if (arch.block === 'plain' && stage.stride > 1) {
      x = b.add({ op: 'maxpool', name: `${stage.name}.pool`, region: stage.name, input: x, kernel: stage.stride, stride: stage.stride, pad: 0 });
    }
    for (let blk = 1; blk <= stage.depth; blk++) {
      const units = Array.from({ length: perBlock }, (_, i) => plan(position + i));
      position += perBlock;
      x = BLOCKS[arch.block](b, arch, stage, blk, x, units);
    }
    if (arch.block === 'preact' && si === arch.stages.length - 1) {
      const bn = b.add({ op: 'bn', name: 'post.bn1', region: stage.name, input: x });
      x = preactRelu(b, 'post.relu1', stage.name, bn, plan(position));
    }
  });

  let out = arch.head.pool === 'avg'
    ? b.add({ op: 'avgpool', name: 'head.pool', region: 'head', input: x })
    : globalMaxPool(b, x);
  (arch.head.hidden ?? []).forEach((width, i) => {
    const fc = b.add({ op: 'fc', name: `head.fc${i + 1}`, region: 'head', input: out, outFeatures: width });
    out = b.add({ op: 'relu', name: `head.relu${i + 1}`, region: 'head', input: fc, start: 0, end: width });
  });
  if (arch.head.fc) {
    out = b.add({ op: 'fc', name: 'head.fc', region: 'head', input: out, outFeatures: arch.classes });
  }
  const graph = b.finish(arch.name, out, arch.stages.map((s) => s.name), arch.classes);
  return arch.snl === undefined ? graph : withSnlMasks(graph, arch.snl.granularity);
}

/**
 * Marks every ReLU of the stem and the stages as masked (SNL). The head's ReLUs (VGG's hidden fc
 * layers) stay ordinary: SNL's search runs over the convolutional part, where the ReLUs are.
 */
function withSnlMasks(g: LayerGraph, granularity: 'pixel' | 'channel'): LayerGraph {
  const nodes = g.nodes.map((n) => (n.op === 'relu' && n.region !== 'head' ? { ...n, mask: granularity } : n));
  return { ...g, nodes };
}

function globalMaxPool(b: GraphBuilder, x: number): number {
  const s = b.shape(x);
  if (s.h !== s.w) throw new Error(`lowering: global max pooling needs a square input, got ${s.h}x${s.w}`);
  return b.add({ op: 'maxpool', name: 'head.pool', region: 'head', input: x, kernel: s.h, stride: s.h, pad: 0 });
}

function conv(b: GraphBuilder, name: string, region: string, input: number, outChannels: number, kernel: number, stride: number): number {
  return b.add({ op: 'conv', name, region, input, outChannels, kernel, stride, pad: Math.floor(kernel / 2), groups: 1, bias: false });
}

/**
 * A pre-activation ReLU. ReLU-reuse's grouped wiring needs a conv unit that ends in the ReLU, which
 * a pre-activation block does not have, so under reuse N the layer keeps ReLUs on its last
 * ceil(C/N) channels only.
 */
function preactRelu(b: GraphBuilder, name: string, region: string, x: number, u: UnitPlan): number {
  if (!u.relu) return x;
  const c = b.shape(x).c;
  return b.add({ op: 'relu', name, region, input: x, start: c - Math.ceil(c / u.reuse), end: c });
}

type BlockLowering = (b: GraphBuilder, arch: ArchIR, st: StageIR, blk: number, x: number, u: UnitPlan[]) => number;

/** Identity, or a strided 1x1 projection with batch norm when the shape changes. */
function shortcut(b: GraphBuilder, prefix: string, region: string, x: number, outC: number, stride: number): number {
  const s = b.shape(x);
  if (stride === 1 && s.c === outC) return x;
  const conv = b.add({
    op: 'conv', name: `${prefix}.shortcut.conv`, region, input: x,
    outChannels: outC, kernel: 1, stride, pad: 0, groups: 1, bias: false,
  });
  return b.add({ op: 'bn', name: `${prefix}.shortcut.bn`, region, input: conv });
}

/** What one ReLU layer of a block gets: whether it survives, and its reuse factor. */
interface UnitPlan {
  relu: boolean;
  reuse: number;
}

function basicBlock(b: GraphBuilder, arch: ArchIR, st: StageIR, blk: number, x: number, u: UnitPlan[]): number {
  const prefix = `${st.name}.b${blk}`;
  const stride = blk === 1 ? st.stride : 1;
  const common = { prefix, region: st.name, kernel: arch.kernel, outChannels: st.channels };
  const h = emitConvUnit(b, { ...common, ...u[0], index: 1, input: x, stride });
  const sc = shortcut(b, prefix, st.name, x, st.channels, stride);
  return emitConvUnit(b, { ...common, ...u[1], index: 2, input: h, stride: 1, residual: sc });
}

/** bn-relu-conv-bn-relu-conv + shortcut; a projection reads the activated input (as in WRN). */
function preactBlock(b: GraphBuilder, arch: ArchIR, st: StageIR, blk: number, x: number, u: UnitPlan[]): number {
  const prefix = `${st.name}.b${blk}`;
  const stride = blk === 1 ? st.stride : 1;
  const a = preactRelu(b, `${prefix}.relu1`, st.name, b.add({ op: 'bn', name: `${prefix}.bn1`, region: st.name, input: x }), u[0]);
  const h1 = conv(b, `${prefix}.conv1`, st.name, a, st.channels, arch.kernel, stride);
  const a2 = preactRelu(b, `${prefix}.relu2`, st.name, b.add({ op: 'bn', name: `${prefix}.bn2`, region: st.name, input: h1 }), u[1]);
  const h2 = conv(b, `${prefix}.conv2`, st.name, a2, st.channels, arch.kernel, 1);
  const s = b.shape(x);
  const sc = stride === 1 && s.c === st.channels ? x : conv(b, `${prefix}.shortcut.conv`, st.name, a, st.channels, 1, stride);
  return b.add({ op: 'add', name: `${prefix}.add`, region: st.name, inputs: [h2, sc] });
}

/** One conv-bn-relu layer (the stage's max pooling comes before its first). */
function plainBlock(b: GraphBuilder, arch: ArchIR, st: StageIR, blk: number, x: number, u: UnitPlan[]): number {
  return emitConvUnit(b, { prefix: `${st.name}.b${blk}`, region: st.name, ...u[0], index: 1, input: x, outChannels: st.channels, kernel: arch.kernel, stride: 1 });
}

function bottleneckBlock(b: GraphBuilder, arch: ArchIR, st: StageIR, blk: number, x: number, u: UnitPlan[]): number {
  const prefix = `${st.name}.b${blk}`;
  const stride = blk === 1 ? st.stride : 1;
  const outC = stageOutChannels(arch, st);
  const common = { prefix, region: st.name };
  const h1 = emitConvUnit(b, { ...common, ...u[0], index: 1, input: x, outChannels: st.channels, kernel: 1, stride: 1 });
  const h2 = emitConvUnit(b, { ...common, ...u[1], index: 2, input: h1, outChannels: st.channels, kernel: arch.kernel, stride, groups: st.groups });
  const sc = shortcut(b, prefix, st.name, x, outC, stride);
  return emitConvUnit(b, { ...common, ...u[2], index: 3, input: h2, outChannels: outC, kernel: 1, stride: 1, residual: sc });
}

const BLOCKS: Record<ArchIR['block'], BlockLowering> = {
  basic: basicBlock,
  bottleneck: bottleneckBlock,
  preact: preactBlock,
  plain: plainBlock,
};
