// `deepreshape`: the ReLU optimization steps of HybReNets (paper Algorithm 2) as one composite
// pass. One network in, its variant family out:
//
//   Net       the network, with its least critical stage culled if that stage dominates the ReLU
//             distribution (cull least-critical when dominant)
//   Net^T     Net with every remaining stage thinned (thin remaining)
//   Net^C     Net^T with channels scaled by 0.5 (scale 0.5)
//   Net^R4, Net^R8, Net^R16   Net^T with ReLU-reuse 4, 8, 16 (reuse N)
//
// Members are named for what they are: `HRN-2x5x3x+cullS1`, `HRN-2x5x3x+cullS1+thin`,
// `...+thin+scale0.5`, `...+thin+reuse4`. The sub-steps run through the pass manager, so each is
// recorded in the member's history and shown by --debug. A variant whose channels cannot be scaled
// or split for reuse is left out with a warning.
//
// Arguments: scale=F (default 0.5) and reuse=N, repeatable (default 4, 8, 16).

import type { ArchIR } from '../ir/arch.js';
import { DiagnosticError } from '../diagnostics.js';
import { dominates } from './cull.js';
import { definePass, fail, intArg, numberArg, stepsFromText, warning, type PassContext } from './types.js';

interface DeepReShapeOptions {
  scale: string;
  reuse: number[];
}

function runNamed(ctx: PassContext, net: ArchIR, name: string, step: string): ArchIR[] {
  return ctx.runSteps([{ ...net, name }], stepsFromText(step, ctx.step.span), 'deepreshape');
}

export const deepreshapePass = definePass<DeepReShapeOptions>({
  name: 'deepreshape',
  summary: 'Algorithm 2: cull when dominant, thin, then the variant family (baseline, thinned, scaled 0.5, reuse 4/8/16)',
  usage: 'deepreshape [scale=F] [reuse=N]...',
  composite: true,
  parse(args) {
    let scale = '0.5';
    const reuse: number[] = [];
    for (const a of args) {
      let m: RegExpExecArray | null;
      if ((m = /^scale=(.*)$/.exec(a.text)) !== null) {
        numberArg({ text: m[1], span: a.span }, 'scale=');
        scale = m[1];
      } else if ((m = /^reuse=(.*)$/.exec(a.text)) !== null) {
        reuse.push(intArg({ text: m[1], span: a.span }, 'reuse=', 2));
      } else {
        fail(a.span, `unknown argument '${a.text}' for deepreshape; expected scale=F or reuse=N`);
      }
    }
    return { scale, reuse: reuse.length > 0 ? reuse : [4, 8, 16] };
  },
  apply(net, opts, ctx) {
    // Name the baseline before culling, so the cull step's report already shows the new name.
    const least = net.criticality[net.criticality.length - 1];
    const willCull = least !== undefined && net.stages.some((s) => s.name === least) && dominates(net, least).dominant;
    const [baseline] = runNamed(ctx, net, willCull ? `${net.name}+cull${least}` : net.name, 'cull least-critical when dominant');
    const [thinned] = runNamed(ctx, baseline, `${baseline.name}+thin`, 'thin remaining');
    const family = [baseline, thinned];
    const optional = (name: string, step: string) => {
      try {
        family.push(...runNamed(ctx, thinned, name, step));
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw e;
        ctx.report(warning(ctx.step.span, `deepreshape: ${name} left out: ${e.diagnostics.map((d) => d.message).join('; ')}`));
      }
    };
    optional(`${thinned.name}+scale${opts.scale}`, `scale ${opts.scale}`);
    for (const n of opts.reuse) optional(`${thinned.name}+reuse${n}`, `reuse ${n}`);
    return family;
  },
});
