// Lowering: architecture IR -> layer graph. Post-activation residual networks as the paper uses
// them (CIFAR-style ResNets): stem conv-bn-relu, stages of basic (two 3x3 convs) or bottleneck
// (1x1, kxk, 1x1 with 4x expansion) blocks, projection shortcuts where the shape changes, then
// global average pooling and a fully connected classifier.

import type { ArchIR, StageIR } from './arch.js';
import { GraphBuilder } from './builder.js';
import { emitConvUnit } from './conv-unit.js';
import type { LayerGraph } from './graph.js';

const BOTTLENECK_EXPANSION = 4;

/** ReLU layers per block, in order, by block kind. */
export function relusPerBlock(arch: Pick<ArchIR, 'block'>): number {
  return arch.block === 'basic' ? 2 : 3;
}

/** Output channels of a stage's blocks. */
export function stageOutChannels(arch: Pick<ArchIR, 'block'>, stage: StageIR): number {
  return arch.block === 'basic' ? stage.channels : stage.channels * BOTTLENECK_EXPANSION;
}

/**
 * Whether the ReLU layer at `position` of a stage survives its plan. Positions count the stage's
 * ReLU layers in order; in Stage1 position 0 is the stem's ReLU. Thinning drops every other layer
 * starting with the first (DESIGN.md §4).
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
  const names = stage === arch.stages[0] ? ['stem.relu1'] : [];
  for (let blk = 1; blk <= stage.depth; blk++) {
    for (let i = 1; i <= relusPerBlock(arch); i++) names.push(`${stage.name}.b${blk}.relu${i}`);
  }
  return names;
}

export function lowerToGraph(arch: ArchIR): LayerGraph {
  const b = new GraphBuilder();
  const first = arch.stages[0];
  const input = b.addInput('input', arch.input);

  // The stem's ReLU is counted in, and culled or thinned with, the first stage.
  let x = emitConvUnit(b, {
    prefix: 'stem',
    index: 1,
    region: 'stem',
    input,
    outChannels: arch.stem.channels,
    kernel: arch.stem.kernel,
    stride: arch.stem.stride,
    relu: first ? reluKept(first, 0) : true,
    reuse: first ? reuseAt(first, 0) : 1,
  });

  arch.stages.forEach((stage, si) => {
    let position = si === 0 ? 1 : 0;
    const perBlock = relusPerBlock(arch);
    for (let blk = 1; blk <= stage.depth; blk++) {
      const units = Array.from({ length: perBlock }, (_, i): UnitPlan => ({
        relu: reluKept(stage, position + i),
        reuse: reuseAt(stage, position + i),
      }));
      position += perBlock;
      x = arch.block === 'basic'
        ? basicBlock(b, arch, stage, blk, x, units)
        : bottleneckBlock(b, arch, stage, blk, x, units);
    }
  });

  const pooled = b.add({ op: 'avgpool', name: 'head.pool', region: 'head', input: x });
  let out = pooled;
  if (arch.head.fc) {
    out = b.add({ op: 'fc', name: 'head.fc', region: 'head', input: pooled, outFeatures: arch.classes });
  }
  return b.finish(arch.name, out, arch.stages.map((s) => s.name), arch.classes);
}

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

function bottleneckBlock(b: GraphBuilder, arch: ArchIR, st: StageIR, blk: number, x: number, u: UnitPlan[]): number {
  const prefix = `${st.name}.b${blk}`;
  const stride = blk === 1 ? st.stride : 1;
  const outC = stageOutChannels(arch, st);
  const common = { prefix, region: st.name };
  const h1 = emitConvUnit(b, { ...common, ...u[0], index: 1, input: x, outChannels: st.channels, kernel: 1, stride: 1 });
  const h2 = emitConvUnit(b, { ...common, ...u[1], index: 2, input: h1, outChannels: st.channels, kernel: arch.kernel, stride });
  const sc = shortcut(b, prefix, st.name, x, outC, stride);
  return emitConvUnit(b, { ...common, ...u[2], index: 3, input: h2, outChannels: outC, kernel: 1, stride: 1, residual: sc });
}
