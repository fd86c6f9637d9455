// The inference panel: pick weights (the shipped checkpoint or a dropped .safetensors), run the
// compiled kernels on sample test images, show predictions, accuracy and time per batch. The last
// result is also left on `window.hrnPlayground`.
import type { ArchIR } from '../../src/ir/arch.js';
import type { LayerGraph } from '../../src/ir/graph.js';
import type { Dataset } from '../../src/data/dataset.js';
import { FASHION_MNIST_CLASSES } from '../../src/data/idx-format.js';
import { loadSamples, loadShippedCheckpoint, runInference, weightsFromFile, type BrowserGpu, type InferenceResult, type LoadedWeights } from './inference.js';
import { dataFitNote, imagesToRun, weightsFit, type SampleInfo } from './inference-fit.js';
import { plural } from './text.js';
import { el } from './views.js';

declare global {
  interface Window {
    /** What the page computed last, for tests and the curious. */
    hrnPlayground?: { source?: () => string; inference?: InferenceResult; gpu?: Omit<BrowserGpu, 'ctx'> & { subgroupSize: number } };
  }
}

const SAMPLE_TITLE = 'Fashion-MNIST';
/** The batch inference runs with (the page plans its kernels for it too). */
export const INFER_BATCH = 64;

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

function resultView(r: InferenceResult, samples: Dataset, clamped: string | undefined): HTMLElement {
  const names = samples.classNames ?? FASHION_MNIST_CLASSES;
  const name = (k: number) => names[k] ?? `output ${k}`;
  const correct = r.predictions.filter((p, i) => p === r.labels[i]).length;
  const ms = median(r.batchMs);
  const summary = el(
    'p',
    { id: 'infer-summary' },
    `accuracy ${(100 * r.accuracy).toFixed(2)}% (${correct}/${r.images}) · ${plural(r.batchMs.length, 'batch')} of ${r.batch}: ${ms.toFixed(1)} ms per batch (median; ${r.batchMs.map((t) => t.toFixed(0)).join(', ')} ms) · ${((1000 * r.batch) / ms).toFixed(0)} images/s · kernels compiled and weights uploaded in ${r.setupMs.toFixed(0)} ms · subgroups ${r.subgroupSize > 0 ? `of ${r.subgroupSize}` : 'off'}`,
  );
  const grid = el('div', { class: 'predictions' });
  r.predictions.slice(0, 48).forEach((p, i) => {
    const ok = p === r.labels[i];
    // A wrong one shows its true label beside the prediction, not only in a tooltip.
    const caption = ok ? el('figcaption', {}, name(p)) : el('figcaption', {}, el('span', { class: 'predicted' }, name(p)), el('span', { class: 'truth' }, `true: ${name(r.labels[i])}`));
    grid.append(el('figure', { class: ok ? 'right' : 'wrong', title: `predicted ${name(p)}, true label ${name(r.labels[i])}` }, thumbnail(samples, i), caption));
  });
  return el('div', {}, ...(clamped ? [el('p', { id: 'infer-clamped', class: 'warning' }, clamped)] : []), summary, grid);
}

export interface InferencePanel {
  /** Re-checks the loaded weights and the data note against the network the page compiled last. */
  networkChanged(): void;
}

/** Builds the panel in `root`; `network()` is the compiled network of the moment. */
export function inferencePanel(root: HTMLElement, network: () => { net: ArchIR; graph: LayerGraph } | undefined, gpu: () => BrowserGpu | undefined): InferencePanel {
  let weights: LoadedWeights | undefined;
  let samples: Dataset | undefined;
  let sampleError: string | undefined;
  const status = el('p', { id: 'infer-status', class: 'note' }, 'Load weights, then run.');
  const dataNote = el('p', { id: 'infer-data', class: 'note' }, `Loading the ${SAMPLE_TITLE} sample...`);
  const out = el('div', { id: 'infer-result' });
  const count = el('input', { id: 'infer-count', type: 'number', min: '1', value: String(INFER_BATCH) });
  const shipped = el('button', { id: 'load-shipped' }, 'Load the shipped checkpoint (HRN-2x5x3x, m=2)');
  const run = el('button', { id: 'run-infer' }, `Run on ${SAMPLE_TITLE} test images`);
  const drop = el('div', { id: 'drop', class: 'drop' }, 'or drop a .safetensors file here');
  const say = (text: string, cls = 'note') => {
    status.className = cls;
    status.textContent = text;
  };
  /** A run that does not start: the status says why. */
  const refuse = (text: string) => {
    say(text, 'error');
    root.dataset.state = 'error';
  };
  const sampleInfo = (s: Dataset): SampleInfo => ({ title: SAMPLE_TITLE, shape: s.shape, classes: s.classes, count: s.labels.length });

  /** The status for the loaded weights against the network in the editor: success only when they fit. */
  const showWeightsFit = () => {
    const n = network();
    if (!weights) return;
    if (!n) {
      say(`${weights.name}: loaded, not yet checked against the network (the source does not compile)`);
      delete root.dataset.weights;
      return;
    }
    const fit = weightsFit(n.graph, weights);
    say(fit.text, fit.ok ? 'note' : 'error');
    root.dataset.weights = fit.ok ? 'loaded' : 'mismatch';
  };
  const describeData = () => {
    const n = network();
    if (sampleError !== undefined) {
      dataNote.className = 'error';
      dataNote.textContent = sampleError;
    } else if (samples && n) {
      const note = dataFitNote(n.net, sampleInfo(samples));
      dataNote.className = note.ok ? 'note' : 'error';
      dataNote.textContent = note.text;
    }
  };
  const loaded = (w: LoadedWeights) => {
    weights = w;
    showWeightsFit();
  };

  // Loaded up front: the data note and the image limit need the sample before any run.
  loadSamples().then(
    (s) => {
      samples = s;
      count.max = String(s.labels.length);
      describeData();
    },
    (e: unknown) => {
      sampleError = `The page has no ${SAMPLE_TITLE} sample images (${e instanceof Error ? e.message : String(e)}); build it with the data set present (docs/playground.md).`;
      describeData();
    },
  );

  shipped.addEventListener('click', () => {
    loadShippedCheckpoint().then(loaded, (e: unknown) => say(String(e), 'error'));
  });
  drop.addEventListener('dragover', (e) => e.preventDefault());
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    file
      .arrayBuffer()
      .then((b) => loaded(weightsFromFile(file.name, new Uint8Array(b))))
      .catch((err: unknown) => say(err instanceof Error ? err.message : String(err), 'error'));
  });
  run.addEventListener('click', () => {
    const n = network();
    const g = gpu();
    if (!weights) return refuse('Load weights first.');
    if (!n) return refuse('The source does not compile.');
    if (!g) return refuse('This browser has no WebGPU adapter.');
    const fit = weightsFit(n.graph, weights);
    if (!fit.ok) return refuse(fit.text);
    if (sampleError !== undefined) return refuse(sampleError);
    if (!samples) return refuse(`The ${SAMPLE_TITLE} sample is still loading; run again in a moment.`);
    const data = dataFitNote(n.net, sampleInfo(samples));
    if (!data.ok) return refuse(data.text);
    const howMany = imagesToRun(count.value, sampleInfo(samples));
    if ('error' in howMany) return refuse(howMany.error);
    if (howMany.clamped) count.value = String(howMany.images);
    const w = weights;
    const s = samples;
    say(`compiling ${n.net.name}'s kernels for ${g.adapter} and running...`);
    root.dataset.state = 'running';
    runInference(g, n.net, n.graph, w, s, howMany.images, INFER_BATCH).then(
      (r) => {
        const { ctx, ...info } = g;
        window.hrnPlayground = { ...window.hrnPlayground, inference: r, gpu: { ...info, subgroupSize: ctx.subgroupSize } };
        out.replaceChildren(resultView(r, s, howMany.clamped));
        say(`${n.net.name} with ${w.name} on ${g.adapter}`);
        root.dataset.state = 'done';
      },
      (e: unknown) => {
        say(e instanceof Error ? e.message : String(e), 'error');
        root.dataset.state = 'error';
      },
    );
  });
  root.append(el('div', { class: 'row' }, shipped, drop), dataNote, el('div', { class: 'row' }, el('label', {}, 'images ', count), run), status, out);
  return {
    networkChanged() {
      describeData();
      showWeightsFit();
    },
  };
}
