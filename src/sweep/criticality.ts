// Stage criticality measured by training, after DeepReDuce: for each stage k, the network is
// trained with the ReLUs of stage k only (every other stage culled). The more accuracy a stage's
// ReLUs alone buy, the more critical they are.
//
// Normalisation (hrn's choice): C_k = 100 * (A_k - min_j A_j), the test-accuracy gain in
// percentage points of the ReLUs of stage k over those of the least critical stage, where A_k is
// the mean test accuracy over seeds. The least critical stage gets 0, as in the paper's tables;
// the values are not comparable across data sets or training budgets, the order is what counts.

export interface StageAccuracy {
  stage: string;
  /** Mean test accuracy of the network with only this stage's ReLUs. */
  accuracy: number;
}

export interface StageCriticality extends StageAccuracy {
  c: number;
}

/** C_k per stage, in the network's stage order, and the stages most critical first (ties: earlier stage first). */
export function stageCriticality(accs: StageAccuracy[]): { stages: StageCriticality[]; order: string[] } {
  const min = Math.min(...accs.map((a) => a.accuracy));
  const stages = accs.map((a) => ({ ...a, c: 100 * (a.accuracy - min) }));
  const order = stages
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s.accuracy - a.s.accuracy || a.i - b.i)
    .map(({ s }) => s.stage);
  return { stages, order };
}

/** The pipeline that keeps the ReLUs of `stage` only. */
export function onlyStagePipeline(stages: string[], stage: string): string | null {
  const others = stages.filter((s) => s !== stage);
  return others.length > 0 ? `cull ${others.join(' ')}` : null;
}
