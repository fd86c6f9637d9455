// `hrn report RUNS_DIR`: the runs of a sweep as tables (text, CSV, JSON, Markdown) and SVG plots
// (ReLUs and FLOPs vs accuracy with the Pareto front and the spread over seeds, training curves,
// ReLUs per stage), failed runs with their reason; or, for the directory of one training (`hrn
// train --out`, or a sweep's run), its loss and accuracy curves.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeReport, writeRunReport, REPORT_FILES, RUN_REPORT_FILES } from '../../report/write.js';
import { toText } from '../../report/table.js';
import { heLatencies } from '../../report/pi-latency.js';
import { RunStore } from '../../sweep/store.js';
import { readJsonl } from '../../train/log.js';
import { RUN_LOG } from '../../train/run-dir.js';
import type { MetricsRecord } from '../../train/checkpoint.js';
import { flag, stringOption } from '../args.js';
import type { Command, Context } from '../command.js';
import { EXIT_OK, EXIT_USER, UserError } from '../../errors.js';
import { displayPath } from '../format.js';
import { COMMAND_SUMMARIES } from '../summaries.js';

export const report: Command = {
  spec: {
    name: 'report',
    summary: COMMAND_SUMMARIES.report,
    usage: 'hrn report RUNS_DIR|RUN_DIR [--out DIR] [--json]',
    details: [
      `For a sweep's runs directory: writes ${REPORT_FILES.join(', ')} into --out (default RUNS_DIR/report).`,
      'Runs that differ only in their seed are one configuration, shown with the mean, sample standard',
      'deviation and min-max of its accuracy; with --val-split the configurations are compared on',
      'validation accuracy and the test accuracy is given only for those on the Pareto front. Failed',
      'runs are listed with their reason; runs stopped early (hrn sweep --early-stop) are listed with',
      'the epoch and the reason, apart from the comparison. Runs are read at any depth below RUNS_DIR.',
      `For one training's directory (hrn train --out, or a sweep's run): writes ${RUN_REPORT_FILES.join(', ')} and prints its epochs.`,
    ].join('\n'),
    options: {
      out: { type: 'string', value: 'DIR', help: 'where the report goes (default DIR/report)' },
      json: { type: 'boolean', help: 'print the table as JSON instead of text' },
    },
    positionals: { min: 1, max: 1 },
  },
  async run(p, ctx) {
    const { io } = ctx;
    const dir = resolve(p.positionals[0]);
    if (!existsSync(dir)) throw new UserError(`${p.positionals[0]}: no such directory`);
    const out = resolve(stringOption(p, 'out') ?? join(dir, 'report'));
    const store = new RunStore(dir);
    const { results, problems } = store.results();
    const failures = store.failures();
    if (results.length === 0 && failures.length === 0 && problems.length === 0 && existsSync(join(dir, RUN_LOG))) return reportRun(dir, out, p.positionals[0], flag(p, 'json'), ctx);
    // A damaged result.json costs its own run only: the others are reported, each damaged file is
    // named with what is wrong, and the exit status says the report is incomplete.
    for (const e of problems) io.err(`hrn report: error: ${displayPath(e.file)}: ${e.problem}; the run is left out of the report`);
    if (results.length === 0) {
      if (problems.length > 0) throw new UserError(`${p.positionals[0]}: none of the ${problems.length} result files can be read (see above); nothing to report`);
      if (failures.length > 0) {
        for (const f of failures) io.err(`hrn report: ${f.label} failed: ${f.error}`);
        throw new UserError(`${p.positionals[0]}: no finished runs; ${failures.length} failed (see above)`);
      }
      throw new UserError(`${p.positionals[0]}: no finished runs (no */result.json) and no training log (${RUN_LOG}); run hrn sweep or hrn train first`);
    }
    const r = await writeReport(results, failures, (id) => store.config(id), out, heLatencies((id) => store.runDir(id), results));
    io.out(flag(p, 'json') ? JSON.stringify(r.rows, null, 2) : toText(r));
    const left = problems.length > 0 ? ` ${problems.length} left out (unreadable result.json, see above);` : '';
    const failed = failures.length > 0 ? ` ${failures.length} failed (listed above);` : '';
    const stoppedCount = results.filter((x) => x.stopped !== undefined).length;
    const stopped = stoppedCount > 0 ? ` ${stoppedCount} stopped early (listed above);` : '';
    const configs = r.configurations.length;
    if (!flag(p, 'json')) io.out(`\n${results.length} runs;${stopped}${left}${failed} ${configs} configuration${configs === 1 ? '' : 's'}, ${r.configurations.filter((c) => c.pareto).length} on the Pareto front (*). Report: ${out}`);
    return problems.length > 0 ? EXIT_USER : EXIT_OK;
  },
};

/** One training's directory: its epochs from train.jsonl, printed and drawn. */
async function reportRun(dir: string, out: string, given: string, json: boolean, { io }: Context): Promise<number> {
  let records;
  try {
    records = readJsonl(join(dir, RUN_LOG));
  } catch (e) {
    throw new UserError(`${given}: ${(e as Error).message}`);
  }
  // A resumed run logs an epoch again if it was cut off after the record: the last one counts.
  const byEpoch = new Map<number, MetricsRecord>();
  for (const r of records) if (r.event === 'epoch' && typeof r.epoch === 'number') byEpoch.set(r.epoch, r as MetricsRecord);
  const epochs = [...byEpoch.values()].sort((a, b) => (a.epoch as number) - (b.epoch as number));
  if (epochs.length === 0) throw new UserError(`${given}: the training in ${RUN_LOG} has not finished an epoch yet; nothing to draw`);
  const start = records.find((r) => r.event === 'start');
  const name = typeof start?.network === 'string' ? start.network : given;
  await writeRunReport(epochs, `${name}: training curves`, out);
  if (json) io.out(JSON.stringify(epochs, null, 2));
  else {
    io.out(epochTable(epochs));
    io.out(`\n${epochs.length} epoch${epochs.length === 1 ? '' : 's'} of ${name}. Curves: ${join(out, 'curves.svg')}`);
  }
  return EXIT_OK;
}

function epochTable(epochs: MetricsRecord[]): string {
  const pct = (x: unknown) => (typeof x === 'number' ? `${(100 * x).toFixed(2)}%` : '-');
  const head = ['epoch', 'loss', 'train acc', 'val acc', 'test acc'];
  const body = epochs.map((e) => [String(e.epoch), typeof e.loss === 'number' ? e.loss.toFixed(4) : '-', pct(e.trainAccuracy), pct(e.valAccuracy), pct(e.testAccuracy)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((cells) => cells.map((c, i) => c.padStart(w[i])).join('  ')).join('\n');
}
