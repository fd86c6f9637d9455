// Runs `hrn` as a separate process, as a user would, under a time and memory bound: the hostile
// suite's harness. The whole process group is killed when the time runs out, and every Node
// process of the run reports its peak memory on exit (peak-rss.mjs), so a case that grows without
// bound fails with how far it got instead of hanging the suite or swapping the machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const PEAK_RSS = join(import.meta.dirname, 'peak-rss.mjs');

export interface BoundedRun {
  /** Exit status, or null when the run was killed (timed out, or by a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
  /** The largest peak resident set size of any Node process of the run, in MiB (NaN if none reported). */
  peakMiB: number;
}

export interface BoundedOptions {
  /** Kill the run after this long (default 60 s). */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the run's stdin, which is then closed (default: stdin is empty). */
  input?: string;
  /** Called once the process has started, with its pid (to send it signals). */
  started?: (pid: number) => void;
  /** Called with each chunk of stderr as it arrives. */
  onStderr?: (chunk: string, pid: number) => void;
  /** Called with each chunk of stdout as it arrives. */
  onStdout?: (chunk: string, pid: number) => void;
}

/** `node --import tsx src/cli/run.ts ARGS`, bounded. */
export function runHrn(args: string[], o: BoundedOptions = {}): Promise<BoundedRun> {
  return runNode(['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), ...args], o);
}

/** `node ARGS` with the peak-memory probe, bounded; its own process group, killed whole on timeout. */
export function runNode(args: string[], o: BoundedOptions = {}): Promise<BoundedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'hrn-bounded-'));
  const rssFile = join(dir, 'peak-rss');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', PEAK_RSS, ...args], {
    cwd: o.cwd ?? ROOT,
    env: { ...process.env, ...o.env, HRN_TEST_PEAK_RSS_FILE: rssFile },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    o.onStdout?.(d.toString(), child.pid!);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    o.onStderr?.(d.toString(), child.pid!);
  });
  child.stdin.end(o.input ?? '');
  child.stdin.on('error', () => {});
  if (child.pid !== undefined) o.started?.(child.pid);
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, o.timeoutMs ?? 60_000);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Children the run left behind go with it.
      killGroup();
      let peakKiB = Number.NaN;
      try {
        const rows = readFileSync(rssFile, 'utf8').trim().split('\n');
        peakKiB = Math.max(...rows.map((r) => Number(r.split(' ')[1])));
      } catch {
        // no process reported (killed before exit)
      }
      rmSync(dir, { recursive: true, force: true });
      done({ code, signal, timedOut, stdout, stderr, ms: performance.now() - t0, peakMiB: peakKiB / 1024 });
    });
  });
}
