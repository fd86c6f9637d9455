// The fuzz target: one source text (plus `--set` overrides and a pipeline) driven through the whole
// front of the compiler, parse -> resolve -> passes -> lower -> plan, as `hrn compile` drives it.
// Every input must end in either a result or diagnostics. Anything else, an exception other than
// a DiagnosticError or a diagnostic that reports an internal error, is a finding. The generators
// below build inputs that are mostly valid (so the later stages are reached) with hostile values
// and mutations mixed in. Used by test/fuzz.test.ts (short budget) and `npm run fuzz` (long).

import '../../src/codegen/template-files.js';
import '../../src/ops/index.js';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { DeviceLimitError } from '../../src/codegen/device-limits.js';
import { compilePlan } from '../../src/codegen/plan.js';
import { DiagnosticError, hasErrors, type Diagnostic } from '../../src/diagnostics.js';
import type { ArchIR } from '../../src/ir/arch.js';
import { lowerToGraph } from '../../src/ir/lower.js';
import { parseHrn, parseOverride, parsePipelineText, resolveNetwork, type Override } from '../../src/parser/index.js';
import { runPipeline } from '../../src/passes/manager.js';

export interface FuzzInput {
  source: string;
  set: string[];
  pipeline: string;
}

/** How far an input got: planned, or stopped with diagnostics at this stage. */
export type FuzzOutcome = 'planned' | 'parse' | 'resolve' | 'passes' | 'plan';

/** Networks of a family carried on to lowering and planning (a family may hold dozens). */
const PLANNED_PER_INPUT = 3;

function checkDiagnostics(diags: readonly Diagnostic[], stage: string): boolean {
  const internal = diags.find((d) => /internal error/i.test(d.message));
  if (internal) throw new Error(`${stage} reported an internal error: ${internal.message}`);
  return hasErrors(diags);
}

/** Throws on a finding; otherwise says how far the input got. */
export function fuzzOne(input: FuzzInput): FuzzOutcome {
  const path = 'fuzz.hrn';
  const sources = new Map([[path, input.source]]);
  const parsed = parseHrn(input.source, path);
  if (checkDiagnostics(parsed.diagnostics, 'parse')) return 'parse';
  const overrides: Override[] = [];
  for (const s of input.set) {
    const o = parseOverride(s, '<--set>');
    if (checkDiagnostics(o.diagnostics, 'parse --set')) return 'parse';
    if (o.override) overrides.push(o.override);
  }
  const nets: ArchIR[] = [];
  for (const decl of parsed.file.networks.slice(0, 2)) {
    const r = resolveNetwork(decl, overrides, sources);
    if (checkDiagnostics(r.diagnostics, 'resolve') || !r.arch) return 'resolve';
    nets.push(r.arch);
  }
  if (nets.length === 0) return 'resolve';
  const steps = parsePipelineText(input.pipeline, '<--pipeline>');
  if (checkDiagnostics(steps.diagnostics, 'parse --pipeline')) return 'parse';
  let family: ArchIR[];
  try {
    const table = new Map(parsed.file.pipelines.map((p) => [p.name, p.steps]));
    const r = runPipeline(nets, steps.steps, { pipelines: table });
    checkDiagnostics(r.diagnostics, 'passes');
    family = r.family;
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    checkDiagnostics(e.diagnostics, 'passes');
    return 'passes';
  }
  for (const net of family.slice(0, PLANNED_PER_INPUT)) {
    try {
      compilePlan(lowerToGraph(net), { batch: 1 });
    } catch (e) {
      // A layer too big for the device's limits is a configuration error (`hrn compile` reports
      // it as one); every other failure here is a finding.
      if (e instanceof DeviceLimitError) return 'plan';
      throw e;
    }
  }
  return 'planned';
}

// ---- generators ---------------------------------------------------------------------------------

const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.hrn'))
  .sort()
  .map((f) => readFileSync(`examples/${f}`, 'utf8'));

/** Mostly small sane values, sometimes the edges and hostile ones. */
const hostile = fc.constantFrom('0', '-1', '0.5', '2.5', '1/0', '1000000000000', '100000000000000000000000000000', '(((4)))', 'm*2', 'm/3', '100000');
const value = (sane: fc.Arbitrary<string>) => fc.oneof({ weight: 40, arbitrary: sane }, { weight: 1, arbitrary: hostile });
const small = (min: number, max: number) => value(fc.integer({ min, max }).map(String));

const stageWord = fc.constantFrom('S1', 'S2', 'S3', 'S4', 'S5', 'all', 'remaining', 's2');

/** A built-in pass with plausible (sometimes wrong) arguments. */
const step = fc.oneof(
  fc.tuple(fc.constantFrom('thin', 'cull', 'reuse 2', 'reuse 4', 'reuse 8'), fc.array(stageWord, { maxLength: 3 })).map(([p, a]) => [p, ...a].join(' ')),
  fc.constantFrom('cull least-critical', 'cull least-critical when dominant', 'thin remaining', 'thin all'),
  fc.constantFrom('0.5', '0.625', '0.25', '2', '1.5', '3', '1/3', '0.001', '1000').map((f) => `scale ${f}`),
  fc.constantFrom('1', '2', '3', '4', '0', '100').map((k) => `alpha ${k}`),
  fc.constantFrom('reuse 1', 'reuse 3', 'reuse 16', 'reuse 0', 'reuse 1000000'),
  fc.constantFrom('equalize width', 'equalize width max=8', 'equalize width last<4', 'equalize depth', 'equalize depth max=4'),
  fc.constantFrom('deepreshape', 'deepreshape scale=0.5', 'deepreshape reuse=4', 'hybrenet'),
);

/**
 * Steps that turn one network into a family (hybrenet holds two), and `equalize depth`, which solves
 * a search per network. Repeated, they once made thousands of networks (`deepreshape` eight times
 * ran past two minutes); the family limit (LIMITS.family) and the equalization memo now bound that
 * work, so a pipeline may hold several of them, within the bound of one second per input.
 */
export const multiplies = (step: string) => (step === 'hybrenet' ? 2 : /^(equalize|deepreshape)/.test(step) ? 1 : 0);

/** The most network-multiplying steps in one generated pipeline (hybrenet counts two). */
export const MAX_MULTIPLYING = 6;

export const pipelineArb = fc
  .array(step, { maxLength: 6 })
  .filter((s) => s.reduce((a, x) => a + multiplies(x), 0) <= MAX_MULTIPLYING)
  .map((s) => s.join('; '));

const listOf = (items: string[]) => `[${items.join(', ')}]`;

/** A network in the language's shape, with generated values; mostly valid, so later stages run. */
const networkArb = fc
  .integer({ min: 1, max: 5 })
  .chain((n) =>
    fc.record({
      m: small(1, 32),
      c: fc.constantFrom('1', '3', '4'),
      side: fc.constantFrom('8', '16', '16', '32', '32', '32', '32', '7', '64'),
      classes: fc.constantFrom('10', '10', '10', '10', '100', '1', '0'),
      stem: fc.constantFrom(...Array(12).fill('conv3x3'), 'conv1x1', 'conv5x5', 'conv2x2', 'conv99999999x99999999'),
      block: fc.constantFrom('basic', 'basic', 'bottleneck'),
      depths: fc.array(small(1, 3), { minLength: n, maxLength: n }),
      widths: fc.option(fc.array(value(fc.constantFrom('1', '2', '2', '3', '5', '0.5')), { minLength: Math.max(0, n - 1), maxLength: Math.max(0, n - 1) })),
      strides: fc.option(fc.array(small(1, 2), { minLength: n, maxLength: n })),
      kernel: fc.option(fc.constantFrom('1', '3', '3', '3', '5', '4', '1001'), { freq: 2 }),
      head: fc.constantFrom(...Array(8).fill('avgpool fc'), 'avgpool', 'fc avgpool'),
      crit: fc.option(fc.shuffledSubarray(['S1', 'S2', 'S3', 'S4', 'S5'].slice(0, n), { minLength: n })),
    }),
  )
  .map(
    (n) =>
      [
        'network N {',
        `  param m = ${n.m}`,
        `  input ${n.c}x${n.side}x${n.side}`,
        `  classes ${n.classes}`,
        ...(n.kernel === null ? [] : [`  kernel ${n.kernel}`]),
        `  stem ${n.stem}(m)`,
        `  block ${n.block}`,
        `  stages depths ${listOf(n.depths)}${n.widths === null ? '' : ` widths ${listOf(n.widths)}`}${n.strides === null ? '' : ` strides ${listOf(n.strides)}`}`,
        `  head ${n.head}`,
        ...(n.crit === null ? [] : [`  criticality ${n.crit.join(' > ')}`]),
        '}',
      ].join('\n') + '\n',
  );

/** Character-level damage: insert, delete or repeat a slice. */
function mutate(text: string, edits: Array<[number, number, string]>): string {
  let t = text;
  for (const [at, len, ins] of edits) {
    const i = at % (t.length + 1);
    t = t.slice(0, i) + ins + t.slice(i + (len % 8));
  }
  return t;
}

const damage = fc.array(
  fc.tuple(fc.nat(), fc.nat(), fc.oneof(fc.constantFrom('', '(', ')', '[', ']', '{', '}', '\n', ',', 'x', '>', '-', '=', '#', '999999999', 'network', 'stages', ' S9'), fc.string({ maxLength: 6 }))),
  { minLength: 1, maxLength: 4 },
);

const sourceArb = fc.oneof(
  { weight: 4, arbitrary: networkArb },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...EXAMPLES), damage).map(([t, d]) => mutate(t, d)) },
  { weight: 1, arbitrary: fc.constantFrom(...EXAMPLES) },
  { weight: 1, arbitrary: fc.tuple(networkArb, damage).map(([t, d]) => mutate(t, d)) },
  { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 200 }), fc.constantFrom('(', '[', 'foo ', 'network N {\n', '1+')).map(([n, s]) => `network N {\n  param m = ${s.repeat(n)}\n}`) },
);

const setArb = fc.array(
  fc.oneof(
    small(1, 32).map((v) => `m=${v}`),
    fc.constantFrom('m=1000000000000', 'widths=[5,5,3]', 'widths=[1000,1000,1000]', 'q=1', 'm=', 'm=m*2', 'widths=[0.5, 3, 2]'),
  ),
  { maxLength: 2 },
);

export const fuzzInputArb: fc.Arbitrary<FuzzInput> = fc.record({ source: sourceArb, set: setArb, pipeline: pipelineArb });

export interface FuzzSummary {
  inputs: number;
  outcomes: Record<FuzzOutcome, number>;
  slowest: { ms: number; input?: FuzzInput };
}

/**
 * Runs `fuzzOne` on each generated input, timing it. Throws (through fast-check, with the shrunk
 * input) on a finding or on an input that takes more than `maxMs` of CPU time.
 */
export function fuzzRun(opts: { numRuns: number; seed?: number; maxMs: number; interruptAfterTimeLimit?: number }): FuzzSummary {
  const summary: FuzzSummary = { inputs: 0, outcomes: { planned: 0, parse: 0, resolve: 0, passes: 0, plan: 0 }, slowest: { ms: 0 } };
  fc.assert(
    fc.property(fuzzInputArb, (input) => {
      // CPU time, not wall time: the bound is on the work an input costs, which another test
      // process sharing the core (the fast tier runs one per core) must not be able to exceed.
      const t0 = process.cpuUsage();
      const outcome = fuzzOne(input);
      const used = process.cpuUsage(t0);
      const ms = (used.user + used.system) / 1000;
      summary.inputs++;
      summary.outcomes[outcome]++;
      if (ms > summary.slowest.ms) summary.slowest = { ms, input };
      if (ms > opts.maxMs) throw new Error(`input took ${ms.toFixed(0)} ms of CPU time, above the bound of ${opts.maxMs} ms`);
    }),
    {
      numRuns: opts.numRuns,
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
      ...(opts.interruptAfterTimeLimit === undefined ? {} : { interruptAfterTimeLimit: opts.interruptAfterTimeLimit, markInterruptAsFailure: false }),
    },
  );
  return summary;
}
