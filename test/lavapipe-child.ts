// Runs a test script in a child process whose lavapipe has the given SIMD width
// (LP_NATIVE_VECTOR_WIDTH: 128 bits gives subgroups of 4, 256 of 8, 512 of 16), and returns the one
// JSON line it prints. The width is fixed when lavapipe starts, so each width needs its own process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export function runLavapipeChild<T>(script: string, vectorBits: number, env: Record<string, string> = {}, what = `${vectorBits} bits`): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(join('node_modules', '.bin', 'tsx'), [script], {
      env: { ...process.env, LP_NATIVE_VECTOR_WIDTH: String(vectorBits), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined) reject(new Error(`child (${what}) exited ${code}:\n${err}${out}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}
