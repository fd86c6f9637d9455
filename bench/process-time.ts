// Timing whole processes: wall time from spawn to exit as the parent sees it, and the child's own
// CPU time (reported by child-cpu.cjs, preloaded into node children). Machines here are shared,
// so CPU time is the stable figure; wall time is what a user waits.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('./child-cpu.cjs', import.meta.url));

export interface ProcessTime {
  wallMs: number;
  /** User + system CPU of the child, when it is a node process; NaN otherwise. */
  cpuMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with each chunk of the child's stdout as it arrives (e.g. to stop at a marker). */
  onStdout?: (chunk: string, elapsedMs: number) => void;
}

/** Runs `node ...args` to completion. */
export function timeNode(args: string[], opts: RunOptions = {}): Promise<ProcessTime> {
  const dir = mkdtempSync(join(tmpdir(), 'hrn-bench-'));
  const cpuFile = join(dir, 'cpu.json');
  const env = { ...process.env, ...opts.env, HRN_BENCH_CPU_FILE: cpuFile };
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--require', PRELOAD, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    opts.onStdout?.(s, performance.now() - t0);
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      let cpuMs = Number.NaN;
      try {
        cpuMs = (JSON.parse(readFileSync(cpuFile, 'utf8')) as { cpuMs: number }).cpuMs;
      } catch {
        // the child died before its exit handler ran: no CPU figure
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ wallMs, cpuMs, code, stdout, stderr });
    });
  });
}

/** This process's CPU time (user + system, every thread, lavapipe's included) in ms. */
export function processCpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}
