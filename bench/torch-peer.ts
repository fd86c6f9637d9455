// PyTorch (CPU) as a peer of the benches, when a Python with torch is at hand: the same layer graph
// with the same weights and input, built by bench/torch_peer.py in a child process that the bench
// drives round by round (so rounds alternate with hrn's), timing itself with its own CPU clock.
// torch is never a dependency of hrn; without it the benches say so and go on.

import '../src/ops/index.js';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LayerGraph } from '../src/ir/graph.js';
import type { Weights } from '../src/weights/index.js';

const SCRIPT = fileURLToPath(new URL('./torch_peer.py', import.meta.url));

/** The first of $HRN_BENCH_PYTHON, python3, /usr/bin/python3 that imports torch, with its version. */
export function findTorch(): { python: string; version: string } | { missing: string } {
  const tried: string[] = [];
  for (const python of [process.env.HRN_BENCH_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!python || tried.includes(python)) continue;
    tried.push(python);
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return { missing: `PyTorch peer skipped: no Python with torch (tried ${tried.join(', ')}; set HRN_BENCH_PYTHON to pick one)` };
}

export interface TorchSetup {
  python: string;
  mode: 'infer' | 'train';
  graph: LayerGraph;
  weights: Weights;
  input: Float32Array;
  threads: number;
  /** Training only. */
  labels?: number[];
  params?: string[];
  lr?: number;
  weightDecay?: number;
}

export interface Timed {
  wallMs: number;
  cpuMs: number;
}

export class TorchPeer {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    private readonly rl: Interface,
    private readonly dir: string,
    private readonly stderr: () => string,
  ) {}

  static start(s: TorchSetup): TorchPeer {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-torch-'));
    const tensors: Record<string, [number, number[]]> = {};
    const parts: Float32Array[] = [];
    let offset = 0;
    const add = (name: string, data: Float32Array, shape: number[]) => {
      tensors[name] = [offset, shape];
      parts.push(data);
      offset += data.byteLength;
    };
    for (const [name, t] of s.weights) add(name, t.data, [...t.shape]);
    const c = s.graph.nodes[0].shape;
    add('__input__', s.input, [s.input.length / (c.c * c.h * c.w), c.c, c.h, c.w]);
    const blob = Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
    writeFileSync(join(dir, 'tensors.bin'), blob);
    const { python, weights: _w, input: _i, ...rest } = s;
    writeFileSync(join(dir, 'setup.json'), JSON.stringify({ ...rest, tensors }));
    // a bench that stops on a failed check exits without close(): take the temporary files along
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const child = spawn(python, [SCRIPT, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    const rl = createInterface({ input: child.stdout });
    return new TorchPeer(child, rl[Symbol.asyncIterator](), rl, dir, () => err);
  }

  private async ask<T>(cmd: string): Promise<T> {
    this.child.stdin.write(`${cmd}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`PyTorch peer exited: ${this.stderr().trim().split('\n').slice(-5).join('\n')}`);
    const reply = JSON.parse(value) as T & { error?: string };
    if (reply.error) throw new Error(`PyTorch peer: ${reply.error}`);
    return reply;
  }

  /** Inference: the logits of one batch. */
  async logits(): Promise<Float32Array> {
    await this.ask('check');
    const b = readFileSync(join(this.dir, 'logits.bin'));
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }

  /** Training: the loss (mean cross-entropy) of one step from the initial weights. */
  async firstLoss(): Promise<number> {
    return (await this.ask<{ loss: number }>('check')).loss;
  }

  /** `reps` batches or steps; milliseconds per batch or step, wall and the peer's own CPU. */
  async time(reps: number): Promise<Timed> {
    const r = await this.ask<Timed>(`run ${reps}`);
    return { wallMs: r.wallMs / reps, cpuMs: r.cpuMs / reps };
  }

  close(): void {
    this.child.stdin.end('quit\n');
    this.rl.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
