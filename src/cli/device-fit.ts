// Whether the batches a GPU command asks for fit the device, checked before it reads its data or
// compiles a kernel: planning takes milliseconds, while reading a data set takes seconds and
// compiling kernels minutes, and `--eval-batch` is otherwise first used after a whole epoch.
// The plan compilers find the largest batch that fits (codegen/device-limits.ts); this turns that
// into a message about the option that set the batch.

import type { LossSpec } from '../codegen/kernels/index.js';
import type { ProfileName } from '../codegen/schedule/types.js';
import type { TunedSchedules } from '../codegen/schedule/tuned.js';
import type { LayerGraph } from '../ir/graph.js';
import type { GpuContext } from '../runtime/gpu-context.js';
import { withDeviceProfile } from '../launch/device-profile.js';
import { UserError } from '../errors.js';

export interface BatchRequest {
  /** The option that sets the batch, for the message (`--batch`, `--eval-batch`). */
  option: string;
  batch: number;
  graph: LayerGraph;
  /** `training` plans a training step (with `loss`); `inference` a forward pass (with the softmax head when `head`). */
  mode: 'training' | 'inference';
  loss?: LossSpec;
  head?: boolean;
}

/**
 * Plans every request for the limits of `gpu`, the device the command will run on, with the
 * schedules it will run (`profile`, else the device's, and the `tuned` ones). A batch too large is a UserError naming the
 * option and the largest batch that fits; a network too large at any batch is the compiler's
 * DeviceLimitError.
 */
export async function checkBatchesFit(requests: readonly BatchRequest[], gpu: Pick<GpuContext, 'subgroupSize' | 'limits' | 'cpuDriver'> & { subgroupMaxSize?: number }, profile?: ProfileName, tuned?: TunedSchedules): Promise<void> {
  // Loaded only now, as the commands load the code generator.
  const [{ planGraph, planTrainingGraph }, { DeviceLimitError }] = await Promise.all([import('../driver.js'), import('../codegen/device-limits.js')]);
  const device = { subgroupSize: gpu.subgroupSize, limits: gpu.limits, ...withDeviceProfile(gpu, { profile }), ...(tuned ? { tuned } : {}) };
  for (const r of requests) {
    try {
      if (r.mode === 'training') planTrainingGraph(r.graph, { batch: r.batch, ...(r.loss ? { loss: r.loss } : {}), ...device });
      else planGraph(r.graph, { batch: r.batch, head: r.head ?? true, ...device });
    } catch (e) {
      const a = e instanceof DeviceLimitError ? e.advice : undefined;
      if (a === undefined || a.largest === 0) throw e;
      throw new UserError(
        `${r.option} ${r.batch} is too large for ${a.network} on this device: at ${a.mode} batch ${a.batch}, ${a.reason}; ` +
          `the largest ${a.mode} batch that fits is ${a.largest}: use ${r.option} ${a.largest} or less`,
      );
    }
  }
}

/** What `hrn train` plans: the training step, the evaluation pass, and the teacher's forward pass at the training batch. */
export function trainingBatches(o: { graph: LayerGraph; batch: number; evalBatch: number; loss: LossSpec; teacher?: LayerGraph }): BatchRequest[] {
  const out: BatchRequest[] = [
    { option: '--batch', batch: o.batch, graph: o.graph, mode: 'training', loss: o.loss },
    { option: '--eval-batch', batch: o.evalBatch, graph: o.graph, mode: 'inference', head: false },
  ];
  if (o.teacher) out.push({ option: '--batch', batch: o.batch, graph: o.teacher, mode: 'inference', head: false });
  return out;
}
