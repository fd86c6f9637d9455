// Stage criticality C_k, the metric DeepReShape (Tables 10 and 11) takes from DeepReDuce (Jha et
// al. 2021). D + 1 networks are trained: for each stage k the network with the ReLUs of stage k
// only (every other stage culled), and a reference with no ReLUs at all. Every run distils from
// the same teacher (the accuracies the tables call "+KD"). With A_k the accuracy, in percent, of the
// stage-k network and R_k its ReLU count,
//
//   C_k = ((A_k - A_ref) - min_j (A_j - A_ref)) / (R_k / 1000)^0.07
//
// The numerator is what stage k's ReLUs buy over the all-linear network, less what the least
// critical stage's buy, so that stage gets 0; A_ref cancels in it, which is why the tables can
// print C_k without it. The denominator discounts a stage for the ReLUs it spends. The two
// constants (ReLUs in thousands, the exponent 0.07) are those with which this expression gives
// every C_k of all 36 rows of the two tables from their #ReLUs and +KD columns, to the printed
// rounding (test/criticality-paper.test.ts). DeepReDuce's own text could not be read while this
// was written, so they are taken from the published numbers, not from its equation; see
// docs/experiments.md.

/** ReLU counts enter in thousands, as the tables print them (81.92K). */
const RELU_UNIT = 1000;
/** How strongly a stage's ReLU count discounts its accuracy gain. */
const RELU_EXPONENT = 0.07;

export interface StageMeasurement {
  stage: string;
  /** ReLUs of the network that keeps this stage's ReLUs only. */
  relus: number;
  /** Its accuracy as a fraction (0..1), the mean over seeds. */
  accuracy: number;
}

export interface StageCriticality extends StageMeasurement {
  /** Accuracy gain over the all-linear reference, in percentage points; null without a reference. */
  gain: number | null;
  c: number;
}

export interface Criticality {
  /** In the network's stage order. */
  stages: StageCriticality[];
  /** Most critical first; ties keep the earlier stage first. */
  order: string[];
}

/**
 * C_k of each stage from the D stage-only measurements and, when trained, the all-linear
 * reference's accuracy (which changes the gains, not C_k). Throws on a stage without ReLUs, which
 * has nothing to measure.
 */
export function stageCriticality(stages: StageMeasurement[], reference?: { accuracy: number }): Criticality {
  const bad = stages.find((s) => !(s.relus > 0));
  if (bad) throw new Error(`stage ${bad.stage} has no ReLUs: its criticality cannot be measured`);
  const base = reference === undefined ? 0 : 100 * reference.accuracy;
  const gains = stages.map((s) => 100 * s.accuracy - base);
  const least = Math.min(...gains);
  const out = stages.map((s, i) => ({ ...s, gain: reference === undefined ? null : gains[i], c: (gains[i] - least) / (s.relus / RELU_UNIT) ** RELU_EXPONENT }));
  const order = out
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s.c - a.s.c || a.i - b.i)
    .map(({ s }) => s.stage);
  return { stages: out, order };
}

/** The pipeline that keeps the ReLUs of `stage` only. */
export function onlyStagePipeline(stages: string[], stage: string): string | null {
  const others = stages.filter((s) => s !== stage);
  return others.length > 0 ? `cull ${others.join(' ')}` : null;
}

/** The pipeline of the reference: every stage culled, no ReLU left. */
export function allLinearPipeline(stages: string[]): string {
  return `cull ${stages.join(' ')}`;
}
