// `thin`: ReLU thinning (DeepReDuce; paper §4.3, Algorithm 2 line 5). A thinned stage drops every
// other ReLU layer, counting its ReLU layers in order (the stem's first in Stage1) and dropping the
// first: in Stage1 the stem's ReLU and each block's second ReLU go; in later stages each basic
// block keeps only the ReLU after its residual add (docs/architecture.md, "Counting"; lowering decides per layer, see
// `reluKept` in src/ir/lower.ts). Thinning halves a stage's ReLUs without looking at criticality.
//
//   thin S2 S3 S4      the named stages
//   thin all           every stage
//   thin remaining     every stage that still has ReLUs (not culled): Algorithm 2's "thin the rest"

import { cloneArch, definePass, fail, stageArgs, warning, type PipelineArg } from './types.js';

type ThinOptions = { kind: 'remaining' } | { kind: 'stages'; args: PipelineArg[] };

export const thinPass = definePass<ThinOptions>({
  name: 'thin',
  summary: 'ReLU thinning: drop every other ReLU layer of the named stages',
  usage: 'thin S2 S3 S4 | thin all | thin remaining',
  parse(args, ctx) {
    if (args.length === 0) fail(ctx.step.span, `thin needs stages: thin S2 S3 S4, thin all, or thin remaining`);
    if (args.length === 1 && args[0].text === 'remaining') return { kind: 'remaining' };
    return { kind: 'stages', args: [...args] };
  },
  apply(net, opts, ctx) {
    const out = cloneArch(net);
    const targets = opts.kind === 'remaining'
      ? out.stages.filter((s) => !s.relu.culled).map((s) => s.name)
      : stageArgs(opts.args, net, 'thin');
    for (const name of targets) {
      const s = out.stages.find((x) => x.name === name)!;
      if (s.relu.culled) {
        const named = opts.kind === 'stages' && !opts.args.some((a) => a.text === 'all');
        if (named) ctx.report(warning(ctx.step.span, `thin: ${net.name}: ${name} is culled; thinning it changes nothing`));
        continue;
      }
      s.relu.thinned = true;
    }
    return [out];
  },
});
