// Inputs that once made hrn work without bound (pipelines that multiply networks, a gzip bomb as
// training data), a cap on diagnostics that hid the one error, and a byte order mark refused at
// 1:1. Each case runs as a process under a time bound and reports its peak memory (bounded.ts).

import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticError, formatDiagnostics, type Diagnostic } from '../../src/diagnostics.js';
import { loadNetworksFromText } from '../../src/driver.js';
import { formatLimit, LIMITS } from '../../src/ir/limits.js';
import { runText } from '../../src/passes/manager.js';
import { pipelineArb } from '../fuzz/target.js';
import { idxGzip } from '../idx-fixtures.js';
import { hrn } from '../run-cli.js';
import { TINY_HRN } from '../sweep-fixtures.js';
import { runHrn } from './bounded.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hrn-unbounded-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const repeat = (step: string, n: number) => Array(n).fill(step).join('; ');
/** The family limit as messages write it (read in the tests: older code has no such limit). */
const limit = () => LIMITS.family.toLocaleString('en-US');

describe('pipelines that multiply networks', () => {
  it('deepreshape eight times: stopped at the step that would pass the family limit, in seconds', async () => {
    const r = await runHrn(['stats', 'examples/resnet18.hrn', '--pipeline', repeat('deepreshape', 8)], { timeoutMs: 60_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    const m = /^<--pipeline>:1:(\d+): error: deepreshape: the family would grow to about ([\d,]+) networks \(it made [\d,]+ from the first \d+ of the (\d+) before it\), above the limit of ([\d,]+) networks; /m.exec(r.stderr);
    expect(m, r.stderr.slice(0, 2000)).not.toBeNull();
    expect(m![4]).toBe(limit());
    expect(Number(m![2].replace(/,/g, ''))).toBeGreaterThan(LIMITS.family);
    // The step that crosses it: the family before it is within the limit, the step's six variants each are not.
    expect(Number(m![3])).toBeLessThanOrEqual(LIMITS.family);
    expect(Number(m![3]) * 6).toBeGreaterThan(LIMITS.family);
    expect(r.ms).toBeLessThan(20_000);
    expect(r.peakMiB).toBeLessThan(600);
  }, 90_000);

  it('equalize width eight times: identical networks kept once, so the result is the family of one', async () => {
    const once = await hrn('stats', 'examples/resnet18.hrn', '--pipeline', 'equalize width', '--json');
    const names = (out: string) => (JSON.parse(out) as { networks: { network: string }[] }).networks.map((n) => n.network);
    const r = await runHrn(['stats', 'examples/resnet18.hrn', '--pipeline', repeat('equalize width', 8), '--json'], { timeoutMs: 60_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(0);
    expect(names(r.stdout)).toEqual(names(once.out));
    expect(r.stderr).toMatch(/equalize width: \d+ of the \d+ networks it made repeat another one exactly; each is kept once/);
    expect(r.ms).toBeLessThan(20_000);
    expect(r.peakMiB).toBeLessThan(600);
  }, 90_000);

  it('the limit is checked as a step expands: the message names the step, the count and the limit', () => {
    const text = readFileSync('examples/hrn-2x5x3x.hrn', 'utf8');
    const nets = loadNetworksFromText('h.hrn', text, new Map(), { set: [] }).networks;
    let err: unknown;
    try {
      runText(nets, 'deepreshape; deepreshape; deepreshape; deepreshape');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DiagnosticError);
    const errors = (err as DiagnosticError).diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(new RegExp(`^deepreshape: the family would grow to about [\\d,]+ networks .*above the limit of ${limit()} networks`));
    // The fourth step (steps written in code point at their own line, one per step).
    expect(errors[0].span.line).toBe(4);
  });

  it('hybrenet four times: the error is shown, before the notes, however many notes there are', async () => {
    const r = await runHrn(['stats', 'examples/hrn-2x5x3x.hrn', '--set', 'm=2', '--pipeline', repeat('hybrenet', 4)], { timeoutMs: 60_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n');
    const firstError = lines.findIndex((l) => / error: /.test(l));
    const firstNote = lines.findIndex((l) => / note: /.test(l));
    expect(firstError).toBeGreaterThanOrEqual(0);
    expect(firstNote === -1 || firstError < firstNote).toBe(true);
    expect(r.stderr).not.toMatch(/more errors? .*not shown/);
    expect(r.stderr).toMatch(/\n1 error\n?$/);
  }, 90_000);

  it('the cap on shown diagnostics keeps errors and says what kind it left out', () => {
    const span = { file: 'f', line: 1, col: 1, length: 1 };
    const notes: Diagnostic[] = Array.from({ length: LIMITS.diagnostics + 50 }, (_, i) => ({ severity: 'note', message: `note ${i}`, span }));
    const text = formatDiagnostics([...notes, { severity: 'warning', message: 'the warning', span }, { severity: 'error', message: 'the error', span }], new Map());
    const lines = text.split('\n');
    expect(lines[0]).toBe('f:1:1: error: the error');
    expect(lines[1]).toBe('f:1:1: warning: the warning');
    expect(lines).toHaveLength(LIMITS.diagnostics + 1);
    expect(lines[lines.length - 1]).toBe(`(${notes.length - (LIMITS.diagnostics - 2)} more notes not shown)`);
  });
});

describe('sweeps too large to check or expand', () => {
  const runLimit = () => formatLimit(LIMITS.sweepRuns);
  /** Four params a sweep can vary, each over `n` values every network accepts. */
  const FOUR_PARAMS = `network Four {
  param m = 2
  param k = 10
  param d = 1
  param e = 1
  input   1x28x28
  classes k
  stem    conv3x3(m)
  block   basic
  stages  depths [d, e] widths [2]
  head    avgpool fc
}
`;
  const values = (from: number, n: number) => `[${Array.from({ length: n }, (_, i) => from + i).join(', ')}]`;

  it('a block whose four axes of 40 values make 2.56 million runs: refused at the block by hrn check and hrn sweep, in seconds', async () => {
    const path = join(root, 'huge-grid.hrn');
    const block = `sweep huge {\n  grid m = ${values(1, 40)}\n  grid k = ${values(10, 40)}\n  grid d = ${values(1, 40)}\n  grid e = ${values(1, 40)}\n  pipelines [none, "cull S1"]\n  data "mnist:${join(root, 'nowhere')}"\n}\n`;
    writeFileSync(path, `${FOUR_PARAMS}\n${block}`);
    const at = `${path}:${FOUR_PARAMS.split('\n').length + 1}:7: error: sweep huge: `;
    for (const args of [['check', path], ['sweep', path, '--dry-run']]) {
      const r = await runHrn(args, { timeoutMs: 60_000 });
      expect(r.timedOut, args[0]).toBe(false);
      expect(r.ms).toBeLessThan(20_000);
      expect(r.peakMiB).toBeLessThan(1024);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${at}5,120,000 runs (1 network x 2,560,000 value combinations x 2 pipelines x 1 seed), above the limit of ${runLimit()} runs in one sweep`);
    }
  }, 150_000);

  it('a grid on the command line over the limit: one line naming the count and the limit, nothing built', async () => {
    const path = join(root, 'four.hrn');
    writeFileSync(path, FOUR_PARAMS);
    const grid = (p: string, from: number) => ['--grid', `${p}=${Array.from({ length: 10 }, (_, i) => from + i).join('|')}`];
    const r = await runHrn(['sweep', path, ...grid('m', 1), ...grid('k', 10), ...grid('d', 1), '--pipeline', 'none', '--pipeline', 'cull S1', '--pipeline', 'thin S2', '--data', `mnist:${join(root, 'nowhere')}`, '--dry-run'], {
      timeoutMs: 60_000,
    });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`hrn sweep: error: 3,000 runs (1 network x 1,000 value combinations x 3 pipelines x 1 seed), above the limit of ${runLimit()} runs in one sweep; use fewer values, or split the sweep`);
    expect(r.ms).toBeLessThan(20_000);
  }, 90_000);

  it('a block under the limit whose pipeline makes families of ~150: each pipeline run once per network, not once per member', async () => {
    // Built member by member, each of the ~750 runs ran the whole three-step pipeline again, once to
    // expand the sweep and once more to check it could train.
    const path = join(root, 'families.hrn');
    const nowhere = join(root, 'nowhere');
    writeFileSync(path, `${readFileSync('examples/resnet18.hrn', 'utf8')}\nsweep families {\n  grid m = [16, 24, 32, 48, 64]\n  pipelines ["deepreshape; deepreshape; deepreshape"]\n  data "cifar100:${nowhere}"\n}\n`);
    // hrn check counts the runs as hrn sweep makes them: within the limit.
    const check = await runHrn(['check', path], { timeoutMs: 90_000 });
    expect(check.code, check.stderr).toBe(0);
    // Every run is built, then refused for its data set (that check reads no data: the directory is missing).
    const r = await runHrn(['sweep', path, '--out', join(root, 'families-runs')], { timeoutMs: 90_000 });
    expect(r.timedOut).toBe(false);
    expect(r.ms).toBeLessThan(30_000);
    expect(r.peakMiB).toBeLessThan(1024);
    expect(r.code, r.stderr).toBe(1);
    const m = /^hrn sweep: error: (\d+) of (\d+) runs cannot be trained; nothing was trained:\n {2}.*cifar100 data set directory does not exist/.exec(r.stderr);
    expect(m, r.stderr.slice(0, 2000)).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    expect(Number(m![2])).toBeGreaterThan(500);
    expect(Number(m![2])).toBeLessThanOrEqual(LIMITS.sweepRuns);
  }, 200_000);
  it('families that pass the limit: hrn check says so at the block, hrn sweep (a command-line grid) stops once they do', async () => {
    const path = join(root, 'too-many-members.hrn');
    const sweepAt = readFileSync('examples/resnet18.hrn', 'utf8').split('\n').length + 1;
    writeFileSync(path, `${readFileSync('examples/resnet18.hrn', 'utf8')}\nsweep members {\n  grid m = [8, 16, 24, 32, 48, 64, 96, 128]\n  pipelines ["deepreshape; deepreshape; deepreshape"]\n  data "cifar100:${join(root, 'nowhere')}"\n}\n`);
    const check = await runHrn(['check', path], { timeoutMs: 90_000 });
    expect(check.code, check.stderr).toBe(1);
    expect(check.stderr).toMatch(new RegExp(`^${path}:${sweepAt}:7: error: sweep members: the pipelines make families: at least [\\d,]+ runs, above the limit of ${runLimit()} runs in one sweep`, 'm'));
    const r = await runHrn(['sweep', 'examples/resnet18.hrn', '--grid', 'm=8|16|24|32|48|64|96|128', '--pipeline', 'deepreshape; deepreshape; deepreshape', '--data', 'cifar100:/nowhere', '--dry-run'], { timeoutMs: 90_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^hrn sweep: error: the pipelines make families: at least [\\d,]+ runs, above the limit of ${runLimit()} runs in one sweep`));
    expect(r.ms).toBeLessThan(30_000);
  }, 200_000);
});

/** Gzip of an IDX image header declaring `count` 28x28 images, then `zeros` bytes of zeros, written as a stream. */
async function writeBomb(path: string, count: number, zeros: number): Promise<void> {
  async function* body() {
    const head = Buffer.alloc(16);
    head.writeUInt32BE(0x803, 0);
    head.writeUInt32BE(count, 4);
    head.writeUInt32BE(28, 8);
    head.writeUInt32BE(28, 12);
    yield head;
    const chunk = Buffer.alloc(1 << 20);
    for (let left = zeros; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
  }
  await pipeline(body, createGzip({ level: 1 }), createWriteStream(path));
}

/** A data set directory whose training images are `bomb`, everything else a few valid images. */
function bombDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const n = 20;
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idxGzip([n], Array.from({ length: n }, (_, i) => i % 10)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), idxGzip([n], Array.from({ length: n }, (_, i) => i % 10)));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), idxGzip([n, 28, 28], new Uint8Array(n * 784)));
  return dir;
}

describe('a gzip bomb as training images', () => {
  const train = (dir: string) => runHrn(['train', join(root, 'tiny.hrn'), '--data', `mnist:${dir}`, '--batch', '4', '--epochs', '1', '--out', join(dir, 'run')], { timeoutMs: 120_000 });

  beforeAll(() => writeFileSync(join(root, 'tiny.hrn'), TINY_HRN));

  it('a header declaring 20 images, then 400 MB of zeros: a DataError after the declared bytes, in bounded memory', async () => {
    const dir = bombDir('bomb');
    const file = join(dir, 'train-images-idx3-ubyte.gz');
    await writeBomb(file, 20, 400 * 2 ** 20);
    const r = await train(dir);
    expect(r.timedOut).toBe(false);
    expect(r.peakMiB).toBeLessThan(400);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`hrn train: error: ${file}: more data than the header declares: dimensions 20x28x28 need 15680 bytes after the 16-byte header`);
  }, 180_000);

  it('a header declaring more than hrn reads from one file: refused before inflating the rest', async () => {
    const dir = bombDir('huge');
    const file = join(dir, 'train-images-idx3-ubyte.gz');
    const { MAX_IDX_BYTES } = await import('../../src/data/idx.js');
    const count = Math.ceil(MAX_IDX_BYTES / 784) + 1;
    await writeBomb(file, count, 300 * 2 ** 20);
    const r = await train(dir);
    expect(r.peakMiB).toBeLessThan(400);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: the header declares ${count}x28x28 elements`);
    expect(r.stderr).toMatch(/above the [\d.]+ MiB hrn reads from one IDX file/);
  }, 180_000);
});

describe('a UTF-8 byte order mark', () => {
  const BOM = '\ufeff';
  const SOURCE = readFileSync('examples/hrn-2x5x3x.hrn', 'utf8');

  it('is accepted at the start of a file, with LF or CRLF line ends', async () => {
    for (const text of [BOM + SOURCE, BOM + SOURCE.replace(/\n/g, '\r\n')]) {
      const path = join(root, `bom-${text.includes('\r') ? 'crlf' : 'lf'}.hrn`);
      writeFileSync(path, text);
      const r = await hrn('check', path);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it('does not shift positions or carets on the first line', async () => {
    const path = join(root, 'bom-error.hrn');
    writeFileSync(path, `${BOM}netwerk N {\n}\n`);
    const r = await hrn('check', path);
    expect(r.code).toBe(1);
    const [head, excerpt, caret] = r.err.split('\n');
    expect(head).toBe(`${path}:1:1: error: unexpected 'netwerk'; expected 'network', 'pipeline' or 'sweep'`);
    expect(excerpt).toBe('  netwerk N {');
    expect(caret).toBe('  ^~~~~~~');
  });
});

describe('the fuzzer', () => {
  it('generates pipelines with several steps that multiply networks', () => {
    const multiplying = (p: string) => p.split('; ').filter((s) => /^(equalize|deepreshape|hybrenet)/.test(s)).length;
    const counts = fc.sample(pipelineArb, { numRuns: 500, seed: 7 }).map(multiplying);
    expect(counts.filter((n) => n >= 2).length).toBeGreaterThan(50);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(4);
  });
});
