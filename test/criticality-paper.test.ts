// The criticality formula (src/sweep/criticality.ts) fed the published columns of DeepReShape's
// Tables 10 and 11 (../shared/paper/deepreshape.md, appendix B): for each row, each stage's #ReLUs
// and +KD accuracy go in, and the table's C_k must come out, within what the tables' rounding
// allows. The reference (all-linear) accuracy is not printed; C_k must not depend on it.

import { describe, expect, it } from 'vitest';
import { stageCriticality, type StageMeasurement } from '../src/sweep/criticality.js';

/** One stage of a row as printed: #ReLUs in thousands, Acc(%), +KD(%), C_k. */
type Printed = [relusK: number, acc: number, kd: number, c: number];

interface Row {
  table: 10 | 11;
  network: string;
  stages: Printed[];
}

const row = (table: 10 | 11, network: string, ...stages: Printed[]): Row => ({ table, network, stages });

// Typed from the paper: Table 10 (ResNet18 BaseCh and StageCh) and Table 11 (HRNs), one line per
// row of the table, named as the table names it; the four brackets are Stage1 to Stage4.
const ROWS: Row[] = [
  row(10, 'R18(m=16)-2x2x2x', [81.92, 52.08, 52.67, 0.00], [32.77, 61.24, 62.10, 7.39], [16.38, 63.00, 64.64, 9.84], [8.19, 58.09, 59.70, 6.07]),
  row(10, 'R18(m=32)-2x2x2x', [163.84, 59.19, 60.19, 0.00], [65.54, 65.91, 66.47, 4.69], [32.77, 65.70, 67.28, 5.55], [16.38, 60.48, 62.22, 1.67]),
  row(10, 'R18(m=64)-2x2x2x', [327.68, 62.65, 63.13, 0.00], [131.07, 67.18, 68.32, 3.69], [65.54, 68.75, 70.29, 5.34], [32.77, 62.63, 63.47, 0.27]),
  row(10, 'R18(m=128)-2x2x2x', [655.36, 62.34, 64.15, 0.00], [262.14, 69.28, 70.56, 4.34], [131.07, 71.25, 72.04, 5.61], [65.54, 63.59, 64.58, 0.32]),
  row(10, 'R18(m=256)-2x2x2x', [1310.72, 64.81, 65.22, 0.00], [524.29, 71.95, 72.43, 4.65], [262.14, 72.69, 73.77, 5.79], [131.07, 64.79, 65.77, 0.39]),
  row(10, 'R18(m=16)-3x3x3x', [81.92, 52.77, 53.07, 0.00], [49.15, 64.93, 65.67, 9.59], [36.86, 66.23, 67.96, 11.57], [27.65, 61.74, 63.43, 8.21]),
  row(10, 'R18(m=16)-4x4x4x', [81.92, 52.19, 52.20, 0.00], [65.54, 65.62, 66.22, 10.46], [65.54, 67.82, 69.16, 12.66], [65.54, 63.52, 65.46, 9.89]),
  row(10, 'R18(m=16)-5x5x5x', [81.92, 50.38, 50.65, 0.00], [81.92, 66.10, 66.63, 11.74], [102.40, 70.17, 70.64, 14.46], [128.00, 64.86, 65.43, 10.52]),
  row(10, 'R18(m=16)-6x6x6x', [81.92, 50.60, 51.53, 0.00], [98.30, 66.74, 67.11, 11.30], [147.46, 70.67, 72.09, 14.49], [221.18, 65.22, 66.43, 10.21]),
  row(10, 'R18(m=16)-7x7x7x', [81.92, 50.93, 49.07, 0.00], [114.69, 66.59, 67.89, 13.50], [200.70, 72.08, 73.33, 16.74], [351.23, 65.95, 67.88, 12.48]),
  row(11, 'HRN-2x7x2x', [81.92, 52.14, 53.39, 0.00], [32.77, 61.63, 61.59, 6.42], [57.34, 68.44, 69.82, 12.37], [28.67, 62.15, 63.40, 7.91]),
  row(11, 'HRN-3x7x2x', [81.92, 51.61, 53.29, 0.00], [49.15, 64.46, 65.26, 9.11], [86.02, 69.88, 70.77, 12.80], [43.01, 63.10, 64.17, 8.36]),
  row(11, 'HRN-4x7x2x', [81.92, 51.28, 49.42, 0.00], [65.54, 65.93, 66.47, 12.72], [114.69, 70.94, 72.16, 16.32], [57.34, 63.70, 64.77, 11.56]),
  row(11, 'HRN-5x7x2x', [81.92, 49.82, 48.36, 0.00], [81.92, 66.17, 67.59, 14.13], [143.36, 71.40, 72.18, 16.83], [71.68, 64.10, 65.35, 12.60]),
  row(11, 'HRN-6x7x2x', [81.92, 51.23, 48.48, 0.00], [98.30, 66.88, 68.06, 14.20], [172.03, 71.86, 72.73, 16.91], [86.02, 64.15, 65.75, 12.64]),
  row(11, 'HRN-7x7x2x', [81.92, 50.11, 52.40, 0.00], [114.69, 66.92, 68.29, 11.40], [200.70, 71.69, 73.16, 14.32], [100.35, 63.82, 65.53, 9.51]),
  row(11, 'HRN-2x6x2x', [81.92, 52.29, 53.19, 0.00], [32.77, 61.62, 62.00, 6.90], [49.15, 67.36, 69.51, 12.43], [24.58, 61.64, 63.25, 8.04]),
  row(11, 'HRN-3x6x2x', [81.92, 52.50, 52.80, 0.00], [49.15, 64.50, 65.64, 9.78], [73.73, 68.61, 70.96, 13.44], [36.86, 62.77, 64.09, 8.77]),
  row(11, 'HRN-4x6x2x', [81.92, 53.23, 53.32, 0.00], [65.54, 65.74, 66.03, 9.48], [98.30, 70.47, 71.54, 13.22], [49.15, 63.59, 64.82, 8.76]),
  row(11, 'HRN-5x6x2x', [81.92, 50.79, 51.64, 0.00], [81.92, 66.89, 67.27, 11.48], [122.88, 70.33, 71.50, 14.18], [61.44, 63.97, 64.94, 9.97]),
  row(11, 'HRN-6x6x2x', [81.92, 50.01, 50.59, 0.00], [98.30, 66.57, 67.94, 12.58], [147.46, 71.18, 72.59, 15.51], [73.73, 64.13, 65.39, 10.95]),
  row(11, 'HRN-7x6x2x', [81.92, 51.01, 49.64, 0.00], [114.69, 66.74, 68.57, 13.58], [172.03, 71.84, 72.84, 16.18], [86.02, 64.54, 65.16, 11.36]),
  row(11, 'HRN-2x5x2x', [81.92, 52.03, 53.05, 0.00], [32.77, 61.60, 61.76, 6.82], [40.96, 66.64, 68.29, 11.75], [20.48, 61.02, 62.58, 7.71]),
  row(11, 'HRN-3x5x2x', [81.92, 53.43, 52.61, 0.00], [49.15, 64.57, 65.71, 9.97], [61.44, 68.40, 69.93, 12.98], [30.72, 62.32, 63.42, 8.51]),
  row(11, 'HRN-4x5x2x', [81.92, 52.65, 52.33, 0.00], [65.54, 65.60, 66.89, 10.86], [81.92, 69.81, 70.85, 13.61], [40.96, 63.14, 63.94, 8.95]),
  row(11, 'HRN-5x5x2x', [81.92, 49.15, 51.16, 0.00], [81.92, 66.26, 67.47, 11.98], [102.40, 70.15, 71.69, 14.85], [51.20, 63.55, 64.67, 10.26]),
  row(11, 'HRN-6x5x2x', [81.92, 49.06, 52.10, 0.00], [98.30, 66.56, 68.08, 11.59], [122.88, 71.33, 71.85, 14.10], [61.44, 63.59, 64.89, 9.59]),
  row(11, 'HRN-7x5x2x', [81.92, 51.58, 51.93, 0.00], [114.69, 66.94, 67.89, 11.45], [143.36, 70.79, 72.87, 14.79], [71.68, 64.02, 65.23, 9.86]),
  row(11, 'HRN-2x5x3x', [81.92, 52.36, 53.68, 0.00], [32.77, 61.39, 61.30, 5.97], [40.96, 66.78, 68.17, 11.17], [30.72, 62.01, 63.83, 7.99]),
  row(11, 'HRN-3x5x3x', [81.92, 51.05, 52.89, 0.00], [49.15, 64.64, 65.10, 9.30], [61.44, 68.87, 70.14, 12.93], [46.08, 63.66, 64.32, 8.74]),
  row(11, 'HRN-4x5x3x', [81.92, 51.57, 50.62, 0.00], [65.54, 65.66, 66.06, 11.52], [81.92, 69.12, 70.13, 14.33], [61.44, 63.64, 65.58, 11.21]),
  row(11, 'HRN-5x5x3x', [81.92, 50.22, 52.41, 0.00], [81.92, 66.42, 67.55, 11.12], [102.40, 70.15, 70.97, 13.42], [76.80, 64.21, 65.59, 9.73]),
  row(11, 'HRN-6x5x3x', [81.92, 50.28, 50.45, 0.00], [98.30, 65.95, 67.61, 12.45], [122.88, 70.68, 71.29, 14.88], [92.16, 64.37, 65.87, 11.23]),
  row(11, 'HRN-7x5x3x', [81.92, 50.12, 50.31, 0.00], [114.69, 66.85, 67.95, 12.66], [143.36, 71.20, 71.87, 15.23], [107.52, 64.72, 65.58, 11.01]),
  row(11, 'HRN-2x9x2x', [81.92, 51.86, 53.22, 0.00], [32.77, 61.13, 61.65, 6.60], [73.73, 69.46, 70.28, 12.63], [36.86, 62.53, 64.25, 8.57]),
  row(11, 'HRN-2x6x3x', [81.92, 52.75, 52.85, 0.00], [32.77, 61.33, 61.44, 6.73], [49.15, 67.36, 68.76, 12.11], [36.86, 62.69, 64.59, 9.12]),
];

const STAGES = ['S1', 'S2', 'S3', 'S4'];

/** The stages of a row with the accuracy of one column (2: Acc, 3: +KD), as fractions. */
function measured(r: Row, column: 1 | 2): StageMeasurement[] {
  return r.stages.map((s, i) => ({ stage: STAGES[i], relus: s[0] * 1000, accuracy: s[column] / 100 }));
}

/**
 * How far a C_k computed from the printed columns may be from the printed C_k: the printed C_k is
 * rounded to 0.005; each of the two accuracies in its numerator to 0.005 (so the difference to 0.01,
 * then divided like the gain); the ReLU count to 5 ReLUs (0.005K).
 */
function roundingBound(relusK: number, c: number): number {
  return 0.005 + 0.01 / relusK ** 0.07 + (0.07 * c * 0.005) / relusK;
}

function worstExcess(column: 1 | 2): { network: string; excess: number } {
  let worst = { network: '', excess: -Infinity };
  for (const r of ROWS) {
    const got = stageCriticality(measured(r, column)).stages;
    r.stages.forEach((s, i) => {
      const excess = Math.abs(got[i].c - s[3]) - roundingBound(s[0], s[3]);
      if (excess > worst.excess) worst = { network: r.network, excess };
    });
  }
  return worst;
}

describe('C_k from the published columns of DeepReShape Tables 10 and 11', () => {
  for (const r of ROWS) {
    it(`Table ${r.table}, ${r.network}: every C_k from #ReLUs and +KD, within rounding`, () => {
      const got = stageCriticality(measured(r, 2));
      r.stages.forEach((s, i) => {
        const diff = Math.abs(got.stages[i].c - s[3]);
        expect(diff, `${STAGES[i]}: computed ${got.stages[i].c.toFixed(4)}, printed ${s[3]}`).toBeLessThanOrEqual(roundingBound(s[0], s[3]));
      });
      // The order follows the printed C_k (no two printed values of a row are equal).
      const printedOrder = STAGES.map((stage, i) => ({ stage, c: r.stages[i][3] }))
        .sort((a, b) => b.c - a.c)
        .map((x) => x.stage);
      expect(got.order).toEqual(printedOrder);
    });
  }

  it('all 36 rows hold; the plain accuracies (Acc, without distillation) do not give the printed C_k', () => {
    expect(ROWS.filter((r) => r.table === 10).length).toBe(10);
    expect(ROWS.filter((r) => r.table === 11).length).toBe(26);
    for (const r of ROWS) expect(r.stages.length).toBe(4);
    // Far outside rounding somewhere: the tables' C_k are computed from the +KD column.
    expect(worstExcess(1).excess).toBeGreaterThan(0.5);
    expect(worstExcess(2).excess).toBeLessThanOrEqual(0);
  });

  it("the reference's accuracy, which the tables do not print, changes the gains but not C_k", () => {
    for (const r of ROWS) {
      const without = stageCriticality(measured(r, 2));
      for (const ref of [0.01, 0.3, 0.45]) {
        const withRef = stageCriticality(measured(r, 2), { accuracy: ref });
        expect(withRef.stages.map((s) => s.c)).toEqual(without.stages.map((s) => s.c));
        withRef.stages.forEach((s, i) => expect(s.gain).toBeCloseTo(r.stages[i][2] - 100 * ref, 9));
      }
      expect(without.stages.every((s) => s.gain === null)).toBe(true);
    }
  });

  it('a stage without ReLUs has no criticality to measure', () => {
    expect(() => stageCriticality([{ stage: 'S1', relus: 0, accuracy: 0.5 }, { stage: 'S2', relus: 10, accuracy: 0.6 }])).toThrow(/S1 has no ReLUs/);
  });
});
