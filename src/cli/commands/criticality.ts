// `hrn criticality FILE --data KIND:DIR`: measures each stage's ReLU criticality C_k as a sweep
// (one run per stage with only that stage's ReLUs; see src/sweep/criticality.ts for C_k), prints
// C_k and the order, and with --emit hrn writes the network back with its measured order.

import { emitHrn } from '../../ir/emit-hrn.js';
import { stageCriticality, onlyStagePipeline } from '../../sweep/criticality.js';
import { expandSweep } from '../../sweep/expand.js';
import { buildNetworks } from '../../sweep/network.js';
import { QUEUE_OPTIONS } from '../queue-options.js';
import type { SweepSpec } from '../../sweep/spec.js';
import { TRAIN_DEFAULTS } from '../../train/settings.js';
import { flag, listOption, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { EXIT_OK, EXIT_USER, UsageError, UserError } from '../../errors.js';
import { loadNetworks } from '../../source-file.js';
import { exitStatusFor } from '../../train/interrupt.js';
import { executeSweep, formatRunTable, SWEEP_OPTIONS, trainOptions } from './sweep.js';
import { COMMAND_SUMMARIES } from '../summaries.js';

export const criticality: Command = {
  spec: {
    name: 'criticality',
    summary: COMMAND_SUMMARIES.criticality,
    usage: 'hrn criticality FILE --data KIND:DIR [--network NAME] [--set NAME=VALUE]... [--seeds 0,1] [--out DIR] [--emit hrn]',
    details: [
      'One run per stage: the network with every other stage culled. C_k = 100 * (A_k - min_j A_j): the',
      "test-accuracy gain, in percentage points, of stage k's ReLUs over the least critical stage's",
      '(A_k: mean test accuracy over the seeds). Runs are a sweep: resumable, and --queue works.',
    ].join('\n'),
    options: {
      set: { type: 'string', multiple: true, value: 'NAME=VALUE', help: 'override a param of the file (repeatable)' },
      seeds: { type: 'string', value: 'S,S,...', help: 'seeds per stage, averaged (default 0)' },
      emit: { type: 'string', value: 'hrn', help: 'print the network as .hrn with the measured criticality line' },
      ...SWEEP_OPTIONS,
      ...QUEUE_OPTIONS,
    },
    positionals: { min: 1, max: 1 },
  },
  async run(p, ctx) {
    const { io, sources } = ctx;
    const file = p.positionals[0];
    const emit = stringOption(p, 'emit');
    if (emit !== undefined && emit !== 'hrn') throw new UsageError(`criticality: --emit takes hrn, got '${emit}'`);
    const data = stringOption(p, 'data');
    if (data === undefined) throw new UsageError('criticality: --data KIND:DIR is required');
    const set = listOption(p, 'set');
    const named = listOption(p, 'network');
    const nets = loadNetworks(file, sources, { set, network: named[0] }).networks;
    if (nets.length !== 1 || named.length > 1) throw new UserError(`criticality measures one network; ${file} gives ${nets.map((n) => n.name).join(', ')}: pick one with --network`);
    const net = nets[0];
    const stages = net.stages.map((s) => s.name);
    const seeds = (stringOption(p, 'seeds') ?? '0').split(',').map((x) => Number(x.trim()));
    if (seeds.some((x) => !Number.isInteger(x) || x < 0)) throw new UsageError(`--seeds: expected integers separated by commas`);
    const spec: SweepSpec = {
      name: `criticality-${net.name}`,
      file,
      networks: [net.name],
      mode: 'grid',
      axes: set.map((s) => ({ param: s.slice(0, s.indexOf('=')), values: [s.slice(s.indexOf('=') + 1)] })),
      pipelines: stages.map((s) => onlyStagePipeline(stages, s)),
      seeds,
      data,
      train: trainOptions(p, TRAIN_DEFAULTS),
    };
    const runs = expandSweep(spec, sources);
    if (flag(p, 'dry-run')) {
      io.out(`${formatRunTable(runs)}\n${runs.length} runs: each stage's ReLUs alone (${stages.join(', ')}) x ${seeds.length} seed${seeds.length === 1 ? '' : 's'}`);
      return EXIT_OK;
    }
    const { outcome, store } = await executeSweep(spec, runs, p, ctx, emit === 'hrn' ? (l) => io.err(l) : undefined);
    if (outcome.interrupted) return exitStatusFor(outcome.signal);
    const accs = stages.map((stage) => {
      const pipeline = onlyStagePipeline(stages, stage);
      const mine = runs.filter((r) => r.pipeline === pipeline).map((r) => store.result(r.id)?.testAccuracy);
      const got = mine.filter((a): a is number => typeof a === 'number');
      return { stage, accuracy: got.length === mine.length && got.length > 0 ? got.reduce((a, b) => a + b) / got.length : NaN };
    });
    if (accs.some((a) => Number.isNaN(a.accuracy))) {
      io.err(`hrn criticality: error: not every stage's run finished with a test accuracy (see ${store.dir})`);
      return EXIT_USER;
    }
    const { stages: cs, order } = stageCriticality(accs);
    if (emit === 'hrn') {
      const measured = buildNetworks(file, set, net.name, null, new Map(sources))[0];
      io.out(`# criticality measured by hrn criticality (C_k: ${cs.map((s) => `${s.stage} ${s.c.toFixed(2)}`).join(', ')})\n${emitHrn({ ...measured, criticality: order })}`);
      return EXIT_OK;
    }
    const w = Math.max(5, ...stages.map((s) => s.length));
    io.out(['stage'.padEnd(w) + '  test acc    C_k', ...cs.map((s) => `${s.stage.padEnd(w)}  ${(100 * s.accuracy).toFixed(2).padStart(7)}%  ${s.c.toFixed(2).padStart(5)}`)].join('\n'));
    io.out(`criticality ${order.join(' > ')}`);
    return EXIT_OK;
  },
};
