// The training loss and its logits gradient: cross-entropy, Hinton KD or decoupled KD.

import { f, u } from '../template.js';
import { DEFAULT_DISPATCH_LIMITS, type DispatchLimits, fixedWorkgroup, pow2AtLeast } from './common.js';
import { type BufView, build, type SlotDef, type TrainKernel, WG, reads, writes } from './train-common.js';
import { LOSS_SUMS } from '../../program/types.js';

/** The training loss (docs/architecture.md, "Training recipe"; the reference is src/train/losses.ts). */
export type LossSpec =
  | { kind: 'ce' }
  | { kind: 'hinton'; temperature: number; ceWeight: number; kdWeight: number }
  | { kind: 'dkd'; temperature: number; ceWeight: number; alpha: number; beta: number; warmup: number };

export { LOSS_SUMS };

export function genLoss(
  name: string,
  batch: number,
  classes: number,
  loss: LossSpec,
  bufs: { logits: BufView; labels: number; teacher?: number; dlogits: number; sums: number; uniform: number },
  limits: DispatchLimits = DEFAULT_DISPATCH_LIMITS,
): TrainKernel {
  const wg = fixedWorkgroup(Math.min(WG, Math.max(8, pow2AtLeast(batch))), limits);
  const kd = loss.kind !== 'ce';
  if (kd && bufs.teacher === undefined) throw new Error(`${name}: knowledge distillation needs the teacher's logits`);
  const slots: SlotDef[] = [
    reads('z', bufs.logits.buffer),
    reads('labels', bufs.labels, 'array<u32>'),
  ];
  if (kd) slots.push(reads('tch', bufs.teacher!));
  slots.push(writes('dz', bufs.dlogits));
  slots.push(writes('sums', bufs.sums));
  const T = kd ? loss.temperature : 1;
  return build(
    'train/loss',
    slots,
    {
      N: u(batch),
      K: u(classes),
      Z_BS: u(bufs.logits.batchStride),
      Z_OFF: u(bufs.logits.offset),
      INV_B: f(1 / batch),
      CE_W: f(loss.kind === 'ce' ? 1 : loss.ceWeight),
      TEMP: f(T),
      INV_T: f(1 / T),
      KD_W: f(loss.kind === 'hinton' ? loss.kdWeight : 0),
      DKD_A: f(loss.kind === 'dkd' ? loss.alpha : 0),
      DKD_B: f(loss.kind === 'dkd' ? loss.beta : 0),
      WG: wg,
    },
    { KD: kd, HINTON: loss.kind === 'hinton', DKD: loss.kind === 'dkd' },
    wg,
    [1, 1, 1],
    bufs.uniform,
  );
}
