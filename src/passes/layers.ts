// Selecting single ReLU layers in pass arguments, for the per-layer forms of `cull` and `reuse`:
//
//   S2.b1.relu1        one ReLU layer (block 1 of S2, its first ReLU); stem.relu1 is the stem's,
//                      post.relu1 the final bn-relu of a pre-activation network
//   S2, S2..S4, all    every ReLU layer of those stages
//   alternate          of the selected stages (default: all), every other ReLU layer: the ones that
//                      thinning keeps (positions 1, 3, 5, ... in the order stem, b1.relu1, b1.relu2, ...)
//
// Positions are what the ReLU plan records (src/ir/arch.ts); names come from src/ir/lower.ts.

import type { ArchIR } from '../ir/arch.js';
import { reluLayerNames, relusPerBlock } from '../ir/lower.js';
import { fail, stageArgs, type PipelineArg } from './types.js';

export interface LayerSelection {
  stage: string;
  /** Positions of the selected ReLU layers in the stage's order. */
  positions: number[];
  /** Every ReLU layer of the stage: the stage-wide form applies. */
  whole: boolean;
}

const LAYER = /^(stem|post|[sS][0-9]+\.b[0-9]+)\.relu[0-9]+$/;

export function isLayerArg(arg: PipelineArg): boolean {
  return arg.text === 'alternate' || LAYER.test(arg.text);
}

/**
 * The ReLU layers that `args` name, stage by stage in network order. With no stage or layer named,
 * every stage is selected (so `reuse 4 alternate` covers the network).
 */
export function reluLayerArgs(args: readonly PipelineArg[], net: Pick<ArchIR, 'stages' | 'block'>, what: string): LayerSelection[] {
  let alternate = false;
  const picked = new Map<string, Set<number>>();
  const add = (stage: string, positions: number[]) => {
    const set = picked.get(stage) ?? new Set<number>();
    for (const p of positions) set.add(p);
    picked.set(stage, set);
  };
  const names = new Map(net.stages.map((s) => [s.name, reluLayerNames(net, s)]));
  const stageWords: PipelineArg[] = [];
  for (const arg of args) {
    if (arg.text === 'alternate') {
      alternate = true;
    } else if (LAYER.test(arg.text)) {
      const text = arg.text.replace(/^s(?=[0-9])/, 'S');
      const hit = [...names].find(([, ns]) => ns.includes(text));
      if (hit === undefined) {
        const m = /^[sS]([0-9]+)\.b([0-9]+)/.exec(text);
        const st = m === null ? undefined : net.stages.find((s) => s.name === `S${m[1]}`);
        const why = m === null ? `this ${net.block} network's stem and tail ReLUs: ${[...names.values()].flat().filter((n) => !n.includes('.b')).join(', ') || 'none'}`
          : st === undefined ? `no stage S${m[1]}`
            : Number(m[2]) > st.depth || Number(m[2]) < 1 ? `${st.name} has blocks b1..b${st.depth}`
              : `a ${net.block} block has relu1..relu${relusPerBlock(net)}`;
        fail(arg.span, `${what}: no ReLU layer '${arg.text}' (${why})`);
      }
      add(hit[0], [hit[1].indexOf(text)]);
    } else {
      stageWords.push(arg);
    }
  }
  for (const s of stageArgs(stageWords, net, what)) add(s, names.get(s)!.map((_, i) => i));
  if (picked.size === 0) for (const [s, ns] of names) add(s, ns.map((_, i) => i));
  const out: LayerSelection[] = [];
  for (const s of net.stages) {
    const set = picked.get(s.name);
    if (set === undefined) continue;
    const all = names.get(s.name)!.length;
    const positions = [...set].filter((p) => !alternate || p % 2 === 1).sort((a, b) => a - b);
    out.push({ stage: s.name, positions, whole: positions.length === all });
  }
  return out;
}
