// SNL networks with trained masks: `hrn stats --weights` counts the ReLUs the masks keep, per stage
// and in total, with the PI cost on that count; `hrn export` writes the masks as constants so that
// ONNX Runtime gives the reference executor's logits, and records the kept count.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOnnx, METADATA_KEYS } from '../src/export/index.js';
import { piCost } from '../src/ir/cost.js';
import { maskName, type LayerGraph, type ReluNode } from '../src/ir/graph.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { runReference } from '../src/reference/index.js';
import { Rng, type Weights } from '../src/weights/index.js';
import { calibratedWeights, exampleNetwork, maxAbsDiff, randomInput, runOnnx, saveFakeRun } from './export-fixtures.js';
import { hrn } from './run-cli.js';
import { validateJson } from './json-schema.js';

const EXAMPLE = 'examples/hrn-2x5x3x.hrn';
const tmp = () => mkdtempSync(join(tmpdir(), 'hrn-snl-'));

interface Masked {
  graph: LayerGraph;
  weights: Weights;
  /** The kept ReLUs the test chose, per stage row (the stem in S1). */
  perStage: Map<string, number>;
}

/**
 * Weights for the snl network of `pipeline` whose binary masks keep, in each layer, a random set of
 * entries of a size the test picks (a per-channel entry keeps its channel's whole plane).
 */
function maskedWeights(pipeline: string, seed: number): Masked {
  const graph = lowerToGraph(exampleNetwork('hrn-2x5x3x.hrn', 'm=4', pipeline));
  const weights = calibratedWeights(graph, seed);
  const rng = new Rng(seed + 7);
  const perStage = new Map<string, number>();
  for (const n of graph.nodes.filter((x): x is ReluNode => x.op === 'relu' && x.mask !== undefined)) {
    const m = weights.get(maskName(n))!.data;
    m.fill(0);
    const keep = 1 + Math.floor(rng.next() * (m.length - 1));
    const order = Array.from(m.keys()).sort(() => rng.next() - 0.5);
    for (const i of order.slice(0, keep)) m[i] = 1;
    const stage = n.region === 'stem' ? 'S1' : n.region;
    const relus = n.mask === 'pixel' ? keep : keep * n.shape.h * n.shape.w;
    perStage.set(stage, (perStage.get(stage) ?? 0) + relus);
  }
  return { graph, weights, perStage };
}

function fakeRun(dir: string, pipeline: string, graph: LayerGraph, weights: Weights): void {
  saveFakeRun(dir, { graph, weights, example: EXAMPLE, set: ['m=4'], pipeline });
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('hrn stats --weights on an snl checkpoint', () => {
  for (const pipeline of ['snl 2000', 'thin S2 S3 S4; snl 1000 per-channel']) {
    it(`counts exactly the ReLUs the masks keep, per stage and in total, and prices that count: ${pipeline}`, async () => {
      const dir = tmp();
      const { graph, weights, perStage } = maskedWeights(pipeline, 3);
      fakeRun(dir, pipeline, graph, weights);
      const r = await hrn('stats', '--weights', dir, '--json');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.out);
      expect(validateJson('stats', doc)).toEqual([]);
      const [s] = doc.networks;
      expect(s.relus.stages).toEqual(Object.fromEntries(['S1', 'S2', 'S3', 'S4'].map((st) => [st, perStage.get(st) ?? 0])));
      expect(s.relus.total).toBe(total(perStage));
      expect(s.relus.snl.exact).toBe(true);
      expect(s.piCost.communicationBytes).toBe(piCost(total(perStage)).communicationBytes);
      // The per-layer table counts the same kept ReLUs.
      const layers = JSON.parse((await hrn('stats', '--weights', dir, '--layers', '--json')).out).networks[0].layers as { relus: number }[];
      expect(layers.reduce((a, l) => a + l.relus, 0)).toBe(total(perStage));
      const text = await hrn('stats', '--weights', dir);
      expect(text.out).toMatch(new RegExp(`total\\s+${total(perStage).toLocaleString('en-US')}\\s`));
      expect(text.out).toContain('SNL: the ReLUs the trained masks keep');
    });
  }

  it('weights of another network are refused in one line', async () => {
    const dir = tmp();
    const { graph, weights } = maskedWeights('snl 2000', 3);
    fakeRun(dir, 'snl 2000', graph, weights);
    const r = await hrn('stats', EXAMPLE, '--set', 'm=4', '--pipeline', 'snl 2000 per-channel', '--weights', dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^hrn stats: error: .*mask.*\n$/);
  });
});

describe('hrn export of an snl checkpoint', () => {
  for (const [pipeline, foldBn] of [['snl 2000', false], ['thin S2 S3 S4; snl 1000 per-channel', true]] as const) {
    it(`ONNX Runtime gives the reference's logits, and the metadata records the kept ReLUs: ${pipeline}${foldBn ? ', --fold-bn' : ''}`, async () => {
      const dir = tmp();
      const { graph, weights, perStage } = maskedWeights(pipeline, 5);
      fakeRun(dir, pipeline, graph, weights);
      const out = join(dir, 'net.onnx');
      const r = await hrn('export', '--weights', dir, '-o', out, ...(foldBn ? ['--fold-bn'] : []));
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`${total(perStage).toLocaleString('en-US')} ReLUs`);
      const meta = Object.fromEntries(decodeOnnx(readFileSync(out)).metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
      expect(meta[METADATA_KEYS.relus]).toBe(String(total(perStage)));
      expect(meta[METADATA_KEYS.snlKept]).toBe(String(total(perStage)));
      // Counted from the file alone, the masked ReLUs are the ones the masks keep, as `stats --weights` says.
      const fromOnnx = await hrn('stats', out, '--json');
      expect(fromOnnx.err).toBe('');
      const [o] = JSON.parse(fromOnnx.out).networks;
      expect(o.relus.total).toBe(total(perStage));
      const [w] = JSON.parse((await hrn('stats', '--weights', dir, '--json')).out).networks;
      expect(o.flops.total).toBe(w.flops.total);
      if (!foldBn) expect(o.params.total).toBe(w.params.total);
      const x = randomInput(graph, 2, 9);
      const s = graph.nodes[0].shape;
      const ref = runReference(graph, weights, x, 2);
      const scale = Math.max(...ref.map(Math.abs));
      expect(maxAbsDiff(await runOnnx(readFileSync(out), x, [2, s.c, s.h, s.w]), ref) / scale).toBeLessThan(1e-4);
      // The masks matter: the same weights with every mask 1 (ordinary ReLUs) give other logits.
      const ones = new Map([...weights].map(([k, t]) => [k, k.endsWith('.mask') ? { shape: t.shape, data: new Float32Array(t.data.length).fill(1) } : t]));
      expect(maxAbsDiff(runReference(graph, ones, x, 2), ref) / scale).toBeGreaterThan(1e-2);
    });
  }

  it('--format pytorch refuses masked ReLUs in one line', async () => {
    const dir = tmp();
    const { graph, weights } = maskedWeights('snl 2000', 3);
    fakeRun(dir, 'snl 2000', graph, weights);
    const r = await hrn('export', '--weights', dir, '--format', 'pytorch', '-o', join(dir, 'x.safetensors'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('hrn export: error: export --format pytorch:');
  });
});
