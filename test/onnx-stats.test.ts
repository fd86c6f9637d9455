// `hrn stats MODEL.onnx`: ONNX files counted as hrn counts networks. hrn's own exports of every
// example must count as hrn counts the network; ResNet18 built here in PyTorch's export layout must
// give the paper's numbers, worked out below by hand; the other operators a CNN uses are checked
// on a small model against arithmetic and against ONNX Runtime; mistakes are one line each.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOnnxModel, encodeOnnx } from '../src/export/index.js';
import { countGraph } from '../src/ir/count.js';
import { heCost, heLayerCost, type LinearLayer } from '../src/ir/he-cost.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { countOnnx } from '../src/onnx/count.js';
import { initWeights } from '../src/weights/index.js';
import { exampleNetwork, PIPELINE_KINDS, smallSet } from './export-fixtures.js';
import { validateJson } from './json-schema.js';
import { float, int, ints, OnnxBuilder, resnet18Onnx } from './onnx-fixtures.js';
import { hrn } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-onnx-stats-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const write = (bytes: Uint8Array) => {
  const path = join(root, `m${files++}.onnx`);
  writeFileSync(path, bytes);
  return path;
};

describe("hrn's own exports count as hrn counts the network", () => {
  const examples = readdirSync('examples').filter((f) => f.endsWith('.hrn')).sort();
  for (const file of examples) {
    for (const pipeline of PIPELINE_KINDS) {
      it(`${file} --set ${smallSet(file)} --pipeline "${pipeline}"`, () => {
        const graph = lowerToGraph(exampleNetwork(file, smallSet(file), pipeline));
        const hrnCounts = countGraph(graph).total;
        const he = heCost(graph);
        const weights = initWeights(graph, 0);
        for (const fold of [false, true]) {
          const s = countOnnx(encodeOnnx(buildOnnxModel(graph, weights, { foldBatchNorm: fold })), `${file}.onnx`);
          expect(s.relus.total).toBe(hrnCounts.relus);
          expect(s.flops.total).toBe(hrnCounts.flops);
          // Folding moves batch norm's shift into a conv bias: the same parameters only when kept.
          if (!fold) expect(s.params.total).toBe(hrnCounts.params);
          expect([s.piCost.he?.multiplications, s.piCost.he?.rotations, s.piCost.he?.ciphertexts]).toEqual([he.multiplications, he.rotations, he.ciphertexts]);
          expect(s.input).toBe(`${graph.nodes[0].shape.c}x${graph.nodes[0].shape.h}x${graph.nodes[0].shape.w}`);
          expect(s.classes).toBe(graph.classes);
        }
      });
    }
  }

  it('hrn export then hrn stats: the same ReLUs, FLOPs and PI cost as hrn stats of the .hrn file, valid against stats.schema.json', async () => {
    const out = join(root, 'resnet18.onnx');
    const e = await hrn('export', 'examples/resnet18.hrn', '--random-weights', '--format', 'onnx', '-o', out);
    expect(e.code, e.err).toBe(0);
    const onnx = await hrn('stats', out, '--json');
    expect(onnx.code, onnx.err).toBe(0);
    const doc = JSON.parse(onnx.out);
    expect(validateJson('stats', doc)).toEqual([]);
    const own = JSON.parse((await hrn('stats', 'examples/resnet18.hrn', '--json')).out).networks[0];
    const [s] = doc.networks;
    expect([s.relus.total, s.flops.total, s.params.total]).toEqual([own.relus.total, own.flops.total, own.params.total]);
    expect(s.piCost).toEqual(own.piCost);
    const text = await hrn('stats', out);
    expect(text.out).toMatch(/^ResNet18 {2}\(input 3x32x32, 100 classes; ONNX opset 13, from hrn /);
    expect(text.out).toMatch(/^total +\d+ +557,056 +555\.5M +11,220,132$/m);
    expect(text.out).toContain('total latency     343.3 s   (HE + GC)');
  });
});

// ResNet18 on 32x32 inputs, by hand. Stage widths 64, 128, 256, 512 at 32, 16, 8, 4 pixels a side.
const WIDTHS = [64, 128, 256, 512];
function resnet18Arithmetic(res: number, imagenet: boolean): { relus: number; macs: number; params: (folded: boolean) => number } {
  const stemSide = imagenet ? res / 2 : res;
  const sides = imagenet ? [res / 4, res / 8, res / 16, res / 32] : [res, res / 2, res / 4, res / 8];
  // The stem's ReLU, then two ReLUs in each of a stage's two blocks.
  const relus = 64 * stemSide ** 2 + WIDTHS.reduce((sum, w, s) => sum + 4 * w * sides[s] ** 2, 0);
  const stemK = imagenet ? 7 : 3;
  let macs = 3 * 64 * stemK ** 2 * stemSide ** 2;
  let weights = 3 * 64 * stemK ** 2;
  let channels = 64; // batch norm (or a folded bias) per conv's output channels
  let inC = 64;
  WIDTHS.forEach((w, s) => {
    const hw = sides[s] ** 2;
    macs += inC * w * 9 * hw + w * w * 9 * hw + 2 * w * w * 9 * hw; // block 1's two 3x3, block 2's two
    weights += inC * w * 9 + 3 * w * w * 9;
    channels += 4 * w;
    if (inC !== w) {
      macs += inC * w * hw; // the 1x1 projection shortcut
      weights += inC * w;
      channels += w;
    }
    inC = w;
  });
  macs += 512 * 100; // the classifier
  const fc = 512 * 100 + 100;
  return { relus, macs, params: (folded) => weights + (folded ? 1 : 2) * channels + fc };
}

describe('ResNet18 in the layout PyTorch exports', () => {
  const cifar = resnet18Arithmetic(32, false);

  it("the arithmetic gives the paper's numbers: 557,056 ReLUs, 555.5M FLOPs", () => {
    expect(cifar.relus).toBe(557_056);
    expect((cifar.macs / 1e6).toFixed(1)).toBe('555.5');
  });

  for (const v of [
    { folded: true, opset: 13 },
    { folded: false, opset: 15 },
    { folded: true, opset: 17, reshape: true },
  ]) {
    it(`${v.folded ? 'Conv with bias (batch norm folded)' : 'Conv + BatchNormalization'}, opset ${v.opset}${v.reshape ? ', Reshape' : ', Flatten'}, symbolic batch`, async () => {
      const bytes = resnet18Onnx({ ...v, res: 32, classes: 100 });
      const s = countOnnx(bytes, 'resnet18.onnx');
      expect(s.relus.total).toBe(cifar.relus);
      expect(s.flops.total).toBe(cifar.macs);
      expect(s.params.total).toBe(cifar.params(v.folded));
      expect([s.input, s.classes, s.opset, s.producer]).toEqual(['3x32x32', 100, v.opset, 'pytorch 2.1.0']);
      expect(s.ops.Relu.nodes).toBe(17);
      // ONNX Runtime takes the model as valid and makes the logits of the shape counted.
      const session = await ort.InferenceSession.create(bytes);
      try {
        const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * 32 * 32), [1, 3, 32, 32]) });
        expect(out.output.dims).toEqual([1, 100]);
      } finally {
        await session.release();
      }
    });
  }

  it('the ImageNet stem (7x7 stride 2, max pool) at 224x224: 2,308,096 ReLUs, 1.82G FLOPs', () => {
    const imagenet = resnet18Arithmetic(224, true);
    expect(imagenet.relus).toBe(2_308_096);
    const s = countOnnx(resnet18Onnx({ folded: false, opset: 17, res: 224, classes: 100, imagenet: true }), 'r.onnx');
    expect(s.relus.total).toBe(imagenet.relus);
    expect(s.flops.total).toBe(imagenet.macs);
    expect(Math.abs(s.flops.total - 1.82e9) / 1.82e9).toBeLessThan(0.01);
  });

  it('a fixed batch of 8 counts one image', () => {
    const b = new OnnxBuilder();
    const y = b.node('Relu', 'relu', [b.conv('conv', 'input', 3, 4, 3, 1, 1)]);
    const s = countOnnx(b.model({ opset: 13, input: [8, 3, 10, 10], output: [8, 4, 10, 10], last: y }), 'b.onnx');
    expect([s.relus.total, s.flops.total]).toEqual([4 * 10 * 10, 4 * 3 * 9 * 10 * 10]);
  });
});

describe('the other operators of a CNN', () => {
  // Input N x 8 x 16 x 16 (N symbolic).
  function smallModel(): Uint8Array {
    const b = new OnnxBuilder();
    const conv = b.conv('conv', 'input', 8, 16, 3, 1, 1); // 16x16x16
    const relu6 = b.node('Clip', 'clip', [conv, b.scalar('clip.min', 0), b.scalar('clip.max', 6)]);
    const dw = b.conv('dw', relu6, 16, 16, 3, 1, 2, { group: 16, dilation: 2 }); // depthwise, 16x16x16
    const slice = (name: string, from: number, to: number | bigint) =>
      b.node('Slice', name, [dw, b.int64s(`${name}.starts`, [from]), b.int64s(`${name}.ends`, [to]), b.int64s(`${name}.axes`, [1]), b.int64s(`${name}.steps`, [1])]);
    const active = b.node('Relu', 'relu', [slice('first', 0, 8)]); // 8x16x16
    // PyTorch writes x[:, 8:] with INT64_MAX as the end.
    const joined = b.node('Concat', 'cat', [active, slice('rest', 8, 2n ** 63n - 1n)], [int('axis', 1)]); // 16x16x16
    const max = b.node('MaxPool', 'max', [joined], [int('ceil_mode', 1), ints('kernel_shape', [3, 3]), ints('pads', [0, 0, 0, 0]), ints('strides', [2, 2])]); // 16x8x8
    const avg = b.node('AveragePool', 'avg', [max], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]); // 16x4x4
    const flat = b.node('Reshape', 'flat', [b.node('Identity', 'id', [avg]), b.int64s('flat.shape', [0, -1])]); // 256
    const logits = b.node('Add', 'bias', [b.node('MatMul', 'fc', [flat, b.weight('fc.weight', [256, 10])]), b.weight('fc.bias', [10])]);
    return b.model({ opset: 13, input: ['N', 8, 16, 16], output: ['N', 10], last: logits });
  }

  it('Clip as ReLU6, depthwise dilated Conv, Slice, Concat, MaxPool (ceil mode), AveragePool, Identity, Reshape, MatMul + Add', async () => {
    const bytes = smallModel();
    const s = countOnnx(bytes, 'small.onnx');
    const plane = 16 * 16;
    // Clip on all 16 channels, Relu on the first 8.
    expect(s.relus.total).toBe(16 * plane + 8 * plane);
    expect(s.flops.total).toBe(16 * 8 * 9 * plane + 16 * 1 * 9 * plane + 256 * 10);
    expect(s.params.total).toBe(16 * 8 * 9 + 16 * 9 + 256 * 10 + 10);
    const layers: LinearLayer[] = [
      { inChannels: 8, inPlane: plane, outChannels: 16, outPlane: plane, kernel: 3, groups: 1 },
      { inChannels: 16, inPlane: plane, outChannels: 16, outPlane: plane, kernel: 3, groups: 16 },
      { inChannels: 256, inPlane: 1, outChannels: 10, outPlane: 1, kernel: 1, groups: 1 },
    ];
    expect(s.piCost.he?.multiplications).toBe(layers.reduce((sum, l) => sum + heLayerCost(l).multiplications, 0));
    expect(s.layers.find((l) => l.op === 'MaxPool')?.output).toBe('16x8x8');
    expect(s.layers.find((l) => l.op === 'Reshape')?.output).toBe('256');
    // ONNX Runtime runs it: the shapes are the ones counted, and the Clip and Relu outputs hold the ReLUs counted.
    const session = await ort.InferenceSession.create(bytes);
    try {
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(2 * 8 * plane), [2, 8, 16, 16]) });
      expect(out.output.dims).toEqual([2, 10]);
    } finally {
      await session.release();
    }
  });

  it('text: a row per operator with a total; --layers a row per node', async () => {
    const path = write(smallModel());
    const r = await hrn('stats', path);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Clip +1 +4,096 +0\.0M +0$/m);
    expect(r.out).toMatch(/^total +13 +6,144 +0\.3M +3,866$/m);
    const l = await hrn('stats', path, '--layers');
    expect(l.out).toMatch(/^\/max\/MaxPool +MaxPool +16x8x8 +0 +0\.0M +0$/m);
  });
});

describe("SNL's masked ReLUs, x + M * (Relu(x) - x)", () => {
  // Input N x 4 x 8 x 8; each masked group is the form `hrn export` writes.
  const plane = 8 * 8;
  function masked(b: OnnxBuilder, name: string, x: string, mask: string): string {
    const gain = b.node('Sub', `${name}.gain`, [b.node('Relu', name, [x]), x]);
    return b.node('Add', `${name}.out`, [x, b.node('Mul', `${name}.masked`, [mask, gain])]);
  }

  it('count the elements the mask keeps: per channel a whole plane each, per pixel one each; the mask is not a parameter', async () => {
    const b = new OnnxBuilder();
    const conv = b.conv('conv', 'input', 4, 4, 3, 1, 1);
    // Channels 0 and 2 kept; a mask that is not yet binary (0.5) still needs the comparison.
    const perChannel = masked(b, 'relu1', conv, b.floats('relu1.mask', [1, 4, 1, 1], [1, 0, 0.5, 0]));
    const pixels = Array.from({ length: 4 * plane }, (_, i) => (i % 25 === 0 ? 1 : 0));
    const perPixel = masked(b, 'relu2', perChannel, b.floats('relu2.mask', [1, 4, 8, 8], pixels));
    const last = b.node('GlobalAveragePool', 'gap', [perPixel]);
    const bytes = b.model({ opset: 13, input: ['N', 4, 8, 8], output: ['N', 4, 1, 1], last });
    const s = countOnnx(bytes, 'snl.onnx');
    const keptPixels = Math.ceil((4 * plane) / 25);
    expect(s.relus.total).toBe(2 * plane + keptPixels);
    expect(s.layers.filter((l) => l.op === 'Relu').map((l) => l.relus)).toEqual([2 * plane, keptPixels]);
    expect(s.params.total).toBe(4 * 4 * 9);
    // ONNX Runtime runs the same file.
    const session = await ort.InferenceSession.create(bytes);
    try {
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(8 * plane), [2, 4, 8, 8]) });
      expect(out[Object.keys(out)[0]].dims).toEqual([2, 4, 1, 1]);
    } finally {
      await session.release();
    }
  });

  it('a Relu whose output is also read elsewhere counts every element, and a constant Mul or Sub alone is a scale or shift', () => {
    const b = new OnnxBuilder();
    const x = b.conv('conv', 'input', 4, 4, 1, 1, 0);
    const r = b.node('Relu', 'relu', [x]);
    const gain = b.node('Sub', 'gain', [r, x]);
    const gated = b.node('Add', 'out', [x, b.node('Mul', 'masked', [b.floats('mask', [1, 4, 1, 1], [1, 0, 0, 0]), gain])]);
    const both = b.node('Add', 'both', [gated, r]);
    const scaled = b.node('Sub', 'shift', [b.node('Mul', 'scale', [both, b.weight('scale', [1, 4, 1, 1])]), b.weight('shift', [1, 4, 1, 1])]);
    const s = countOnnx(b.model({ opset: 13, input: ['N', 4, 8, 8], output: ['N', 4, 8, 8], last: scaled }), 'shared.onnx');
    expect(s.relus.total).toBe(4 * plane);
    expect(s.params.total).toBe(4 * 4 + 4 + 4 + 4);
  });

  it('a product of two computed values is refused: it is not a linear layer', () => {
    const b = new OnnxBuilder();
    const x = b.conv('conv', 'input', 4, 4, 1, 1, 0);
    const sq = b.node('Mul', 'square', [x, x]);
    const bytes = b.model({ opset: 13, input: ['N', 4, 8, 8], output: ['N', 4, 8, 8], last: sq });
    expect(() => countOnnx(bytes, 'square.onnx')).toThrow("square.onnx: node '/square/Mul' (Mul): multiplies two computed values: only a product with a constant (a scale or a mask) is counted");
  });
});

describe('mistakes are one line each', () => {
  const one = async (args: string[], code: number, pattern: RegExp) => {
    const r = await hrn(...args);
    expect(r.code).toBe(code);
    expect(r.err.trim().split('\n')[0]).toMatch(pattern);
    if (code === 1) expect(r.err.trim().split('\n')).toHaveLength(1);
  };

  it('an unsupported operator names the op and the node', async () => {
    const b = new OnnxBuilder();
    const y = b.node('LeakyRelu', 'act', [b.conv('conv', 'input', 3, 4, 3, 1, 1)], [float('alpha', 0.1)]);
    const path = write(b.model({ opset: 13, input: ['N', 3, 8, 8], output: ['N', 4, 8, 8], last: y }));
    await one(['stats', path], 1, /^hrn stats: error: .*m\d+\.onnx: node '\/act\/LeakyRelu' \(LeakyRelu\): unsupported operator; hrn counts Conv, BatchNormalization, Relu, Clip, /);
  });

  it('a value no node makes, an image size left symbolic, a computed Gemm weight, an initializer given twice', async () => {
    const missing = new OnnxBuilder();
    const y = missing.node('Relu', 'r', ['nowhere']);
    await one(['stats', write(missing.model({ opset: 13, input: ['N', 3, 8, 8], output: ['N', 3, 8, 8], last: y }))], 1, /node '\/r\/Relu' \(Relu\) reads 'nowhere', which no node, input or initializer provides$/);
    const symbolic = new OnnxBuilder();
    const z = symbolic.node('Relu', 'r', ['input']);
    await one(['stats', write(symbolic.model({ opset: 13, input: ['N', 3, 'H', 'W'], output: ['N', 3, 'H', 'W'], last: z }))], 1, /input 'input': dimension 2 has no size \('H'\); hrn needs the image size to count$/);
    const gemm = new OnnxBuilder();
    const flat = gemm.node('Flatten', 'f', ['input'], [int('axis', 1)]);
    const g = gemm.node('Gemm', 'g', [flat, flat]);
    await one(['stats', write(gemm.model({ opset: 13, input: [1, 4], output: [1, 1], last: g }))], 1, /node '\/g\/Gemm' \(Gemm\): (inner dimensions differ|its B input is computed)/);
    const twice = new OnnxBuilder();
    twice.weight('w', [4, 3, 3, 3]);
    const c = twice.conv('conv', 'input', 3, 4, 3, 1, 1);
    twice.initializers.push({ ...twice.initializers[0] });
    await one(['stats', write(twice.model({ opset: 13, input: ['N', 3, 8, 8], output: ['N', 4, 8, 8], last: c }))], 1, /initializer 'w' is given twice$/);
  });

  it('.hrn options are usage errors for an ONNX model; a missing file is a user error', async () => {
    const path = write(resnet18Onnx({ folded: true, opset: 13, res: 32, classes: 10 }));
    await one(['stats', path, '--pipeline', 'cull S1'], 2, /^hrn stats: error: --pipeline applies to \.hrn files, not to an ONNX model$/);
    await one(['stats', path, '--set', 'm=2'], 2, /^hrn stats: error: --set applies to \.hrn files/);
    await one(['stats', join(root, 'none.onnx')], 1, /^hrn stats: error: .*none\.onnx: no such file$/);
    mkdirSync(join(root, 'dir.onnx'));
    await one(['stats', join(root, 'dir.onnx')], 1, /dir\.onnx: is a directory, expected an \.onnx file$/);
  });
});
