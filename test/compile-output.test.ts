// `hrn compile -o` writes the kernels that run on the adapter (its subgroup size and limits), each
// with a header naming its layers and specialization; `--emit-wgsl LAYER` prints one of them.

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { compilePlan } from '../src/codegen/plan.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { parseHrn, resolveNetwork } from '../src/parser/index.js';
import { openDevice, type GpuContext } from '../src/runtime/device.js';

async function hrn(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

const FILE = 'examples/hrn-2x5x3x.hrn';

describe('hrn compile -o and --emit-wgsl', () => {
  let gpu: GpuContext;
  let dir: string;
  beforeAll(async () => {
    gpu = await openDevice();
    dir = mkdtempSync(join(tmpdir(), 'hrn-compile-'));
  });
  afterAll(() => {
    gpu?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The plan that launching (openExecutor) builds on this adapter. */
  const runtimePlan = () => {
    const { file } = parseHrn(readFileSync(FILE, 'utf8'), FILE);
    const net = resolveNetwork(file.networks[0], [], new Map()).arch!;
    return compilePlan(lowerToGraph(net), { batch: 1, subgroupSize: gpu.subgroupSize, limits: gpu.limits });
  };

  it('writes exactly the kernels the runtime runs on this adapter, each with a header', async () => {
    const r = await hrn('compile', FILE, '-o', dir);
    expect(r.code).toBe(0);
    const plan = runtimePlan();
    const written = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).sort();
    expect(written).toEqual(plan.kernels.map((k) => `${k.name}.wgsl`).sort());
    for (const k of plan.kernels) {
      const text = readFileSync(join(dir, `${k.name}.wgsl`), 'utf8');
      // The source after the header is the one the runtime compiles.
      expect(text.endsWith(k.wgsl.endsWith('\n') ? k.wgsl : `${k.wgsl}\n`), k.name).toBe(true);
      expect(text).toMatch(new RegExp(`^// hrn kernel ${k.name}: template ${k.template}\\.wgsl`));
      expect(text).toContain(gpu.subgroupSize > 0 ? `subgroups of ${gpu.subgroupSize} lanes` : 'no subgroup operations');
      for (const d of plan.dispatches.filter((x) => x.kernel === k.id)) expect(text).toContain(`// layer: ${d.nodes.join(' + ')} (dispatch ${d.index}`);
    }
    const stem = readFileSync(join(dir, `${plan.kernels[0].name}.wgsl`), 'utf8');
    // The stem reads the 3-channel 32x32 image and writes 16 channels.
    expect(stem).toMatch(/specialized for: IH=32 IW=32 .*CIG=3 COG=16/);
  });

  it('--emit-wgsl prints the kernel of one layer', async () => {
    const r = await hrn('compile', FILE, '--emit-wgsl', 'S2.b1.conv2');
    expect(r.code).toBe(0);
    const plan = runtimePlan();
    const d = plan.dispatches.find((x) => x.nodes.includes('S2.b1.conv2'))!;
    expect(r.out).toContain('// layer: S2.b1.conv2 + S2.b1.bn2');
    expect(r.out).toContain(plan.kernels[d.kernel].wgsl.trimEnd());
  });

  it('--emit-wgsl names a near layer for a typo', async () => {
    const r = await hrn('compile', FILE, '--emit-wgsl', 'S2.b1.conv9');
    expect(r.code).toBe(1);
    expect(r.err).toContain("--emit-wgsl: no layer 'S2.b1.conv9' in HRN-2x5x3x; did you mean 'S2.b1.conv1'?");
  });
});
