import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePlan, writeCompiled, type Plan } from '../../codegen/index.js';
import { emitHrn } from '../../ir/emit-hrn.js';
import { lowerToGraph } from '../../ir/lower.js';
import { printArch, printGraph } from '../../ir/print.js';
import { networkStats } from '../../ir/stats.js';
import { bytes } from '../format.js';
import { flag, intOption, listOption, stringOption } from '../args.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { EXIT_OK, UserError } from '../errors.js';
import { loadNetworks } from '../load.js';
import { applyPipelineOption, DEBUG_OPTIONS, PIPELINE_OPTION } from '../pipeline.js';
import { dirEntries, ensureDir, OutputDirError } from '../../util/output-dir.js';

/** True when `dir/manifest.json` is one hrn compile wrote. */
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

export const compile: Command = {
  spec: {
    name: 'compile',
    summary: 'Run the passes, lower to the layer graph and generate WGSL kernels with an execution plan.',
    usage: 'hrn compile FILE [--pipeline P] [--debug[=json]] [-o DIR] [--batch N]',
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      ...DEBUG_OPTIONS,
      out: { type: 'string', short: 'o', value: 'DIR', help: 'write kernels (.wgsl), manifest.json and the final IR here' },
      batch: { type: 'string', value: 'N', help: 'images per dispatch the plan is specialized for (default 1)' },
      'no-fuse': { type: 'boolean', help: 'one kernel per op instead of fused conv+bn+add+relu chains' },
      force: { type: 'boolean', help: 'write into -o DIR even when it holds files hrn compile did not write' },
    },
    positionals: { min: 1, max: 1 },
    details:
      'With several networks (a family from equalize, or a file with several), each goes to DIR/<network>/.\n' +
      'DIR receives: one .wgsl file per kernel, manifest.json (buffers, bindings, dispatch order and sizes),\n' +
      'ir.txt (architecture IR and layer graph), graph.json, and network.hrn (the network as source).\n' +
      'DIR must be empty, new, or an earlier output of hrn compile (recognised by its manifest.json);\n' +
      'anything else needs --force, so that compiling never replaces files of your own.',
  },
  async run(p, ctx) {
    const loaded = loadNetworks(p.positionals[0], ctx.sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
    const nets = applyPipelineOption(loaded, p, ctx);
    const batch = intOption(p, 'batch', 1);
    const out = stringOption(p, 'out');
    const quiet = stringOption(p, 'debug') === 'json';
    if (out !== undefined) prepareOutDir(out, flag(p, 'force'));
    for (const net of nets) {
      const graph = lowerToGraph(net);
      let plan: Plan;
      try {
        plan = compilePlan(graph, { batch, fuse: !flag(p, 'no-fuse') });
      } catch (e) {
        // Plans fail only for configurations the device cannot hold (a layer over the binding limit).
        throw new UserError(`${net.name}: cannot compile: ${(e as Error).message}`);
      }
      const s = networkStats(net, graph);
      const lines = [`${net.name}: ${s.relus.total.toLocaleString('en-US')} ReLUs, ${(s.flops.total / 1e6).toFixed(1)}M FLOPs; ${summary(plan)}`];
      if (out !== undefined) {
        const dir = nets.length === 1 ? out : join(out, net.name);
        try {
          ensureDir(dir);
          const files = writeCompiled(plan, dir);
          writeFileSync(join(dir, 'ir.txt'), `${printArch(net)}\n\n${printGraph(graph)}\n`);
          writeFileSync(join(dir, 'graph.json'), `${JSON.stringify(graph, null, 2)}\n`);
          writeFileSync(join(dir, 'network.hrn'), emitHrn(net));
          lines.push(`  wrote ${files.length + 3} files to ${dir}/`);
        } catch (e) {
          if (e instanceof OutputDirError) throw new UserError(e.message);
          throw new UserError(`cannot write to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
      if (!quiet) ctx.io.out(lines.join('\n'));
    }
    return EXIT_OK;
  },
};
