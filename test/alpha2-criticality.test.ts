// The alpha=2 examples declare the criticality order the paper measured for alpha=2 networks
// (DeepReShape, Table 11), not the one ResNet18 has. Each row below is the table's C_k per stage,
// Stage1 to Stage4, as printed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHrn, resolveNetwork } from '../src/parser/index.js';

const TABLE11_ALPHA2: Record<string, [number, number, number, number]> = {
  'HRN-2x7x2x': [0.0, 6.42, 12.37, 7.91],
  'HRN-2x6x2x': [0.0, 6.9, 12.43, 8.04],
  'HRN-2x5x2x': [0.0, 6.82, 11.75, 7.71],
  'HRN-2x5x3x': [0.0, 5.97, 11.17, 7.99],
};

/** Stage names ranked by C_k, most critical first. */
function measuredOrder(ck: readonly number[]): string[] {
  return ck.map((c, i) => ({ c, name: `S${i + 1}` })).sort((a, b) => b.c - a.c).map((s) => s.name);
}

function declaredOrder(file: string): { order: string[]; widths: number[] | undefined } {
  const path = `examples/${file}`;
  const text = readFileSync(path, 'utf8');
  const parsed = parseHrn(text, path);
  expect(parsed.diagnostics).toEqual([]);
  const r = resolveNetwork(parsed.file.networks[0], [], new Map([[path, text]]));
  expect(r.diagnostics).toEqual([]);
  return { order: r.arch!.criticality, widths: r.arch!.widths?.factors };
}

describe('alpha=2 examples declare the order Table 11 measures', () => {
  // Every alpha=2 row ranks its stages the same way, so the examples' order is the family's, not
  // one network's accident.
  const familyOrders = new Set(Object.values(TABLE11_ALPHA2).map((ck) => measuredOrder(ck).join(' > ')));

  for (const file of ['hrn-2x5x3x.hrn', 'fashion-hrn.hrn']) {
    it(`${file} (widths 2, 5, 3) declares the order every alpha=2 row of Table 11 measures`, () => {
      const { order, widths } = declaredOrder(file);
      expect(widths?.[0]).toBe(2);
      expect([...familyOrders]).toEqual([order.join(' > ')]);
    });
  }
});
