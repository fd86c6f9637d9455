// A distillation trainer's teacher: refused before anything is compiled when it does not fit the
// student or the loss, and freed with the trainer when the trainer refuses it.

import { describe, expect, it } from 'vitest';
import '../src/codegen/template-files.js';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { inferencePlanFor } from '../src/launch/infer.js';
import { openTrainer, trainingPlanFor } from '../src/launch/train.js';
import { Executor } from '../src/runtime/executor.js';
import { Trainer } from '../src/runtime/trainer.js';
import { useGpu, weightsFor } from './gpu-fixtures.js';

const gpu = useGpu();
const net = (name: string, classes: number, input = { c: 1, h: 6, w: 6 }) => lowerToGraph(residualNetwork({ name, depths: [1], channels: [4], input, classes }));
const DKD = { kind: 'dkd', temperature: 4, ceWeight: 1, alpha: 1, beta: 8, warmup: 20 } as const;

describe('a distillation trainer and its teacher', () => {
  const student = net('student', 5);
  const w = weightsFor(student, 1);

  it('refuses a missing teacher, a teacher without a distillation loss, and a teacher that does not fit, naming what is wrong', async () => {
    await expect(openTrainer(gpu(), student, w, { batch: 2, loss: DKD })).rejects.toThrow('the dkd loss needs a teacher');
    const teacher = net('teacher', 5);
    await expect(openTrainer(gpu(), student, w, { batch: 2, teacher: { graph: teacher, weights: weightsFor(teacher, 2) } })).rejects.toThrow('a teacher was given but the loss is not a distillation loss');
    const wide = net('wide', 7);
    await expect(openTrainer(gpu(), student, w, { batch: 2, loss: DKD, teacher: { graph: wide, weights: weightsFor(wide, 2) } })).rejects.toThrow('teacher wide has 7 classes, the student 5');
    const big = net('big', 5, { c: 1, h: 8, w: 8 });
    await expect(openTrainer(gpu(), student, w, { batch: 2, loss: DKD, teacher: { graph: big, weights: weightsFor(big, 2) } })).rejects.toThrow('teacher big takes 1x8x8 images, the student 1x6x6');
  });

  it('frees the teacher it was handed when it refuses it', async () => {
    const teacher = net('teacher', 5);
    // A teacher compiled for another batch than the student's step.
    const ex = await Executor.create(gpu(), inferencePlanFor(gpu(), teacher, { batch: 4, head: false }).program, weightsFor(teacher, 2));
    const program = trainingPlanFor(gpu(), student, { batch: 2, loss: DKD }).program;
    await expect(Trainer.create(gpu(), student, program, w, { teacher: ex })).rejects.toThrow('teacher teacher was compiled for batch 4, the student for 2');
    await expect(ex.run(new Float32Array(36))).rejects.toThrow(/executor was disposed/);
  });
});
