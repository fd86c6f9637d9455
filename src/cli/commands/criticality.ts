// `hrn criticality FILE --data KIND:DIR [--teacher CKPT]`: measures each stage's ReLU criticality
// C_k as a sweep of D + 1 runs (one per stage with only that stage's ReLUs, and the all-linear
// reference; src/sweep/criticality-runs.ts), distilled from the teacher as the paper measures it,
// prints C_k (src/sweep/criticality.ts) and the order, and with --emit hrn writes the network back
// with its measured order. --json prints the plan (with --dry-run) or the plan and the measurement.

import { emitHrn } from '../../ir/emit-hrn.js';
import type { ArchIR } from '../../ir/arch.js';
import { stageCriticality, type Criticality } from '../../sweep/criticality.js';
import { criticalityMeasurements, criticalityPipelines, roleOf, type CriticalityMeasurements } from '../../sweep/criticality-runs.js';
import { expandSweep, type RunConfig } from '../../sweep/expand.js';
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
import { dkdWarmupWarning, KD_OPTIONS, lossOption } from '../kd-options.js';
import { jsonDocument } from '../json.js';
import { spread, type Spread } from '../../report/groups.js';

export const criticality: Command = {
  spec: {
    name: 'criticality',
    summary: COMMAND_SUMMARIES.criticality,
    usage: 'hrn criticality FILE --data KIND:DIR [--teacher CKPT [--kd hinton|dkd]] [--network NAME] [--set NAME=VALUE]... [--seeds 0,1] [--val-split F] [--out DIR] [--dry-run] [--json] [--emit hrn]',
    details: [
      'D + 1 runs per seed: for each stage the network with every other stage culled, and the network',
      "with every stage culled (no ReLU). With A_k the accuracy (%) of stage k's run, A_ref the",
      "reference's and R_k stage k's run's ReLUs:",
      '  C_k = ((A_k - A_ref) - min_j (A_j - A_ref)) / (R_k / 1000)^0.07',
      'as DeepReShape (Tables 10, 11) reports it after DeepReDuce, the least critical stage at 0. The',
      'paper distils every run from the full network (--teacher, its +KD columns); without --teacher the',
      'accuracies are plain. A is the validation accuracy with --val-split, else the test accuracy, the',
      'mean over --seeds. The runs are a sweep: resumable, and --queue works.',
    ].join('\n'),
    options: {
      set: { type: 'string', multiple: true, value: 'NAME=VALUE', help: 'override a param of the file (repeatable)' },
      seeds: { type: 'string', value: 'S,S,...', help: 'seeds per run, averaged (default 0)' },
      emit: { type: 'string', value: 'hrn', help: 'print the network as .hrn with the measured criticality line' },
      ...KD_OPTIONS,
      ...SWEEP_OPTIONS,
      json: { type: 'boolean', help: 'print the runs (and, once trained, the measurement) as JSON (schema: docs/schemas/criticality.schema.json)' },
      ...QUEUE_OPTIONS,
    },
    positionals: { min: 1, max: 1 },
  },
  async run(p, ctx) {
    const { io, sources } = ctx;
    const file = p.positionals[0];
    const emit = stringOption(p, 'emit');
    if (emit !== undefined && emit !== 'hrn') throw new UsageError(`criticality: --emit takes hrn, got '${emit}'`);
    const json = flag(p, 'json');
    if (json && emit !== undefined) throw new UsageError('criticality: give --json or --emit hrn, not both');
    const data = stringOption(p, 'data');
    if (data === undefined) throw new UsageError('criticality: --data KIND:DIR is required');
    const teacher = stringOption(p, 'teacher');
    const teacherFile = stringOption(p, 'teacher-file');
    const loss = lossOption(p, teacher !== undefined, 'criticality');
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
      pipelines: criticalityPipelines(stages).map((x) => x.pipeline),
      seeds,
      data,
      train: trainOptions(p, TRAIN_DEFAULTS, 'criticality'),
      ...(teacher !== undefined ? { kd: { teacher, ...(teacherFile !== undefined ? { teacherFile } : {}), loss } } : {}),
    };
    const warmup = dkdWarmupWarning(loss, spec.train.epochs);
    if (warmup) io.err(`hrn criticality: warning: ${warmup}`);
    const runs = expandSweep(spec, sources);
    for (const r of runs) {
      const role = roleOf(r, stages);
      if (role.kind === 'stage' && r.counts.relus === 0) throw new UserError(`${file}: stage ${role.stage} of ${net.name} has no ReLUs, so its criticality cannot be measured`);
    }
    if (flag(p, 'dry-run')) {
      if (json) io.out(jsonDocument('criticality', [planEntry(net, spec, runs, stages)]));
      else io.out(`${formatRunTable(runs)}\n${runs.length} runs: each stage's ReLUs alone (${stages.join(', ')}) and none, x ${seeds.length} seed${seeds.length === 1 ? '' : 's'}${spec.kd ? `, distilled from ${spec.kd.teacher}` : ''}`);
      return EXIT_OK;
    }
    const { outcome, store } = await executeSweep(spec, runs, p, ctx, json || emit === 'hrn' ? (l) => io.err(l) : undefined);
    if (outcome.interrupted) return exitStatusFor(outcome.signal);
    const measured = criticalityMeasurements(runs, stages, (id) => store.result(id));
    if ('missing' in measured) {
      io.err(`hrn criticality: error: ${measured.missing.length} of the ${runs.length} runs did not finish with an accuracy (${measured.missing.slice(0, 3).join(', ')}${measured.missing.length > 3 ? ', ...' : ''}); see ${store.dir}`);
      return EXIT_USER;
    }
    const result = stageCriticality(measured.stages, measured.reference);
    const seedsMeasured = perSeed(measured, result);
    if (json) {
      io.out(jsonDocument('criticality', [{ ...planEntry(net, spec, runs, stages), measurement: measurementEntry(measured, result, seedsMeasured) }]));
      return EXIT_OK;
    }
    if (emit === 'hrn') {
      const arch = buildNetworks(file, set, net.name, null, new Map(sources))[0];
      io.out(`# criticality measured by hrn criticality (C_k: ${result.stages.map((s) => `${s.stage} ${s.c.toFixed(2)}`).join(', ')})\n${emitHrn({ ...arch, criticality: result.order })}`);
      return EXIT_OK;
    }
    io.out(formatCriticality(result, measured, spec, seedsMeasured));
    return EXIT_OK;
  },
};

/** The runs of the measurement, as the JSON document lists them. */
function planEntry(net: ArchIR, spec: SweepSpec, runs: RunConfig[], stages: string[]) {
  return {
    network: net.name,
    stages,
    seeds: spec.seeds,
    valSplit: spec.train.valSplit ?? null,
    teacher: runs[0]?.kd ? { checkpoint: runs[0].kd.identity.checkpoint, network: runs[0].kd.identity.network, weights: runs[0].kd.identity.weights, loss: runs[0].kd.loss } : null,
    runs: runs.map((r) => {
      const role = roleOf(r, stages);
      return { id: r.id, label: r.label, role: role.kind, stage: role.kind === 'stage' ? role.stage : null, pipeline: r.pipeline, seed: r.seed, relus: r.counts.relus, reluStages: r.counts.reluStages, flops: r.counts.flops, params: r.counts.params };
    }),
  };
}

/**
 * C_k measured on each seed alone, and per stage the spread over the seeds of its accuracy and of
 * that C_k: whether the order of the means is one the seeds agree on.
 */
interface SeedSpread {
  seeds: { seed: number; reference: number; c: Record<string, number>; order: string[] }[];
  accuracy: Map<string, Spread>;
  c: Map<string, Spread>;
  /** Seeds whose own order is the order of the means. */
  agree: number;
}

function perSeed(m: CriticalityMeasurements, mean: Criticality): SeedSpread {
  const seeds = m.perSeed.map((s) => {
    const c = stageCriticality(s.stages, s.reference);
    return { seed: s.seed, reference: s.reference.accuracy, c: Object.fromEntries(c.stages.map((x) => [x.stage, x.c])), order: c.order, accuracies: s.stages };
  });
  const over = (f: (s: (typeof seeds)[number], stage: string) => number) => new Map(mean.stages.map((st) => [st.stage, spread(seeds.map((s) => f(s, st.stage)))]));
  return {
    seeds: seeds.map(({ accuracies: _, ...rest }) => rest),
    accuracy: over((s, stage) => s.accuracies.find((a) => a.stage === stage)!.accuracy),
    c: over((s, stage) => s.c[stage]),
    agree: seeds.filter((s) => s.order.join() === mean.order.join()).length,
  };
}

function measurementEntry(m: CriticalityMeasurements, c: Criticality, seeds: SeedSpread) {
  return {
    accuracy: m.accuracy,
    reference: { accuracy: m.reference.accuracy },
    stages: c.stages.map((s) => ({ stage: s.stage, relus: s.relus, accuracy: s.accuracy, accuracySd: seeds.accuracy.get(s.stage)!.sd, gain: s.gain, c: s.c, cSd: seeds.c.get(s.stage)!.sd })),
    order: c.order,
    seeds: seeds.seeds,
    seedsAgreeing: seeds.agree,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The table of C_k, what was measured, and the order; with several seeds, each value's sd over them and each seed's order. */
function formatCriticality(c: Criticality, m: CriticalityMeasurements, spec: SweepSpec, seeds: SeedSpread): string {
  const w = Math.max(5, ...c.stages.map((s) => s.stage.length));
  const acc = m.accuracy === 'validation' ? 'val acc' : 'test acc';
  const many = seeds.seeds.length > 1;
  const sd = (x: Spread | undefined, scale: number) => (many ? ` ± ${((x?.sd ?? 0) * scale).toFixed(2)}` : '');
  const accW = many ? 16 : 8;
  const cW = many ? 12 : 5;
  const lines = [`${'stage'.padEnd(w)}  ${'ReLUs'.padStart(9)}  ${(many ? `${acc} ± sd` : acc).padStart(accW)}  gain vs linear  ${(many ? 'C_k ± sd' : 'C_k').padStart(cW)}`];
  for (const s of c.stages) {
    const a = `${pct(s.accuracy)}${sd(seeds.accuracy.get(s.stage), 100)}`;
    lines.push(`${s.stage.padEnd(w)}  ${s.relus.toLocaleString('en-US').padStart(9)}  ${a.padStart(accW)}  ${`${(s.gain ?? 0).toFixed(2)} pts`.padStart(14)}  ${`${s.c.toFixed(2)}${sd(seeds.c.get(s.stage), 1)}`.padStart(cW)}`);
  }
  lines.push(`${'none'.padEnd(w)}  ${'0'.padStart(9)}  ${`${pct(m.reference.accuracy)}${many ? ` ± ${(100 * (spread(seeds.seeds.map((x) => x.reference)).sd ?? 0)).toFixed(2)}` : ''}`.padStart(accW)}`);
  lines.push(`criticality ${c.order.join(' > ')}`);
  if (many) {
    lines.push(`per seed: ${seeds.seeds.map((x) => `seed ${x.seed} ${x.order.join(' > ')}`).join('; ')}`);
    lines.push(`${seeds.agree} of ${seeds.seeds.length} seeds give the order of the means`);
  }
  const how = [`${m.accuracy} accuracy`, `mean of ${spec.seeds.length} seed${spec.seeds.length === 1 ? '' : 's'}`, spec.kd ? `distilled from ${spec.kd.teacher} (${spec.kd.loss.kind})` : 'not distilled (no --teacher): the paper measures with distillation'];
  lines.push(`measured with ${how.join(', ')}`);
  const useless = c.stages.filter((s) => s.gain !== null && s.gain <= 0);
  if (useless.length > 0) lines.push(`note: ${useless.map((s) => s.stage).join(', ')} did no better than the network without ReLUs; train longer (--epochs) or on more images for a measurement that means something`);
  return lines.join('\n');
}
