// The playground page in Debian's headless Chromium, WebGPU on its SwiftShader adapter: a network
// typed into the editor gets the per-stage table `hrn stats --json` prints; an error typed into it
// gets the diagnostic the CLI prints, underlined in the editor; the shipped checkpoint classifies
// Fashion-MNIST test images in the browser exactly as the Node reference executor does. The page
// also has to say what it does: how the sample meets a CIFAR-shaped network, weights that do not fit
// the network, a count above the sample it ships, wrong predictions with their true labels; and its
// ReLU chart has to fit any network. The run takes a screenshot into its temporary directory;
// `npm run screenshot:playground` sets HRN_PLAYGROUND_SCREENSHOT=docs/playground.png to refresh the
// one the README shows, on purpose.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePlan } from '../src/codegen/plan.js';
import { kernelFileText } from '../src/codegen/plan-text.js';
import { openData } from '../src/data/pipeline.js';
import type { Normalization } from '../src/data/dataset.js';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import { runReference } from '../src/reference/run.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { readSafetensors } from '../src/weights/safetensors.js';
import type { Weights } from '../src/weights/weights.js';
import { FASHION_MNIST_CLASSES } from '../src/data/idx-format.js';
import { chartProblems, compiled, editorText, openPlayground, statsTable, typeSource, type Playground } from './playground-page.js';
import { hrn } from './run-cli.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const CHECKPOINT = 'checkpoints/hrn-2x5x3x-m2';
const IMAGES = 64;
/** The sample the build copied next to the page (web/sample-data.mjs), read here from its IDX headers. */
const SAMPLE_DIR = 'web/public/data';

function sampleFiles(): { count: number; shape: { c: number; h: number; w: number }; labels: number[] } {
  const images = readFileSync(join(SAMPLE_DIR, 't10k-images-idx3-ubyte'));
  const labels = readFileSync(join(SAMPLE_DIR, 't10k-labels-idx1-ubyte'));
  const count = labels.readUInt32BE(4);
  expect(images.readUInt32BE(4)).toBe(count);
  return { count, shape: { c: 1, h: images.readUInt32BE(8), w: images.readUInt32BE(12) }, labels: Array.from(labels.subarray(8, 8 + count)) };
}

const className = (k: number) => FASHION_MNIST_CLASSES[k] ?? `output ${k}`;
const panelState = (page: Playground['page'], key: 'weights' | 'state') => page.evaluate((k) => document.getElementById('panel-infer')!.dataset[k], key);

const TYPED = [
  '# typed into the playground by its test',
  'network Typed-Net {',
  'param m = 8',
  'input 3 x 32 x 32',
  'classes 10',
  'stem conv3x3(m)',
  'block basic',
  'stages depths [1, 2, 2, 1] widths [2, 3, 2]',
  'head avgpool fc',
  'criticality S2 > S3 > S1 > S4',
  '}',
];

const EIGHT_STAGES = [
  'network Eight-Stages {',
  'input 3 x 256 x 256',
  'classes 10',
  'stem conv3x3(8)',
  'block basic',
  'stages depths [1, 1, 1, 1, 1, 1, 1, 1] widths [2, 2, 2, 2, 2, 2, 2]',
  'head avgpool fc',
  '}',
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

let pg: Playground;
/** The shipped checkpoint's run on IMAGES images, which later cases look at. */
let shipped: Awaited<ReturnType<typeof runInPage>> | undefined;
const dir = mkdtempSync(join(tmpdir(), 'hrn-playground-'));
/** Where the screenshot goes: the temporary directory, unless a refresh of the tracked one is asked for. */
const SCREENSHOT = process.env.HRN_PLAYGROUND_SCREENSHOT || join(dir, 'playground.png');

beforeAll(async () => {
  pg = await openPlayground();
}, 600_000);
afterAll(async () => {
  await pg?.close();
});

/** `hrn stats --json` of `text` (written to playground.hrn) with these --set overrides and pipeline. */
async function cliStats(text: string, set: string[], pipeline?: string) {
  const file = join(dir, 'playground.hrn');
  writeFileSync(file, text);
  const r = await hrn('stats', file, ...set.flatMap((s) => ['--set', s]), ...(pipeline ? ['--pipeline', pipeline] : []), '--json');
  expect(r.err).toBe('');
  return (JSON.parse(r.out) as { networks: Array<{ network: string; relus: { total: number; stages: Record<string, number>; share: Record<string, number> }; flops: { total: number; stages: Record<string, number> }; params: { total: number; stages: Record<string, number> } }> }).networks;
}

async function expectTableMatchesCli(set: string[], pipeline?: string): Promise<void> {
  const { page } = pg;
  const text = await editorText(page);
  const [want] = await cliStats(text, set, pipeline);
  const rows = await statsTable(page);
  expect(await page.getAttribute('table.stats', 'data-network')).toBe(want.network);
  const stages = Object.keys(want.relus.stages);
  expect(rows.map((r) => r.stage)).toEqual([...stages, 'head', 'total']);
  for (const st of stages) {
    expect(rows.find((r) => r.stage === st)!.cells, st).toEqual([want.relus.stages[st], want.relus.share[st], want.flops.stages[st], want.params.stages[st]]);
  }
  expect(rows.find((r) => r.stage === 'head')!.cells).toEqual([undefined, undefined, want.flops.stages.head, want.params.stages.head]);
  expect(rows.find((r) => r.stage === 'total')!.cells).toEqual([want.relus.total, undefined, want.flops.total, want.params.total]);
}

describe('the playground in headless Chromium: editing', () => {
  it('opens WebGPU on the browser adapter and compiles the default network without page errors', async () => {
    const gpu = await pg.page.textContent('#gpu');
    console.log(`playground: ${gpu}`);
    expect(gpu).toMatch(/^WebGPU adapter: /);
    expect(pg.errors).toEqual([]);
  });

  it('a network typed into the editor gets the per-stage table of hrn stats --json', async () => {
    const { page } = pg;
    await page.fill('#set', 'm=6');
    await typeSource(page, TYPED);
    await compiled(page, 'Typed-Net');
    await expectTableMatchesCli(['m=6']);
    // Every bar of the chart is a stage's ReLUs.
    const bars = await page.$$eval('svg.chart rect.bar', (rs) => rs.map((r) => [r.getAttribute('data-stage'), Number(r.getAttribute('data-value'))]));
    const rows = await statsTable(page);
    expect(bars).toEqual(rows.filter((r) => /^S\d+$/.test(r.stage)).map((r) => [r.stage, r.cells[0]]));
  });

  it('an error typed into the editor is underlined with the diagnostic the CLI prints', async () => {
    const { page } = pg;
    // Go to the end of the `classes 10` line and type a stray 'x'.
    const line = TYPED.indexOf('classes 10');
    await page.keyboard.press('Control+Home');
    for (let i = 0; i < line; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await page.keyboard.type('x');
    await compiled(page, undefined);
    await page.waitForSelector('.cm-lintRange-error', { timeout: 30_000 });
    const text = await editorText(page);
    const file = join(dir, 'playground.hrn');
    writeFileSync(file, text);
    const cli = await hrn('stats', file, '--set', 'm=6');
    expect(cli.code).toBe(1);
    const where = /:(\d+):(\d+): error: (.*)/;
    const [, line1, col1, msg1] = where.exec(cli.err)!;
    const [, line2, col2, msg2] = where.exec((await page.textContent('#status')) ?? '')!;
    expect([line2, col2, msg2]).toEqual([line1, col1, msg1]);
    expect(await page.textContent('.cm-lintRange-error')).toBe('x');
    // Deleting it compiles again.
    await page.keyboard.press('Backspace');
    await compiled(page, 'Typed-Net');
  });

  it('the pipeline box runs the passes: table as hrn stats --pipeline, one view per pass', async () => {
    const { page } = pg;
    const pipeline = 'cull S4; thin S2 S3';
    await page.fill('#pipeline', pipeline);
    try {
      await compiled(page, 'Typed-Net');
      await page.waitForFunction(() => document.querySelectorAll('.pass-list button').length > 3);
      await expectTableMatchesCli(['m=6'], pipeline);
      const passes = await page.$$eval('.pass-list button', (bs) => bs.map((b) => b.textContent ?? ''));
      expect(passes.slice(0, 3)).toEqual(['input', 'cull S4', 'thin S2 S3']);
      expect(passes.filter((p) => p.startsWith('graph: '))).not.toEqual([]);
      // The diff of the thinning pass against the IR before it.
      await page.click('.pass-list button[data-pass="2"]');
      expect(await page.textContent('#pass-text')).toMatch(/^\+\+\+ after thin S2 S3/m);
    } finally {
      await page.fill('#pipeline', '');
    }
  });

  it('shows the equalized family of hrn equalize and the WGSL hrn compiles for the adapter, each kernel named by its layers', async () => {
    const { page } = pg;
    await compiled(page, 'Typed-Net');
    const text = await editorText(page);
    const file = join(dir, 'playground.hrn');
    writeFileSync(file, text);
    const eq = await hrn('equalize', file, '--set', 'm=6', '--json');
    const family = (JSON.parse(eq.out) as { networks: Array<{ family: Array<{ network: string; relus: { total: number } }> }> }).networks[0].family;
    await page.click('button[data-panel="family"]');
    const rows = await page.$$eval('table.family tbody tr', (trs) => trs.map((tr) => [tr.querySelector('td')!.textContent, Number(tr.querySelector('td.num')!.getAttribute('data-value'))]));
    expect(rows).toEqual(family.map((m) => [m.network, m.relus.total]));

    // The kernels of the page's plan: hrn's code generator for the browser's subgroup size.
    const subgroupSize = await page.evaluate(() => Number(/subgroups of (\d+)/.exec(document.getElementById('gpu')!.textContent ?? '')?.[1] ?? 0));
    const [net] = loadNetworksFromText(file, text, new Map(), { set: ['m=6'] }).networks;
    const plan = compilePlan(lowerNetwork(net), { batch: 64, subgroupSize });
    await page.click('button[data-panel="kernels"]');
    const kernels = await page.$$eval('details.kernel', (ds) => ds.map((d) => [d.querySelector('summary')!.textContent, d.querySelector('pre')!.textContent]));
    expect(kernels).toEqual(plan.kernels.map((k) => [`${plan.dispatches.filter((d) => d.kernel === k.id).flatMap((d) => d.nodes).join(', ')} (${k.name})`, kernelFileText(plan, k)]));
  });

  it('the ReLU chart fits its column, with no label cut off or overlapping, for ResNet18 and for wider networks', async () => {
    const { page } = pg;
    await page.selectOption('#examples', 'resnet18.hrn');
    await compiled(page, 'ResNet18');
    expect(await chartProblems(page)).toEqual([]);
    // Larger counts: longer labels (millions at 64x64 inputs).
    const total = () => page.$eval('table.stats tr[data-stage="total"] td.num', (td) => Number(td.getAttribute('data-value')));
    const before = await total();
    await page.fill('#set', 'res=64');
    await page.waitForFunction((n) => Number(document.querySelector('table.stats tr[data-stage="total"] td.num')?.getAttribute('data-value')) > n, before, { timeout: 60_000 });
    await compiled(page, 'ResNet18');
    expect(await total()).toBeGreaterThan(1_000_000);
    expect(await chartProblems(page)).toEqual([]);
    // More stages: more labels side by side.
    await page.fill('#set', '');
    await typeSource(page, EIGHT_STAGES);
    await compiled(page, 'Eight-Stages');
    expect(await page.$$eval('svg.chart rect.bar', (rs) => rs.length)).toBe(8);
    expect(await chartProblems(page)).toEqual([]);
  });
});

describe('the playground in headless Chromium: inference on WebGPU', () => {
  it('says how the Fashion-MNIST sample meets the default network, which is shaped for CIFAR-100', async () => {
    const { page } = pg;
    await page.selectOption('#examples', 'hrn-2x5x3x.hrn');
    await compiled(page, 'HRN-2x5x3x');
    await page.click('button[data-panel="infer"]');
    const sample = sampleFiles();
    const [net] = loadNetworksFromText('examples/hrn-2x5x3x.hrn', readFileSync('examples/hrn-2x5x3x.hrn', 'utf8'), new Map(), { set: ['m=2'] }).networks;
    const { c, h, w } = net.input;
    // The case in question: more channels, larger images and more classes than the data set has.
    expect([c > sample.shape.c, h > sample.shape.h, net.classes > FASHION_MNIST_CLASSES.length]).toEqual([true, true, true]);
    const panel = await page.locator('#panel-infer').innerText();
    expect(panel).toContain(`HRN-2x5x3x takes ${c}x${h}x${w} images and has ${net.classes} classes; the sample is Fashion-MNIST: 1x${sample.shape.h}x${sample.shape.w} grey images in 10 classes.`);
    expect(panel).toContain(`each ${sample.shape.h}x${sample.shape.w} image is padded with black to ${h}x${w} (centred); its grey channel is copied into all ${c} channels`);
    expect(panel).toContain(`outputs 10-${net.classes - 1} stand for no Fashion-MNIST class`);
    expect(await page.isVisible('#infer-data')).toBe(true);

    // A network declared for Fashion-MNIST's one channel and ten classes only gets the padding.
    await page.selectOption('#examples', 'fashion-hrn.hrn');
    await compiled(page, 'HRN');
    const note = (await page.textContent('#infer-data')) ?? '';
    expect(note).toContain(`padded with black to 32x32`);
    expect(note).not.toMatch(/channel is copied|outputs 10/);
  });

  it('loading the shipped checkpoint for a network it does not fit says so, and claims success only once they fit', async () => {
    const { page } = pg;
    await page.selectOption('#examples', 'resnet18.hrn');
    await compiled(page, 'ResNet18');
    await page.click('button[data-panel="infer"]');
    await page.click('#load-shipped');
    await page.waitForFunction(() => document.getElementById('panel-infer')!.dataset.weights !== undefined);
    const status = async () => (await page.textContent('#infer-status')) ?? '';
    expect(await status()).toMatch(/^checkpoints\/hrn-2x5x3x-m2 do not fit network ResNet18: \S+ has shape \[[\d, ]+\], the network needs \[[\d, ]+\]/);
    expect(await status()).toContain('They were trained as examples/hrn-2x5x3x.hrn --set m=2: choose that example and --set to run them.');
    expect(await page.getAttribute('#infer-status', 'class')).toBe('error');
    expect(await panelState(page, 'weights')).toBe('mismatch');
    // Run refuses, with the same reason.
    await page.evaluate(() => {
      delete document.getElementById('panel-infer')!.dataset.state;
      delete window.hrnPlayground!.inference;
    });
    await page.click('#run-infer');
    await page.waitForFunction(() => document.getElementById('panel-infer')!.dataset.state !== undefined);
    expect(await panelState(page, 'state')).toBe('error');
    expect(await status()).toMatch(/^checkpoints\/hrn-2x5x3x-m2 do not fit network ResNet18: /);
    expect(await page.evaluate(() => window.hrnPlayground!.inference)).toBeUndefined();

    // The network they were trained as: now they fit.
    await page.selectOption('#examples', 'hrn-2x5x3x.hrn');
    await compiled(page, 'HRN-2x5x3x');
    expect(await page.inputValue('#set')).toBe('m=2');
    expect(await panelState(page, 'weights')).toBe('loaded');
    expect(await status()).toMatch(/^weights: checkpoints\/hrn-2x5x3x-m2 \(\d+ tensors\), trained as examples\/hrn-2x5x3x\.hrn --set m=2; they fit HRN-2x5x3x$/);
    // The same network at another width: they do not.
    await page.fill('#set', 'm=3');
    await page.waitForFunction(() => document.getElementById('panel-infer')!.dataset.weights === 'mismatch', null, { timeout: 30_000 });
    expect(await status()).toMatch(/^checkpoints\/hrn-2x5x3x-m2 do not fit network HRN-2x5x3x: /);
    await page.fill('#set', 'm=2');
    await page.waitForFunction(() => document.getElementById('panel-infer')!.dataset.weights === 'loaded', null, { timeout: 30_000 });
  });

  it(`runs the shipped checkpoint on ${IMAGES} Fashion-MNIST test images as the Node reference executor does`, { timeout: 600_000 }, async () => {
    const { page } = pg;
    await page.selectOption('#examples', 'hrn-2x5x3x.hrn');
    await compiled(page, 'HRN-2x5x3x');
    expect(await page.inputValue('#set')).toBe('m=2');
    await page.click('button[data-panel="infer"]');
    await page.click('#load-shipped');
    const got = await runInPage();
    expect(got.images).toBe(IMAGES);
    console.log(
      `playground inference: ${got.gpu?.adapter}, subgroups ${got.subgroupSize} (adapter ${got.gpu?.subgroupMinSize}..${got.gpu?.subgroupMaxSize}), ` +
        `${got.images} images in batches of ${got.batch}: setup ${got.setupMs.toFixed(0)} ms, per batch ${got.batchMs.map((t) => t.toFixed(1)).join(', ')} ms, accuracy ${(100 * got.accuracy).toFixed(2)}%`,
    );
    const ck = loadCheckpoint(CHECKPOINT, { weightsOnly: true });
    const logitDiff = expectReference(got, ck.weights, (ck.state.extra as { normalization: Normalization }).normalization);
    console.log(`playground inference: largest |browser logit - reference logit| = ${logitDiff.toExponential(2)}`);

    shipped = got;

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT });
    expect(pg.errors).toEqual([]);
  });

  it('counts that run in the singular: "1 batch"', async () => {
    expect(shipped, 'the run above').toBeDefined();
    const got = shipped!;
    expect(Math.ceil(IMAGES / got.batch)).toBe(1);
    expect(await pg.page.textContent('#infer-summary')).toContain(` · 1 batch of ${got.batch}: `);
  });

  it('shows the true label beside each wrong prediction, not only in a tooltip', async () => {
    expect(shipped, 'the run above').toBeDefined();
    const got = shipped!;
    const captions = await pg.page.$$eval('.predictions figure', (fs) => fs.map((f) => (f as HTMLElement).innerText.trim()));
    expect(captions.length).toBe(Math.min(48, IMAGES));
    expect(captions.filter((_, i) => got.predictions[i] !== got.labels[i]).length).toBeGreaterThan(0);
    expect(captions).toEqual(captions.map((_, i) => (got.predictions[i] === got.labels[i] ? className(got.predictions[i]) : `${className(got.predictions[i])}\ntrue: ${className(got.labels[i])}`)));
  });

  it('asked for more images than the page ships, runs all it ships and says why and what the limit is', { timeout: 600_000 }, async () => {
    const { page } = pg;
    const sample = sampleFiles();
    const asked = 1000;
    expect(asked).toBeGreaterThan(sample.count);
    const got = await runInPage(asked);
    expect(got.images).toBe(sample.count);
    expect(got.labels).toEqual(sample.labels);
    const n = (x: number) => x.toLocaleString('en-US');
    expect(await page.locator('#infer-result').innerText()).toContain(`Ran ${n(sample.count)} images, not the ${n(asked)} asked for: the page ships only the first ${n(sample.count)} Fashion-MNIST test images`);
    expect(await page.inputValue('#infer-count')).toBe(String(sample.count));
    const batches = Math.ceil(sample.count / got.batch);
    expect(batches).toBeGreaterThan(1);
    expect(await page.textContent('#infer-summary')).toContain(` · ${batches} batches of ${got.batch}: `);

    // A count that is no count runs nothing and says what it may be.
    await page.fill('#infer-count', '0');
    await page.evaluate(() => delete document.getElementById('panel-infer')!.dataset.state);
    await page.click('#run-infer');
    await page.waitForFunction(() => document.getElementById('panel-infer')!.dataset.state !== undefined);
    expect(await panelState(page, 'state')).toBe('error');
    expect(await page.textContent('#infer-status')).toBe(`images: '0' is not a whole number from 1 to ${n(sample.count)}`);
    expect(pg.errors).toEqual([]);
  });

  it('runs a dropped .safetensors file, standardized with Fashion-MNIST\'s documented statistics as hrn infer does', { timeout: 600_000 }, async () => {
    const { page } = pg;
    const bytes = readFileSync(join(CHECKPOINT, 'weights.safetensors'));
    await page.evaluate((data) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], 'dropped.safetensors'));
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, Array.from(bytes));
    await page.waitForFunction(() => document.getElementById('infer-status')!.textContent!.startsWith('weights: dropped.safetensors'));
    const got = await runInPage();
    expect(got.images).toBe(IMAGES);
    expectReference(got, readSafetensors(join(CHECKPOINT, 'weights.safetensors')).tensors, 'constants');
    expect(pg.errors).toEqual([]);
  });
});

/** Runs inference on `asked` images with the weights the page has loaded; returns what it left on window. */
async function runInPage(asked = IMAGES) {
  const { page } = pg;
  await page.waitForFunction(() => document.getElementById('panel-infer')!.dataset.weights === 'loaded');
  await page.fill('#infer-count', String(asked));
  await page.evaluate(() => {
    delete window.hrnPlayground!.inference;
    delete document.getElementById('panel-infer')!.dataset.state;
  });
  await page.click('#run-infer');
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('panel-infer')!.dataset.state ?? ''), null, { timeout: 540_000 });
  expect(await page.textContent('#infer-status')).not.toMatch(/error/i);
  const got = await page.evaluate(() => {
    const r = window.hrnPlayground!.inference!;
    return { ...r, inputs: Array.from(r.inputs), logits: Array.from(r.logits), gpu: window.hrnPlayground!.gpu };
  });
  return got;
}

/**
 * Checks the page's inputs, predictions and logits against the reference executor on the network,
 * weights and test images as `hrn infer` gets them; returns the largest logit difference.
 */
function expectReference(got: Awaited<ReturnType<typeof runInPage>>, weights: Weights, normalization: Normalization | 'constants'): number {
  const text = readFileSync('examples/hrn-2x5x3x.hrn', 'utf8');
  const [net] = loadNetworksFromText('examples/hrn-2x5x3x.hrn', text, new Map(), { set: ['m=2'] }).networks;
  const data = openData(`fashion-mnist:${FASHION}`, net.input, net.classes, { batchSize: IMAGES, testOnly: true, normalization, testSubset: { count: IMAGES, mode: 'first' } });
  const batch = data.test.epoch(0).next().value!;
  expect(got.labels).toEqual(Array.from(batch.labels));
  expect(maxAbsDiff(got.inputs, batch.images)).toBeLessThan(1e-6);
  const ref = runReference(lowerNetwork(net), weights, batch.images, IMAGES);
  const k = net.classes;
  const argmax = (xs: ArrayLike<number>, i: number) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (xs[i * k + c] > xs[i * k + best]) best = c;
    return best;
  };
  expect(got.predictions).toEqual(Array.from({ length: IMAGES }, (_, i) => argmax(ref, i)));
  const logitDiff = maxAbsDiff(got.logits, ref);
  expect(logitDiff).toBeLessThan(1e-3);
  expect(got.accuracy).toBe(got.predictions.filter((p, i) => p === got.labels[i]).length / IMAGES);
  return logitDiff;
}
