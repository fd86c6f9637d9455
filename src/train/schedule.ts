// Learning-rate schedule: linear warm-up, then cosine annealing (the paper's recipe: lr 0.1, cosine
// over 200 epochs). A schedule is plain data so a checkpoint can store it. `step` may count
// iterations or epochs; with warmupSteps 0 and one step per epoch this is exactly PyTorch's
// CosineAnnealingLR(T_max = totalSteps, eta_min = minLr).
//
//   step < warmup:  lr = baseLr * (step + 1) / warmupSteps
//   otherwise:      lr = minLr + (baseLr - minLr) * (1 + cos(pi * (step - warmup) / (total - warmup))) / 2
//                   (progress clamped to [0, 1], so steps past the end stay at minLr)

export interface CosineSchedule {
  kind: 'cosine';
  baseLr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

export type LrSchedule = CosineSchedule;

export function cosineSchedule(o: { baseLr?: number; minLr?: number; warmupSteps?: number; totalSteps: number }): CosineSchedule {
  const s: CosineSchedule = { kind: 'cosine', baseLr: o.baseLr ?? 0.1, minLr: o.minLr ?? 0, warmupSteps: o.warmupSteps ?? 0, totalSteps: o.totalSteps };
  validateSchedule(s);
  return s;
}

export function validateSchedule(s: LrSchedule): void {
  if (s.kind !== 'cosine') throw new Error(`unknown learning-rate schedule ${(s as { kind: string }).kind}`);
  if (!(s.baseLr > 0) || !(s.minLr >= 0) || s.minLr > s.baseLr) throw new Error(`lr schedule: need 0 <= minLr <= baseLr and baseLr > 0 (got ${s.minLr}, ${s.baseLr})`);
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1) throw new Error(`lr schedule: totalSteps must be a positive integer, got ${s.totalSteps}`);
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0 || s.warmupSteps > s.totalSteps) {
    throw new Error(`lr schedule: warmupSteps must be an integer in 0..${s.totalSteps}, got ${s.warmupSteps}`);
  }
}

export function learningRate(s: LrSchedule, step: number): number {
  if (step < s.warmupSteps) return (s.baseLr * (step + 1)) / s.warmupSteps;
  const span = s.totalSteps - s.warmupSteps;
  const t = span > 0 ? Math.min(Math.max((step - s.warmupSteps) / span, 0), 1) : 1;
  return s.minLr + ((s.baseLr - s.minLr) * (1 + Math.cos(Math.PI * t))) / 2;
}
