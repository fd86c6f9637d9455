import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelFileText } from '../../codegen/plan-text.js';
import type { Plan } from '../../codegen/plan-types.js';
import { writeCompiled } from '../../codegen/write.js';
import { planNetwork, planTraining } from '../../driver.js';
import { planFlops } from '../../codegen/dispatch-load.js';
import type { PassObserver } from '../../passes/manager.js';
import type { ArchIR } from '../../ir/arch.js';
import type { LayerGraph } from '../../ir/graph.js';
import { emitHrn } from '../../ir/emit-hrn.js';
import { printArch, printGraph } from '../../ir/print.js';
import { networkStats } from '../../ir/stats.js';
import { openDevice, type GpuContext } from '../../runtime/device.js';
import { withDeviceProfile } from '../../launch/device-profile.js';
import type { ScheduleOptions } from '../../codegen/plan-types.js';
import { bytes, displayPath } from '../format.js';
import { flag, intOption, listOption, stringOption, type ParsedCommand } from '../args.js';
import { adapterChoice, SOURCE_OPTIONS, type Command, type Context } from '../command.js';
import { EXIT_OK, EXIT_USER, UsageError, UserError } from '../../errors.js';
import { jsonDocument, JSON_OPTION, wantsJson } from '../json.js';
import { compiledRecord, lintReport, type CompiledRecord } from '../compile-report.js';
import { loadNetworks } from '../../source-file.js';
import { applyPipelineOption, DEBUG_OPTIONS, debugObserverFor, PIPELINE_OPTION } from '../pipeline.js';
import { suggest } from '../../util/suggest.js';
import { dirEntries, ensureDir, OutputDirError } from '../../util/output-dir.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { profileOption, profileOptionSpec } from '../profile-option.js';
import { profileText } from '../../codegen/schedule/describe.js';
import { TUNE_CACHE_OPTION, tunedForDevice, type TunedLookup } from '../tune-cache-option.js';

/** True when DIR/manifest.json is one hrn compile wrote. */
function hasPlanManifest(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { format?: unknown }).format === 'hrn-plan';
  } catch {
    return false;
  }
}

/**
 * -o DIR is used only when it is new, empty, or an earlier output of hrn compile: one network's
 * (a manifest at the top) or a family's (a directory per network, each with its manifest).
 */
function prepareOutDir(out: string, force: boolean): void {
  try {
    ensureDir(out);
  } catch (e) {
    if (e instanceof OutputDirError) throw new UserError(e.message);
    throw e;
  }
  const entries = dirEntries(out);
  if (force || entries.length === 0 || hasPlanManifest(out)) return;
  if (entries.every((n) => hasPlanManifest(join(out, n)))) return;
  throw new UserError(`${out} already holds files that hrn compile did not write (no manifest.json); choose an empty directory, or use --force to write into it`);
}

function summary(plan: Plan): string {
  const m = plan.memory;
  return [
    `${plan.kernels.length} kernels, ${plan.dispatches.length} dispatches per batch of ${plan.batch}`,
    `activations ${bytes(m.activationBytes)} (${bytes(m.noReuseBytes)} without buffer reuse), parameters ${bytes(m.paramBytes)}`,
  ].join('; ');
}

interface AdapterTarget {
  subgroupSize: number;
  subgroupMaxSize: number;
  limits: GpuContext['limits'];
  cpuDriver: boolean;
  info: string;
  /** The schedules hrn tune measured on it, unless --no-tune-cache. */
  tuned: TunedLookup;
}

/** The adapter's subgroup size, limits, kind and tuned schedules, so the written kernels are the ones that run there. */
async function adapterTarget(p: ParsedCommand, ctx: Context): Promise<AdapterTarget> {
  const gpu = await openDevice(adapterChoice(p));
  try {
    const tuned = tunedForDevice(p, ctx, 'compile', gpu);
    return { subgroupSize: gpu.subgroupSize, subgroupMaxSize: gpu.subgroupMaxSize, limits: { ...gpu.limits }, cpuDriver: gpu.cpuDriver, info: gpu.adapterInfo, tuned };
  } finally {
    gpu.close();
  }
}

/** `--emit-wgsl LAYER`: the kernel(s) computing that layer, with their headers. */
function emitWgsl(plan: Plan, graph: LayerGraph, layer: string): string {
  const dispatches = plan.dispatches.filter((d) => d.nodes.includes(layer));
  if (dispatches.length === 0) {
    const names = graph.nodes.map((n) => n.name);
    const near = suggest(layer, names);
    throw new UserError(`--emit-wgsl: no layer '${layer}' in ${graph.name}${near ? `; did you mean '${near}'?` : ''}`);
  }
  const kernels = [...new Set(dispatches.map((d) => d.kernel))].map((id) => plan.kernels[id]);
  return kernels.map((k) => kernelFileText(plan, k).trimEnd()).join('\n\n');
}

function writeOut(dir: string, net: ArchIR, graph: LayerGraph, plan: Plan): number {
  try {
    ensureDir(dir);
    const files = writeCompiled(plan, dir);
    writeFileSync(join(dir, 'ir.txt'), `${printArch(net)}\n\n${printGraph(graph)}\n`);
    writeFileSync(join(dir, 'graph.json'), `${JSON.stringify(graph, null, 2)}\n`);
    writeFileSync(join(dir, 'network.hrn'), emitHrn(net));
    return files.length + 3;
  } catch (e) {
    if (e instanceof OutputDirError) throw new UserError(e.message);
    throw new UserError(`cannot write to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * The end of a compile: the --json document, the --lint reports (on stderr when stdout carries
 * --debug=json), and the status: 1 when the lint flagged a dispatch.
 */
function finish(records: readonly CompiledRecord[], p: ParsedCommand, ctx: Context): number {
  const lint = flag(p, 'lint');
  if (wantsJson(p)) ctx.io.out(jsonDocument('compile', records));
  else if (lint) for (const r of records) (stringOption(p, 'debug') === 'json' ? ctx.io.err : ctx.io.out)(lintReport(r));
  return lint && records.some((r) => (r.lint?.starved.length ?? 0) > 0) ? EXIT_USER : EXIT_OK;
}

/**
 * `--train`: compiles each network's training step (the training passes, which `--debug` prints)
 * and prints its size; the kernels run only under hrn train, so nothing is written.
 */
function compileTraining(nets: readonly ArchIR[], p: ParsedCommand, ctx: Context, observer: PassObserver | undefined, profile: ScheduleOptions['profile']): number {
  for (const option of ['out', 'emit-wgsl', 'no-fuse', 'adapter', 'require-gpu']) {
    if (p.values[option] !== undefined) throw new UsageError(`compile: --${option} applies to the inference plan, not to --train`);
  }
  const batch = intOption(p, 'batch', 1);
  const records: CompiledRecord[] = [];
  for (const net of nets) {
    // A step the device cannot hold is a DeviceLimitError, which says so (and which batch fits).
    const { plan } = planTraining(net, { batch, observer, profile });
    // The step as it is without buffer sharing (nor the recomputation that only pays with it).
    const { plan: unshared } = planTraining(net, { batch, reuse: false, profile });
    const m = plan.memory;
    const line =
      `${net.name}: training step at batch ${batch}: ${plan.kernels.length} kernels, ${plan.dispatches.length} dispatches, ${(planFlops(plan) / 1e6).toFixed(1)}M FLOPs; ` +
      `training buffers ${bytes(m.bytes)} (${bytes(unshared.memory.bytes)} without reuse), ${plan.buffers.length} buffers in ${m.allocations.length} allocations`;
    records.push(compiledRecord(net.name, 'training', plan, flag(p, 'lint')));
    if (stringOption(p, 'debug') !== 'json' && !wantsJson(p)) ctx.io.out(line);
  }
  return finish(records, p, ctx);
}

export const compile: Command = {
  spec: {
    name: 'compile',
    summary: COMMAND_SUMMARIES.compile,
    usage: 'hrn compile FILE [--pipeline P] [--debug[=json|=diff]] [--debug-only PASS] [-o DIR] [--emit-wgsl LAYER] [--adapter N|NAME] [--batch N] [--train] [--profile cpu|gpu] [--no-tune-cache] [--json] [--lint]',
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      ...DEBUG_OPTIONS,
      out: { type: 'string', short: 'o', value: 'DIR', help: 'write the kernels that run on the adapter (.wgsl), manifest.json and the final IR here' },
      'emit-wgsl': { type: 'string', value: 'LAYER', help: 'print the WGSL of the kernel computing LAYER (a layer-graph node name, e.g. S2.b1.conv1) on the adapter' },
      adapter: { type: 'string', value: 'N|NAME', help: "compile for this WebGPU adapter (as -o and --emit-wgsl do for the first one Dawn finds), by its number in Dawn's list or part of its name" },
      'require-gpu': { type: 'boolean', help: 'with -o or --emit-wgsl: refuse a CPU driver (lavapipe, SwiftShader)' },
      batch: { type: 'string', value: 'N', help: 'images per dispatch the plan is specialized for (default 1)' },
      'no-fuse': { type: 'boolean', help: 'one kernel per op instead of fused conv+bn+add+relu chains' },
      force: { type: 'boolean', help: 'write into -o DIR even when it holds files hrn compile did not write' },
      train: { type: 'boolean', help: 'compile the training step (forward, loss, backward, update) instead; print its size and buffer memory' },
      lint: { type: 'boolean', help: "flag dispatches that would starve a GPU (over 1% of the FLOPs in fewer than 32,768 invocations); exit 1 if any" },
      ...profileOptionSpec('default: cpu, or with -o, --emit-wgsl or --adapter the adapter\'s (cpu on a CPU driver, else gpu)'),
      ...TUNE_CACHE_OPTION,
      ...JSON_OPTION,
    },
    positionals: { min: 1, max: 1 },
    details:
      'With several networks (a family from equalize, or a file with several), each goes to DIR/<network>/.\n' +
      'DIR receives: one .wgsl file per kernel, manifest.json (buffers, bindings, dispatch order and sizes),\n' +
      'ir.txt (architecture IR and layer graph), graph.json, and network.hrn (the network as source).\n' +
      'With -o, --emit-wgsl or --adapter the kernels are compiled for the adapter (its subgroup size, limits and\n' +
      'the schedules hrn tune measured on it), as hrn infer and hrn train run them; each starts with a header\n' +
      'naming its layers and specialization.\n' +
      'DIR must be empty, new, or an earlier output of hrn compile (recognised by its manifest.json);\n' +
      'anything else needs --force, so that compiling never replaces files of your own.\n' +
      'With --train the training step hrn train runs is compiled instead (its passes: fuse, params, values,\n' +
      'forward, loss, backward, update, allocate; --debug prints the IR after each) and only its size is\n' +
      'printed: kernels, dispatches, FLOPs, and the GPU memory of its buffers with and without reuse (buffers\n' +
      'never live at the same time share memory).\n' +
      '--json prints every dispatch of the plan (kernel, label, invocations = workgroups x workgroup size, FLOPs)\n' +
      "and its peak GPU memory (schema: docs/schemas/compile.schema.json). --lint flags the dispatches that\n" +
      "would leave a GPU idle: each carrying over 1% of the plan's FLOPs in fewer than 32,768 invocations.\n" +
      'Kernels are shaped by a schedule profile (docs/runtime.md, "Schedules"): cpu, the default without a\n' +
      'device (and so for --train), or gpu (many more, smaller invocations: compile --train --profile gpu\n' +
      '--lint checks a GPU training step); with -o, --emit-wgsl or --adapter the adapter picks it (cpu on a\n' +
      'CPU driver such as lavapipe, else gpu). --profile overrides either. A kernel whose signature hrn tune\n' +
      'measured on that adapter takes the tuned schedule (--no-tune-cache: the profile\'s). --debug shows each\n' +
      'dispatch\'s schedule and where it came from (tuned, or the profile); --json lists it with the dispatch.',
  },
  async run(p, ctx) {
    const profile = profileOption(p, 'compile');
    const loaded = loadNetworks(p.positionals[0], ctx.sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
    const observer = debugObserverFor(p, ctx);
    const nets = applyPipelineOption(loaded, p, ctx, observer);
    if (flag(p, 'train')) return compileTraining(nets, p, ctx, observer, profile);
    const batch = intOption(p, 'batch', 1);
    const out = stringOption(p, 'out');
    const layer = stringOption(p, 'emit-wgsl');
    const quiet = stringOption(p, 'debug') === 'json' || wantsJson(p);
    if (layer !== undefined && wantsJson(p)) throw new UsageError('compile: --emit-wgsl prints WGSL, which does not go with --json');
    if (out !== undefined) prepareOutDir(out, flag(p, 'force'));
    const records: CompiledRecord[] = [];
    const onDevice = out !== undefined || layer !== undefined || stringOption(p, 'adapter') !== undefined;
    const target = onDevice ? await adapterTarget(p, ctx) : undefined;
    const asked: ScheduleOptions = { profile, ...(target?.tuned.tuned ? { tuned: target.tuned.tuned } : {}) };
    const schedule = target ? withDeviceProfile(target, asked) : asked;
    for (const net of nets) {
      // A plan the device cannot hold is a DeviceLimitError, which says so (and which batch fits).
      const options = { batch, fuse: !flag(p, 'no-fuse'), subgroupSize: target?.subgroupSize, limits: target?.limits, ...schedule };
      const { graph, plan }: { graph: LayerGraph; plan: Plan } = planNetwork(net, options, observer);
      if (layer !== undefined) {
        ctx.io.out(emitWgsl(plan, graph, layer));
        continue;
      }
      records.push(compiledRecord(net.name, 'inference', plan, flag(p, 'lint')));
      const s = networkStats(net, graph);
      const lines = [`${net.name}: ${s.relus.total.toLocaleString('en-US')} ReLUs, ${(s.flops.total / 1e6).toFixed(1)}M FLOPs; ${summary(plan)}`];
      if (out !== undefined) {
        const dir = nets.length === 1 ? out : join(out, net.name);
        const count = writeOut(dir, net, graph, plan);
        const sg = plan.subgroupSize > 0 ? `subgroups of ${plan.subgroupSize}` : 'no subgroups';
        const tuned = plan.schedules.filter((s) => s.from === 'tuned').length;
        const tunedNote = tuned > 0 ? `, ${tuned} dispatch${tuned === 1 ? '' : 'es'} tuned` : '';
        lines.push(`  wrote ${count} files to ${displayPath(dir)}/ (kernels for ${target!.info}, ${sg}, schedules: ${profileText(plan.profile)}${tunedNote})`);
      }
      if (!quiet) ctx.io.out(lines.join('\n'));
    }
    return finish(records, p, ctx);
  },
};
