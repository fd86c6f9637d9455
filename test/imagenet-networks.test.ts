// The ImageNet-style networks the language can write: ResNet18 with its 7x7 stride-2 stem and 3x3
// stride-2 max pooling, ResNeXt-50 (grouped bottlenecks with 2x expansion) and RegNetX-400MF (group
// width 16, no expansion). Counts are derived here from the layer shapes, written out; the
// published totals (parameters, multiply-accumulates) are checked as the standard figures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ArchIR } from '../src/ir/arch.js';
import { emitHrn } from '../src/ir/emit-hrn.js';
import { networkStats } from '../src/ir/stats.js';
import { parseHrn, parseOverride, resolveNetwork } from '../src/parser/index.js';

function resolveText(text: string, path = 'test.hrn', sets: string[] = []) {
  const parsed = parseHrn(text, path);
  expect(parsed.diagnostics).toEqual([]);
  const overrides = sets.map((s) => parseOverride(s, '<--set>').override!);
  return resolveNetwork(parsed.file.networks[0], overrides, new Map([[path, text]]));
}

function example(file: string, sets: string[] = []): ArchIR {
  const path = `examples/${file}`;
  const r = resolveText(readFileSync(path, 'utf8'), path, sets);
  expect(r.diagnostics).toEqual([]);
  return r.arch!;
}

const statsOf = (file: string) => networkStats(example(file), undefined, { layers: true });

describe('ResNet18 for ImageNet (examples/resnet18-imagenet.hrn)', () => {
  const s = statsOf('resnet18-imagenet.hrn');
  // 224 -> 112 after the 7x7 stride-2 convolution (its ReLU acts here), -> 56 after the pooling.
  const stem = 64 * 112 * 112; // 802,816
  const stages = [4 * 64 * 56 * 56, 4 * 128 * 28 * 28, 4 * 256 * 14 * 14, 4 * 512 * 7 * 7];

  it('ReLUs: the stem 64x112x112, then four ReLU layers per stage at 56, 28, 14, 7: 2,308,096 in all', () => {
    expect(stem).toBe(802_816);
    expect(Object.values(s.relus.stages)).toEqual([stem + stages[0], stages[1], stages[2], stages[3]]);
    expect(s.relus.total).toBe(stem + stages.reduce((a, b) => a + b, 0));
    expect(s.relus.total).toBe(2_308_096);
  });

  it("the stem's share: its one ReLU layer holds 34.8% of the network's ReLUs (--layers)", () => {
    const row = s.layers!.find((l) => l.layer === 'stem.conv1')!;
    expect(row).toMatchObject({ op: 'conv7x7/2', output: '64x112x112', relus: stem });
    expect(row.reluShare).toBeCloseTo((100 * 802_816) / 2_308_096, 10);
    expect(row.reluShare.toFixed(1)).toBe('34.8');
    const pool = s.layers!.find((l) => l.layer === 'stem.pool')!;
    expect(pool).toMatchObject({ op: 'maxpool3x3/2', output: '64x56x56', relus: 0, flops: 0 });
  });

  it('FLOPs: 1,814,073,344 multiply-accumulates, the standard 1.8G', () => {
    const conv = (out: number, inC: number, k: number, side: number) => out * inC * k * k * side * side;
    const stemConv = conv(64, 3, 7, 112);
    const stage1 = 4 * conv(64, 64, 3, 56);
    // Stages 2-4: a strided first conv reading half the channels, three full 3x3 convs, a 1x1 projection.
    const later = [[128, 28], [256, 14], [512, 7]].map(([c, side]) => conv(c, c / 2, 3, side) + 3 * conv(c, c, 3, side) + conv(c, c / 2, 1, side));
    const fc = 512 * 1000;
    expect(s.flops.stages.S1).toBe(stemConv + stage1);
    expect([s.flops.stages.S2, s.flops.stages.S3, s.flops.stages.S4]).toEqual(later);
    expect(s.flops.total).toBe(stemConv + stage1 + later.reduce((a, b) => a + b, 0) + fc);
    expect(s.flops.total).toBe(1_814_073_344);
    expect(Math.abs(s.flops.total / 1e9 - 1.8)).toBeLessThan(0.02);
  });

  it('parameters: 11,689,512, the published count of torchvision resnet18', () => {
    expect(s.params.total).toBe(11_689_512);
  });
});

describe('ResNeXt-50 32x4d (examples/resnext50.hrn)', () => {
  const s = statsOf('resnext50.hrn');

  it('Stage2 by hand: 4 blocks of 256 inner channels in 32 groups, 2x expansion to 512, 56 -> 28', () => {
    const [inner, out, groups, side] = [256, 512, 32, 28];
    // Block 1 reads Stage1's 256 channels at 56x56; its 1x1 runs there, the strided 3x3 brings it to 28.
    const b1Relus = inner * 56 * 56 + inner * side * side + out * side * side;
    const b1Flops = inner * 256 * 56 * 56 + inner * (inner / groups) * 9 * side * side + out * inner * side * side + out * 256 * side * side;
    const restRelus = 3 * (inner + inner + out) * side * side;
    const restFlops = 3 * (inner * out + inner * (inner / groups) * 9 + out * inner) * side * side;
    expect(s.relus.stages.S2).toBe(b1Relus + restRelus);
    expect(s.flops.stages.S2).toBe(b1Flops + restFlops);
  });

  it('the standard figures: 25,028,904 parameters (torchvision resnext50_32x4d), 4.23G multiply-accumulates', () => {
    expect(s.params.total).toBe(25_028_904);
    expect(Math.abs(s.flops.total / 1e9 - 4.23)).toBeLessThan(0.01);
  });
});

describe('RegNetX-400MF (examples/regnetx.hrn)', () => {
  const s = statsOf('regnetx.hrn');

  it('Stage3 by hand: 7 X blocks of 160 channels in groups of 16 (10 groups), no expansion, 28 -> 14', () => {
    const [c, inC, g, side] = [160, 64, 10, 14];
    expect(c / 16).toBe(g);
    const b1Relus = c * 28 * 28 + 2 * c * side * side;
    const b1Flops = c * inC * 28 * 28 + c * (c / g) * 9 * side * side + c * c * side * side + c * inC * side * side;
    const restRelus = 6 * 3 * c * side * side;
    const restFlops = 6 * (c * c + c * (c / g) * 9 + c * c) * side * side;
    expect(s.relus.stages.S3).toBe(b1Relus + restRelus);
    expect(s.flops.stages.S3).toBe(b1Flops + restFlops);
  });

  it('the standard figures of RegNetX-400MF (Radosavovic et al.): 0.40 GF, 5.2M parameters', () => {
    expect(Math.abs(s.flops.total / 1e9 - 0.4)).toBeLessThan(0.005);
    expect(Math.abs(s.params.total / 1e6 - 5.2)).toBeLessThan(0.05);
  });
});

const NET = (stem: string, block: string, extra = '') => `network N {
  input 3x64x64; classes 10
  stem ${stem}
  block ${block}
  stages depths [1, 1, 1, 1] channels [16, 32, 64, 128]${extra}
}
`;

describe('the language: stem pooling and per-stage bottleneck options', () => {
  it('expansion and groups take one value or one per stage; groupwidth becomes groups', () => {
    const a = resolveText(NET('conv3x3(16)', 'bottleneck expansion [1, 2, 4, 4] groups [1, 2, 4, 8]')).arch!;
    expect(a.stages.map((st) => [st.expansion, st.groups])).toEqual([[1, undefined], [2, 2], [4, 4], [4, 8]]);
    const w = resolveText(NET('conv3x3(16)', 'bottleneck expansion 1 groupwidth 8')).arch!;
    expect(w.stages.map((st) => st.groups)).toEqual([2, 4, 8, 16]);
    // The last stage's 128 channels, expanded 4x, reach the classifier.
    expect(networkStats(a).params.stages.head).toBe(128 * 4 * 10 + 10);
  });

  it('a stem with pooling: conv7x7(64), stride 2, maxpool3x3, stride 2', () => {
    const a = resolveText(NET('conv7x7(64), stride 2, maxpool3x3, stride 2', 'basic')).arch!;
    expect(a.stem).toEqual({ channels: 64, kernel: 7, stride: 2, pool: { kernel: 3, stride: 2 } });
    // 64 -> 32 (conv) -> 16 (pool): Stage1's blocks run at 16x16.
    const s = networkStats(a, undefined, { layers: true });
    expect(s.layers!.find((l) => l.layer === 'S1.b1.conv1')!.output).toBe('16x16x16');
  });

  it('emitted .hrn reads back as the same network (pooling stem, per-stage expansion and groups)', () => {
    for (const file of ['resnext50.hrn', 'regnetx.hrn', 'resnet18-imagenet.hrn']) {
      const a = example(file);
      const again = resolveText(emitHrn(a), 'emitted.hrn').arch!;
      expect({ stem: again.stem, stages: again.stages, block: again.block }, file).toEqual({ stem: a.stem, stages: a.stages, block: a.block });
    }
  });

  const errors: [string, string, string][] = [
    ['an option on a basic block', NET('conv3x3(16)', 'basic groups 2'), "unknown block option 'groups'; only bottleneck blocks take options (expansion, groups, groupwidth)"],
    ['an unknown option', NET('conv3x3(16)', 'bottleneck gruops 2'), "unknown block option 'gruops'; expected expansion, groups, groupwidth; did you mean 'groups'?"],
    ['an option twice', NET('conv3x3(16)', 'bottleneck expansion 2 expansion 1'), "duplicate block option 'expansion' (the first is at line 4)"],
    ['groups and groupwidth', NET('conv3x3(16)', 'bottleneck groups 2 groupwidth 8'), 'a block takes either groups (how many) or groupwidth (channels per group), not both'],
    ['a group width that does not divide', NET('conv3x3(16)', 'bottleneck groupwidth 3'), "S1's 16, S2's 32, S3's 64, S4's 128 channels are each not a multiple of the group width 3"],
    ['groups that do not divide', NET('conv3x3(16)', 'bottleneck groups [1, 3, 1, 1]'), "groups do not divide the channels of S2 (32 channels, groups 3)"],
    ['a list of the wrong length', NET('conv3x3(16)', 'bottleneck expansion [1, 2]'), 'expansion needs 4 entries (one per stage; depths gives 4), got 2'],
    ['an expansion that is not a positive integer', NET('conv3x3(16)', 'bottleneck expansion 0'), 'expected a positive integer for expansion, got 0'],
    ['pooling that is not maxpool<k>x<k>', NET('conv7x7(64), stride 2, avgpool3x3', 'basic'), "expected the stem pooling as maxpool<k>x<k> (e.g. maxpool3x3), got 'avgpool3x3'"],
    ['an even pooling window', NET('conv7x7(64), stride 2, maxpool2x2, stride 2', 'basic'), 'the stem pooling window must be odd (padding keeps the size), got 2x2'],
    ['a pooling stride the activation cannot take', NET('conv7x7(64), stride 2, maxpool3x3, stride 3', 'basic'), "input 3x64x64 is too small for its strides: the stem's pooling gets a 32x32 activation, which stride 3 does not divide evenly"],
  ];
  it.each(errors)('%s is one diagnostic at its place', (_, text, message) => {
    const r = resolveText(text);
    expect(r.arch).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message)).toEqual([message]);
    expect(r.diagnostics[0].severity).toBe('error');
  });
});
