// `hrn ARGS` exactly as src/cli/run.ts runs it, with one fault injected into training, chosen by
// HRN_TEST_FAULT (a test fixture: nothing in src/ reads it):
//   lose:N     the device is destroyed from outside as step N is submitted (a loss hrn did not
//              cause, as when a GPU driver resets the GPU);
//   invalid:N  step N's input buffer is destroyed first, so its submission fails WebGPU validation
//              outside any error scope (what a bug in hrn's own GPU work looks like).
// Under the supervisor the child runs this same script, so the fault is injected where the
// training runs.
import { Trainer } from '../../src/runtime/trainer.js';

const [kind, at] = (process.env.HRN_TEST_FAULT ?? '').split(':');
const stepAt = Number(at);
if ((kind !== 'lose' && kind !== 'invalid') || !(stepAt >= 1)) throw new Error(`HRN_TEST_FAULT must be lose:N or invalid:N, got '${process.env.HRN_TEST_FAULT}'`);

const step = Trainer.prototype.step;
let steps = 0;
Trainer.prototype.step = function (this: Trainer, ...args: Parameters<Trainer['step']>) {
  if (++steps === stepAt) {
    // The runner is the trainer's own; reached around TypeScript's `private` for the fault.
    const runner = (this as unknown as { runner: { device: GPUDevice; buffer(id: number): GPUBuffer } }).runner;
    if (kind === 'lose') runner.device.destroy();
    else runner.buffer(this.program.io.images.buffer).destroy();
  }
  return step.apply(this, args);
};

await import('../../src/cli/run.js');
