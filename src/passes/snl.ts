// `snl BUDGET [per-channel]`: selective network linearization (SNL, Cho et al. 2022). Every ReLU of
// the stem and the stages becomes a partial ReLU y = m*relu(x) + (1-m)*x whose mask m is learned in
// training under an L1 penalty, then binarized so that exactly BUDGET ReLUs stay nonlinear
// (src/train/snl.ts runs that schedule; docs/passes.md says where hrn differs from the paper).
//
//   snl 15000              one mask entry per activation element (SNL's per-pixel masks)
//   snl 15000 per-channel  one mask entry per channel of each ReLU layer
//
// The pass itself only records the plan: which ReLUs are kept is decided by training, so before
// training the network counts "at most BUDGET". A budget above the ReLUs the network still has is
// an error at the budget, since no mask could meet it by keeping more ReLUs than exist.

import type { ArchIR } from '../ir/arch.js';
import { countGraph } from '../ir/count.js';
import { lowerToGraph } from '../ir/lower.js';
import { cloneArch, definePass, fail, glueArgs, warning, type PipelineArg } from './types.js';

interface SnlOptions {
  budget: number;
  budgetArg: PipelineArg;
  granularity: 'pixel' | 'channel';
}

const USAGE = 'snl BUDGET [per-pixel | per-channel]   (e.g. snl 15000)';

/** ReLUs an SNL mask can keep: those of the stem and the stages (the head's stay ordinary). */
export function snlCandidates(net: ArchIR): number {
  const counts = countGraph(lowerToGraph({ ...net, snl: undefined }));
  return counts.rows.filter((r) => r.stage !== 'head').reduce((sum, r) => sum + r.relus, 0);
}

/** The fewest ReLUs one channel of a candidate layer has. */
function smallestPlane(net: ArchIR): number {
  const planes = lowerToGraph({ ...net, snl: undefined }).nodes.flatMap((n) => (n.op === 'relu' && n.region !== 'head' ? [n.shape.h * n.shape.w] : []));
  return Math.min(...planes);
}

export const snlPass = definePass<SnlOptions>({
  name: 'snl',
  summary: 'selective network linearization (SNL): learn which BUDGET ReLUs to keep, per pixel or per channel',
  usage: USAGE,
  parse(raw, ctx) {
    const args = glueArgs(raw);
    if (args.length === 0) fail(ctx.step.span, `snl needs a ReLU budget; usage: ${USAGE}`);
    const budgetArg = args[0];
    if (!/^-?[0-9]+$/.test(budgetArg.text)) fail(budgetArg.span, `snl: the ReLU budget must be a whole number, got '${budgetArg.text}'`);
    const budget = Number(budgetArg.text);
    if (budget <= 0) fail(budgetArg.span, `snl: the ReLU budget must be at least 1, got ${budgetArg.text}`);
    // Above every network's ReLUs (the language's limits keep networks far smaller).
    if (!Number.isSafeInteger(budget)) fail(budgetArg.span, `snl: the ReLU budget ${budgetArg.text} is too large`);
    let granularity: SnlOptions['granularity'] = 'pixel';
    for (const a of args.slice(1)) {
      if (a.text === 'per-channel') granularity = 'channel';
      else if (a.text === 'per-pixel') granularity = 'pixel';
      else fail(a.span, `snl: unexpected argument '${a.text}'; usage: ${USAGE}`);
    }
    if (args.length > 2) fail(args[2].span, `snl: unexpected argument '${args[2].text}'; usage: ${USAGE}`);
    return { budget, budgetArg, granularity };
  },
  apply(net, { budget, budgetArg, granularity }, ctx) {
    const candidates = snlCandidates(net);
    if (budget > candidates) {
      fail(budgetArg.span, `snl: the budget of ${budget.toLocaleString('en-US')} ReLUs is above the ${candidates.toLocaleString('en-US')} that ${net.name} has; give at most ${candidates.toLocaleString('en-US')}`);
    }
    // Per channel an entry keeps a whole plane, so binarization can stop short of the budget by
    // less than the smallest plane (src/train/snl.ts): say so when that could be over 5% of it.
    const plane = granularity === 'channel' ? smallestPlane(net) : 1;
    if (plane - 1 > 0.05 * budget) {
      ctx.report(warning(budgetArg.span, `snl: per channel, each kept channel keeps its whole plane, and the smallest plane of ${net.name} is ${plane.toLocaleString('en-US')} ReLUs, so the kept count can fall up to ${(plane - 1).toLocaleString('en-US')} below the budget of ${budget.toLocaleString('en-US')}`));
    }
    const out = cloneArch(net);
    out.snl = { budget, granularity };
    return [out];
  },
});
