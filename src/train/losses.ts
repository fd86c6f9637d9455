// Training losses with their gradients w.r.t. the student's logits, in plain float64 TypeScript:
// the oracles for the GPU loss kernels. Logits are [batch, classes] row-major; every loss is the
// mean over the batch, and `grad` is d(loss)/d(logits) of that mean.
//
// - softmax cross-entropy: mean_n -log softmax(z_n)[y_n]
// - Hinton KD (docs/architecture.md, "Training recipe"; mdistiller's KD): ceWeight * CE + kdWeight * T^2 * KL(p_t || p_s),
//   p = softmax(z / T), KL summed over classes and averaged over the batch; 0.1, 0.9, T = 4.
// - Decoupled KD (Zhao et al. 2022, mdistiller's DKD): ceWeight * CE + w * (alpha * TCKD + beta * NCKD),
//   w = min(epoch / warmup, 1); with p = softmax(z / T) and y the target,
//     TCKD = T^2 * KL([p_t(y), 1 - p_t(y)] || [p_s(y), 1 - p_s(y)])   (binary target / non-target)
//     NCKD = T^2 * KL(q_t || q_s),  q = softmax over the non-target classes of z / T
//   mdistiller masks the target logit by subtracting 1000 before the softmax; that is the exact
//   exclusion used here up to exp(-1000 / T) = 0. `epoch` counts as mdistiller does, from 1, so
//   epoch 1 of a 20-epoch warm-up weighs 0.05.
//
// Gradients (z the student logits of one row, B the batch):
//   CE:   (softmax(z) - onehot(y)) / B
//   KD:   T^2 * (1/T) * (p_s - p_t) / B
//   TCKD: T^2/B * (1/T) * { (b_s - b_t) at y;  q_s(j) * (b_t - b_s) elsewhere },  b = p(y)
//   NCKD: T^2/B * (1/T) * { 0 at y;  q_s(j) - q_t(j) elsewhere }

export interface LossResult {
  /** Mean over the batch. */
  loss: number;
  /** d loss / d student logits, [batch, classes]. */
  grad: Float64Array;
}

function checkShapes(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number, teacher?: ArrayLike<number>): number {
  const batch = labels.length;
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`loss: need at least 2 classes, got ${classes}`);
  if (logits.length !== batch * classes) throw new Error(`loss: ${logits.length} logits for ${batch} labels x ${classes} classes`);
  if (teacher && teacher.length !== logits.length) throw new Error(`loss: teacher has ${teacher.length} logits, the student ${logits.length}`);
  for (let n = 0; n < batch; n++) {
    const y = labels[n];
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new Error(`loss: label ${y} at ${n} outside 0..${classes - 1}`);
  }
  return batch;
}

/** log-sum-exp of row `n` of z / t, skipping column `skip` (or -1). */
function lse(z: ArrayLike<number>, base: number, k: number, t: number, skip = -1): number {
  let m = -Infinity;
  for (let i = 0; i < k; i++) if (i !== skip) m = Math.max(m, z[base + i] / t);
  let s = 0;
  for (let i = 0; i < k; i++) if (i !== skip) s += Math.exp(z[base + i] / t - m);
  return m + Math.log(s);
}

/** Row-wise softmax of z / t into `out` (float64). */
function softmaxRow(z: ArrayLike<number>, base: number, k: number, t: number, out: Float64Array, skip = -1): void {
  const l = lse(z, base, k, t, skip);
  for (let i = 0; i < k; i++) out[i] = i === skip ? 0 : Math.exp(z[base + i] / t - l);
}

export function softmaxCrossEntropy(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): LossResult {
  const batch = checkShapes(logits, labels, classes);
  const grad = new Float64Array(batch * classes);
  const p = new Float64Array(classes);
  let loss = 0;
  for (let n = 0; n < batch; n++) {
    const base = n * classes;
    const y = labels[n];
    loss += lse(logits, base, classes, 1) - logits[base + y];
    softmaxRow(logits, base, classes, 1, p);
    for (let i = 0; i < classes; i++) grad[base + i] = (p[i] - (i === y ? 1 : 0)) / batch;
  }
  return { loss: loss / batch, grad };
}

export interface KdOptions {
  temperature?: number;
  ceWeight?: number;
  kdWeight?: number;
}

export const KD_DEFAULTS = { temperature: 4, ceWeight: 0.1, kdWeight: 0.9 } as const;

export interface KdResult extends LossResult {
  ce: number;
  /** T^2 * KL(p_t || p_s), batch mean, before kdWeight. */
  kd: number;
}

/** KL(p || q) of two distributions given as log-probabilities, with 0 log 0 = 0. */
function klLog(logp: number, logq: number): number {
  return logp === -Infinity ? 0 : Math.exp(logp) * (logp - logq);
}

export function hintonKd(student: ArrayLike<number>, teacher: ArrayLike<number>, labels: ArrayLike<number>, classes: number, o: KdOptions = {}): KdResult {
  const T = o.temperature ?? KD_DEFAULTS.temperature;
  const wc = o.ceWeight ?? KD_DEFAULTS.ceWeight;
  const wk = o.kdWeight ?? KD_DEFAULTS.kdWeight;
  const batch = checkShapes(student, labels, classes, teacher);
  const ce = softmaxCrossEntropy(student, labels, classes);
  const grad = new Float64Array(batch * classes);
  let kd = 0;
  for (let n = 0; n < batch; n++) {
    const base = n * classes;
    const ls = lse(student, base, classes, T);
    const lt = lse(teacher, base, classes, T);
    for (let i = 0; i < classes; i++) {
      const logps = student[base + i] / T - ls;
      const logpt = teacher[base + i] / T - lt;
      kd += klLog(logpt, logps);
      // d/dz of T^2 KL / B = T (p_s - p_t) / B
      grad[base + i] = wc * ce.grad[base + i] + (wk * T * (Math.exp(logps) - Math.exp(logpt))) / batch;
    }
  }
  kd = (kd * T * T) / batch;
  return { loss: wc * ce.loss + wk * kd, grad, ce: ce.loss, kd };
}

export interface DkdOptions {
  /** TCKD weight (mdistiller: 1). */
  alpha?: number;
  /** NCKD weight (mdistiller: 8 for CIFAR-100; the paper's sweep uses 0.8, 1, 2, 6, 8). */
  beta?: number;
  temperature?: number;
  ceWeight?: number;
  /** Warm-up epochs of the KD term (default 20). */
  warmup?: number;
  /** Current epoch, counted from 1 as mdistiller does. */
  epoch: number;
}

export const DKD_DEFAULTS = { alpha: 1, beta: 8, temperature: 4, ceWeight: 1, warmup: 20 } as const;

export interface DkdResult extends LossResult {
  ce: number;
  /** T^2 * binary KL, batch mean, unweighted. */
  tckd: number;
  /** T^2 * non-target KL, batch mean, unweighted. */
  nckd: number;
  /** The warm-up factor min(epoch / warmup, 1). */
  warm: number;
}

export function dkdWarmup(epoch: number, warmup: number): number {
  return warmup > 0 ? Math.min(Math.max(epoch, 0) / warmup, 1) : 1;
}

export function decoupledKd(student: ArrayLike<number>, teacher: ArrayLike<number>, labels: ArrayLike<number>, classes: number, o: DkdOptions): DkdResult {
  const a = o.alpha ?? DKD_DEFAULTS.alpha;
  const b = o.beta ?? DKD_DEFAULTS.beta;
  const T = o.temperature ?? DKD_DEFAULTS.temperature;
  const wc = o.ceWeight ?? DKD_DEFAULTS.ceWeight;
  const warm = dkdWarmup(o.epoch, o.warmup ?? DKD_DEFAULTS.warmup);
  const batch = checkShapes(student, labels, classes, teacher);
  const ce = softmaxCrossEntropy(student, labels, classes);
  const grad = new Float64Array(batch * classes);
  const qs = new Float64Array(classes);
  const qt = new Float64Array(classes);
  let tckd = 0;
  let nckd = 0;
  const scale = (T * T) / batch / T; // T^2 / B times the 1/T of d(z/T)/dz
  for (let n = 0; n < batch; n++) {
    const base = n * classes;
    const y = labels[n];
    // Binary target / non-target probabilities, in log space.
    const ls = lse(student, base, classes, T);
    const lt = lse(teacher, base, classes, T);
    const lsRest = lse(student, base, classes, T, y);
    const ltRest = lse(teacher, base, classes, T, y);
    const logbs1 = student[base + y] / T - ls;
    const logbs2 = lsRest - ls;
    const logbt1 = teacher[base + y] / T - lt;
    const logbt2 = ltRest - lt;
    tckd += klLog(logbt1, logbs1) + klLog(logbt2, logbs2);
    // Non-target distributions.
    let nk = 0;
    for (let j = 0; j < classes; j++) {
      if (j === y) continue;
      const logqs = student[base + j] / T - lsRest;
      const logqt = teacher[base + j] / T - ltRest;
      nk += klLog(logqt, logqs);
      qs[j] = Math.exp(logqs);
      qt[j] = Math.exp(logqt);
    }
    nckd += nk;
    const bs1 = Math.exp(logbs1);
    const bt1 = Math.exp(logbt1);
    for (let j = 0; j < classes; j++) {
      const gt = j === y ? bs1 - bt1 : qs[j] * (bt1 - bs1);
      const gn = j === y ? 0 : qs[j] - qt[j];
      grad[base + j] = wc * ce.grad[base + j] + warm * scale * (a * gt + b * gn);
    }
  }
  tckd = (tckd * T * T) / batch;
  nckd = (nckd * T * T) / batch;
  return { loss: wc * ce.loss + warm * (a * tckd + b * nckd), grad, ce: ce.loss, tckd, nckd, warm };
}

/** How many rows have their largest logit (first on ties) at the label. */
export function countCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  let correct = 0;
  for (let n = 0; n < labels.length; n++) {
    let best = 0;
    for (let i = 1; i < classes; i++) if (logits[n * classes + i] > logits[n * classes + best]) best = i;
    if (best === labels[n]) correct++;
  }
  return correct;
}
