// The machine's fp32 peak per core, from lscpu, so kernels can be stated as a share of it:
//   peak = FMA pipes x fp32 lanes per pipe x 2 FLOP per FMA x clock.
// Lanes come from the widest vector ISA flag (avx512f: 16, avx2 with fma: 8, else 4) and are
// halved on AMD family 25 (Zen 3/4), whose AVX-512 runs on 256-bit units; two FMA pipes per core
// (every x86 core with AVX2 FMA since Haswell / Zen 2). The clock is lscpu's maximum MHz, or, in
// a VM that hides it, the TSC rate (BogoMIPS / 2), which is the base clock, not the boost clock.

import { execFileSync } from 'node:child_process';

export interface CpuPeak {
  model: string;
  ghz: number;
  clockSource: string;
  lanes: number;
  laneSource: string;
  pipes: number;
  gflops: number;
}

export function cpuPeak(): CpuPeak | undefined {
  let text: string;
  try {
    text = execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  } catch {
    return undefined;
  }
  const field = (name: string) => text.match(new RegExp(`^${name}:\\s*(.+)$`, 'm'))?.[1].trim();
  const flags = new Set((field('Flags') ?? '').split(/\s+/));
  const family = Number(field('CPU family'));
  const amd = field('Vendor ID') === 'AuthenticAMD';
  let lanes = 4;
  let laneSource = 'sse (128-bit)';
  if (flags.has('avx512f')) {
    lanes = amd && family === 25 ? 8 : 16;
    laneSource = lanes === 8 ? 'avx512f on 256-bit units (AMD family 25)' : 'avx512f (512-bit)';
  } else if (flags.has('avx2') && flags.has('fma')) {
    lanes = 8;
    laneSource = 'avx2+fma (256-bit)';
  }
  const max = Number(field('CPU max MHz'));
  const bogo = Number(field('BogoMIPS'));
  const [mhz, clockSource] = max > 0 ? [max, 'lscpu CPU max MHz'] : [bogo / 2, 'BogoMIPS / 2 (TSC rate; lscpu shows no max MHz)'];
  if (!(mhz > 0)) return undefined;
  const pipes = 2;
  const ghz = mhz / 1000;
  const model = `${field('Model name') ?? 'unknown CPU'} (${amd ? 'AMD' : field('Vendor ID')} family ${family})`;
  return { model, ghz, clockSource, lanes, laneSource, pipes, gflops: pipes * lanes * 2 * ghz };
}

export function describePeak(p: CpuPeak | undefined): string {
  if (!p) return 'fp32 peak per core: unknown (lscpu unavailable)';
  return (
    `${p.model}: fp32 peak per core = ${p.pipes} FMA pipes x ${p.lanes} lanes [${p.laneSource}] x 2 FLOP x ` +
    `${p.ghz.toFixed(3)} GHz [${p.clockSource}] = ${p.gflops.toFixed(1)} GFLOP/s`
  );
}
