// What a fused step (graph/state.ts) asks of its kernel generator, built in one place for the two
// emitters that run steps forward: inference's (graph/emit.ts) and the training step's
// (train/forward.ts). Each adds only where its values live.

import type { ConvNode, GraphNode } from '../ir/graph.js';
import type { ConvShape } from './conv-layout.js';
import type { ChainStep } from './graph/state.js';
import { type ChainKernelPart, ewiseVec, genEwise, type EwiseKernelSpec, type GeneratedKernel, type SlotAliases, type ViewLayout } from './kernels/index.js';
import { chainNodes, chainStage } from './op-kernels.js';
import type { DispatchLimits } from './kernels/common.js';
import type { Scheduler, ScheduleRecord } from './schedule/scheduler.js';

/** A convolution's shape at a batch: its input's and its own. */
export function convShapeOf(nodes: readonly GraphNode[], c: ConvNode, batch: number): ConvShape {
  const inS = nodes[c.input].shape;
  return { batch, inC: inS.c, inH: inS.h, inW: inS.w, outC: c.outChannels, outH: c.shape.h, outW: c.shape.w, kernel: c.kernel, stride: c.stride, pad: c.pad, groups: c.groups };
}

/** The parts of a chain's forward kernel, in the chain's order; `other` is its add's other operand. */
export function forwardParts(nodes: readonly GraphNode[], step: ChainStep, other: ViewLayout | undefined): ChainKernelPart[] {
  return chainNodes(nodes, step.nodes).flatMap((node) => chainStage(node).forwardPart({ node, other }) ?? []);
}

/** The elementwise kernel of a chain over values of `shape` (its ops' `parts`), or of a copy (none). */
export function ewiseSpecOf(name: string, batch: number, shape: { c: number; h: number; w: number }, a: ViewLayout, out: ViewLayout, parts: ChainKernelPart[] = []): EwiseKernelSpec {
  return { name, batch, c: shape.c, h: shape.h, w: shape.w, a, out, parts };
}

/** The elementwise kernel of `spec` with the schedule `scheduler` picks for it (`asArgs` as genEwise's). */
export function scheduledEwise(scheduler: Scheduler, spec: EwiseKernelSpec, alias: SlotAliases, limits: DispatchLimits, asArgs = false): { gen: GeneratedKernel; record: ScheduleRecord } {
  const schedule = scheduler.elementwise(spec.name, asArgs ? 'ewise_train' : 'ewise', { batch: spec.batch, c: spec.c, plane: spec.h * spec.w, vec: ewiseVec(spec) });
  return { gen: genEwise(spec, schedule.value, alias, limits, asArgs), record: schedule.record };
}
