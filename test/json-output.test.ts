// `--json` output: one document per command of the shape docs/schemas/ describes, always an array
// of networks, and nothing but that document on stdout (debug text and diagnostics go to stderr).

import { describe, expect, it } from 'vitest';
import { hrn } from './run-cli.js';
import { validateJson } from './json-schema.js';


describe('--json', () => {
  it('stats of one network is an array of one, valid against stats.schema.json', async () => {
    const r = await hrn('stats', 'examples/resnet18.hrn', '--json');
    const doc = JSON.parse(r.out);
    expect(validateJson('stats', doc)).toEqual([]);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.networks.map((n: { network: string }) => n.network)).toEqual(['ResNet18']);
  });

  it('stats of a family has the same shape', async () => {
    const r = await hrn('stats', 'examples/resnet18.hrn', '--set', 'm=16', '--pipeline', 'equalize width', '--json');
    const doc = JSON.parse(r.out);
    expect(validateJson('stats', doc)).toEqual([]);
    // ResNet18's equalized family: HRN-5x5x3x, -5x7x2x, -6x6x2x, -7x5x2x (the README's table).
    expect(doc.networks).toHaveLength(4);
  });

  it('equalize is valid against equalize.schema.json', async () => {
    const r = await hrn('equalize', 'examples/resnet18.hrn', '--set', 'm=16', '--json');
    const doc = JSON.parse(r.out);
    expect(validateJson('equalize', doc)).toEqual([]);
    expect(doc.networks[0].family[0].factors).toEqual([5, 5, 3]);
  });

  it('the schemas reject a document of the old shape (a bare object)', async () => {
    const r = await hrn('stats', 'examples/resnet18.hrn', '--json');
    const bare = JSON.parse(r.out).networks[0];
    expect(validateJson('stats', bare)).not.toEqual([]);
    expect(validateJson('stats', { schemaVersion: 1, command: 'stats', networks: [{ ...bare, extra: 1 }] })).not.toEqual([]);
  });

  it('--json --debug keeps stdout valid JSON; the debug text goes to stderr', async () => {
    const r = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'cull S1; thin S2 S3 S4', '--debug', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('stats', doc)).toEqual([]);
    expect(doc.networks[0].history.length).toBe(2);
    expect(r.err).toContain('cull');
    expect(r.err.length).toBeGreaterThan(200);
  });
});
