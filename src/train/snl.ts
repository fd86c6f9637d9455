// The SNL schedule in training (Cho et al. 2022, "Selective Network Linearization"), for networks
// after the `snl BUDGET` pass. Two phases:
//
//   search     masks start at 1 and train with the weights; an L1 penalty on the masks, its weight
//              multiplied by `growth` after every epoch, pushes them toward 0. After each epoch the
//              ReLUs whose mask entry is above `threshold` are counted. Once that count is within
//              the budget, or the search epochs are spent, the masks are binarized: the BUDGET
//              largest entries become 1 (the ReLUs kept), every other 0.
//   finetune   the remaining epochs train the weights with the binary masks frozen.
//
// Where hrn differs from the paper is in docs/passes.md ("snl BUDGET").

import { maskName, type LayerGraph } from '../ir/graph.js';
import type { StepOptions, Trainer } from '../runtime/trainer.js';
import { keptRelus, maskedRelus } from '../weights/snl-masks.js';
import type { Weights } from '../weights/weights.js';

export interface SnlScheduleOptions {
  budget: number;
  /** Epochs of mask search at most; the rest fine-tune. */
  searchEpochs: number;
  /** The L1 weight of the first epoch. */
  penalty: number;
  /** The factor the L1 weight grows by after each search epoch that ends above the budget. */
  growth: number;
  /** A mask entry above it counts as a kept ReLU during the search. */
  threshold: number;
}

/** The schedule's defaults (docs/training.md, "SNL"). */
export const SNL_DEFAULTS = { penalty: 1e-4, growth: 2, threshold: 1e-2 } as const;

/** The default schedule for a budget and a run of `epochs`: half of them (at least 1) search. */
export function defaultSnlSchedule(budget: number, epochs: number): SnlScheduleOptions {
  return { budget, searchEpochs: Math.max(1, Math.floor(epochs / 2)), ...SNL_DEFAULTS };
}

/** What a checkpoint records of the schedule (state.json `extra.snl`), so a resumed run goes on. */
export interface SnlState {
  phase: 'search' | 'finetune';
  penalty: number;
  /** ReLUs above the threshold after the last search epoch (the kept count after binarization). */
  count: number;
  /** The epoch whose end binarized the masks. */
  binarizedAfter?: number;
}

/** ReLUs whose mask entry is above `threshold` (a per-channel entry counts its whole plane). */
export function countAboveThreshold(graph: LayerGraph, weights: Weights, threshold: number): number {
  let total = 0;
  for (const n of maskedRelus(graph)) {
    const plane = n.mask === 'pixel' ? 1 : n.shape.h * n.shape.w;
    for (const v of weights.get(maskName(n))!.data) if (v > threshold) total += plane;
  }
  return total;
}

/**
 * The masks binarized to the budget: entries taken largest first (ties in network order), each
 * kept while the ReLUs kept stay within the budget. Per pixel that keeps exactly the budget; per
 * channel an entry that would overshoot is skipped and smaller ones fill the rest. Returns new
 * weights (the masks replaced) and leaves `weights` as it was.
 */
export function binarizeMasks(graph: LayerGraph, weights: Weights, budget: number): Weights {
  const entries: { value: number; name: string; index: number; relus: number; order: number }[] = [];
  for (const n of maskedRelus(graph)) {
    const relus = n.mask === 'pixel' ? 1 : n.shape.h * n.shape.w;
    weights.get(maskName(n))!.data.forEach((value, index) => entries.push({ value, name: maskName(n), index, relus, order: entries.length }));
  }
  entries.sort((a, b) => b.value - a.value || a.order - b.order);
  const out: Weights = new Map([...weights].map(([k, t]) => [k, k.endsWith('.mask') ? { shape: [...t.shape], data: new Float32Array(t.data.length) } : t]));
  let kept = 0;
  for (const e of entries) {
    if (kept + e.relus > budget) continue;
    out.get(e.name)!.data[e.index] = 1;
    kept += e.relus;
    if (kept === budget) break;
  }
  return out;
}

export class SnlSchedule {
  private state: SnlState;

  constructor(
    private readonly graph: LayerGraph,
    private readonly o: SnlScheduleOptions,
    restored?: SnlState,
  ) {
    this.state = restored ?? { phase: 'search', penalty: o.penalty, count: Number.NaN };
  }

  /** What every step of the current phase passes to the trainer. */
  stepOptions(): StepOptions {
    return this.state.phase === 'search' ? { maskPenalty: this.state.penalty } : { masksFrozen: true };
  }

  record(): SnlState {
    return { ...this.state };
  }

  /**
   * After epoch `epochsDone` (1-based): counts the masks and, when the search is over, binarizes
   * them on the trainer and freezes them. Returns the progress line to show.
   */
  async endEpoch(epochsDone: number, trainer: Trainer): Promise<string> {
    const { o } = this;
    const int = (n: number) => n.toLocaleString('en-US');
    if (this.state.phase === 'finetune') return `snl: fine-tuning with ${int(this.state.count)} ReLUs kept (budget ${int(o.budget)})`;
    const weights = await trainer.readWeights();
    const count = countAboveThreshold(this.graph, weights, o.threshold);
    const penalty = this.state.penalty;
    if (count > o.budget && epochsDone < o.searchEpochs) {
      this.state = { phase: 'search', penalty: penalty * o.growth, count };
      return `snl: epoch ${epochsDone}: ${int(count)} ReLUs with mask above ${o.threshold} (budget ${int(o.budget)}); L1 weight ${penalty.toExponential(2)} -> ${this.state.penalty.toExponential(2)}`;
    }
    const binary = binarizeMasks(this.graph, weights, o.budget);
    trainer.setWeights(binary);
    // Frozen masks stay exactly where binarization put them only without momentum left over.
    const momentum = await trainer.readMomentum();
    for (const [name, t] of momentum) if (name.endsWith('.mask')) t.data.fill(0);
    trainer.setMomentum(momentum);
    const kept = [...keptRelus(this.graph, binary).values()].reduce((a, b) => a + b, 0);
    this.state = { phase: 'finetune', penalty, count: kept, binarizedAfter: epochsDone };
    const why = count <= o.budget ? `${int(count)} ReLUs with mask above ${o.threshold}, within the budget` : `the search epochs are spent with ${int(count)} ReLUs above ${o.threshold}`;
    return `snl: epoch ${epochsDone}: ${why}; masks binarized to the ${int(kept)} largest (budget ${int(o.budget)}), frozen from here`;
  }
}
