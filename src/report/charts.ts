// The report's pictures, as Vega-Lite specifications rendered to SVG by Vega's headless view (no
// browser, no canvas: the SVG renderer only needs text metrics, which Vega estimates).

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../sweep/store.js';
import type { MetricsRecord } from '../train/checkpoint.js';
import type { Configuration, Selection } from './groups.js';
import { niceTicks } from './ticks.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 560, height: 360 } as const;

/** The y encoding of an axis over `values` (accuracies as percentages), with ticks whose labels are all distinct. */
function valueY(values: number[], title: string | null, field: string, percent: boolean) {
  const t = values.length > 0 ? niceTicks(Math.min(...values), Math.max(...values), percent) : niceTicks(0, 1, percent);
  return { field, type: 'quantitative', title, scale: { domain: t.domain, nice: false, zero: false }, axis: { values: t.values, format: t.format } } as const;
}

const accuracyY = (values: number[], title: string | null, field = 'accuracy') => valueY(values, title, field, true);

const accuracyName = (s: Selection) => (s === 'validation' ? 'validation accuracy' : 'test accuracy');

/**
 * Mean accuracy of each configuration against a cost (log scale), with error bars of one sample
 * standard deviation over its seeds and each seed's run as a small ring; `front` joins the Pareto
 * front, `colorBy` colours by pipeline.
 */
function accuracyVsCost(configs: Configuration[], selection: Selection, cost: 'relus' | 'flops', o: { title: string; front: boolean }): TopLevelSpec {
  const values = configs.map((c) => ({ config: c.label, cost: c[cost], accuracy: c.accuracy.mean, lo: c.accuracy.mean - (c.accuracy.sd ?? 0), hi: c.accuracy.mean + (c.accuracy.sd ?? 0), seeds: c.runs.length, pareto: c.pareto ? 'Pareto front' : 'dominated', pipeline: c.pipeline }));
  const runs = configs.flatMap((c) => c.runs.map((r) => ({ cost: c[cost], accuracy: selection === 'validation' ? r.valAccuracy : r.testAccuracy })).filter((r) => typeof r.accuracy === 'number'));
  const x = { field: 'cost', type: 'quantitative', scale: { type: 'log' }, title: cost === 'relus' ? 'ReLUs' : 'FLOPs (multiply-accumulates)' } as const;
  const y = accuracyY([...values.flatMap((v) => [v.lo, v.hi]), ...runs.map((r) => r.accuracy as number)], `${accuracyName(selection)} (mean ± sd over seeds)`);
  const color = o.front
    ? { field: 'pareto', type: 'nominal', title: null, scale: { domain: ['Pareto front', 'dominated'], range: ['#d62728', '#1f77b4'] } }
    : { field: 'pipeline', type: 'nominal' };
  return {
    ...base,
    title: o.title,
    data: { values },
    layer: [
      ...(o.front ? [{ transform: [{ filter: "datum.pareto === 'Pareto front'" }], mark: { type: 'line', color: '#d62728', strokeDash: [4, 3] }, encoding: { x, y, order: { field: 'cost' } } }] : []),
      { transform: [{ filter: 'datum.seeds > 1' }], mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } },
      { data: { values: runs }, mark: { type: 'point', size: 18, opacity: 0.5, color: '#555' }, encoding: { x, y } },
      { mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y, color, ...(o.front ? {} : { shape: { field: 'pipeline', type: 'nominal' } }) } },
      { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 9 }, encoding: { x, y, text: { field: 'config' } } },
    ],
  } as TopLevelSpec;
}

/** Compared accuracy against ReLUs: every configuration labelled, the Pareto front drawn through. */
export function reluAccuracySpec(configs: Configuration[], selection: Selection): TopLevelSpec {
  return accuracyVsCost(configs, selection, 'relus', { title: `ReLUs vs ${accuracyName(selection)}`, front: true });
}

export function flopsAccuracySpec(configs: Configuration[], selection: Selection): TopLevelSpec {
  return accuracyVsCost(configs, selection, 'flops', { title: `FLOPs vs ${accuracyName(selection)}`, front: false });
}

/** Per run and epoch: training loss and the compared accuracy, one line per run. */
export function curvesSpec(results: RunResult[], selection: Selection): TopLevelSpec {
  const key = selection === 'validation' ? 'valAccuracy' : 'testAccuracy';
  return curves(
    results.flatMap((r) =>
      r.history.flatMap((h) => [
        { run: r.label, epoch: h.epoch, metric: 'training loss', value: h.loss },
        ...(typeof h[key] === 'number' ? [{ run: r.label, epoch: h.epoch, metric: accuracyName(selection), value: h[key] }] : []),
      ]),
    ),
    'Training curves',
    'run',
  );
}

/** One training's epochs (train.jsonl): the loss, and the training, validation and test accuracy. */
export function runCurvesSpec(epochs: MetricsRecord[], title: string): TopLevelSpec {
  const accuracies: [keyof MetricsRecord & string, string][] = [
    ['trainAccuracy', 'training'],
    ['valAccuracy', 'validation'],
    ['testAccuracy', 'test'],
  ];
  const values = epochs.flatMap((h) => [
    { panel: 'loss', series: 'training loss', epoch: h.epoch, value: h.loss },
    ...(typeof h.testLoss === 'number' ? [{ panel: 'loss', series: 'test loss', epoch: h.epoch, value: h.testLoss }] : []),
    ...(typeof h.valLoss === 'number' ? [{ panel: 'loss', series: 'validation loss', epoch: h.epoch, value: h.valLoss }] : []),
    ...accuracies.filter(([k]) => typeof h[k] === 'number').map(([k, name]) => ({ panel: 'accuracy', series: `${name} accuracy`, epoch: h.epoch, value: h[k] })),
  ]);
  return curves(values, title, 'series');
}

/** Line charts of `values` ({ panel or metric, epoch, value, and the series field }) side by side, accuracy panels with readable ticks. */
function curves(values: Record<string, unknown>[], title: string, series: string): TopLevelSpec {
  const panel = values.some((v) => 'panel' in v) ? 'panel' : 'metric';
  const panels = [...new Set(values.map((v) => v[panel] as string))];
  return {
    $schema: base.$schema,
    title,
    hconcat: panels.map((p) => {
      const mine = values.filter((v) => v[panel] === p);
      const accuracy = p.includes('accuracy');
      return {
        width: 320,
        height: 260,
        title: p,
        data: { values: mine },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
          y: valueY(
            mine.map((v) => v.value as number),
            null,
            'value',
            accuracy,
          ),
          color: { field: series, type: 'nominal', legend: { labelLimit: 400 } },
        },
      };
    }),
    // The runs are the same in every panel (one legend); a training's series differ by panel.
    resolve: { scale: { color: series === 'run' ? 'shared' : 'independent' } },
  } as TopLevelSpec;
}

/** ReLUs per stage, one group of bars per network. */
export function reluStagesSpec(networks: { name: string; stages: Record<string, number> }[]): TopLevelSpec {
  const values = networks.flatMap((n) => Object.entries(n.stages).map(([stage, relus]) => ({ network: n.name, stage, relus })));
  return {
    $schema: base.$schema,
    title: 'ReLUs per stage',
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'network', type: 'nominal', title: null, sort: null },
      yOffset: { field: 'stage', type: 'nominal', sort: null },
      x: { field: 'relus', type: 'quantitative', title: 'ReLUs' },
      color: { field: 'stage', type: 'nominal', sort: null },
    },
    width: 480,
  } as TopLevelSpec;
}
