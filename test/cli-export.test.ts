// `hrn export` end to end: random weights, a checkpoint that remembers its network, the PyTorch
// layout, and one-line refusals of corrupt, mismatched or non-finite weights.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { decodeOnnx, METADATA_KEYS, TORCH_GRAPH_KEY } from '../src/export/index.js';
import { countGraph } from '../src/ir/count.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { runReference } from '../src/reference/index.js';
import { decodeSafetensors, initWeights, writeSafetensors, type Weights } from '../src/weights/index.js';
import { exampleNetwork, maxAbsDiff, randomInput, runOnnx, saveFakeRun } from './export-fixtures.js';

async function hrn(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'hrn-export-'));
const EXAMPLE = 'examples/hrn-2x5x3x.hrn';
const LEAN = 'cull S1; thin S2 S3 S4; reuse 4';

function metadataOf(path: string): Record<string, string> {
  return Object.fromEntries(decodeOnnx(readFileSync(path)).metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
}

/** A checkpoint as hrn train leaves it, for `net` built from EXAMPLE with --set m=4 and `pipeline`. */
function fakeRun(dir: string, pipeline: string, weights?: Weights): Weights {
  const graph = lowerToGraph(exampleNetwork('hrn-2x5x3x.hrn', 'm=4', pipeline));
  const w = weights ?? initWeights(graph, 3);
  saveFakeRun(dir, { graph, weights: w, example: EXAMPLE, set: ['m=4'], pipeline });
  return w;
}

describe('hrn export', () => {
  it('--random-weights writes an ONNX file whose metadata carries the ReLU count, FLOPs and pipeline', async () => {
    const dir = tmp();
    const out = join(dir, 'net.onnx');
    const r = await hrn('export', EXAMPLE, '--set', 'm=4', '--pipeline', LEAN, '--random-weights', '--seed', '5', '-o', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const graph = lowerToGraph(exampleNetwork('hrn-2x5x3x.hrn', 'm=4', LEAN));
    const counts = countGraph(graph).total;
    expect(r.out).toContain(`${counts.relus.toLocaleString('en-US')} ReLUs`);
    const meta = metadataOf(out);
    expect(meta[METADATA_KEYS.relus]).toBe(String(counts.relus));
    expect(meta[METADATA_KEYS.flops]).toBe(String(counts.flops));
    expect(meta[METADATA_KEYS.pipeline]).toBe(LEAN);
    // The seed decides the weights: ONNX Runtime gives the reference executor's logits for He init, seed 5.
    const x = randomInput(graph, 1, 2);
    const s = graph.nodes[0].shape;
    const ref = runReference(graph, initWeights(graph, 5), x, 1);
    const scale = Math.max(...ref.map(Math.abs));
    expect(maxAbsDiff(await runOnnx(readFileSync(out), x, [1, s.c, s.h, s.w]), ref) / scale).toBeLessThan(1e-5);
  });

  it('given only --weights RUN, reads FILE, --set and --pipeline from the checkpoint', async () => {
    const dir = tmp();
    fakeRun(dir, LEAN);
    const out = join(dir, 'run.onnx');
    const r = await hrn('export', '--weights', dir, '--fold-bn', '-o', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const meta = metadataOf(out);
    expect(meta[METADATA_KEYS.pipeline]).toBe(LEAN);
    expect(meta[METADATA_KEYS.relus]).toBe(String(countGraph(lowerToGraph(exampleNetwork('hrn-2x5x3x.hrn', 'm=4', LEAN))).total.relus));
  });

  it('--format pytorch writes torchvision names and the graph description', async () => {
    const dir = tmp();
    const out = join(dir, 'r18.safetensors');
    const r = await hrn('export', 'examples/resnet18.hrn', '--set', 'm=4', '--random-weights', '--format', 'pytorch', '-o', out);
    expect(r.code).toBe(0);
    const { tensors, metadata } = decodeSafetensors(readFileSync(out));
    // torchvision's resnet18 state dict: conv1, bn1 and fc, and per block conv1/bn1/conv2/bn2,
    // with downsample.0/.1 in the first block of stages 2-4; five batch-norm entries each.
    const bn = (p: string) => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((k) => `${p}.${k}`);
    const expected = ['conv1.weight', ...bn('bn1'), 'fc.weight', 'fc.bias'];
    for (let layer = 1; layer <= 4; layer++) {
      for (let block = 0; block < 2; block++) {
        const p = `layer${layer}.${block}`;
        expected.push(`${p}.conv1.weight`, ...bn(`${p}.bn1`), `${p}.conv2.weight`, ...bn(`${p}.bn2`));
        if (layer > 1 && block === 0) expected.push(`${p}.downsample.0.weight`, ...bn(`${p}.downsample.1`));
      }
    }
    expect([...tensors.keys()].sort()).toEqual(expected.sort());
    expect(tensors.get('layer2.0.conv1.weight')!.shape).toEqual([8, 4, 3, 3]);
    expect(tensors.get('fc.weight')!.shape).toEqual([100, 32]);
    expect(JSON.parse(metadata[TORCH_GRAPH_KEY]).nodes.length).toBe(lowerToGraph(exampleNetwork('resnet18.hrn', 'm=4', '')).nodes.length);
  });

  it('a corrupt checkpoint gets one line and exit 1', async () => {
    const dir = tmp();
    fakeRun(dir, '');
    const file = join(dir, 'checkpoint', 'weights.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(file, bytes);
    const r = await hrn('export', '--weights', dir, '-o', join(dir, 'x.onnx'));
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^hrn export: error: .*weights\.safetensors: .*SHA-256.*damaged/);
  });

  it('a checkpoint of another network gets one line naming the first differing tensor, and exit 1', async () => {
    const dir = tmp();
    fakeRun(dir, '');
    const r = await hrn('export', EXAMPLE, '--set', 'm=8', '--weights', dir, '-o', join(dir, 'x.onnx'));
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/do not fit network HRN-2x5x3x: stem\.conv1\.weight has shape \[4, 3, 3, 3\], the network needs \[8, 3, 3, 3\] \(and \d+ more tensors differ\)/);
  });

  it('same tensors, other ReLU placement: refused in one line, and the recorded network still exports', async () => {
    const dir = tmp();
    fakeRun(dir, 'cull S1; thin S2 S3 S4');
    const r = await hrn('export', EXAMPLE, '--set', 'm=4', '--weights', dir, '-o', join(dir, 'x.onnx'));
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/trained for network HRN-2x5x3x with --pipeline "cull S1; thin S2 S3 S4".*ReLU placement differs/);
    expect((await hrn('export', '--weights', dir, '-o', join(dir, 'x.onnx'))).code).toBe(0);
  });

  it('weights holding NaN are refused naming the tensor', async () => {
    const dir = tmp();
    const graph = lowerToGraph(exampleNetwork('hrn-2x5x3x.hrn', 'm=4', ''));
    const w = initWeights(graph, 1);
    w.get('S2.b1.conv1.weight')!.data[3] = Number.NaN;
    writeSafetensors(join(dir, 'w.safetensors'), w);
    const r = await hrn('export', EXAMPLE, '--set', 'm=4', '--weights', join(dir, 'w.safetensors'), '-o', join(dir, 'x.onnx'));
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    // S2.b1.conv1 of HRN-2x5x3x at m=4: 8 output channels (m x 2), 4 input channels (m), 3x3.
    expect(r.err).toContain(`S2.b1.conv1.weight (1 of ${8 * 4 * 3 * 3} values, first NaN at index 3)`);
  });

  it('a plain weights file without FILE asks for FILE', async () => {
    const dir = tmp();
    const graph = lowerToGraph(exampleNetwork('hrn-2x5x3x.hrn', 'm=4', ''));
    writeSafetensors(join(dir, 'w.safetensors'), initWeights(graph, 1));
    const r = await hrn('export', '--weights', join(dir, 'w.safetensors'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('give the .hrn FILE');
  });
});
