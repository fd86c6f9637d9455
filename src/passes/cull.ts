// `cull`: ReLU culling (DeepReDuce; paper §4.3 and Algorithm 2 lines 1-4). A culled stage loses
// every ReLU; culling Stage1 removes the stem's ReLU too, since the stem counts in Stage1.
//
//   cull S1 [S2 ...]                     cull the named stages
//   cull S2.b1.relu1 [...]               cull single ReLU layers (src/passes/layers.ts)
//   cull least-critical                  cull the last stage of the criticality order
//   cull least-critical when dominant    Algorithm 2 line 1: cull the least critical stage only if
//                                        it dominates the ReLU distribution, i.e. holds more than an
//                                        even share of the network's ReLUs (strictly more than 1/D of
//                                        them for D stages, stem counted in Stage1); otherwise the
//                                        network passes through unchanged, with a note.
//
// Why "more than 1/D" and not "the largest share": it is the one rule that reproduces every culling
// decision of the paper's Tables 6, 13 and 14. ResNet34-based HRN-2x6x3x (Table 14) has its Stage1 at
// 29.9% and Stage3 at 38.5%, yet the paper culls Stage1; ResNet18-based HRN-5x5x3x (Table 6) has
// Stage1 at 23.9% and is not culled. Both sit on the right side of 25% for four stages.

import type { ArchIR } from '../ir/arch.js';
import { countGraph } from '../ir/count.js';
import { lowerToGraph } from '../ir/lower.js';
import { isLayerArg, reluLayerArgs } from './layers.js';
import { cloneArch, definePass, fail, note, spanOf, stageArgs, warning, type PipelineArg } from './types.js';

type CullOptions =
  | { kind: 'stages'; args: PipelineArg[] }
  | { kind: 'least-critical'; whenDominant: boolean };

/** ReLUs per stage, the stem counted in Stage1 (the per-stage table's convention). */
export function stageRelus(net: ArchIR): Map<string, number> {
  const rows = countGraph(lowerToGraph(net)).rows.filter((r) => r.stage !== 'head');
  return new Map(rows.map((r) => [r.stage, r.relus]));
}

/** Whether `stage` holds strictly more than an even share (1/D) of the network's ReLUs. */
export function dominates(net: ArchIR, stage: string): { dominant: boolean; counts: Map<string, number>; evenShare: number } {
  const counts = stageRelus(net);
  const mine = counts.get(stage) ?? 0;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  // mine / total > 1 / D, in integers so that an exactly even share is not dominant.
  const dominant = mine > 0 && mine * counts.size > total;
  return { dominant, counts, evenShare: 1 / counts.size };
}

const pct = (part: number, total: number) => (total === 0 ? '0.0%' : `${((100 * part) / total).toFixed(1)}%`);

export const cullPass = definePass<CullOptions>({
  name: 'cull',
  summary: 'ReLU culling: remove every ReLU of the named stages, or of the least critical one (when it dominates)',
  usage: 'cull S1 [S2 ...] | cull S2.b1.relu1 [...] | cull least-critical [when dominant]',
  parse(args, ctx) {
    if (args.length === 0) fail(ctx.step.span, `cull needs stages (cull S1) or 'least-critical [when dominant]'`);
    if (args[0].text === 'least-critical') {
      const rest = args.slice(1).map((a) => a.text).join(' ');
      if (rest === '') return { kind: 'least-critical', whenDominant: false };
      if (rest === 'when dominant') return { kind: 'least-critical', whenDominant: true };
      fail(spanOf(args.slice(1), ctx.step.span), `expected 'when dominant' after 'cull least-critical', got '${rest}'`);
    }
    return { kind: 'stages', args: [...args] };
  },
  apply(net, opts, ctx) {
    const out = cloneArch(net);
    let targets: string[];
    if (opts.kind === 'stages' && opts.args.some(isLayerArg)) {
      for (const sel of reluLayerArgs(opts.args, net, 'cull')) {
        const s = out.stages.find((x) => x.name === sel.stage)!;
        if (sel.whole) s.relu = { culled: true, thinned: false, reuse: 1 };
        else s.relu.culledLayers = [...new Set([...(s.relu.culledLayers ?? []), ...sel.positions])].sort((a, b) => a - b);
      }
      return [out];
    }
    if (opts.kind === 'stages') {
      targets = stageArgs(opts.args, net, 'cull');
    } else {
      const least = net.criticality[net.criticality.length - 1];
      if (least === undefined || !net.stages.some((s) => s.name === least)) {
        fail(ctx.step.span, `cull least-critical: ${net.name} has no criticality order; declare 'criticality' in the network`);
      }
      if (opts.whenDominant) {
        const { dominant, counts, evenShare } = dominates(net, least);
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        const share = `${least} holds ${pct(counts.get(least) ?? 0, total)} of the ReLUs`;
        const even = `an even share (1/${counts.size} = ${pct(evenShare, 1)})`;
        if (!dominant) {
          ctx.report(note(ctx.step.span, `cull least-critical when dominant: ${net.name}: ${share}, not more than ${even}; nothing culled`));
          return [out];
        }
        ctx.report(note(ctx.step.span, `cull least-critical when dominant: ${net.name}: ${share}, more than ${even}; culled`));
      }
      targets = [least];
    }
    for (const name of targets) {
      const s = out.stages.find((x) => x.name === name)!;
      if (s.relu.culled) ctx.report(warning(ctx.step.span, `cull: ${net.name}: ${name} is already culled`));
      s.relu = { culled: true, thinned: false, reuse: 1 };
    }
    return [out];
  },
});
