// Hostile ONNX files for `hrn stats MODEL.onnx`, each run as a real process under a time and memory
// bound: a file cut short, a file that is not ONNX, a graph whose nodes feed each other in a cycle,
// and dimensions of 2^31 declared on the input, on a weight and in a Reshape. Each is one line
// `hrn stats: error: ...`, exit 1, in seconds and a little memory.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxBuilder, resnet18Onnx } from '../onnx-fixtures.js';
import { runHrn } from './bounded.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-hostile-onnx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const write = (bytes: Uint8Array | string) => {
  const path = join(root, `h${n++}.onnx`);
  writeFileSync(path, bytes);
  return path;
};

const TWO_GB = 2 ** 31;
const BOUND = { timeoutMs: 60_000 };

async function refused(path: string, pattern: RegExp): Promise<void> {
  const r = await runHrn(['stats', path], BOUND);
  expect(r.timedOut).toBe(false);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^hrn stats: error: /);
  expect(lines[0]).toMatch(pattern);
  // Two shared cores in CI: generous bounds, far below what counting a 2^31-sized tensor would take.
  expect(r.ms).toBeLessThan(30_000);
  expect(r.peakMiB).toBeLessThan(600);
}

describe('hostile ONNX files', () => {
  it('a model cut short in the middle of its weights', async () => {
    const whole = resnet18Onnx({ folded: true, opset: 13, res: 32, classes: 100 });
    await refused(write(whole.subarray(0, Math.floor(whole.length / 2))), /not a readable ONNX model: the protobuf is damaged or cut short/);
  });

  it('files that are not ONNX: text, and a PNG header', async () => {
    await refused(write('network Tiny {\n  input 1x28x28\n}\n'), /not (a readable ONNX model|an ONNX model)/);
    await refused(write(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])), /not (a readable ONNX model|an ONNX model)/);
  });

  it('a graph with a cycle', async () => {
    const b = new OnnxBuilder();
    // relu reads add's output and add reads relu's: neither can go first. The node listed first
    // only reads the cycle; the message names one on it.
    b.nodes.push({ opType: 'Identity', name: 'out', input: ['r'], output: ['y'] });
    b.nodes.push({ opType: 'Add', name: 'add', input: ['input', 'r'], output: ['a'] });
    b.nodes.push({ opType: 'Relu', name: 'relu', input: ['a'], output: ['r'] });
    await refused(write(b.model({ opset: 13, input: ['N', 3, 8, 8], output: ['N', 3, 8, 8], last: 'y' })), /the graph has a cycle: node '(add|relu)' \((Add|Relu)\) depends on its own output/);
  });

  it('a 2 GB dimension declared on the input', async () => {
    const b = new OnnxBuilder();
    const y = b.node('Relu', 'relu', ['input']);
    await refused(write(b.model({ opset: 13, input: ['N', 3, TWO_GB, TWO_GB], output: ['N', 3, TWO_GB, TWO_GB], last: y })), /input 'input' has the shape \[1, 3, 2147483648, 2147483648\]: a dimension out of range/);
  });

  it('a 2 GB dimension declared on a weight, without its data', async () => {
    const b = new OnnxBuilder();
    b.initializers.push({ name: 'w', dims: [TWO_GB, 3, 3, 3], dataType: 1 });
    const y = b.node('Conv', 'conv', ['input', 'w']);
    await refused(write(b.model({ opset: 13, input: ['N', 3, 8, 8], output: ['N', 4, 8, 8], last: y })), /initializer 'w': dimension 2147483648 is out of range/);
  });

  it('a Reshape to a 2 GB dimension', async () => {
    const b = new OnnxBuilder();
    const y = b.node('Reshape', 'reshape', ['input', b.int64s('shape', [1, TWO_GB, TWO_GB])]);
    await refused(write(b.model({ opset: 13, input: ['N', 3, 8, 8], output: ['N', 1], last: y })), /node '\/reshape\/Reshape' \(Reshape\): cannot reshape 192 elements into \[1, 2147483648, 2147483648\]/);
  });
});
