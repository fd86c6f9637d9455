// In-browser inference with hrn's own runtime: the browser's WebGPU adapter opened through the same
// device set-up as the CLI's (contextFromAdapter), the plan compiled for its subgroup size, the
// weights packed and run by the Executor, the images prepared by hrn's batch loader.
import { openExecutor } from '../../src/launch/infer.js';
import type { ArchIR } from '../../src/ir/arch.js';
import type { LayerGraph } from '../../src/ir/graph.js';
import { contextFromAdapter, type GpuContext } from '../../src/runtime/gpu-context.js';
import { decodeSafetensors } from '../../src/weights/safetensors-format.js';
import { checkWeights, type Weights } from '../../src/weights/weights.js';
import { FASHION_MNIST_CLASSES, parseIdx } from '../../src/data/idx-format.js';
import { BatchLoader } from '../../src/data/batches.js';
import type { Dataset, Normalization } from '../../src/data/dataset.js';
import { KNOWN_NORMALIZATION } from '../../src/data/transform.js';

export const SHIPPED_CHECKPOINT = 'checkpoints/hrn-2x5x3x-m2';

export interface BrowserGpu {
  ctx: GpuContext;
  /** Vendor / architecture / device / description, as the CLI prints it. */
  adapter: string;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  features: string[];
  maxInvocationsPerWorkgroup: number;
  maxWorkgroupStorageSize: number;
}

/** The browser's WebGPU adapter and a device with hrn's limits. */
export async function openBrowserGpu(): Promise<BrowserGpu> {
  if (!('gpu' in navigator) || !navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing); Chromium needs --enable-unsafe-webgpu on Linux');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() found no adapter');
  const ctx = await contextFromAdapter(adapter, true);
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return {
    ctx,
    adapter: ctx.adapterInfo,
    subgroupMinSize: info.subgroupMinSize,
    subgroupMaxSize: info.subgroupMaxSize,
    features: [...adapter.features].sort(),
    maxInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
    maxWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
  };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The sample of Fashion-MNIST test images the build copied next to the page. */
export async function loadSamples(base = './data/'): Promise<Dataset> {
  const imgName = `${base}t10k-images-idx3-ubyte`;
  const lblName = `${base}t10k-labels-idx1-ubyte`;
  const [img, lbl] = await Promise.all([fetchBytes(imgName), fetchBytes(lblName)]);
  const images = parseIdx(img, imgName, 3);
  const labels = parseIdx(lbl, lblName, 1);
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) throw new Error(`${lblName}: ${labels.dims[0]} labels for ${n} images`);
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { name: 'fashion-mnist/test (sample)', images: pixels, labels: new Uint8Array(labels.data), shape: { c: 1, h, w }, classes: 10, classNames: FASHION_MNIST_CLASSES };
}

export interface LoadedWeights {
  name: string;
  weights: Weights;
  /** What training standardized with, when the weights come with a checkpoint's state.json. */
  normalization?: Normalization;
  /** The network the checkpoint was trained as (source file and --set). */
  network?: { source?: string; set?: string[] };
}

/** The checkpoint the repository ships for the default network. */
export async function loadShippedCheckpoint(base = `./${SHIPPED_CHECKPOINT}/`): Promise<LoadedWeights> {
  const [state, bytes] = await Promise.all([fetch(`${base}state.json`).then((r) => r.json() as Promise<{ extra?: { normalization?: Normalization; source?: string; set?: string[] } }>), fetchBytes(`${base}weights.safetensors`)]);
  const extra = state.extra ?? {};
  return { name: SHIPPED_CHECKPOINT, weights: decodeSafetensors(bytes, `${base}weights.safetensors`).tensors, normalization: extra.normalization, network: { source: extra.source, set: extra.set } };
}

/** A dropped .safetensors file. */
export function weightsFromFile(name: string, bytes: Uint8Array): LoadedWeights {
  return { name, weights: decodeSafetensors(bytes, name).tensors };
}

/** Fashion-MNIST's documented statistics, for weights that do not record their own (as `hrn infer`). */
export function defaultNormalization(c: number): Normalization {
  const k = KNOWN_NORMALIZATION['fashion-mnist'];
  return { mean: new Array(c).fill(k.mean[0]), std: new Array(c).fill(k.std[0]) };
}

export interface InferenceResult {
  images: number;
  batch: number;
  classes: number;
  /** Network inputs as the GPU got them (images x C x H x W) and the logits (images x classes). */
  inputs: Float32Array;
  logits: Float32Array;
  predictions: number[];
  labels: number[];
  accuracy: number;
  /** Building the executor: compiling every kernel and uploading the weights. */
  setupMs: number;
  /** Wall time of each batch: upload, all dispatches, read-back. */
  batchMs: number[];
  subgroupSize: number;
}

/**
 * Classifies the first `count` sample images with the network's compiled kernels; `count` must be
 * at most the sample's size (the panel says so when it asks for fewer than the user did).
 */
export async function runInference(gpu: BrowserGpu, net: ArchIR, graph: LayerGraph, w: LoadedWeights, samples: Dataset, count: number, batch: number): Promise<InferenceResult> {
  checkWeights(graph, w.weights, w.name);
  if (!Number.isInteger(count) || count < 1 || count > samples.labels.length) throw new Error(`images: ${count} is not a whole number from 1 to ${samples.labels.length}`);
  if (net.classes < samples.classes) throw new Error(`${net.name} has ${net.classes} classes, fewer than the ${samples.classes} of ${samples.name}`);
  const images = count;
  const normalization = w.normalization ?? defaultNormalization(net.input.c);
  const loader = new BatchLoader(samples, { batchSize: batch, shuffle: false, fit: { shape: net.input, mode: 'pad' }, normalization, subset: { count: images, mode: 'first' } });
  const t0 = performance.now();
  const ex = await openExecutor(gpu.ctx, graph, w.weights, { batch });
  const setupMs = performance.now() - t0;
  const per = net.input.c * net.input.h * net.input.w;
  const inputs = new Float32Array(images * per);
  const logits = new Float32Array(images * net.classes);
  const predictions: number[] = [];
  const labels: number[] = [];
  const batchMs: number[] = [];
  try {
    let at = 0;
    for (const b of loader.epoch(0)) {
      const t = performance.now();
      const r = await ex.classify(b.images);
      batchMs.push(performance.now() - t);
      inputs.set(b.images.subarray(0, b.size * per), at * per);
      logits.set(r.logits.subarray(0, b.size * net.classes), at * net.classes);
      for (let i = 0; i < b.size; i++) {
        predictions.push(r.classes[i]);
        labels.push(b.labels[i]);
      }
      at += b.size;
    }
  } finally {
    ex.dispose();
  }
  const correct = predictions.filter((p, i) => p === labels[i]).length;
  return { images, batch, classes: net.classes, inputs, logits, predictions, labels, accuracy: correct / Math.max(1, images), setupMs, batchMs, subgroupSize: ex.program.subgroupSize };
}
