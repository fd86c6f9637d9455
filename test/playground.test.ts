// The playground page in Debian's headless Chromium, WebGPU on its SwiftShader adapter: a network
// typed into the editor gets the per-stage table `hrn stats --json` prints; an error typed into it
// gets the diagnostic the CLI prints, underlined in the editor; the shipped checkpoint classifies
// Fashion-MNIST test images in the browser exactly as the Node reference executor does. The run
// takes a screenshot into its temporary directory; `npm run screenshot:playground` sets
// HRN_PLAYGROUND_SCREENSHOT=docs/playground.png to refresh the one the README shows, on purpose.
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
import { compiled, editorText, openPlayground, statsTable, typeSource, type Playground } from './playground-page.js';
import { hrn } from './run-cli.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const CHECKPOINT = 'checkpoints/hrn-2x5x3x-m2';
const IMAGES = 64;

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

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

let pg: Playground;
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

});

describe('the playground in headless Chromium: inference on WebGPU', () => {
  it(`runs the shipped checkpoint on ${IMAGES} Fashion-MNIST test images as the Node reference executor does`, { timeout: 600_000 }, async () => {
    const { page } = pg;
    await page.selectOption('#examples', 'hrn-2x5x3x.hrn');
    await compiled(page, 'HRN-2x5x3x');
    expect(await page.inputValue('#set')).toBe('m=2');
    await page.click('button[data-panel="infer"]');
    await page.click('#load-shipped');
    const got = await runInPage();
    console.log(
      `playground inference: ${got.gpu?.adapter}, subgroups ${got.subgroupSize} (adapter ${got.gpu?.subgroupMinSize}..${got.gpu?.subgroupMaxSize}), ` +
        `${got.images} images in batches of ${got.batch}: setup ${got.setupMs.toFixed(0)} ms, per batch ${got.batchMs.map((t) => t.toFixed(1)).join(', ')} ms, accuracy ${(100 * got.accuracy).toFixed(2)}%`,
    );
    const ck = loadCheckpoint(CHECKPOINT, { weightsOnly: true });
    const logitDiff = expectReference(got, ck.weights, (ck.state.extra as { normalization: Normalization }).normalization);
    console.log(`playground inference: largest |browser logit - reference logit| = ${logitDiff.toExponential(2)}`);

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT });
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
    expectReference(got, readSafetensors(join(CHECKPOINT, 'weights.safetensors')).tensors, 'constants');
    expect(pg.errors).toEqual([]);
  });
});

/** Runs inference on IMAGES images with the weights the page has loaded; returns what it left on window. */
async function runInPage() {
  const { page } = pg;
  await page.waitForFunction(() => document.getElementById('panel-infer')!.dataset.weights === 'loaded');
  await page.fill('#infer-count', String(IMAGES));
  await page.evaluate(() => delete window.hrnPlayground!.inference);
  await page.click('#run-infer');
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('panel-infer')!.dataset.state ?? ''), null, { timeout: 540_000 });
  expect(await page.textContent('#infer-status')).not.toMatch(/error/i);
  const got = await page.evaluate(() => {
    const r = window.hrnPlayground!.inference!;
    return { ...r, inputs: Array.from(r.inputs), logits: Array.from(r.logits), gpu: window.hrnPlayground!.gpu };
  });
  expect(got.images).toBe(IMAGES);
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
