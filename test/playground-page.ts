// The playground (web/) in Debian's headless Chromium for playground.test.ts: builds the static
// site, serves it from localhost, and drives the page.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';

export const CHROMIUM = '/usr/bin/chromium';
/** WebGPU is behind this flag in Chromium on Linux; headless mode then runs it on SwiftShader. */
export const CHROMIUM_ARGS = ['--enable-unsafe-webgpu'];
const CONFIG = 'web/vite.config.ts';

export interface Playground {
  page: Page;
  /** Uncaught errors of the page, for the tests to check. */
  errors: string[];
  close(): Promise<void>;
}

/** `npm run build:web` in-process, `vite preview`, Chromium on the page until it has compiled. */
export async function openPlayground(): Promise<Playground> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run 'bash scripts/install-system.sh' as root (it installs Debian's chromium)`);
  execFileSync(process.execPath, ['web/sample-data.mjs'], { stdio: 'pipe' });
  await build({ configFile: CONFIG, logLevel: 'warn' });
  const server: PreviewServer = await preview({ configFile: CONFIG, logLevel: 'warn', preview: { port: 0 } });
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error('vite preview gave no local URL');
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.gpu !== undefined && document.body.dataset.compile === 'ok', null, { timeout: 120_000 });
    const b = browser;
    return {
      page,
      errors,
      async close() {
        await b.close();
        await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
      },
    };
  } catch (e) {
    await browser?.close();
    server.httpServer.close();
    throw e;
  }
}

/** Replaces the editor's text by typing `lines` (each line's own indentation is left to the editor). */
export async function typeSource(page: Page, lines: string[]): Promise<void> {
  await page.click('.cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  for (const [i, line] of lines.entries()) {
    if (i > 0) await page.keyboard.press('Enter');
    // Drop what auto-indentation put at the start of the line, then type the line.
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('Delete');
    await page.keyboard.type(line);
  }
}

/** The editor's text, as the page compiles it. */
export const editorText = (page: Page): Promise<string> => page.evaluate(() => window.hrnPlayground!.source!());

/**
 * Waits until the page has compiled its inputs into `network` (or, with undefined, failed to
 * compile them); lint runs after a pause in typing, so wait out one more pause too.
 */
export async function compiled(page: Page, network: string | undefined): Promise<void> {
  await page.waitForFunction(
    (name) => (name === null ? document.body.dataset.compile === 'error' : document.body.dataset.compile === 'ok' && document.querySelector('table.stats')?.getAttribute('data-network') === name),
    network ?? null,
    { timeout: 60_000 },
  );
  await page.waitForTimeout(800);
}

export interface StatsRow {
  stage: string;
  cells: Array<number | undefined>;
}

/** The per-stage table: every row's exact values (ReLUs, share, FLOPs, params). */
export function statsTable(page: Page): Promise<StatsRow[]> {
  return page.$$eval('table.stats tbody tr', (rows) =>
    rows.map((r) => ({
      stage: r.getAttribute('data-stage') ?? '',
      cells: [...r.querySelectorAll('td.num')].map((td) => (td.hasAttribute('data-value') ? Number(td.getAttribute('data-value')) : undefined)),
    })),
  );
}

/**
 * What is wrong with the ReLU chart's layout: the chart outside its column or the window, the page
 * scrolling sideways, a label or bar outside the chart, two labels overlapping. Empty when it fits.
 */
export function chartProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const svg = document.querySelector('svg.chart');
    if (!svg) return ['no chart'];
    const box = svg.getBoundingClientRect();
    const column = document.querySelector('section.right')!.getBoundingClientRect();
    const windowWidth = document.documentElement.clientWidth;
    const span = (r: DOMRect) => `x ${r.left.toFixed(1)}..${r.right.toFixed(1)}, y ${r.top.toFixed(1)}..${r.bottom.toFixed(1)}`;
    const inside = (r: DOMRect, outer: DOMRect) => r.left >= outer.left - 0.5 && r.right <= outer.right + 0.5 && r.top >= outer.top - 0.5 && r.bottom <= outer.bottom + 0.5;
    if (box.left < column.left - 0.5 || box.right > column.right + 0.5) problems.push(`the chart (${span(box)}) leaves its column (${span(column)})`);
    if (box.right > windowWidth + 0.5) problems.push(`the chart (${span(box)}) ends past the window's width ${windowWidth}`);
    if (document.documentElement.scrollWidth > windowWidth) problems.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${windowWidth} px window`);
    const items = [...svg.querySelectorAll('text, rect')].map((e) => ({ what: e.tagName === 'text' ? `'${e.textContent}'` : `the bar of ${e.getAttribute('data-stage')}`, text: e.tagName === 'text', r: e.getBoundingClientRect() }));
    for (const it of items) if (!inside(it.r, box)) problems.push(`${it.what} (${span(it.r)}) is cut off by the chart (${span(box)})`);
    const labels = items.filter((it) => it.text);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const [a, b] = [labels[i].r, labels[j].r];
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) problems.push(`${labels[i].what} overlaps ${labels[j].what}`);
      }
    }
    return problems;
  });
}
