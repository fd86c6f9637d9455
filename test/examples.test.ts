// Every bundled example, parsed from its .hrn file, counted against the paper's tables
// (Table 3, 16, 17): ReLUs exactly, FLOPs within 1%.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHrn, parseOverride, resolveNetwork, type Override } from '../src/parser/index.js';
import { networkStats } from '../src/ir/stats.js';
import { residualNetwork } from '../src/ir/factory.js';

function statsOf(file: string, sets: string[] = []) {
  const path = `examples/${file}`;
  const text = readFileSync(path, 'utf8');
  const { file: parsed, diagnostics } = parseHrn(text, path);
  expect(diagnostics).toEqual([]);
  const overrides: Override[] = sets.map((s) => parseOverride(s, '<--set>').override!);
  const r = resolveNetwork(parsed.networks[0], overrides, new Map([[path, text]]));
  expect(r.diagnostics).toEqual([]);
  return networkStats(r.arch!);
}

// [file, ReLUs per stage (stem in S1), paper's total FLOPs]
const table: [string, number[], number][] = [
  // Table 3: VGG16, 285K ReLUs and 333M FLOPs. Stage rows hold the 13 conv layers' ReLUs; the two
  // hidden fc layers' 2 x 4096 are in the total (see paperTotals).
  ['vgg16.hrn', [2 * 64 * 32 * 32, 2 * 128 * 16 * 16, 3 * 256 * 8 * 8, 3 * 512 * 4 * 4, 3 * 512 * 2 * 2], 333e6],
  ['resnet18.hrn', [5 * 64 * 32 * 32, 4 * 128 * 16 * 16, 4 * 256 * 8 * 8, 4 * 512 * 4 * 4], 559e6],
  ['resnet34.hrn', [7 * 64 * 32 * 32, 8 * 128 * 16 * 16, 12 * 256 * 8 * 8, 6 * 512 * 4 * 4], 1162e6],
  // Pre-activation: each block's first ReLU acts on its input, so S1.b1 activates the stem's 16
  // channels and S2.b1 / S3.b1 their input at the previous stage's size; the last stage ends with
  // one more bn-relu. Table 3 / Table 16: 1393K, 2461M.
  ['wrn22x8.hrn', [16 * 32 * 32 + 5 * 128 * 32 * 32, 128 * 32 * 32 + 5 * 256 * 16 * 16, 256 * 16 * 16 + 6 * 512 * 8 * 8], 2461e6],
  ['hrn-5x5x3x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 80 * 16 * 16, 4 * 400 * 8 * 8, 4 * 1200 * 4 * 4], 1055e6],
  ['hrn-5x7x2x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 80 * 16 * 16, 4 * 560 * 8 * 8, 4 * 1120 * 4 * 4], 1273e6],
  ['hrn-6x6x2x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 96 * 16 * 16, 4 * 576 * 8 * 8, 4 * 1152 * 4 * 4], 1368e6],
  ['hrn-7x5x2x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 112 * 16 * 16, 4 * 560 * 8 * 8, 4 * 1120 * 4 * 4], 1328e6],
  ['hrn-2x5x3x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 32 * 16 * 16, 4 * 160 * 8 * 8, 4 * 480 * 4 * 4], 179e6],
];

// The paper's headline totals, written as printed there.
const paperTotals: Record<string, number> = {
  'vgg16.hrn': 284_672, // "285K": 276,480 in the conv layers + 2 x 4096 in the hidden fc layers
  'resnet18.hrn': 557_056,
  'resnet34.hrn': 966_656, // "966.66K"
  'wrn22x8.hrn': 1_392_640,
  'hrn-5x5x3x.hrn': 343_040,
  'hrn-5x7x2x.hrn': 378_880,
  'hrn-6x6x2x.hrn': 401_408,
  'hrn-7x5x2x.hrn': 411_648,
  'hrn-2x5x3x.hrn': 186_368,
};

/** FLOPs bound per example: 1%, except ResNet32, whose 69.1M the paper prints as "70M". */
const FLOPS_BOUND: Record<string, number> = { 'resnet32.hrn': 0.015 };

describe('examples against the paper', () => {
  it('Table 3, ResNet32: 303K ReLUs (exact: 303,104), 70M FLOPs (69.1M, -1.3%)', () => {
    const s = statsOf('resnet32.hrn');
    expect(Object.values(s.relus.stages)).toEqual([16 * 32 * 32 + 10 * 16 * 32 * 32, 10 * 32 * 16 * 16, 10 * 64 * 8 * 8]);
    expect(s.relus.total).toBe(303_104);
    expect(Math.abs(s.flops.total - 70e6) / 70e6).toBeLessThan(FLOPS_BOUND['resnet32.hrn']);
  });

  it('WRN stage shares with pre-activation blocks: Stage1 48.2% (WRN22x8) and 43.9% (WRN16x8)', () => {
    expect(statsOf('wrn22x8.hrn').relus.share.S1.toFixed(1)).toBe('48.2');
    const wrn16 = networkStats(residualNetwork({ name: 'WRN16x8', block: 'preact', channels: [128, 256, 512], depths: [2, 2, 2], stemChannels: 16 }));
    // S1: 16x32x32 + 3 x 128x32x32; S2: 128x32x32 + 3 x 256x16x16; S3: 256x16x16 + 3 x 512x8x8 + the final 512x8x8.
    expect(Object.values(wrn16.relus.stages)).toEqual([16 * 1024 + 3 * 128 * 1024, 128 * 1024 + 3 * 256 * 256, 256 * 256 + 4 * 512 * 64]);
    expect(wrn16.relus.share.S1.toFixed(1)).toBe('43.9');
  });

  it('grouped bottlenecks (RegNet-style): grouping divides the kxk FLOPs by g, ReLUs unchanged', () => {
    const grouped = statsOf('regnet-style.hrn');
    const dense = statsOf('regnet-style.hrn', ['g=1']);
    expect(grouped.relus.total).toBe(dense.relus.total);
    // The 3x3 convs of the 8 blocks: (g - 1) / g of their FLOPs go.
    const kxk = (c: number, hw: number, stride: number) => c * c * 9 * (hw / stride) ** 2;
    const dense3x3 = kxk(32, 32, 1) + kxk(64, 32, 2) + kxk(64, 16, 1) + kxk(128, 16, 2) + 3 * kxk(128, 8, 1) + kxk(256, 8, 2);
    expect(dense.flops.total - grouped.flops.total).toBe((dense3x3 * 7) / 8);
  });

  for (const [file, stages, flops] of table) {
    it(`${file}: ReLUs ${paperTotals[file].toLocaleString('en-US')}, FLOPs ${flops / 1e6}M within 1%`, () => {
      const s = statsOf(file);
      expect(Object.values(s.relus.stages)).toEqual(stages);
      expect(s.relus.total).toBe(paperTotals[file]);
      expect(Math.abs(s.flops.total - flops) / flops).toBeLessThan(FLOPS_BOUND[file] ?? 0.01);
    });
  }

  it('HRN-5x5x3x distributes its ReLUs in the criticality order S3 > S2 > S4 > S1; ResNet18 does not', () => {
    expect(statsOf('hrn-5x5x3x.hrn').criticality.follows).toBe(true);
    expect(statsOf('resnet18.hrn').criticality.follows).toBe(false);
  });

  // Table 13 (TinyImageNet, 64x64, 200 classes) from the same files, overriding res and num_classes.
  const tiny = ['res=64', 'num_classes=200'];
  it('every example takes --set res=64 --set num_classes=200: four times the stage ReLUs, 64x64 input', () => {
    for (const [file] of table) {
      const s = statsOf(file, tiny);
      expect(s.input).toBe('3x64x64');
      expect(s.classes).toBe(200);
      expect(Object.values(s.relus.stages)).toEqual(Object.values(statsOf(file).relus.stages).map((r) => 4 * r));
    }
  });
  it('Table 13: HRN-5x5x3x m=8 at 64x64 is 1055.4M FLOPs, the m=16 one at 32x32 (within 1%)', () => {
    const s = statsOf('hrn-5x5x3x.hrn', [...tiny, 'm=8']);
    expect(Math.abs(s.flops.total - 1055.4e6) / 1055.4e6).toBeLessThan(0.01);
  });
});
