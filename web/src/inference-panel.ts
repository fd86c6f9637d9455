// The inference panel: pick weights (the shipped checkpoint or a dropped .safetensors), run the
// compiled kernels on sample test images, show predictions, accuracy and time per batch. The last
// result is also left on `window.hrnPlayground`.
import type { ArchIR } from '../../src/ir/arch.js';
import type { LayerGraph } from '../../src/ir/graph.js';
import type { Dataset } from '../../src/data/dataset.js';
import { FASHION_MNIST_CLASSES } from '../../src/data/idx-format.js';
import { loadSamples, loadShippedCheckpoint, runInference, weightsFromFile, type BrowserGpu, type InferenceResult, type LoadedWeights } from './inference.js';
import { el } from './views.js';

declare global {
  interface Window {
    /** What the page computed last, for tests and the curious. */
    hrnPlayground?: { source?: () => string; inference?: InferenceResult; gpu?: Omit<BrowserGpu, 'ctx'> & { subgroupSize: number } };
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** A 28x28 grey thumbnail of sample image `i`. */
function thumbnail(samples: Dataset, i: number): HTMLCanvasElement {
  const { h, w } = samples.shape;
  const c = el('canvas', { width: String(w), height: String(h), class: 'thumb' });
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let p = 0; p < h * w; p++) {
    const v = Math.round(255 * samples.images[i * h * w + p]);
    img.data.set([v, v, v, 255], 4 * p);
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

function resultView(r: InferenceResult, samples: Dataset): HTMLElement {
  const names = samples.classNames ?? FASHION_MNIST_CLASSES;
  const name = (k: number) => names[k] ?? String(k);
  const correct = r.predictions.filter((p, i) => p === r.labels[i]).length;
  const ms = median(r.batchMs);
  const summary = el(
    'p',
    { id: 'infer-summary' },
    `accuracy ${(100 * r.accuracy).toFixed(2)}% (${correct}/${r.images}) · ${r.batchMs.length} batches of ${r.batch}: ${ms.toFixed(1)} ms per batch (median; ${r.batchMs.map((t) => t.toFixed(0)).join(', ')} ms) · ${((1000 * r.batch) / ms).toFixed(0)} images/s · kernels compiled and weights uploaded in ${r.setupMs.toFixed(0)} ms · subgroups ${r.subgroupSize > 0 ? `of ${r.subgroupSize}` : 'off'}`,
  );
  const grid = el('div', { class: 'predictions' });
  r.predictions.slice(0, 48).forEach((p, i) => {
    const ok = p === r.labels[i];
    grid.append(el('figure', { class: ok ? 'right' : 'wrong', title: `label: ${name(r.labels[i])}` }, thumbnail(samples, i), el('figcaption', {}, name(p))));
  });
  return el('div', {}, summary, grid);
}

/** Builds the panel in `root`; `network()` is the compiled network of the moment. */
export function inferencePanel(root: HTMLElement, network: () => { net: ArchIR; graph: LayerGraph } | undefined, gpu: () => BrowserGpu | undefined): void {
  let weights: LoadedWeights | undefined;
  let samples: Dataset | undefined;
  const status = el('p', { id: 'infer-status', class: 'note' }, 'Load weights, then run.');
  const out = el('div', { id: 'infer-result' });
  const count = el('input', { id: 'infer-count', type: 'number', min: '1', max: '256', value: '64' });
  const shipped = el('button', { id: 'load-shipped' }, 'Load the shipped checkpoint (HRN-2x5x3x, m=2)');
  const run = el('button', { id: 'run-infer' }, 'Run on Fashion-MNIST test images');
  const drop = el('div', { id: 'drop', class: 'drop' }, 'or drop a .safetensors file here');
  const say = (text: string, cls = 'note') => {
    status.className = cls;
    status.textContent = text;
  };
  const loaded = (w: LoadedWeights) => {
    weights = w;
    say(`weights: ${w.name} (${w.weights.size} tensors)${w.network?.source ? `, trained as ${w.network.source} --set ${(w.network.set ?? []).join(' ')}` : ''}`);
    root.dataset.weights = 'loaded';
  };
  shipped.addEventListener('click', () => {
    loadShippedCheckpoint().then(loaded, (e: unknown) => say(String(e), 'error'));
  });
  drop.addEventListener('dragover', (e) => e.preventDefault());
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    file.arrayBuffer().then((b) => loaded(weightsFromFile(file.name, new Uint8Array(b))), (err: unknown) => say(String(err), 'error'));
  });
  run.addEventListener('click', () => {
    const n = network();
    const g = gpu();
    if (!weights) return say('Load weights first.', 'error');
    if (!n) return say('The source does not compile.', 'error');
    if (!g) return say('This browser has no WebGPU adapter.', 'error');
    const w = weights;
    say(`compiling ${n.net.name}'s kernels for ${g.adapter} and running...`);
    root.dataset.state = 'running';
    (samples ? Promise.resolve(samples) : loadSamples())
      .then((s) => {
        samples = s;
        return runInference(g, n.net, n.graph, w, s, Number(count.value), 64).then((r) => ({ r, s }));
      })
      .then(
        ({ r, s }) => {
          const { ctx, ...info } = g;
          window.hrnPlayground = { ...window.hrnPlayground, inference: r, gpu: { ...info, subgroupSize: ctx.subgroupSize } };
          out.replaceChildren(resultView(r, s));
          say(`${n.net.name} with ${w.name} on ${g.adapter}`);
          root.dataset.state = 'done';
        },
        (e: unknown) => {
          say(e instanceof Error ? e.message : String(e), 'error');
          root.dataset.state = 'error';
        },
      );
  });
  root.append(el('div', { class: 'row' }, shipped, drop), el('div', { class: 'row' }, el('label', {}, 'images ', count), run), status, out);
}
