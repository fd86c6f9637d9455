// The CLI points the way: "did you mean" for commands, options and pass names, --version, short
// usage errors.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hrn } from './run-cli.js';
import { suggest } from '../src/util/suggest.js';


describe('suggest', () => {
  const commands = ['check', 'stats', 'equalize', 'compile', 'infer', 'train'];

  it('finds the word one or two edits away', () => {
    expect(suggest('trian', commands)).toBe('train');
    expect(suggest('stat', commands)).toBe('stats');
    expect(suggest('complie', commands)).toBe('compile');
    expect(suggest('--epoch', ['--epochs', '--batch', '--lr'])).toBe('--epochs');
  });

  it('ignores case but answers with the candidate as written', () => {
    expect(suggest('TRAIN', commands)).toBe('train');
  });

  it('suggests nothing for words that are not typos of a candidate', () => {
    expect(suggest('deploy', commands)).toBeUndefined();
    expect(suggest('x', commands)).toBeUndefined();
    expect(suggest('train', [])).toBeUndefined();
  });
});

describe('hrn usage errors', () => {
  it('an unknown command gets a one-line error with a suggestion, not the whole help', async () => {
    const r = await hrn('trian', 'examples/resnet18.hrn');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'trian'; did you mean 'train'?");
    expect(r.err).not.toContain('usage: hrn COMMAND');
    expect(r.err.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(r.out).toBe('');
  });

  it('an unknown option names the closest declared option instead of parseArgs text', async () => {
    const r = await hrn('stats', 'examples/resnet18.hrn', '--jsno');
    expect(r.code).toBe(2);
    expect(r.err).toContain("hrn stats: error: unknown option '--jsno'; did you mean '--json'?");
    expect(r.err).not.toContain('To specify a positional argument');
    const t = await hrn('train', 'examples/resnet18.hrn', '--epoch=3');
    expect(t.err).toContain("unknown option '--epoch'; did you mean '--epochs'?");
  });

  it('an unknown pass in --pipeline gets a suggestion', async () => {
    const r = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'cull S1; thni S2');
    expect(r.code).toBe(1);
    expect(r.err).toContain("unknown pass 'thni'");
    expect(r.err).toContain("did you mean 'thin'?");
  });

  it('--version prints the version of package.json', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = await hrn('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(`hrn ${pkg.version}`);
  });
});
