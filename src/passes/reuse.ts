// `reuse N`: ReLU-reuse (paper §4.2, Figure 9; Algorithm 2 lines 7-9). Every remaining ReLU layer of
// the chosen stages keeps ReLUs on C/N of its C channels; the others reuse them through a
// three-group wiring with a Res2Net-style shortcut, grouped convolutions and a 1x1 mixing
// convolution. The wiring is the lowering's (src/ir/reuse.ts, drawn in docs/passes.md); this pass
// sets `relu.reuse` and checks that the channels split.
//
//   reuse N              every stage that still has ReLUs
//   reuse N S3 S4        only these stages
//
// N >= 2 (reuse 1 restores ordinary ReLUs). Each affected layer's channel count must be divisible by
// 4 (the reused quarter) and by N (the activated share); the stem's too when its ReLU survives.

import { cloneArch, definePass, fail, intArg, stageArgs, warning, type PipelineArg } from './types.js';
import { reuseProblems } from './reshape-checks.js';

interface ReuseOptions {
  n: number;
  nArg: PipelineArg;
  stages?: PipelineArg[];
}

export const reusePass = definePass<ReuseOptions>({
  name: 'reuse',
  summary: 'ReLU-reuse: keep ReLUs on C/N channels of every remaining ReLU layer',
  usage: 'reuse N [S2 S3 ...]',
  parse(args, ctx) {
    if (args.length === 0) fail(ctx.step.span, `reuse needs the reduction factor N: reuse 4`);
    const n = intArg(args[0], 'the reuse factor N', 1);
    return { n, nArg: args[0], stages: args.length > 1 ? args.slice(1) : undefined };
  },
  apply(net, { n, nArg, stages }, ctx) {
    const out = cloneArch(net);
    const named = stages === undefined ? out.stages.map((s) => s.name) : stageArgs(stages, net, 'reuse');
    const targets = out.stages.filter((s) => named.includes(s.name) && !s.relu.culled);
    if (targets.length === 0) {
      ctx.report(warning(ctx.step.span, `reuse: ${net.name} has no ReLUs left in ${named.join(', ')}; nothing to do`));
      return [out];
    }
    if (n > 1) {
      const bad = reuseProblems(out, targets, n);
      if (bad.length > 0) fail(nArg.span, `reuse ${n}: ${net.name}: ${bad.join('; ')}`);
    }
    for (const s of targets) s.relu.reuse = n;
    return [out];
  },
});
