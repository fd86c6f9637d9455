// Every bundled example, parsed from its .hrn file, counted against the paper's tables
// (Table 3, 16, 17): ReLUs exactly, FLOPs within 1%.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHrn, parseOverride, resolveNetwork, type Override } from '../src/parser/index.js';
import { networkStats } from '../src/ir/stats.js';

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
  ['resnet18.hrn', [5 * 64 * 32 * 32, 4 * 128 * 16 * 16, 4 * 256 * 8 * 8, 4 * 512 * 4 * 4], 559e6],
  ['resnet34.hrn', [7 * 64 * 32 * 32, 8 * 128 * 16 * 16, 12 * 256 * 8 * 8, 6 * 512 * 4 * 4], 1162e6],
  ['wrn22x8.hrn', [16 * 32 * 32 + 6 * 128 * 32 * 32, 6 * 256 * 16 * 16, 6 * 512 * 8 * 8], 2461e6],
  ['hrn-5x5x3x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 80 * 16 * 16, 4 * 400 * 8 * 8, 4 * 1200 * 4 * 4], 1055e6],
  ['hrn-5x7x2x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 80 * 16 * 16, 4 * 560 * 8 * 8, 4 * 1120 * 4 * 4], 1273e6],
  ['hrn-6x6x2x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 96 * 16 * 16, 4 * 576 * 8 * 8, 4 * 1152 * 4 * 4], 1368e6],
  ['hrn-7x5x2x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 112 * 16 * 16, 4 * 560 * 8 * 8, 4 * 1120 * 4 * 4], 1328e6],
  ['hrn-2x5x3x.hrn', [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 32 * 16 * 16, 4 * 160 * 8 * 8, 4 * 480 * 4 * 4], 179e6],
];

// The paper's headline totals, written as printed there.
const paperTotals: Record<string, number> = {
  'resnet18.hrn': 557_056,
  'resnet34.hrn': 966_656, // "966.66K"
  'wrn22x8.hrn': 1_392_640,
  'hrn-5x5x3x.hrn': 343_040,
  'hrn-5x7x2x.hrn': 378_880,
  'hrn-6x6x2x.hrn': 401_408,
  'hrn-7x5x2x.hrn': 411_648,
  'hrn-2x5x3x.hrn': 186_368,
};

describe('examples against the paper', () => {
  for (const [file, stages, flops] of table) {
    it(`${file}: ReLUs ${paperTotals[file].toLocaleString('en-US')}, FLOPs ${flops / 1e6}M within 1%`, () => {
      const s = statsOf(file);
      expect(Object.values(s.relus.stages)).toEqual(stages);
      expect(s.relus.total).toBe(paperTotals[file]);
      expect(Math.abs(s.flops.total - flops) / flops).toBeLessThan(0.01);
    });
  }

  it('HRN-5x5x3x distributes its ReLUs in the criticality order S3 > S2 > S4 > S1; ResNet18 does not', () => {
    expect(statsOf('hrn-5x5x3x.hrn').criticality.follows).toBe(true);
    expect(statsOf('resnet18.hrn').criticality.follows).toBe(false);
  });

  // Table 13 (TinyImageNet, 64x64, 200 classes) from the same files, overriding res and num_classes.
  const tiny = ['res=64', 'num_classes=200'];
  it('every example takes --set res=64 --set num_classes=200: four times the ReLUs, 64x64 input', () => {
    for (const [file] of table) {
      const s = statsOf(file, tiny);
      expect(s.input).toBe('3x64x64');
      expect(s.classes).toBe(200);
      expect(s.relus.total).toBe(4 * paperTotals[file]);
    }
  });
  it('Table 13: HRN-5x5x3x m=8 at 64x64 is 1055.4M FLOPs, the m=16 one at 32x32 (within 1%)', () => {
    const s = statsOf('hrn-5x5x3x.hrn', [...tiny, 'm=8']);
    expect(Math.abs(s.flops.total - 1055.4e6) / 1055.4e6).toBeLessThan(0.01);
  });
});
