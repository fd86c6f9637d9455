// `hrn report RUNS_DIR`: the finished runs of a sweep as a table (text, CSV, JSON, Markdown) and
// SVG plots (ReLUs and FLOPs vs accuracy with the Pareto front, training curves, ReLUs per stage).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeReport, REPORT_FILES } from '../../report/write.js';
import { toText } from '../../report/table.js';
import { heLatencies } from '../../report/pi-latency.js';
import { RunStore } from '../../sweep/store.js';
import { flag, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { EXIT_OK, EXIT_USER, UserError } from '../../errors.js';
import { displayPath } from '../format.js';
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
    const { results, problems } = new RunStore(dir).results();
    // A damaged result.json costs its own run only: the others are reported, each damaged file is
    // named with what is wrong, and the exit status says the report is incomplete.
    for (const e of problems) io.err(`hrn report: error: ${displayPath(e.file)}: ${e.problem}; the run is left out of the report`);
    if (results.length === 0) {
      if (problems.length > 0) throw new UserError(`${p.positionals[0]}: none of the ${problems.length} result files can be read (see above); nothing to report`);
      throw new UserError(`${p.positionals[0]}: no finished runs (no */result.json); run hrn sweep first`);
    }
    const out = resolve(stringOption(p, 'out') ?? join(dir, 'report'));
    const rows = await writeReport(results, out, heLatencies(dir, results));
    io.out(flag(p, 'json') ? JSON.stringify(rows, null, 2) : toText(rows));
    const left = problems.length > 0 ? ` ${problems.length} left out (unreadable result.json, see above);` : '';
    if (!flag(p, 'json')) io.out(`\n${rows.length} runs;${left} ${rows.filter((r) => r.pareto).length} on the Pareto front (*). Report: ${out}`);
    return problems.length > 0 ? EXIT_USER : EXIT_OK;
  },
};
