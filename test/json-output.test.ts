// `--json` output: one document per command of the shape docs/schemas/ describes, always an array
// of networks, and nothing but that document on stdout (debug text and diagnostics go to stderr).

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePlan } from '../src/codegen/plan.js';
import { compileTrainPlan } from '../src/codegen/train-plan.js';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import { hrn } from './run-cli.js';
import { validateJson } from './json-schema.js';
import { loadAllCommands } from '../src/cli/main.js';
import type { RunConfig } from '../src/sweep/expand.js';
import { RunStore } from '../src/sweep/store.js';
import { JsonlLogger } from '../src/train/log.js';

const graphOf = (file: string) => lowerNetwork(loadNetworksFromText(file, readFileSync(file, 'utf8'), new Map(), { set: [] }).networks[0]);

interface CompiledJson {
  network: string;
  mode: string;
  batch: number;
  flops: number;
  peakMemoryBytes: number;
  profile: { name: string; from: string };
  dispatches: {
    index: number;
    kernel: string;
    label: string;
    phase?: string;
    invocations: number;
    flops: number;
    schedule?: { family: string; knobs: Record<string, number | boolean>; profile: string; from: string };
  }[];
}


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

  it('stats --layers --json: a row per layer, valid against stats.schema.json, whose rows add up to the stage figures', async () => {
    const r = await hrn('stats', 'examples/resnet18-imagenet.hrn', '--layers', '--json');
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('stats', doc)).toEqual([]);
    const [net] = doc.networks;
    const layers: { layer: string; stage: string; output: string; relus: number; flops: number; params: number }[] = net.layers;
    expect(layers[0]).toMatchObject({ layer: 'stem.conv1', stage: 'S1', output: '64x112x112', relus: 64 * 112 * 112 });
    for (const key of ['relus', 'flops', 'params'] as const) {
      for (const [stage, total] of Object.entries(net[key].stages as Record<string, number>)) {
        expect(layers.filter((l) => l.stage === stage).reduce((a, l) => a + l[key], 0), `${key} ${stage}`).toBe(total);
      }
    }
    // A row with a field the schema does not name, or without a share, is not a stats document.
    expect(validateJson('stats', { ...doc, networks: [{ ...net, layers: [{ ...layers[0], extra: 1 }] }] })).not.toEqual([]);
    const { reluShare: _, ...unshared } = net.layers[0];
    expect(validateJson('stats', { ...doc, networks: [{ ...net, layers: [unshared] }] })).not.toEqual([]);
    // Without --layers there are none.
    expect(JSON.parse((await hrn('stats', 'examples/resnet18-imagenet.hrn', '--json')).out).networks[0].layers).toBeUndefined();
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

  it('compile --train --json: every dispatch of the training step and its GPU memory, valid against compile.schema.json', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--train', '--batch', '4', '--json');
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('compile', doc)).toEqual([]);
    const [net] = doc.networks as CompiledJson[];
    expect([net.network, net.mode, net.batch]).toEqual(['HRN-2x5x3x', 'training', 4]);
    // The plan hrn train compiles for this batch, planned here.
    const plan = compileTrainPlan(graphOf('examples/hrn-2x5x3x.hrn'), { batch: 4 });
    expect(net.dispatches.map((d) => d.label)).toEqual(plan.dispatches.map((d) => d.label));
    expect(net.dispatches.map((d) => d.phase)).toEqual(plan.dispatches.map((d) => d.phase));
    plan.dispatches.forEach((d, i) => {
      const k = plan.kernels[d.kernel];
      expect(net.dispatches[i].kernel).toBe(k.name);
      expect(net.dispatches[i].invocations).toBe(d.workgroups[0] * d.workgroups[1] * d.workgroups[2] * k.workgroupSize);
      expect(net.dispatches[i].flops).toBe(d.flops);
    });
    expect(net.flops).toBe(plan.dispatches.reduce((s, d) => s + d.flops, 0));
    expect(net.peakMemoryBytes).toBe(plan.memory.allocations.reduce((s, a) => s + a.bytes, 0));
  });

  it('compile --json (inference): the plan the executor runs, its peak memory every buffer it allocates', async () => {
    const r = await hrn('compile', 'examples/resnet18.hrn', '--batch', '8', '--json');
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('compile', doc)).toEqual([]);
    const [net] = doc.networks as CompiledJson[];
    expect(net.mode).toBe('inference');
    const plan = compilePlan(graphOf('examples/resnet18.hrn'), { batch: 8 });
    expect(net.dispatches.map((d) => d.label)).toEqual(plan.dispatches.map((d) => d.nodes.join('+')));
    expect(net.dispatches.every((d) => d.phase === undefined)).toBe(true);
    expect(net.peakMemoryBytes).toBe(plan.buffers.reduce((s, b) => s + b.bytes, 0));
    // A family gives one entry per network.
    const family = JSON.parse((await hrn('compile', 'examples/resnet18.hrn', '--set', 'm=16', '--pipeline', 'equalize width', '--json')).out);
    expect(validateJson('compile', family)).toEqual([]);
    expect(family.networks).toHaveLength(4);
  });

  it("compile --json: each dispatch's schedule (family, knobs, profile and how it was chosen) and the plan's profile", async () => {
    const gpu = JSON.parse((await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--train', '--batch', '4', '--profile', 'gpu', '--json')).out);
    expect(validateJson('compile', gpu)).toEqual([]);
    const [net] = gpu.networks as CompiledJson[];
    expect(net.profile).toEqual({ name: 'gpu', from: 'option' });
    const plan = compileTrainPlan(graphOf('examples/hrn-2x5x3x.hrn'), { batch: 4, profile: 'gpu' });
    const scheduled = new Map(plan.schedules.map((s) => [s.dispatch, s]));
    net.dispatches.forEach((d, i) => {
      const s = scheduled.get(i);
      if (!s) return expect(d.schedule).toBeUndefined();
      const { family, ...knobs } = s.schedule;
      expect(d.schedule).toEqual({ family, knobs, profile: 'gpu', from: 'option', signature: expect.any(String) });
    });
    // every conv kernel's dispatch has a conv schedule: the forward and dX ones (the implicit-product kernels under the gpu profile), the dW ones
    for (const [template, family] of [['conv_gemm', 'conv'], ['train/conv_dx_gemm', 'conv_dx'], ['train/conv_dw', 'conv_dw']]) {
      const ds = plan.dispatches.filter((d) => plan.kernels[d.kernel].template === template);
      expect(ds.length).toBeGreaterThan(0);
      for (const d of ds) expect(net.dispatches[d.index].schedule?.family, d.label).toBe(family);
    }
    const inference = JSON.parse((await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--json')).out);
    expect(inference.networks[0].profile).toEqual({ name: 'cpu', from: 'default' });
    expect(inference.networks[0].dispatches.find((d: CompiledJson['dispatches'][number]) => d.schedule?.family === 'conv').schedule.from).toBe('default');
  });

  it('compile --json: the schema holds the document to its shape; --emit-wgsl does not go with it', async () => {
    const doc = JSON.parse((await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--json')).out);
    const { peakMemoryBytes: _, ...withoutPeak } = doc.networks[0];
    expect(validateJson('compile', { ...doc, networks: [withoutPeak] })).not.toEqual([]);
    expect(validateJson('compile', { ...doc, networks: [{ ...doc.networks[0], dispatches: [{ ...doc.networks[0].dispatches[0], extra: 1 }] }] })).not.toEqual([]);
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--json', '--emit-wgsl', 'S1.b1.conv1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--emit-wgsl prints WGSL, which does not go with --json/);
  });

  it('design is valid against design.schema.json, which holds candidates to their shape', async () => {
    const r = await hrn('design', 'examples/hrn-2x5x3x.hrn', '--relus', '20000', '--json');
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('design', doc)).toEqual([]);
    expect(doc.command).toBe('design');
    const [net] = doc.networks;
    expect(net.candidates.length).toBeGreaterThan(0);
    const { pareto: _, ...unmarked } = net.candidates[0];
    expect(validateJson('design', { ...doc, networks: [{ ...net, candidates: [unmarked] }] })).not.toEqual([]);
  });

  it('stats of an .onnx file is valid against stats.schema.json as an ONNX entry, and only as one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-json-onnx-'));
    try {
      const out = join(dir, 'm.onnx');
      expect((await hrn('export', 'examples/hrn-2x5x3x.hrn', '--set', 'm=4', '--random-weights', '-o', out)).code).toBe(0);
      const doc = JSON.parse((await hrn('stats', out, '--json')).out);
      expect(validateJson('stats', doc)).toEqual([]);
      expect(doc.networks[0].source).toBe('onnx');
      // An ONNX entry with a per-stage split that only .hrn networks have fits neither shape.
      expect(validateJson('stats', { ...doc, networks: [{ ...doc.networks[0], criticality: { order: [], follows: true } }] })).not.toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('criticality --dry-run --json: the D + 1 runs, valid against criticality.schema.json, nothing else on stdout', async () => {
    const r = await hrn('criticality', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/nowhere', '--dry-run', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('criticality', doc)).toEqual([]);
    expect(doc.networks[0].runs.map((x: { role: string; stage: string | null }) => x.stage ?? x.role)).toEqual(['S1', 'S2', 'S3', 'S4', 'reference']);
    const both = await hrn('criticality', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/nowhere', '--dry-run', '--json', '--emit', 'hrn');
    expect(both.code).toBe(2);
  });
});

describe('--json on every command that prints results', () => {
  it('each command but worker and lsp (services: a log, the editor protocol) declares --json and has a schema', async () => {
    for (const c of await loadAllCommands()) {
      if (c.spec.name === 'worker' || c.spec.name === 'lsp') continue;
      expect(c.spec.options.json?.type, c.spec.name).toBe('boolean');
      expect(existsSync(join(import.meta.dirname, '..', 'docs', 'schemas', `${c.spec.name}.schema.json`)), c.spec.name).toBe(true);
    }
  });

  it('check --json: the networks and sweep blocks of a file that checks', async () => {
    const r = await hrn('check', 'examples/hrn-2x5x3x.hrn', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('check', doc)).toEqual([]);
    expect(doc.networks).toEqual([{ network: 'HRN-2x5x3x' }]);
  });

  it('export --json: the file written, its counts and where its weights came from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-json-export-'));
    try {
      const out = join(dir, 'm.onnx');
      const r = await hrn('export', 'examples/hrn-2x5x3x.hrn', '--set', 'm=4', '--random-weights', '--seed', '3', '-o', out, '--json');
      expect(r.code, r.err).toBe(0);
      const doc = JSON.parse(r.out);
      expect(validateJson('export', doc)).toEqual([]);
      expect([doc.output, doc.format, doc.pipeline, doc.weights]).toEqual([out, 'onnx', null, { from: 'random', seed: 3 }]);
      expect(doc.bytes).toBe(readFileSync(out).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sweep --dry-run --json: one document with the runs, not a bare array', async () => {
    const r = await hrn('sweep', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/nowhere', '--dry-run', '--json', '--grid', 'm=8|16');
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('sweep', doc)).toEqual([]);
    expect([doc.sweep, doc.dryRun, doc.runs.length]).toEqual(['sweep', true, 2]);
    expect(validateJson('sweep', doc.runs)).not.toEqual([]);
    // A dry run trains nothing, so it has no outcome.
    expect(validateJson('sweep', { ...doc, outcome: { done: 0, skipped: 0, failed: 0, interrupted: false } })).not.toEqual([]);
  });

  it("report --json: a sweep's rows, and one training's epochs, each in a document", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-json-report-'));
    try {
      const runs = JSON.parse((await hrn('sweep', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/nowhere', '--dry-run', '--json', '--grid', 'm=8|16')).out).runs as RunConfig[];
      const store = new RunStore(join(dir, 'runs'));
      store.writeSweep({ name: 'x', file: 'examples/hrn-2x5x3x.hrn', networks: [], mode: 'grid', axes: [], pipelines: [null], seeds: [0], data: 'cifar100:/nowhere', train: runs[0].train }, runs);
      runs.forEach((r, i) =>
        store.writeResult({
          id: r.id, label: r.label, network: r.network, set: r.set, pipeline: r.pipeline, seed: r.seed, data: r.data, ...r.counts,
          epochs: 1, history: [{ epoch: 1, loss: 1, testAccuracy: 0.5 + i / 10 }], testAccuracy: 0.5 + i / 10, wallSeconds: 1, checkpoint: join(dir, r.id), finishedAt: '', by: 'test',
        }),
      );
      const sweepDoc = JSON.parse((await hrn('report', join(dir, 'runs'), '--out', join(dir, 'report'), '--json')).out);
      expect(validateJson('report', sweepDoc)).toEqual([]);
      expect([sweepDoc.kind, sweepDoc.rows.length, sweepDoc.leftOut]).toEqual(['sweep', 2, []]);
      expect(validateJson('report', sweepDoc.rows)).not.toEqual([]);

      const log = new JsonlLogger(join(dir, 'one', 'train.jsonl'));
      log.log({ event: 'start', network: 'Tiny', epochs: 1 });
      log.log({ event: 'epoch', epoch: 1, step: 3, loss: 2.1, trainAccuracy: 0.3, testAccuracy: 0.27, testLoss: 2, lr: 0.1, seconds: 1, imagesPerSecond: 48 });
      log.close();
      const runDoc = JSON.parse((await hrn('report', join(dir, 'one'), '--json')).out);
      expect(validateJson('report', runDoc)).toEqual([]);
      expect([runDoc.kind, runDoc.network, runDoc.epochs.map((e: { epoch: number }) => e.epoch)]).toEqual(['run', 'Tiny', [1]]);
      // Each kind has its own fields.
      expect(validateJson('report', { ...runDoc, kind: 'sweep' })).not.toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--json when the command fails', () => {
  it('a source error: the error document on stdout, with where it is; the diagnostic still on stderr; exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-json-error-'));
    try {
      const file = join(dir, 'bad.hrn');
      writeFileSync(file, 'network X {\n  input 3x32x\n}\n');
      const r = await hrn('check', file, '--json');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/:2:\d+: error: /);
      const doc = JSON.parse(r.out);
      expect(validateJson('error', doc)).toEqual([]);
      expect([doc.command, doc.error.exitCode, doc.error.file, doc.error.line]).toEqual(['check', 1, file, 2]);
      expect(doc.error.diagnostics[0].message).toBe(doc.error.message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a usage error, even one the parser raises, and a user error: a document each, the exit status unchanged', async () => {
    const usage = await hrn('stats', 'examples/resnet18.hrn', '--json', '--frob');
    expect(usage.code).toBe(2);
    expect(usage.err).toContain("hrn stats: error: unknown option '--frob'");
    const u = JSON.parse(usage.out);
    expect(validateJson('error', u)).toEqual([]);
    expect(u.error).toEqual({ message: "unknown option '--frob'", exitCode: 2 });

    const missing = await hrn('stats', 'no/such.hrn', '--json');
    expect(missing.code).toBe(1);
    const m = JSON.parse(missing.out);
    expect(validateJson('error', m)).toEqual([]);
    expect(m.error.message).toContain('no/such.hrn: no such file');

    const setValue = JSON.parse((await hrn('stats', 'examples/resnet18.hrn', '--set', 'm=abc', '--json')).out);
    expect(validateJson('error', setValue)).toEqual([]);
    expect([setValue.error.file, setValue.error.line, setValue.error.col]).toEqual(['<--set>', 1, 3]);
    // A misspelt command: the document names what was typed.
    const typo = await hrn('stat', 'examples/resnet18.hrn', '--json');
    expect(typo.code).toBe(2);
    expect(JSON.parse(typo.out)).toEqual({ schemaVersion: 1, command: 'stat', error: { message: "unknown command 'stat'; did you mean 'stats'?", exitCode: 2 } });
    // Without --json, stdout stays empty.
    expect((await hrn('stats', 'no/such.hrn')).out).toBe('');
    expect((await hrn('stat', 'examples/resnet18.hrn')).out).toBe('');
  });
});
