// `alpha K`: the capacity-criticality step (paper §4.3, Appendix E). Setting the first stagewise
// factor alpha to K (the paper uses 2) narrows every stage after the first, so the least critical
// Stage1 holds a larger share of the ReLUs and the network needs far fewer FLOPs; the later stages
// keep their criticality order (Table 11). Channels are recomputed from the width basis; the stem
// and Stage1 keep m channels. The name's factor tag follows: HRN-5x5x3x -> HRN-2x5x3x.

import { definePass, cloneArch, expectArgCount, fail, intArg } from './types.js';
import { checkReshaped } from './reshape-checks.js';
import { applyBasis, retag, widthBasisOf } from './widths.js';

export const alphaPass = definePass<{ k: number }>({
  name: 'alpha',
  summary: 'capacity-criticality step (sec. 4.3): set the first stagewise factor alpha to K',
  usage: 'alpha K',
  parse(args, ctx) {
    expectArgCount(args, 1, ctx, this.usage);
    return { k: intArg(args[0], 'alpha', 1) };
  },
  apply(net, { k }, ctx) {
    if (net.stages.length < 2) fail(ctx.step.span, `alpha: ${net.name} has one stage, so there is no stagewise factor to set`);
    const basis = widthBasisOf(net);
    if (basis === null) {
      fail(
        ctx.step.span,
        `alpha: the channels of ${net.name} (${net.stages.map((s) => s.channels).join(', ')}) are not whole multiples ` +
          `of each other, so there is no width basis (m and factors) to change`,
      );
    }
    const out = cloneArch(net);
    basis.factors[0] = k;
    applyBasis(out, basis);
    out.name = retag(net.name, basis.factors);
    checkReshaped(out, `alpha ${k}`, ctx.step.span);
    return [out];
  },
});
