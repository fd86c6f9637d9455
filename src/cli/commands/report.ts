// `hrn report RUNS_DIR`: the finished runs of a sweep as a table (text, CSV, JSON, Markdown) and
// SVG plots (ReLUs and FLOPs vs accuracy with the Pareto front, training curves, ReLUs per stage).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeReport, REPORT_FILES } from '../../report/write.js';
import { toText } from '../../report/table.js';
import { RunStore } from '../../sweep/store.js';
import { flag, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { EXIT_OK, UserError } from '../errors.js';
import { COMMAND_SUMMARIES } from '../summaries.js';

export const report: Command = {
  spec: {
    name: 'report',
    summary: COMMAND_SUMMARIES.report,
    usage: 'hrn report RUNS_DIR [--out DIR] [--json]',
    details: `Writes ${REPORT_FILES.join(', ')} into --out (default RUNS_DIR/report).`,
    options: {
      out: { type: 'string', value: 'DIR', help: 'where the report goes (default RUNS_DIR/report)' },
      json: { type: 'boolean', help: 'print the table as JSON instead of text' },
    },
    positionals: { min: 1, max: 1 },
  },
  async run(p, { io }) {
    const dir = resolve(p.positionals[0]);
    if (!existsSync(dir)) throw new UserError(`${p.positionals[0]}: no such directory`);
    const results = new RunStore(dir).results();
    if (results.length === 0) throw new UserError(`${p.positionals[0]}: no finished runs (no */result.json); run hrn sweep first`);
    const out = resolve(stringOption(p, 'out') ?? join(dir, 'report'));
    const rows = await writeReport(results, out);
    io.out(flag(p, 'json') ? JSON.stringify(rows, null, 2) : toText(rows));
    if (!flag(p, 'json')) io.out(`\n${rows.length} runs; ${rows.filter((r) => r.pareto).length} on the Pareto front (*). Report: ${out}`);
    return EXIT_OK;
  },
};
