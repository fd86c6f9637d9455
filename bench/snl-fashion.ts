// SNL against DeepReShape's coarse pipeline on the same network, from finished `hrn train` runs:
// for each run directory, the ReLUs its trained weights keep (`hrn stats --weights`, exact for an
// SNL network) and its last test accuracy (metrics.csv), printed as a Markdown table and drawn as
// ReLUs against accuracy (SVG). The trainings themselves are ordinary `hrn train` commands (see
// docs/results.md); this only reads what they left.
//
//   npx tsx bench/snl-fashion.ts --svg docs/snl-fashion.svg LABEL=RUN_DIR ...

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { main } from '../src/cli/main.js';
import { renderSvg } from '../src/report/charts.js';

interface Row {
  label: string;
  method: string;
  relus: number;
  accuracy: number;
}

async function keptRelus(dir: string): Promise<number> {
  let out = '';
  let err = '';
  const code = await main(['stats', '--weights', dir, '--json'], { out: (t) => void (out += t), err: (t) => void (err += t) });
  if (code !== 0) throw new Error(`hrn stats --weights ${dir}: ${err.trim()}`);
  return (JSON.parse(out) as { networks: { relus: { total: number } }[] }).networks[0].relus.total;
}

function lastTestAccuracy(dir: string): number {
  const [header, ...rows] = readFileSync(`${dir}/metrics.csv`, 'utf8').trim().split('\n');
  const column = header.split(',').indexOf('testAccuracy');
  return Number(rows[rows.length - 1].split(',')[column]);
}

const methodOf = (label: string) => (label.startsWith('thin') ? 'thin S2 S3 S4, then SNL' : label.startsWith('snl') ? 'SNL' : 'DeepReShape (cull S1; thin S2 S3 S4)');

function chart(rows: Row[]): TopLevelSpec {
  const relus = rows.map((r) => r.relus);
  const domain: number[] = [Math.min(...relus) / 1.25, Math.max(...relus) * 1.25];
  const x = { field: 'relus', type: 'quantitative', scale: { type: 'log', domain, nice: false }, title: 'ReLUs kept' } as const;
  const y = { field: 'accuracy', type: 'quantitative', scale: { zero: false }, axis: { format: '.0%' }, title: 'test accuracy (1,000 images)' } as const;
  const color = { field: 'method', type: 'nominal', title: null, legend: { labelLimit: 320, orient: 'bottom', direction: 'vertical' } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 560,
    height: 340,
    title: 'Fashion-MNIST, fashion-hrn.hrn m=2: SNL vs DeepReShape',
    data: { values: rows },
    layer: [
      { mark: { type: 'point', filled: true, size: 80 }, encoding: { x, y, color, shape: color } },
      { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 9 }, encoding: { x, y, text: { field: 'label' } } },
    ],
  } as TopLevelSpec;
}

async function run(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { svg: { type: 'string' } }, allowPositionals: true });
  const rows: Row[] = [];
  for (const arg of positionals) {
    const at = arg.indexOf('=');
    if (at <= 0) throw new Error(`expected LABEL=RUN_DIR, got '${arg}'`);
    const [label, dir] = [arg.slice(0, at), arg.slice(at + 1)];
    rows.push({ label, method: methodOf(label), relus: await keptRelus(dir), accuracy: lastTestAccuracy(dir) });
  }
  rows.sort((a, b) => a.relus - b.relus);
  console.log('| run | method | ReLUs kept | test accuracy |\n|---|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.label} | ${r.method} | ${r.relus.toLocaleString('en-US')} | ${(100 * r.accuracy).toFixed(2)}% |`);
  if (values.svg) {
    const tmp = `${values.svg}.tmp`;
    writeFileSync(tmp, await renderSvg(chart(rows)));
    renameSync(tmp, values.svg);
    console.log(`wrote ${values.svg}`);
  }
}

run().catch((e: unknown) => {
  console.error(`snl-fashion: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
