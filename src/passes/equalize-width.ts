// `equalize width`: ReLU equalization through width (paper §4.1, Algorithm 1). One network in, the
// HybReNet family out: one member per Pareto-minimal solution of the compound inequality
// #ReLUs(C[1]) > #ReLUs(C[2]) > ... > #ReLUs(C[D]) in the stagewise factors (equalize-solver.ts).
//
// Arguments (any order, all optional):
//   min=N       smallest factor tried (default 2: the paper's alpha, beta, gamma >= 2)
//   max=N       largest factor tried (default 16)
//   last<K      keep members whose last factor is below K (the paper's gamma < 4 for ResNet34)
//   min-first   keep the members with the smallest first factor (the paper's second ResNet34 filter)
//   order=S3>S4>S2>S1   solve for this criticality order instead of the network's own
//   pick=5x5x3x keep only this member (e.g. to continue a pipeline with one network)
// Filters apply in the order written. Members are named `HRN-<factors>` (`HRN-5x5x3x`); the
// width base m is kept (for networks given by explicit channels, m is Stage1's channel count).

import { checkReshaped } from './reshape-checks.js';
import { factorTag, type ArchIR } from '../ir/arch.js';
import { DiagnosticError, error } from '../diagnostics.js';
import {
  applyFilters,
  problemOf,
  solveWidth,
  WIDTH_BOX,
  type SearchBox,
  type SolveResult,
  type WidthFilter,
} from './equalize-solver.js';
import { cloneArch, definePass, fail, intArg, note, type PassContext, type PipelineArg } from './types.js';
import { applyBasis, widthBasisOf } from './widths.js';

export interface EqualizeWidthOptions {
  box: SearchBox;
  filters: { filter: WidthFilter; arg: PipelineArg }[];
  pick?: { factors: number[]; arg: PipelineArg };
  order?: { stages: string[]; arg: PipelineArg };
  /** Span for diagnostics about the box (the max= or min= argument, else the step). */
  boxArg?: PipelineArg;
}

/** Parses `order=S3>S2>S4>S1` (or the value alone). */
export function parseOrder(arg: PipelineArg, value: string): string[] {
  const parts = value.split('>').map((p) => p.trim());
  if (parts.length < 2 || parts.some((p) => !/^[sS][0-9]+$/.test(p))) {
    fail(arg.span, `expected a criticality order like S3>S2>S4>S1, got '${value}'`);
  }
  return parts.map((p) => `S${Number(p.slice(1))}`);
}

/** Parses `5x5x3x`, `5x5x3`, or `HRN-5x5x3x` into factors. */
export function parseFactorTag(arg: PipelineArg, value: string): number[] {
  const m = /^(?:[A-Za-z0-9]+-)?((?:[0-9]+x)*[0-9]+)x?$/.exec(value);
  if (m === null) fail(arg.span, `expected stagewise factors like 5x5x3x, got '${value}'`);
  return m[1].split('x').map(Number);
}

function parseOptions(args: readonly PipelineArg[], defaults: SearchBox): EqualizeWidthOptions {
  const opts: EqualizeWidthOptions = { box: { ...defaults }, filters: [] };
  for (const arg of args) {
    const t = arg.text;
    let m: RegExpExecArray | null;
    if ((m = /^(min|max)=(.*)$/.exec(t)) !== null) {
      const v = intArg({ text: m[2], span: arg.span }, `${m[1]}=`, 1);
      if (m[1] === 'min') opts.box.min = v;
      else opts.box.max = v;
      opts.boxArg = arg;
    } else if ((m = /^last<(.*)$/.exec(t)) !== null) {
      opts.filters.push({ filter: { kind: 'last-below', bound: intArg({ text: m[1], span: arg.span }, 'last<', 1) }, arg });
    } else if (t === 'min-first') {
      opts.filters.push({ filter: { kind: 'min-first' }, arg });
    } else if ((m = /^order=(.*)$/.exec(t)) !== null) {
      opts.order = { stages: parseOrder(arg, m[1]), arg };
    } else if ((m = /^pick=(.*)$/.exec(t)) !== null) {
      opts.pick = { factors: parseFactorTag(arg, m[1]), arg };
    } else {
      fail(arg.span, `unknown argument '${t}' for equalize width; expected min=N, max=N, last<K, min-first, order=S3>S2>..., pick=5x5x3x`);
    }
  }
  if (opts.box.min > opts.box.max) {
    fail(opts.boxArg?.span ?? args[0].span, `empty search box: min=${opts.box.min} is above max=${opts.box.max}`);
  }
  return opts;
}

/** Checks the network has what equalization needs; returns it with the order applied. */
export function equalizableNetwork(net: ArchIR, order: EqualizeWidthOptions['order'], ctx: PassContext, what: string): ArchIR {
  const span = order?.arg.span ?? ctx.step.span;
  if (net.stages.length < 2) fail(ctx.step.span, `${what}: ${net.name} has ${net.stages.length} stage; equalization needs at least two`);
  const crit = order?.stages ?? net.criticality;
  const names = net.stages.map((s) => s.name);
  const missing = names.filter((s) => !crit.includes(s));
  const unknown = crit.filter((s) => !names.includes(s));
  const twice = crit.filter((s, i) => crit.indexOf(s) !== i);
  const problem = unknown.length > 0
    ? `names unknown stage(s) ${unknown.join(', ')}`
    : twice.length > 0
      ? `names ${twice.join(', ')} twice`
      : missing.length > 0
        ? `leaves out ${missing.join(', ')}`
        : null;
  if (problem !== null) {
    fail(span, `${what}: the criticality order of ${net.name} (${crit.join(' > ') || 'none'}) ${problem}; it must rank every stage (${names.join(', ')})` +
      (order === undefined ? `; declare 'criticality' in the network or pass order=...` : ''));
  }
  const out = cloneArch(net);
  out.criticality = [...crit];
  return out;
}

/** Solves and filters; throws diagnostics for an unsatisfiable system or an empty filter result. */
export function widthFamily(net: ArchIR, opts: EqualizeWidthOptions, ctx: PassContext): { result: SolveResult; factors: number[][] } {
  let result: SolveResult;
  try {
    result = solveWidth(problemOf(net), opts.box);
  } catch (e) {
    fail(opts.boxArg?.span ?? ctx.step.span, `equalize width: ${(e as Error).message}`);
  }
  if (result.solutions.length === 0) {
    const f = result.failing;
    const why = f === undefined
      ? 'the compound inequality has no solution'
      : `no stagewise factors in ${opts.box.min}..${opts.box.max} satisfy ${f.inequality.text}` +
        (f.index > 0 ? `, given ${result.chain.slice(0, f.index).map((c) => `${c.more} > ${c.less}`).join(', ')}` : '');
    throw new DiagnosticError([
      error(opts.order?.arg.span ?? ctx.step.span, `equalize width: ${net.name} cannot be equalized for ${net.criticality.join(' > ')}: ${why}`),
    ]);
  }
  let factors = result.solutions;
  for (const { filter, arg } of opts.filters) {
    const kept = applyFilters(factors, [filter]);
    if (kept.length === 0) {
      fail(arg.span, `equalize width: '${arg.text}' leaves no member of the family (${factors.map((f) => factorTag(f)).join(', ')})`);
    }
    factors = kept;
  }
  if (opts.pick !== undefined) {
    const want = opts.pick.factors;
    const hit = factors.find((f) => f.length === want.length && f.every((v, i) => v === want[i]));
    if (hit === undefined) {
      fail(opts.pick.arg.span, `equalize width: ${factorTag(want)} is not in the family of ${net.name} (${factors.map((f) => factorTag(f)).join(', ')})`);
    }
    factors = [hit];
  }
  return { result, factors };
}

export const equalizeWidthPass = definePass<EqualizeWidthOptions>({
  name: 'equalize width',
  summary: 'ReLU equalization through width (Algorithm 1): the HybReNet family of stagewise factors',
  usage: 'equalize width [min=N] [max=N] [last<K] [min-first] [order=S3>S2>S4>S1] [pick=5x5x3x]',
  parse(args) {
    return parseOptions(args, WIDTH_BOX);
  },
  apply(input, opts, ctx) {
    const net = equalizableNetwork(input, opts.order, ctx, 'equalize width');
    const basis = widthBasisOf(net);
    const m = basis?.m ?? net.stages[0].channels;
    const { result, factors } = widthFamily(net, opts, ctx);
    ctx.report(
      note(
        ctx.step.span,
        `equalize width: ${net.name} (${result.chain.map((c) => `${c.more} > ${c.less}`).join(', ')}): ` +
          `${result.solutions.length} Pareto-minimal solution(s) in ${opts.box.min}..${opts.box.max}` +
          (factors.length !== result.solutions.length ? `, ${factors.length} after filters` : '') +
          `: ${factors.map((f) => factorTag(f)).join(', ')}`,
      ),
    );
    return factors.map((f) => {
      const out = cloneArch(net);
      applyBasis(out, { m, factors: f });
      out.name = `HRN-${factorTag(f)}`;
      checkReshaped(out, 'equalize width', ctx.step.span);
      return out;
    });
  },
});
