// Inference on a device: the plan compiled for the device's subgroup size, limits and (unless the
// options name one) schedule profile, then handed to the runtime as a program. The runtime never
// compiles; this is where compiling and running meet.

import { compilePlan, type Plan, type PlanOptions } from '../codegen/plan.js';
import type { LayerGraph } from '../ir/graph.js';
import { Executor } from '../runtime/executor.js';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { CompileProgress } from '../runtime/warm-up.js';
import { checkWeights, type Weights } from '../weights/weights.js';
import { withDeviceProfile } from './device-profile.js';

/** The inference plan of `graph` for the device: its subgroup size and limits, its profile unless `options` name one. */
export function inferencePlanFor(ctx: GpuContext, graph: LayerGraph, options: PlanOptions): Plan {
  if (options.f16Weights && !ctx.f16) throw new Error(`f16 weights need the shader-f16 feature, which ${ctx.adapterInfo} does not offer`);
  return compilePlan(graph, { subgroupSize: ctx.subgroupSize, ...withDeviceProfile(ctx, options), limits: { ...ctx.limits, ...options.limits } });
}

/** Compiles `graph` for the device and builds its executor with `weights`. */
export async function openExecutor(ctx: GpuContext, graph: LayerGraph, weights: Weights, options: PlanOptions, onCompile?: CompileProgress): Promise<Executor> {
  checkWeights(graph, weights);
  return Executor.create(ctx, inferencePlanFor(ctx, graph, options).program, weights, onCompile);
}
