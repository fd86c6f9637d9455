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
 * starting with the first (docs/architecture.md, "Counting").
 */
export function reluKept(stage: StageIR, position: number): boolean {
  if (stage.relu.culled) return false;
  if (stage.relu.thinned) return position % 2 === 1;
  return true;
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
    reuse: first ? first.relu.reuse : 1,
  });

  arch.stages.forEach((stage, si) => {
    let position = si === 0 ? 1 : 0;
    const perBlock = relusPerBlock(arch);
    for (let blk = 1; blk <= stage.depth; blk++) {
      const keep = Array.from({ length: perBlock }, (_, i) => reluKept(stage, position + i));
      position += perBlock;
      x = arch.block === 'basic'
        ? basicBlock(b, arch, stage, blk, x, keep)
        : bottleneckBlock(b, arch, stage, blk, x, keep);
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

function basicBlock(b: GraphBuilder, arch: ArchIR, st: StageIR, blk: number, x: number, keep: boolean[]): number {
  const prefix = `${st.name}.b${blk}`;
  const stride = blk === 1 ? st.stride : 1;
  const common = { prefix, region: st.name, kernel: arch.kernel, reuse: st.relu.reuse, outChannels: st.channels };
  const h = emitConvUnit(b, { ...common, index: 1, input: x, stride, relu: keep[0] });
  const sc = shortcut(b, prefix, st.name, x, st.channels, stride);
  return emitConvUnit(b, { ...common, index: 2, input: h, stride: 1, residual: sc, relu: keep[1] });
}

function bottleneckBlock(b: GraphBuilder, arch: ArchIR, st: StageIR, blk: number, x: number, keep: boolean[]): number {
  const prefix = `${st.name}.b${blk}`;
  const stride = blk === 1 ? st.stride : 1;
  const outC = stageOutChannels(arch, st);
  const common = { prefix, region: st.name, reuse: st.relu.reuse };
  const h1 = emitConvUnit(b, { ...common, index: 1, input: x, outChannels: st.channels, kernel: 1, stride: 1, relu: keep[0] });
  const h2 = emitConvUnit(b, { ...common, index: 2, input: h1, outChannels: st.channels, kernel: arch.kernel, stride, relu: keep[1] });
  const sc = shortcut(b, prefix, st.name, x, outC, stride);
  return emitConvUnit(b, { ...common, index: 3, input: h2, outChannels: outC, kernel: 1, stride: 1, residual: sc, relu: keep[2] });
}
