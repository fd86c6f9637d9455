// `hrn train --lr 1e6`: the loss turns non-finite; training must stop with exit 1 and a message
// naming the step and the learning rate, and leave the previous checkpoint in --out loadable and
// byte for byte unchanged. Runs on lavapipe with a tiny network and a tiny data set it writes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { loadCheckpoint, WEIGHTS_FILE } from '../src/train/checkpoint.js';
import { readJsonl } from '../src/train/log.js';
import { assertFiniteWeights } from '../src/weights/index.js';
import { writeTinyMnist } from './tiny-mnist.js';


async function hrn(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

const TINY = `network Tiny {
  param m = 2
  input   1x28x28
  classes 10
  stem    conv3x3(m)
  stages  depths [1, 1] channels [2, 4]
  head    avgpool fc
}
`;

describe('training with a learning rate that diverges', () => {
  it('--lr 1e6 exits 1 naming the step and the learning rate; the previous checkpoint still loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-diverge-'));
    const file = join(dir, 'tiny.hrn');
    writeFileSync(file, TINY);
    writeTinyMnist(dir, 100);
    const out = join(dir, 'run');
    const common = [file, '--data', `mnist:${dir}`, '--test-subset', '50', '--batch', '25', '--epochs', '1', '--out', out];

    const good = await hrn('train', ...common, '--lr', '0.05');
    expect(good.code).toBe(0);
    // Kernel compilation is its own progress line, before the first epoch's line.
    expect(good.err).toMatch(/^compiling kernels (\d+)\/\1 \([^)]*\)\n(.*\n)*epoch 1\/1 /m);
    const before = readFileSync(join(out, 'checkpoint', WEIGHTS_FILE));

    const bad = await hrn('train', ...common, '--lr', '1e6', '--force');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^hrn train: error: training diverged at step \d+ \(epoch 1, batch \d+\): (the loss is (NaN|Infinity|-Infinity)|weight \S+ holds \S+)\. The learning rate \([^)]*--lr 1000000\) is the likely cause; try a smaller --lr/m);
    expect(bad.err).toContain('no checkpoint was written in this run');
    expect(bad.out).not.toMatch(/^done/m);

    // the earlier run's checkpoint: unchanged, loadable, finite
    expect(readFileSync(join(out, 'checkpoint', WEIGHTS_FILE)).equals(before)).toBe(true);
    const ck = loadCheckpoint(join(out, 'checkpoint'));
    expect(ck.state.epoch).toBe(1);
    expect(() => assertFiniteWeights(ck.weights)).not.toThrow();
    const events = readJsonl(join(out, 'train.jsonl')).map((r) => r.event);
    expect(events[events.length - 1]).toBe('diverged');
  }, 300_000);
});
