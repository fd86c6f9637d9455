// DKD's KD term is weighted min(epoch / warmup, 1): a run with fewer epochs than the warm-up (20 by
// default) never gives it its full weight, and `hrn train` and `hrn criticality` say so before they
// train. The teacher here does not exist: the warning is about the options, given before the
// teacher is read (the command then fails on the teacher, which is beside the point).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hrnInProcess as hrn, TINY_HRN } from './sweep-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-dkd-warmup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = join(root, 'tiny.hrn');
writeFileSync(file, TINY_HRN);
const teacher = join(root, 'no-teacher');

const warning = (err: string) => err.split('\n').filter((l) => l.includes('warning: dkd'));

describe('DKD warm-up longer than the run', () => {
  it('hrn train warns with the share of the KD term the run reaches; not with enough epochs, nor for hinton', async () => {
    const base = ['train', file, '--data', `fashion-mnist:${join(root, 'none')}`, '--teacher', teacher, '--out', join(root, 'out')];
    const short = await hrn(...base, '--kd', 'dkd', '--epochs', '3');
    expect(warning(short.err)).toEqual([
      'hrn train: warning: dkd warms its KD term up over 20 epochs, but the run trains 3: the KD term reaches only 15% of its weight by the last epoch; give --dkd-warmup 3 (or fewer) for the full term, or more --epochs',
    ]);
    expect(warning((await hrn(...base, '--kd', 'dkd', '--epochs', '3', '--dkd-warmup', '3')).err)).toEqual([]);
    expect(warning((await hrn(...base, '--kd', 'hinton', '--epochs', '3')).err)).toEqual([]);
    expect(warning((await hrn(...base, '--kd', 'dkd', '--epochs', '4', '--dkd-warmup', '8')).err)).toEqual([expect.stringContaining('reaches only 50% of its weight')]);
  });

  it('hrn criticality warns the same way', async () => {
    const r = await hrn('criticality', file, '--data', 'fashion-mnist:/nowhere', '--teacher', teacher, '--kd', 'dkd', '--epochs', '2', '--dry-run');
    expect(warning(r.err)).toEqual([expect.stringMatching(/^hrn criticality: warning: dkd warms its KD term up over 20 epochs, but the run trains 2: .* 10% /)]);
  });
});
