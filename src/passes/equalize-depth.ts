// `equalize depth`: ReLU equalization through depth (paper Appendix D). The widths stay as they are;
// the unknowns are the stage depths phi_1..phi_D. With channels c_k and spatial shrink A_k the
// relative ReLU count of stage k is phi_k * c_k / A_k, and the criticality order asks for the strict
// compound inequality over these; the members are the Pareto-minimal integer depth vectors.
//
// Rule, stated plainly: the same relative-count model as `equalize width`, solved for depths in
// min..max (default 1..16). For ResNet18 with widths 2x2x2x (order S3 > S2 > S4 > S1) it gives the
// single minimal vector [1, 3, 7, 9]. Appendix D lists [1,5,5,3], [1,5,7,2], [1,6,6,2], [1,7,5,2],
// which repeat the width solutions with phi_1 = 1 and do not satisfy the ordering under this model
// (with [1,5,5,3], Stage2 holds twice Stage3's ReLUs); we implement the model, not the list.
//
// Arguments: min=N, max=N, order=S3>S2>S4>S1, pick=1x3x7x9 (as for equalize width).
// Members are named `<name>[phi_1,...,phi_D]`, the paper's HRN[1,5,5,3] notation.

import type { ArchIR } from '../ir/arch.js';
import { DiagnosticError, error } from '../diagnostics.js';
import { DEPTH_BOX, problemOf, solveDepth, type SearchBox, type SolveResult } from './equalize-solver.js';
import { equalizableNetwork, parseFactorTag, parseOrder } from './equalize-width.js';
import { cloneArch, definePass, fail, intArg, note, type PipelineArg } from './types.js';

export interface EqualizeDepthOptions {
  box: SearchBox;
  boxArg?: PipelineArg;
  order?: { stages: string[]; arg: PipelineArg };
  pick?: { factors: number[]; arg: PipelineArg };
}

const depthTag = (d: readonly number[]) => `[${d.join(',')}]`;

export const equalizeDepthPass = definePass<EqualizeDepthOptions>({
  name: 'equalize depth',
  summary: 'ReLU equalization through depth (Appendix D): stage depths that order the ReLUs, widths fixed',
  usage: 'equalize depth [min=N] [max=N] [order=S3>S2>S4>S1] [pick=1x3x7x9]',
  parse(args) {
    const opts: EqualizeDepthOptions = { box: { ...DEPTH_BOX } };
    for (const arg of args) {
      let m: RegExpExecArray | null;
      if ((m = /^(min|max)=(.*)$/.exec(arg.text)) !== null) {
        const v = intArg({ text: m[2], span: arg.span }, `${m[1]}=`, 1);
        if (m[1] === 'min') opts.box.min = v;
        else opts.box.max = v;
        opts.boxArg = arg;
      } else if ((m = /^order=(.*)$/.exec(arg.text)) !== null) {
        opts.order = { stages: parseOrder(arg, m[1]), arg };
      } else if ((m = /^pick=(.*)$/.exec(arg.text)) !== null) {
        opts.pick = { factors: parseFactorTag(arg, m[1]), arg };
      } else {
        fail(arg.span, `unknown argument '${arg.text}' for equalize depth; expected min=N, max=N, order=S3>S2>..., pick=1x3x7x9`);
      }
    }
    if (opts.box.min > opts.box.max) fail(opts.boxArg!.span, `empty search box: min=${opts.box.min} is above max=${opts.box.max}`);
    return opts;
  },
  apply(input, opts, ctx) {
    const net = equalizableNetwork(input, opts.order, ctx, 'equalize depth');
    let result: SolveResult;
    try {
      result = solveDepth(problemOf(net), opts.box);
    } catch (e) {
      fail(opts.boxArg?.span ?? ctx.step.span, `equalize depth: ${(e as Error).message}`);
    }
    if (result.solutions.length === 0) {
      const f = result.failing;
      const why = f === undefined
        ? 'the compound inequality has no solution'
        : `no depths in ${opts.box.min}..${opts.box.max} satisfy ${f.inequality.text}` +
          (f.index > 0 ? `, given ${result.chain.slice(0, f.index).map((c) => `${c.more} > ${c.less}`).join(', ')}` : '');
      throw new DiagnosticError([error(opts.order?.arg.span ?? ctx.step.span, `equalize depth: ${net.name}: ${why}`)]);
    }
    let depths = result.solutions;
    if (opts.pick !== undefined) {
      const want = opts.pick.factors;
      const hit = depths.find((d) => d.length === want.length && d.every((v, i) => v === want[i]));
      if (hit === undefined) fail(opts.pick.arg.span, `equalize depth: ${depthTag(want)} is not among ${depths.map(depthTag).join(', ')}`);
      depths = [hit];
    }
    ctx.report(
      note(ctx.step.span, `equalize depth: ${net.name}: ${result.solutions.length} Pareto-minimal depth vector(s) in ${opts.box.min}..${opts.box.max}: ${result.solutions.map(depthTag).join(', ')}`),
    );
    const base = net.name.replace(/\[[0-9,]*\]$/, '');
    return depths.map((d): ArchIR => {
      const out = cloneArch(net);
      out.stages.forEach((s, i) => {
        s.depth = d[i];
      });
      out.name = `${base}${depthTag(d)}`;
      return out;
    });
  },
});
