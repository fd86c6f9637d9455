// Every bundled example, under every kind of pipeline, exported to ONNX with random weights and
// run in ONNX Runtime: the logits must match hrn's reference executor (max abs difference
// <= 1e-4) and its WebGPU executor (<= 1e-3), with batch norm kept and folded, and the Relu
// nodes must process exactly hrn's ReLU count.
import { openExecutor } from '../src/launch/infer.js';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOnnxModel, decodeOnnx, encodeOnnx, METADATA_KEYS, ONNX_OPSET } from '../src/export/index.js';
import { countGraph } from '../src/ir/count.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { runReference } from '../src/reference/index.js';
import { useGpu } from './gpu-fixtures.js';
import { calibratedWeights, exampleNetwork, maxAbsDiff, PIPELINE_KINDS, randomInput, reluElementsPerImage, runOnnx, smallSet } from './export-fixtures.js';

const gpu = useGpu();
const BATCH = 2;
const STANDARD_OPS = new Set(['Conv', 'BatchNormalization', 'Relu', 'Add', 'Concat', 'Split', 'Slice', 'GlobalAveragePool', 'MaxPool', 'Flatten', 'Gemm']);
const differences: string[] = [];
// Each network compiles its own WebGPU kernels on lavapipe (a CPU driver): allow minutes when the machine is shared.
const NETWORK_TIMEOUT_MS = 600_000;

describe('ONNX export runs in ONNX Runtime like hrn runs it', () => {
  const files = readdirSync('examples').filter((f) => f.endsWith('.hrn')).sort();
  for (const file of files) {
    for (const pipeline of PIPELINE_KINDS) {
      it(`${file} --set ${smallSet(file)} --pipeline "${pipeline}"`, async () => {
        const arch = exampleNetwork(file, smallSet(file), pipeline);
        const graph = lowerToGraph(arch);
        const weights = calibratedWeights(graph, 7);
        const s = graph.nodes[0].shape;
        const dims = [BATCH, s.c, s.h, s.w];
        const x = randomInput(graph, BATCH, 11);
        const reference = runReference(graph, weights, x, BATCH);
        const ex = await openExecutor(gpu(), graph, weights, { batch: BATCH });
        let webgpu: Float32Array;
        try {
          webgpu = await ex.run(x);
        } finally {
          ex.dispose();
        }
        const relus = countGraph(graph).total.relus;
        for (const fold of [false, true]) {
          const bytes = encodeOnnx(buildOnnxModel(graph, weights, { foldBatchNorm: fold, pipeline }));
          const model = decodeOnnx(bytes);
          expect(model.opsetImport.map((o) => Number(o.version))).toEqual([ONNX_OPSET]);
          const ops = new Set((model.graph!.node ?? []).map((n) => n.opType ?? ''));
          expect([...ops].filter((op) => !STANDARD_OPS.has(op))).toEqual([]);
          // Folding needs a convolution right before the batch norm: inside ReLU-reuse units (after a
          // concat) and in pre-activation blocks (after an add or the input) there is none.
          expect(ops.has('BatchNormalization')).toBe(!fold || pipeline.includes('reuse') || arch.block === 'preact');
          const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
          expect(meta[METADATA_KEYS.relus]).toBe(String(relus));
          expect(meta[METADATA_KEYS.pipeline]).toBe(pipeline);

          const logits = await runOnnx(bytes, x, dims);
          const dRef = maxAbsDiff(logits, reference);
          const dGpu = maxAbsDiff(logits, webgpu);
          differences.push(`${graph.name} [${pipeline || 'none'}] ${fold ? 'folded' : 'bn kept'}: ${dRef.toExponential(2)} vs reference, ${dGpu.toExponential(2)} vs WebGPU (|logit| up to ${maxAbsDiff(reference, new Float32Array(reference.length)).toFixed(2)})`);
          expect(dRef).toBeLessThanOrEqual(1e-4);
          expect(dGpu).toBeLessThanOrEqual(1e-3);
          // The PI cost survives the export: Relu outputs, measured by ONNX Runtime, are hrn's count.
          if (!fold) expect(await reluElementsPerImage(bytes, x, dims)).toBe(relus);
        }
      }, NETWORK_TIMEOUT_MS);
    }
  }
  it('prints the measured differences', () => {
    console.log(differences.join('\n'));
    expect(differences.length).toBe(files.length * PIPELINE_KINDS.length * 2);
  });
});
