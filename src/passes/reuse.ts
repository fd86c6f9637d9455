// `reuse N`: ReLU-reuse (paper §4.2, Figure 9; Algorithm 2 lines 7-9). Every remaining ReLU layer of
// the chosen stages keeps ReLUs on C/N of its C channels; the others reuse them through a
// three-group wiring with a Res2Net-style shortcut, grouped convolutions and a 1x1 mixing
// convolution. The wiring is the lowering's (src/ir/reuse.ts, drawn in docs/passes.md); this pass
// sets `relu.reuse` and checks that the channels split.
//
//   reuse N              every stage that still has ReLUs
//   reuse N S3 S4        only these stages
//   reuse N S2.b1.relu1  single ReLU layers (src/passes/layers.ts)
//   reuse N alternate    every other ReLU layer (the ones thinning keeps), of all or the named stages
//
// N >= 2 (reuse 1 restores ordinary ReLUs). Each affected layer's channel count must be divisible by
// 4 (the reused quarter) and by N (the activated share); the stem's too when its ReLU survives.

import { cloneArch, definePass, fail, intArg, stageArgs, warning, type PipelineArg } from './types.js';
import { reuseSplitProblem } from '../ir/reuse.js';
import { stageOutChannels } from '../ir/lower.js';
import { isLayerArg, reluLayerArgs } from './layers.js';

interface ReuseOptions {
  n: number;
  nArg: PipelineArg;
  stages?: PipelineArg[];
}

export const reusePass = definePass<ReuseOptions>({
  name: 'reuse',
  summary: 'ReLU-reuse: keep ReLUs on C/N channels of every remaining ReLU layer',
  usage: 'reuse N [S2 S3 ... | S2.b1.relu1 ... | alternate]',
  parse(args, ctx) {
    if (args.length === 0) fail(ctx.step.span, `reuse needs the reduction factor N: reuse 4`);
    const n = intArg(args[0], 'the reuse factor N', 1);
    return { n, nArg: args[0], stages: args.length > 1 ? args.slice(1) : undefined };
  },
  apply(net, { n, nArg, stages }, ctx) {
    const out = cloneArch(net);
    const selection = stages !== undefined && stages.some(isLayerArg)
      ? reluLayerArgs(stages, net, 'reuse')
      : (stages === undefined ? out.stages.map((s) => s.name) : stageArgs(stages, net, 'reuse')).map((stage) => ({ stage, positions: [0], whole: true }));
    const chosen = selection.filter((sel) => sel.positions.length > 0 && !out.stages.find((s) => s.name === sel.stage)!.relu.culled);
    if (chosen.length === 0) {
      const named = selection.map((s) => s.stage);
      ctx.report(warning(ctx.step.span, `reuse: ${net.name} has no ReLUs left in ${named.join(', ')}; nothing to do`));
      return [out];
    }
    if (n > 1) {
      const bad: string[] = [];
      for (const sel of chosen) {
        const s = out.stages.find((x) => x.name === sel.stage)!;
        const widths = new Set([s.channels, stageOutChannels(net, s)]);
        // The stem's ReLU survives (and is selected): its channels must split too.
        const stem = s === out.stages[0] && !s.relu.thinned && (sel.whole || sel.positions.includes(0));
        if (stem) widths.add(net.stem.channels);
        for (const c of widths) {
          const why = reuseSplitProblem(c, n);
          if (why !== null) bad.push(`${s.name}${stem && c === net.stem.channels && c !== s.channels ? ' (stem)' : ''}: ${why}`);
        }
      }
      if (bad.length > 0) fail(nArg.span, `reuse ${n}: ${net.name}: ${bad.join('; ')}`);
    }
    for (const sel of chosen) {
      const s = out.stages.find((x) => x.name === sel.stage)!;
      if (sel.whole) {
        s.relu.reuse = n;
        delete s.relu.layerReuse;
        continue;
      }
      const layers = { ...(s.relu.layerReuse ?? {}) };
      for (const p of sel.positions) layers[p] = n;
      s.relu.layerReuse = layers;
    }
    return [out];
  },
});
