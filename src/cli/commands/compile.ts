import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../codegen/index.js';
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
    },
    positionals: { min: 1, max: 1 },
    details:
      'With several networks (a family from equalize, or a file with several), each goes to DIR/<network>/.\n' +
      'DIR receives: one .wgsl file per kernel, manifest.json (buffers, bindings, dispatch order and sizes),\n' +
      'ir.txt (architecture IR and layer graph), graph.json, and network.hrn (the network as source).',
  },
  async run(p, ctx) {
    const loaded = loadNetworks(p.positionals[0], ctx.sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
    const nets = applyPipelineOption(loaded, p, ctx);
    const batch = intOption(p, 'batch', 1);
    const out = stringOption(p, 'out');
    const quiet = stringOption(p, 'debug') === 'json';
    // Loaded only now: the code generator is start-up time the other commands skip.
    const { compilePlan, writeCompiled } = await import('../../codegen/index.js');
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
          mkdirSync(dir, { recursive: true });
          const files = writeCompiled(plan, dir);
          writeFileSync(join(dir, 'ir.txt'), `${printArch(net)}\n\n${printGraph(graph)}\n`);
          writeFileSync(join(dir, 'graph.json'), `${JSON.stringify(graph, null, 2)}\n`);
          writeFileSync(join(dir, 'network.hrn'), emitHrn(net));
          lines.push(`  wrote ${files.length + 3} files to ${dir}/`);
        } catch (e) {
          throw new UserError(`cannot write to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
      if (!quiet) ctx.io.out(lines.join('\n'));
    }
    return EXIT_OK;
  },
};
