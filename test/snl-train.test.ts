// `hrn train --pipeline "snl BUDGET"` on tiny data: the SNL schedule ends with binary masks that
// keep at most BUDGET ReLUs and not far below it, progress lines show the mask count, the
// checkpoint records the schedule and holds the masks, and stats --weights and export read them.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOnnx, METADATA_KEYS } from '../src/export/index.js';
import { parseHrn, resolveNetwork } from '../src/parser/index.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { runText } from '../src/passes/manager.js';
import { runReference } from '../src/reference/index.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { keptRelus, masksBinary } from '../src/weights/index.js';
import { maxAbsDiff, randomInput, runOnnx } from './export-fixtures.js';
import { hrn } from './run-cli.js';
import { validateJson } from './json-schema.js';
import { TINY_SOURCE, writeTinyMnist } from './tiny-mnist.js';

const N = 64;

function setup(): { dir: string; net: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hrn-snl-train-'));
  writeTinyMnist(dir, N);
  const net = join(dir, 'tiny.hrn');
  writeFileSync(net, TINY_SOURCE);
  return { dir, net };
}

function graphOf(path: string, pipeline: string) {
  const { file } = parseHrn(TINY_SOURCE, path);
  const arch = resolveNetwork(file.networks[0], [], new Map([[path, TINY_SOURCE]])).arch!;
  return lowerToGraph(runText(arch, pipeline).family[0]);
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('hrn train with the snl pass', () => {
  for (const [pipeline, budget] of [['snl 2000', 2000], ['snl 5000 per-channel', 5000]] as const) {
    it(`meets the budget (at most ${budget}, at least 95% of it) with binary masks fixed through fine-tuning: ${pipeline}`, async () => {
      const { dir, net } = setup();
      const out = join(dir, 'run');
      const r = await hrn('train', net, '--data', `mnist:${dir}`, '--pipeline', pipeline, '--epochs', '3', '--batch', '16', '--snl-search-epochs', '2', '--out', out);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`at most ${budget.toLocaleString('en-US')} ReLUs`);
      expect(r.out).toMatch(/snl: epoch 1: [\d,]+ ReLUs with mask above 0\.01 \(budget [\d,]+\)/);
      expect(r.out).toMatch(/masks binarized to the [\d,]+ largest/);
      const ck = loadCheckpoint(join(out, 'checkpoint'));
      const graph = graphOf(net, pipeline);
      expect(masksBinary(graph, ck.weights)).toBe(true);
      const kept = sum(keptRelus(graph, ck.weights));
      expect(kept).toBeLessThanOrEqual(budget);
      expect(kept).toBeGreaterThanOrEqual(0.95 * budget);
      const snl = (ck.state.extra as { snl: { phase: string; count: number; binarizedAfter: number } }).snl;
      expect(snl).toMatchObject({ phase: 'finetune', count: kept, binarizedAfter: 2 });
      // stats --weights counts the same; export writes the same network.
      const stats = await hrn('stats', '--weights', out, '--json');
      expect(JSON.parse(stats.out).networks[0].relus.total).toBe(kept);
      const onnx = join(dir, 'net.onnx');
      expect((await hrn('export', '--weights', out, '-o', onnx)).code).toBe(0);
      expect(Object.fromEntries(decodeOnnx(readFileSync(onnx)).metadataProps.map((p) => [p.key, p.value]))[METADATA_KEYS.snlKept]).toBe(String(kept));
      const x = randomInput(graph, 2, 3);
      const ref = runReference(graph, ck.weights, x, 2);
      const scale = Math.max(...ref.map(Math.abs));
      expect(maxAbsDiff(await runOnnx(readFileSync(onnx), x, [2, 1, 28, 28]), ref) / scale).toBeLessThan(1e-4);
    });
  }

  it('a strong L1 weight ends the search before its epochs are spent', async () => {
    const { dir, net } = setup();
    const out = join(dir, 'run');
    const r = await hrn('train', net, '--data', `mnist:${dir}`, '--pipeline', 'snl 3000', '--epochs', '3', '--batch', '16', '--snl-search-epochs', '3', '--snl-penalty', '2', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/snl: epoch 1: [\d,]+ ReLUs with mask above 0\.01, within the budget; masks binarized to the 3,000 largest/);
    const doc = JSON.parse(r.out);
    expect(validateJson('train', doc)).toEqual([]);
    expect(doc.history.map((h: { snlPhase: string; snlRelus: number }) => [h.snlPhase, h.snlRelus])).toEqual([['finetune', 3000], ['finetune', 3000], ['finetune', 3000]]);
    const ck = loadCheckpoint(join(out, 'checkpoint'));
    expect(sum(keptRelus(graphOf(net, 'snl 3000'), ck.weights))).toBe(3000);
  });

  it('--resume goes on from the recorded schedule: masks binarized before stay frozen; another schedule is refused', async () => {
    const { dir, net } = setup();
    const out = join(dir, 'run');
    const common = [net, '--data', `mnist:${dir}`, '--pipeline', 'snl 2000', '--batch', '16', '--snl-search-epochs', '2', '--out', out];
    expect((await hrn('train', ...common, '--epochs', '2')).code).toBe(0);
    const before = loadCheckpoint(join(out, 'checkpoint'));
    // Another schedule would not continue this run: refused, naming both.
    const other = await hrn('train', ...common, '--epochs', '4', '--resume', '--snl-penalty', '0.5');
    expect(other.code).toBe(1);
    expect(other.err).toContain('snl 2000 with --snl-search-epochs 2 --snl-penalty 0.5 --snl-growth 2 --snl-threshold 0.01 (the run: snl 2000 with --snl-search-epochs 2 --snl-penalty 0.0001 --snl-growth 2 --snl-threshold 0.01)');
    // Left out, the --snl-* options are the run's: 6 epochs would default to 3 search epochs, the run had 2.
    const withoutSearch = common.filter((a, i) => a !== '--snl-search-epochs' && common[i - 1] !== '--snl-search-epochs');
    const r = await hrn('train', ...withoutSearch, '--epochs', '6', '--resume');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('snl: fine-tuning with 2,000 ReLUs kept (budget 2,000)');
    expect(r.out).not.toContain('ReLUs with mask above');
    const after = loadCheckpoint(join(out, 'checkpoint'));
    for (const [name, t] of before.weights) if (name.endsWith('.mask')) expect(Array.from(after.weights.get(name)!.data), name).toEqual(Array.from(t.data));
    expect((after.state.extra as { snl: { phase: string } }).snl.phase).toBe('finetune');
  });

  it('a sweep run of an snl pipeline trains under the default schedule and keeps the budget', async () => {
    const { dir, net } = setup();
    const out = join(dir, 'sweep');
    const r = await hrn('sweep', net, '--pipeline', 'snl 2000', '--data', `mnist:${dir}`, '--epochs', '2', '--batch', '16', '--out', out);
    expect(r.code, r.err).toBe(0);
    const run = readdirSync(out).find((f) => f.startsWith('Tiny-snl-2000'))!;
    const ck = loadCheckpoint(join(out, run, 'checkpoint'));
    const graph = graphOf(net, 'snl 2000');
    expect(masksBinary(graph, ck.weights)).toBe(true);
    expect(sum(keptRelus(graph, ck.weights))).toBe(2000);
  });

  it('the SNL options are refused for a network without the snl pass, and checked', async () => {
    const { dir, net } = setup();
    const r = await hrn('train', net, '--data', `mnist:${dir}`, '--epochs', '1', '--snl-penalty', '0.1', '--out', join(dir, 'a'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('hrn train: error: --snl-penalty applies to a network after the snl pass');
    const bad = await hrn('train', net, '--data', `mnist:${dir}`, '--pipeline', 'snl 100', '--epochs', '2', '--snl-search-epochs', '3', '--out', join(dir, 'b'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--snl-search-epochs: expected a whole number from 1 to the 2 epochs, got '3'");
  });
});
