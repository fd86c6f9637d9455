// `hrn tune FILE`: times candidate schedules of every kernel signature of a network's plan on the
// adapter in use (launch/tune/), keeps the fastest whose result is the profile choice's, prints
// what it found and adds it to the device's tuning cache (tune-cache.ts), which compile, train and
// infer read.

import { lowerNetwork } from '../../driver.js';
import { profileText } from '../../codegen/schedule/describe.js';
import { EXIT_OK, UsageError, UserError } from '../../errors.js';
import { exitStatusFor, installInterruptHandler, againHint } from '../../train/interrupt.js';
import { loadNetworks } from '../../source-file.js';
import { TRAIN_DEFAULTS } from '../../train/settings.js';
import { hrnVersion } from '../../train/checkpoint.js';
import { DirLockedError, LockFileError } from '../../util/dir-lock.js';
import { flag, intOption, listOption, numberOption, stringOption } from '../args.js';
import { ADAPTER_OPTION, adapterChoice, progressStream, SOURCE_OPTIONS, type Command } from '../command.js';
import { displayPath } from '../format.js';
import { applyPipelineOption, PIPELINE_OPTION } from '../pipeline.js';
import { deviceProfile, profileOption, profileOptionSpec } from '../profile-option.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { cacheKey, tuneCacheDir, writeTuneCache, type CacheEntry } from '../tune-cache.js';
import { cacheEntries, clockText, tuneJsonNetwork, tuneTable, TuneProgressView } from '../tune-report.js';
import { JSON_OPTION, JSON_SCHEMA_VERSION, wantsJson } from '../json.js';

/** Seconds of tuning when --budget is not given. */
const DEFAULT_BUDGET_S = 60;
/** The batch hrn infer runs at by default (tune the signatures it will look up). */
const INFER_BATCH = 64;

const plural = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;

export const tune: Command = {
  spec: {
    name: 'tune',
    summary: COMMAND_SUMMARIES.tune,
    usage: 'hrn tune FILE [--set NAME=VALUE] [--network N] [--pipeline P] [--batch B] [--train] [--budget SECONDS] [--profile cpu|gpu] [--reps N] [--json]',
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      ...ADAPTER_OPTION,
      batch: { type: 'string', value: 'B', help: `images per batch the plan is tuned for: part of every kernel signature (default ${INFER_BATCH}, as hrn infer; ${TRAIN_DEFAULTS.batch} with --train, as hrn train)` },
      train: { type: 'boolean', help: 'tune the training step (forward, backward, reductions) instead of the forward pass' },
      budget: { type: 'string', value: 'SECONDS', help: `time for the whole search (default ${DEFAULT_BUDGET_S}); it stops when spent and keeps what it measured` },
      reps: { type: 'string', value: 'N', help: 'timed samples per candidate, the fastest of which is its time (default 5)' },
      ...profileOptionSpec("default: the device's (cpu on a CPU driver such as lavapipe, else gpu); its choice is every signature's first candidate"),
      ...JSON_OPTION,
    },
    positionals: { min: 1, max: 1 },
    details: [
      'For each kernel signature of the plan (a kernel and the shapes it runs on, whatever its layer is',
      "called: layers of the same shape share one), the candidates are the profile's choice (the default),",
      "the other profile's, then the family's list (docs/runtime.md, \"Tuning\"). Each runs as its own",
      "dispatch on buffers of the plan's sizes filled with seeded noise: once (which also compiles it),",
      "checked against the default's result (a candidate whose result differs is rejected, however fast),",
      'then timed (the fastest of --reps samples, after a warm-up run) by the GPU\'s timestamp queries where',
      'the adapter has them (lavapipe does), else by the wall clock; HRN_TIMESTAMPS=0 forces the wall clock,',
      'and the report says which timed the run. The fastest candidate, timed again',
      'alternately with the default to confirm it, is kept per signature and added to the tuning cache',
      'of the device, a JSON file under $XDG_CACHE_HOME/hrn (~/.cache/hrn;',
      'HRN_CACHE_DIR names another directory), which hrn compile (with -o, --emit-wgsl or --adapter), hrn',
      'train and hrn infer read for the same adapter and driver unless given --no-tune-cache. Timings',
      'depend on what else the machine runs: tune on a quiet one.',
      'Ctrl-C (or SIGTERM) stops after the candidate being timed and still caches the winners found so',
      'far (exit status 130, or 143); a second one quits at once without writing.',
    ].join('\n'),
  },
  async run(p, ctx) {
    const profile = profileOption(p, 'tune');
    const train = flag(p, 'train');
    const json = wantsJson(p);
    const batch = intOption(p, 'batch', train ? TRAIN_DEFAULTS.batch : INFER_BATCH);
    const budget = numberOption(p, 'budget', DEFAULT_BUDGET_S);
    if (!(budget > 0)) throw new UsageError(`tune: --budget must be a positive number of seconds, got '${stringOption(p, 'budget')}'`);
    const reps = intOption(p, 'reps', 5);
    const loaded = loadNetworks(p.positionals[0], ctx.sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
    const nets = applyPipelineOption(loaded, p, ctx);
    if (nets.length === 0) throw new UserError('tune: the pipeline leaves no network to tune');
    const graphs = nets.map((n) => lowerNetwork(n));
    const mode = train ? 'training' : 'inference';
    // The human report goes to stdout, or with --json (which owns stdout) nowhere but the progress.
    const say = (text: string) => {
      if (!json) ctx.io.out(text);
    };
    // Loaded only now: WebGPU and the code generator are start-up time the other commands skip.
    const [{ openDevice }, { tuneSchedules }] = await Promise.all([import('../../runtime/device.js'), import('../../launch/tune/index.js')]);
    const gpu = await openDevice(adapterChoice(p));
    const stream = progressStream(ctx.io);
    // The first signal ends the search after the candidate being timed; the winners so far are still
    // cached. A second one quits at once (installInterruptHandler's default), writing nothing.
    const interrupt = installInterruptHandler({
      stream,
      graceMs: 1000,
      message: (signal) => `${signal}: stopping after this candidate and caching the winners found so far (${againHint(signal)} to quit at once)`,
    });
    const entries: Record<string, CacheEntry> = {};
    const reports: ReturnType<typeof tuneJsonNetwork>[] = [];
    const started = performance.now();
    const deadline = started + budget * 1000;
    const measured = new Set<string>();
    let tried = 0;
    let total = 0;
    let stopped = false;
    try {
      say(`device: ${gpu.adapterInfo}; kernel schedules: ${profileText(deviceProfile(profile, gpu))}; budget ${budget} s`);
      for (let i = 0; i < nets.length && !interrupt.requested; i++) {
        const net = nets[i];
        const view = new TuneProgressView(stream, net.name);
        const budgetMs = Math.max(0, deadline - performance.now()) / (nets.length - i);
        let result;
        try {
          result = await tuneSchedules(gpu, { graph: graphs[i], mode, batch, profile, budgetMs, reps, skip: measured, shouldStop: () => interrupt.requested, onProgress: (x) => view.update(x) });
        } finally {
          view.stop();
        }
        tried += result.tried;
        total += result.total;
        stopped ||= result.stopped;
        const fresh = cacheEntries(result, { mode, network: net.name }, new Date());
        Object.assign(entries, fresh);
        for (const k of Object.keys(fresh)) measured.add(k);
        reports.push(tuneJsonNetwork(result, { network: net.name, mode, batch }));
        const what = train ? `the training step at batch ${batch}` : `inference at batch ${batch}`;
        const complete = result.signatures.filter((s) => s.candidates > 0 && s.tried === s.candidates).length;
        const cut = interrupt.requested ? '; stopped by a signal' : result.stopped ? '; the budget ran out first' : '';
        say(
          [
            '',
            `${net.name}: ${what}, ${plural(result.signatures.length, 'kernel signature')} (profile ${result.profile.name})`,
            '',
            tuneTable(result.signatures),
            '',
            `timed ${result.tried} of ${plural(result.total, 'candidate')} (${clockText(result.clock)}); ${Object.keys(fresh).length} of ${result.signatures.length} signatures measured, ${complete} of them completely` +
              (cut ? `${cut} (the rest keep what was measured, or the default)` : ''),
          ].join('\n'),
        );
      }
    } finally {
      interrupt.dispose();
      gpu.close();
    }
    const seconds = (performance.now() - started) / 1000;
    const status = interrupt.requested ? exitStatusFor(interrupt.signal) : EXIT_OK;
    let path: string | undefined;
    const count = Object.keys(entries).length;
    if (count > 0) {
      const dir = tuneCacheDir();
      const warn = (line: string) => ctx.io.err(`hrn tune: warning: ${line}`);
      try {
        path = writeTuneCache(dir, cacheKey(gpu.adapter.info, hrnVersion()), entries, warn);
      } catch (e) {
        if (e instanceof DirLockedError || e instanceof LockFileError) throw new UserError(`cannot write the tuning cache: ${e.message}`);
        const code = (e as NodeJS.ErrnoException).code;
        if (code === undefined) throw e;
        throw new UserError(`cannot write the tuning cache in ${dir}: ${code}`);
      }
    }
    if (json) {
      const doc = { schemaVersion: JSON_SCHEMA_VERSION, command: 'tune', adapter: gpu.adapterInfo, budgetSeconds: budget, seconds, interrupted: interrupt.requested, cache: path ?? null, written: path ? count : 0, networks: reports };
      ctx.io.out(JSON.stringify(doc, null, 2));
      return status;
    }
    if (path === undefined) {
      const why = interrupt.requested ? ' (stopped by a signal before the first candidates)' : stopped ? ' (the budget ran out before the first candidates: give more --budget)' : '';
      say(`nothing measured in ${seconds.toFixed(1)} s${why}; the tuning cache is unchanged`);
      return status;
    }
    say(
      `\ntimed ${tried} of ${plural(total, 'candidate')} in ${seconds.toFixed(1)} s; wrote ${plural(count, 'tuned schedule')} to ${displayPath(path)} ` +
        `(hrn compile, train and infer on this device use them; --no-tune-cache ignores them)`,
    );
    return status;
  },
};
