// The report's pictures, as Vega-Lite specifications rendered to SVG by Vega's headless view (no
// browser, no canvas: the SVG renderer only needs text metrics, which Vega estimates).

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../sweep/store.js';
import type { ReportRow } from './table.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 560, height: 360 } as const;

/** Test accuracy against ReLUs (log scale): every run labelled, the Pareto front drawn through. */
export function reluAccuracySpec(rows: ReportRow[], title = 'ReLUs vs test accuracy'): TopLevelSpec {
  const values = rows.filter((r) => r.testAccuracy !== null).map((r) => ({ run: r.run, relus: r.relus, accuracy: r.testAccuracy, pareto: r.pareto ? 'Pareto front' : 'dominated' }));
  const x = { field: 'relus', type: 'quantitative', scale: { type: 'log' }, title: 'ReLUs' } as const;
  const y = { field: 'accuracy', type: 'quantitative', axis: { format: '.0%' }, title: 'test accuracy', scale: { zero: false } } as const;
  return {
    ...base,
    title,
    data: { values },
    layer: [
      { transform: [{ filter: "datum.pareto === 'Pareto front'" }], mark: { type: 'line', color: '#d62728', strokeDash: [4, 3] }, encoding: { x, y, order: { field: 'relus' } } },
      { mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y, color: { field: 'pareto', type: 'nominal', title: null, scale: { domain: ['Pareto front', 'dominated'], range: ['#d62728', '#1f77b4'] } } } },
      { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 9 }, encoding: { x, y, text: { field: 'run' } } },
    ],
  } as TopLevelSpec;
}

export function flopsAccuracySpec(rows: ReportRow[]): TopLevelSpec {
  const values = rows.filter((r) => r.testAccuracy !== null).map((r) => ({ run: r.run, flops: r.flops, accuracy: r.testAccuracy, pipeline: r.pipeline }));
  const x = { field: 'flops', type: 'quantitative', scale: { type: 'log' }, title: 'FLOPs (multiply-accumulates)' } as const;
  const y = { field: 'accuracy', type: 'quantitative', axis: { format: '.0%' }, title: 'test accuracy', scale: { zero: false } } as const;
  return {
    ...base,
    title: 'FLOPs vs test accuracy',
    data: { values },
    layer: [
      { mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y, color: { field: 'pipeline', type: 'nominal' }, shape: { field: 'pipeline', type: 'nominal' } } },
      { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 9 }, encoding: { x, y, text: { field: 'run' } } },
    ],
  } as TopLevelSpec;
}

/** Per run and epoch: training loss and test accuracy, one line per run. */
export function curvesSpec(results: RunResult[]): TopLevelSpec {
  const values = results.flatMap((r) =>
    r.history.flatMap((h) => [
      { run: r.label, epoch: h.epoch, metric: 'training loss', value: h.loss },
      ...(typeof h.testAccuracy === 'number' ? [{ run: r.label, epoch: h.epoch, metric: 'test accuracy', value: h.testAccuracy }] : []),
    ]),
  );
  return {
    $schema: base.$schema,
    title: 'Training curves',
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 320,
      height: 260,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'run', type: 'nominal', legend: { labelLimit: 400 } },
      },
    },
    resolve: { scale: { y: 'independent' } },
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
