// Checks for passes that change channel counts (scale, alpha, equalize width). Factors applied to a
// width basis can leave fractional channels or channels a grouped convolution cannot split, and a
// later pass may
// undo what an earlier one relied on: `reuse 4; scale 0.625` leaves 10-channel stages that ReLU-reuse
// cannot split, and `scale 1000` can grow a network past the language's limits. Each such pass
// checks its outputs here, so the problem is a diagnostic naming the pass and the stage, not a
// failure later in lowering.

import type { SourceSpan } from '../diagnostics.js';
import type { ArchIR } from '../ir/arch.js';
import { stageOutChannels } from '../ir/lower.js';
import { reuseSplitProblem } from '../ir/reuse.js';
import { networkSizeProblem } from '../ir/limits.js';
import { fail } from './types.js';

/**
 * Why the ReLU-reuse of `stages` (factor `n`) cannot be lowered in `net`, one entry per stage:
 * every affected layer's channels must split, the stem's too when its ReLU survives.
 */
export function reuseProblems(net: ArchIR, stages: readonly ArchIR['stages'][number][], n: number): string[] {
  const bad: string[] = [];
  for (const s of stages) {
    const widths = new Set([s.channels, stageOutChannels(net, s)]);
    const stemToo = s === net.stages[0] && !s.relu.thinned; // the stem's ReLU survives
    if (stemToo) widths.add(net.stem.channels);
    for (const c of widths) {
      const why = reuseSplitProblem(c, n);
      if (why !== null) bad.push(`${s.name}${stemToo && c === net.stem.channels && c !== s.channels ? ' (stem)' : ''}: ${why}`);
    }
  }
  return bad;
}

/** Fails at `span` when `out`, produced by `pass` from its input, breaks reuse or a limit. */
export function checkReshaped(out: ArchIR, pass: string, span: SourceSpan): void {
  const fractional = out.stages.filter((s) => !Number.isInteger(s.channels) || s.channels < 1);
  if (fractional.length > 0) {
    fail(span, `${pass}: ${out.name} would get ${fractional.map((s) => `${s.name} ${s.channels} channels`).join(', ')}; channel counts must be whole numbers`);
  }
  const ungrouped = out.stages.filter((s) => s.groups !== undefined && s.channels % s.groups !== 0);
  if (ungrouped.length > 0) {
    fail(span, `${pass}: ${out.name} would get ${ungrouped.map((s) => `${s.name} ${s.channels} channels, not divisible by its groups ${s.groups}`).join('; ')}`);
  }
  const reused = out.stages.filter((s) => s.relu.reuse > 1 && !s.relu.culled);
  for (const n of new Set(reused.map((s) => s.relu.reuse))) {
    const bad = reuseProblems(out, reused.filter((s) => s.relu.reuse === n), n);
    if (bad.length > 0) {
      fail(span, `${pass}: ${out.name} has ReLU-reuse ${n} from an earlier step, which its new channels cannot keep (${bad.join('; ')}); put reuse after ${pass.split(' ')[0]}`);
    }
  }
  const big = networkSizeProblem(out);
  if (big !== undefined) fail(span, `${pass}: the result is too large: ${big}`);
}
