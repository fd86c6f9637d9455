// The fair no-load ceiling for bench/conv-kernels.ts --vs-ceiling: conv-ceiling-kernel.ts's
// `fair-no-loads` variant (the convolution's multiply-adds, selects, loop and stores, with values
// computed in registers that differ in every component, pixel and lane, so LLVM folds none of the
// multiplies), timed as GFLOP per CPU-second of this process on a device of the caller's; and a
// count of its multiplies in the machine code lavapipe generates (GALLIVM_DEBUG=asm, in a child).

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compile, FLOPS, makeTensors, NV, timeDispatches, upload, VARIANTS } from './conv-ceiling-kernel.js';

const FAIR = VARIANTS.find((v) => v.name === 'fair-no-loads')!;

/** Scalar multiply-adds of one input channel in one invocation: 3x3 taps x 4 pixels x NV vec4s of 4. */
export const FMAS_PER_CHANNEL = 9 * 4 * NV * 4;

export interface FairCeiling {
  /** GFLOP per CPU-second of `reps` back-to-back dispatches. */
  rate(reps: number): Promise<number>;
  destroy(): void;
}

/** Compiles the fair ceiling on `device` and runs it once (lavapipe compiles a shader on first use). */
export async function fairCeiling(device: GPUDevice): Promise<FairCeiling> {
  const res = upload(device, makeTensors(0));
  const kernel = await compile(device, FAIR, 0, res);
  await timeDispatches(device, kernel, 1);
  return {
    rate: async (reps) => (reps * FLOPS) / (await timeDispatches(device, kernel, reps)) / 1e6,
    destroy: () => {
      res.xBuffer.destroy();
      res.xTexture.destroy();
      res.wBuffer.destroy();
      res.yBuffer.destroy();
    },
  };
}

export interface InstructionCount {
  vmulps: number;
  vfmadd: number;
  vaddps: number;
  /** Scalar multiply-adds of one input channel in the WGSL (each a multiply in the machine code unless folded). */
  fmasInSource: number;
}

/**
 * The x86 multiplies and adds of the fair ceiling's kernel as lavapipe compiles it: conv-ceiling.ts
 * runs it once in a child with GALLIVM_DEBUG=asm and Mesa's shader cache off (a cached shader is not
 * compiled, so not printed), and the vector instructions of the dump are counted. Undefined when the
 * driver printed no assembly (another driver, or a Mesa built without it).
 */
export function countInstructions(): Promise<InstructionCount | undefined> {
  const script = fileURLToPath(new URL('./conv-ceiling.ts', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--only', FAIR.name, '--rounds', '1', '--reps', '1'], {
      env: { ...process.env, GALLIVM_DEBUG: 'asm', MESA_SHADER_CACHE_DISABLE: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let asm = '';
    child.stderr.on('data', (d: Buffer) => (asm += d.toString()));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      const n = (re: RegExp) => asm.split('\n').filter((l) => re.test(l)).length;
      const count = { vmulps: n(/\bvmulps\b/), vfmadd: n(/\bvfn?m(add|sub)\w*ps\b/), vaddps: n(/\bvaddps\b/), fmasInSource: FMAS_PER_CHANNEL };
      resolve(code === 0 && count.vmulps + count.vfmadd > 0 ? count : undefined);
    });
  });
}
