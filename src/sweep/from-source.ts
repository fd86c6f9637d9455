// A `sweep NAME { ... }` block of a .hrn file -> the sweep it describes (the same SweepSpec the
// command line builds). Every setting is checked here, against the file's networks, params and
// pipelines, so a mistake is reported at its line and column before anything is expanded.

import { error, type Diagnostic, type SourceSpan } from '../diagnostics.js';
import { DataError } from '../data/errors.js';
import { parseDataSpec } from '../data/spec.js';
import { parsePipelineText, resolveNetwork, type HrnFile, type NetworkDecl, type Override, type SweepAxisStmt, type SweepDecl, type SweepSampleStmt, type SweepValue } from '../parser/index.js';
import { resolveSample, sampledSetting, type SweepSample } from './distributions.js';
import { BUILTIN_PIPELINES } from '../driver.js';
import { didYouMean } from '../util/suggest.js';
import type { PipelineStep } from '../passes/types.js';
import { checkSweepPipelines, type SweepPipeline } from './sweep-pipelines.js';
import { axisCombinationCount, familyRunsProblem, NO_PIPELINE, sweepSizeProblem, type SweepAxis, type SweepSpec } from './spec.js';
import { TRAIN_DEFAULTS, type TrainSettings } from '../train/settings.js';
import { LIMITS } from '../ir/limits.js';
import { NUMBER_SETTINGS, type NumberRule, type NumberSetting } from './train-rules.js';

export const SWEEP_SETTINGS = ['network', 'pipelines', 'seeds', 'data', ...Object.keys(NUMBER_SETTINGS), 'augment', 'fit', 'trials', 'sample-seed'];

const show = (v: SweepValue): string =>
  v.kind === 'number' ? v.text : v.kind === 'name' ? `'${v.name}'` : v.kind === 'string' ? `"${v.text}"` : 'a list';

/** The block named `name`, or the only block when no name is given. Problems are one-line messages. */
export function pickSweep(file: HrnFile, name: string | undefined): { decl?: SweepDecl; problem?: string } {
  const names = file.sweeps.map((s) => s.name);
  if (name === undefined) {
    if (file.sweeps.length === 1) return { decl: file.sweeps[0] };
    return { problem: `${file.path}: ${names.length === 0 ? 'declares no sweep' : `declares ${names.length} sweeps (${names.join(', ')}); pick one with --sweep NAME`}` };
  }
  const decl = file.sweeps.find((s) => s.name === name);
  if (decl) return { decl };
  const has = names.length === 0 ? 'the file declares no sweep' : `the file declares: ${names.join(', ')}`;
  return { problem: `${file.path}: no sweep named '${name}'${didYouMean(name, names)} (${has})` };
}

/**
 * Resolves a sweep block of `file`; `sources` lets diagnostics quote the file. The spec's `data` is
 * empty when the block names no data set (the command line must then give one).
 */
export function resolveSweep(decl: SweepDecl, file: HrnFile, sources: Map<string, string>): { spec?: SweepSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const err = (span: SourceSpan, msg: string) => diags.push(error(span, `sweep ${decl.name}: ${msg}`));
  const spec: SweepSpec = { name: decl.name, file: file.path, networks: [], mode: 'grid', axes: [], pipelines: [null], seeds: [0], data: '', train: { ...TRAIN_DEFAULTS } };
  const seen = new Map<string, SourceSpan>();
  const once = (key: string, what: string, span: SourceSpan): boolean => {
    const first = seen.get(key);
    if (first) err(span, `${what} is given twice (the first at line ${first.line})`);
    else seen.set(key, span);
    return first === undefined;
  };
  const axes: SweepAxisStmt[] = [];
  const samples: { stmt: SweepSampleStmt; sample: SweepSample }[] = [];
  let trials: { n: number; span: SourceSpan } | undefined;
  let sampleSeed: { n: number; span: SourceSpan } | undefined;
  let mode: { mode: 'grid' | 'list'; span: SourceSpan } | undefined;
  let networkSpan: SourceSpan = decl.nameSpan;
  const pipelines: SweepPipeline[] = [];

  const number = (v: SweepValue, what: string, s: NumberRule): number | undefined => {
    if (v.kind !== 'number' || (s.integer && !Number.isInteger(v.value)) || !s.ok(v.value)) {
      err(v.span, `${what}: expected ${s.expected}, found ${show(v)}`);
      return undefined;
    }
    return v.value;
  };
  const items = (v: SweepValue): SweepValue[] => (v.kind === 'list' ? v.items : [v]);

  for (const st of decl.statements) {
    if (st.kind === 'sample') {
      if (st.param === undefined || st.value === undefined) continue;
      if (!once(`draw ${st.param.name}`, `'${st.param.name}' (an axis or a sample)`, st.param.span)) continue;
      const r = resolveSample(st.param, st.value);
      for (const p of r.problems) err(p.span, `sample ${st.param.name}: ${p.message}`);
      if (r.sample) samples.push({ stmt: st, sample: r.sample });
      continue;
    }
    if (st.kind === 'axis') {
      if (st.param === undefined || st.values === undefined) continue;
      if (!once(`draw ${st.param.name}`, `'${st.param.name}' (an axis or a sample)`, st.param.span)) continue;
      if (mode !== undefined && mode.mode !== st.mode) {
        err(st.keyword, `a sweep's axes are all 'grid' (every combination) or all 'list' (taken in step); line ${mode.span.line} has '${mode.mode}'`);
        continue;
      }
      mode ??= { mode: st.mode, span: st.keyword };
      if (st.values.length === 0) {
        err(st.span, `${st.mode} ${st.param.name}: expected at least one value`);
        continue;
      }
      axes.push(st);
      continue;
    }
    const { name, value } = st;
    if (value === undefined) continue;
    const key = name.name;
    if (!SWEEP_SETTINGS.includes(key)) {
      err(name.span, `unknown setting '${key}'${didYouMean(key, SWEEP_SETTINGS)}; a sweep takes ${SWEEP_SETTINGS.join(', ')}, and axes 'grid NAME = [...]' or 'list NAME = [...]'`);
      continue;
    }
    if (!once(key, `'${key}'`, name.span)) continue;
    if (key === 'network') {
      networkSpan = value.span;
      for (const v of items(value)) {
        if (v.kind !== 'name') {
          err(v.span, `network: expected a network name, found ${show(v)}`);
          continue;
        }
        const known = file.networks.map((n) => n.name);
        if (!known.includes(v.name)) err(v.span, `no network named '${v.name}' in this file${didYouMean(v.name, known)} (the file defines: ${known.join(', ') || 'none'})`);
        else spec.networks.push(v.name);
      }
    } else if (key === 'pipelines') {
      spec.pipelines = [];
      for (const v of items(value)) {
        const p = pipelineValue(v, file, err);
        if (p === undefined) continue;
        spec.pipelines.push(p.text);
        if (p.steps) pipelines.push({ value: v, steps: p.steps });
      }
      if (items(value).length === 0) err(value.span, 'pipelines: expected at least one (none trains the network as declared)');
    } else if (key === 'seeds') {
      const seeds = items(value).map((v) => number(v, 'seeds', { integer: true, ok: (x) => x >= 0, expected: 'a whole number, 0 or more' }));
      if (seeds.length === 0) err(value.span, 'seeds: expected at least one seed');
      spec.seeds = seeds.filter((s): s is number => s !== undefined);
    } else if (key === 'data') {
      if (value.kind !== 'string') {
        err(value.span, `data: expected "KIND:DIR" in double quotes, found ${show(value)}`);
        continue;
      }
      try {
        parseDataSpec(value.text);
        spec.data = value.text;
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
        err(value.span, `data: ${e.message}`);
      }
    } else if (key === 'trials' || key === 'sample-seed') {
      const n = number(value, key, key === 'trials' ? { integer: true, ok: (x) => x >= 1, expected: 'a whole number of runs to draw, at least 1' } : { integer: true, ok: (x) => x >= 0, expected: 'a whole number, 0 or more' });
      if (n !== undefined && key === 'trials') trials = { n, span: name.span };
      else if (n !== undefined) sampleSeed = { n, span: name.span };
    } else if (key === 'augment' || key === 'fit') {
      const allowed = key === 'augment' ? ['on', 'off'] : ['pad', 'resize'];
      if (value.kind !== 'name' || !allowed.includes(value.name)) {
        err(value.span, `${key}: expected ${allowed.join(' or ')}, found ${show(value)}`);
      } else if (key === 'augment') spec.train.augment = value.name === 'on';
      else spec.train.fit = value.name as TrainSettings['fit'];
    } else {
      const s = NUMBER_SETTINGS[key as NumberSetting];
      const n = number(value, key, s);
      if (n !== undefined) spec.train[s.field] = n;
    }
  }

  spec.mode = mode?.mode ?? 'grid';
  // A `trials` line with a bad number has its own diagnostic; it still makes the block a search.
  const trialsWritten = seen.has('trials');
  if (trials === undefined) {
    if (samples.length > 0 && !trialsWritten) err(samples[0].stmt.keyword, `a sample is drawn once per trial: add 'trials N' (how many runs to draw) to the block`);
    if (sampleSeed !== undefined && !trialsWritten) err(sampleSeed.span, `sample-seed seeds a random search: add 'trials N' and 'sample NAME = ...' lines, or remove it`);
  } else {
    if (samples.length === 0 && axes.length === 0 && !decl.statements.some((s) => s.kind === 'sample')) err(trials.span, `trials: nothing to draw; add 'sample NAME = DISTRIBUTION' lines (or axes, whose values are then drawn instead of combined)`);
    spec.search = { trials: trials.n, seed: sampleSeed?.n ?? 0, samples: samples.map((s) => s.sample) };
  }
  if (spec.mode === 'list') {
    const first = axes[0];
    for (const a of axes.slice(1)) {
      if (a.values!.length !== first.values!.length) {
        err(a.span, `list ${a.param!.name}: the axes of a 'list' sweep are taken in step, so they need equally many values: ${first.param!.name} (line ${first.span.line}) has ${first.values!.length}, ${a.param!.name} has ${a.values!.length}`);
      }
    }
  }
  const nets = spec.networks.length > 0 ? file.networks.filter((n) => spec.networks.includes(n.name)) : file.networks;
  if (nets.length === 0 && file.networks.length === 0) err(networkSpan, 'the file defines no network to sweep');
  let axesOk = true;
  for (const a of axes) {
    if (checkAxis(a, nets, sources, err)) spec.axes.push({ param: a.param!.name, values: a.values!.map((v) => v.text) } satisfies SweepAxis);
    else axesOk = false;
  }
  for (const { stmt, sample } of samples) {
    if (sampledSetting(sample.param) !== undefined) continue;
    // The values a param can be drawn at that are written out (a choice's, an int's bounds) are
    // checked as an axis's are; an entry-by-entry list is checked when its draws are expanded.
    const d = stmt.value!;
    const values = d.kind === 'distribution' ? d.args : [];
    checkAxis({ kind: 'axis', mode: 'grid', span: stmt.span, keyword: stmt.keyword, param: stmt.param, values }, nets, sources, err, `sample ${sample.param}`);
  }
  const stepAxesOk = spec.mode === 'grid' || axes.every((a) => a.values!.length === axes[0].values!.length);
  // The size is known from the block alone: a grid written too large is refused before checking
  // its pipelines builds the network of every combination.
  const size = sweepSizeProblem({ networks: nets.length, combinations: axisCombinationCount({ mode: spec.mode, axes, search: spec.search }), trials: spec.search !== undefined, pipelines: spec.pipelines.length, seeds: spec.seeds.length });
  if (size !== undefined) err(decl.nameSpan, size);
  else if (axesOk && stepAxesOk) {
    const perSeed = checkSweepPipelines(pipelines, spec.pipelines.length - pipelines.length, nets, axes, spec.mode, file, sources, err);
    const runs = perSeed * spec.seeds.length;
    if (runs > LIMITS.sweepRuns) err(decl.nameSpan, familyRunsProblem(runs));
  }
  diags.sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
  return diags.length > 0 ? { diagnostics: diags } : { spec, diagnostics: [] };
}

/**
 * `none` (text null, no steps), a pipeline name (the file's or a built-in one), or steps as a
 * string; the steps are parsed where they are written, for checkSweepPipelines.
 */
function pipelineValue(v: SweepValue, file: HrnFile, err: (span: SourceSpan, msg: string) => void): { text: string | null; steps?: PipelineStep[] } | undefined {
  if (v.kind === 'name') {
    if (v.name === NO_PIPELINE) return { text: null };
    const known = [...file.pipelines.map((p) => p.name), ...Object.keys(BUILTIN_PIPELINES)];
    if (known.includes(v.name)) return { text: v.name, steps: parsePipelineText(v.name, v.span.file, { line: v.span.line, col: v.span.col }).steps };
    err(v.span, `pipelines: no pipeline named '${v.name}'${didYouMean(v.name, [NO_PIPELINE, ...known])}; write steps in double quotes ("cull S1; thin S2 S3 S4"), a pipeline's name, or none`);
    return undefined;
  }
  if (v.kind !== 'string') {
    err(v.span, `pipelines: expected none, a pipeline name or "steps", found ${show(v)}`);
    return undefined;
  }
  // The steps are checked where they are written (one column in: the opening quote).
  const parsed = parsePipelineText(v.text, v.span.file, { line: v.span.line, col: v.span.col + 1 });
  if (parsed.diagnostics.length > 0) {
    for (const d of parsed.diagnostics) err(d.span, `pipelines: ${d.message}`);
    return undefined;
  }
  if (parsed.steps.length === 0) {
    err(v.span, 'pipelines: an empty pipeline; write none to train the network as declared');
    return undefined;
  }
  return { text: v.text.trim(), steps: parsed.steps };
}

/** Each value of an axis (or of a sample) must set a param every swept network declares, to a value it accepts. */
function checkAxis(a: SweepAxisStmt, nets: NetworkDecl[], sources: Map<string, string>, err: (span: SourceSpan, msg: string) => void, heading = `${a.mode} ${a.param!.name}`): boolean {
  const param = a.param!;
  let ok = true;
  for (const net of nets) {
    const params = net.statements.flatMap((s) => (s.kind === 'param' && s.name ? [s.name.name] : []));
    if (!params.includes(param.name)) {
      err(param.span, `network '${net.name}' has no parameter '${param.name}'${didYouMean(param.name, params)} (it has: ${params.join(', ') || 'none'})`);
      ok = false;
      continue;
    }
    // A network that does not resolve as declared reports that itself when the sweep expands.
    if (net.hasSyntaxErrors || resolveNetwork(net, [], sources).arch === undefined) continue;
    for (const v of a.values!) {
      const o: Override = { name: param.name, text: v.text, span: v.span, nameSpan: param.span, value: v.value };
      const r = resolveNetwork(net, [o], sources);
      for (const d of r.diagnostics) {
        if (d.severity !== 'error') continue;
        // A problem inside the value is shown there; one where the network uses the value is shown
        // at the value too (it is what to change), naming the line of the use.
        const inValue = d.span.file === v.span.file && d.span.line >= a.span.line && d.span.line <= v.span.line;
        const what = d.message.replace(/ \(from --set [^)]*\)$/, '');
        err(inValue ? d.span : v.span, `${heading} = ${v.text}: network '${net.name}'${inValue ? '' : ` (line ${d.span.line})`}: ${what}`);
        ok = false;
      }
    }
  }
  return ok;
}
