// Small promises of the command line: help and version spellings, where a usage error comes from,
// what a bad --set value is called, options that conflict or depend on each other.

import { describe, expect, it } from 'vitest';
import { hrn } from './run-cli.js';
import { hrnVersion } from '../src/train/checkpoint.js';

describe('hrn help and version', () => {
  it("`hrn help stats` prints stats' help, as `hrn stats --help` does", async () => {
    const viaHelp = await hrn('help', 'stats');
    const viaFlag = await hrn('stats', '--help');
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toBe(viaFlag.out);
    expect(viaHelp.out).toMatch(/^usage: hrn stats /);
    const unknown = await hrn('help', 'stat');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'stat'; did you mean 'stats'?");
  });

  it('-v, -V and --version print the version; a misspelt top-level option gets a suggestion', async () => {
    for (const v of ['-v', '-V', '--version']) {
      const r = await hrn(v);
      expect([r.code, r.out.trim()]).toEqual([0, `hrn ${hrnVersion()}`]);
    }
    const typo = await hrn('--verison');
    expect(typo.code).toBe(2);
    expect(typo.err).toContain("unknown option '--verison'; did you mean '--version'?");
  });
});

describe('usage errors', () => {
  it('an option checked outside the parser is attributed to the command, as `hrn CMD: error:`', async () => {
    const r = await hrn('train', 'examples/hrn-2x5x3x.hrn', '--data', 'mnist:/nowhere', '--epochs', '0');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe("hrn train: error: --epochs: expected an integer >= 1, got '0'");
  });

  it("--set m=abc says the value is not a number (nor a param), pointing at it", async () => {
    const r = await hrn('stats', 'examples/resnet18.hrn', '--set', 'm=abc');
    expect(r.code).toBe(1);
    expect(r.err).toContain("<--set>:1:3: error: 'abc' is not a number, nor a parameter of this network");
    expect(r.err).not.toContain('unknown parameter');
    // A value that uses the param's own default still works.
    expect((await hrn('stats', 'examples/resnet18.hrn', '--set', 'm=m*2')).code).toBe(0);
  });

  it('equalize refuses --json with --emit hrn instead of ignoring one', async () => {
    const r = await hrn('equalize', 'examples/resnet18.hrn', '--json', '--emit', 'hrn');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('hrn equalize: error: --emit hrn and --json are two outputs; pick one');
  });

  it('--debug-graph implies --debug: the layer graph is printed after every pass', async () => {
    const alone = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'cull S1', '--debug-graph');
    expect(alone.code).toBe(0);
    expect(alone.out).toContain('graph HRN-2x5x3x {');
    const both = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'cull S1', '--debug', '--debug-graph');
    expect(alone.out).toBe(both.out);
  });
});
