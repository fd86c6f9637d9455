// Training on a device: the training plan compiled for the device (and, for distillation, the
// teacher's inference plan at the same batch), then handed to the runtime's Trainer as programs.

import { compileTrainPlan, type TrainPlan, type TrainPlanOptions } from '../codegen/train-plan.js';
import type { LayerGraph } from '../ir/graph.js';
import type { Executor } from '../runtime/executor.js';
import type { GpuContext } from '../runtime/gpu-context.js';
import { checkTeacher, Trainer } from '../runtime/trainer.js';
import type { CompileProgress } from '../runtime/warm-up.js';
import { checkWeights, type Weights } from '../weights/weights.js';
import { withDeviceProfile } from './device-profile.js';
import { openExecutor } from './infer.js';

/** The teacher for distillation: run in the same command buffer as the student's step. */
export interface TeacherSource {
  graph: LayerGraph;
  weights: Weights;
}

export interface TrainerOptions extends Omit<TrainPlanOptions, 'subgroupSize' | 'limits'> {
  /** Use subgroup operations in the forward convolutions (default: when the device has them). */
  subgroups?: boolean;
  /**
   * Generate subgroup kernels for this width instead of the device's smallest subgroup size (a
   * power of two, at most that size): to test kernels meant for devices with narrower subgroups.
   */
  subgroupWidth?: number;
  teacher?: TeacherSource;
  /** Progress of the kernel compilation, which creation does up front (see the runtime's warm-up.ts). */
  onCompile?: CompileProgress;
  /** SGD momentum to resume from (one tensor per trainable parameter). */
  momentum?: Weights;
}

/** The training plan of `graph` for the device: its subgroup size (or `o`'s) and limits, its profile unless `o` names one. */
export function trainingPlanFor(ctx: GpuContext, graph: LayerGraph, o: TrainerOptions): TrainPlan {
  if (o.subgroupWidth !== undefined && !(o.subgroupWidth <= ctx.subgroupSize)) {
    throw new Error(`subgroup width ${o.subgroupWidth} is above the device's smallest subgroup size ${ctx.subgroupSize}`);
  }
  const { teacher: _teacher, onCompile: _onCompile, momentum: _momentum, subgroups, subgroupWidth, ...options } = withDeviceProfile(ctx, o);
  return compileTrainPlan(graph, { ...options, subgroupSize: subgroups === false ? 0 : (subgroupWidth ?? ctx.subgroupSize), limits: ctx.limits });
}

/** Compiles the training step of `graph` for the device and builds its trainer with `weights`. */
export async function openTrainer(ctx: GpuContext, graph: LayerGraph, weights: Weights, o: TrainerOptions): Promise<Trainer> {
  const plan = trainingPlanFor(ctx, graph, o);
  // Refused before the teacher's kernels are compiled, which on a CPU driver takes a while.
  checkWeights(graph, weights);
  const t = o.teacher?.graph;
  checkTeacher(plan.program, t && { name: t.name, images: t.nodes[0].shape, classes: t.classes }, plan.loss.kind);
  let teacher: Executor | undefined;
  if (o.teacher) {
    const profile = { profile: plan.profile.name, profileFrom: plan.profile.from, ...(o.tuned ? { tuned: o.tuned } : {}) };
    teacher = await openExecutor(ctx, o.teacher.graph, o.teacher.weights, { batch: plan.batch, head: false, ...profile }, o.onCompile);
  }
  // The trainer owns the teacher from here, and frees it if it refuses.
  return Trainer.create(ctx, graph, plan.program, weights, { ...(teacher ? { teacher } : {}), ...(o.momentum ? { momentum: o.momentum } : {}), ...(o.onCompile ? { onCompile: o.onCompile } : {}) });
}
