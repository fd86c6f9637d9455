// The training-level IR as text: the layer graph and the shared fusion (as the graph passes print
// them), then what the training passes have built: the training steps, the parameter layout, the
// buffers, the kernels and the dispatches by phase, and where the buffers live in GPU memory.
// Sections only grow, so a diff between two passes shows what the later one added.

import { printGraph } from '../../ir/print.js';
import { fusionSection } from '../graph/print.js';
import { programSection } from '../program.js';
import { bufferSpans } from './allocate.js';
import type { TrainBuilder } from './builder.js';
import { profileText, scheduleText } from '../schedule/describe.js';
import type { TrainMemory } from './types.js';
import type { TrainState } from './state.js';
import type { BnStore, ParamStore } from './params.js';
import { formatMiB } from '../../util/bytes.js';

const size = (b: number) => (b < 1024 ? `${b} B` : `${(b / 1024).toFixed(1)} KiB`);
const large = (b: number) => (b < 2 ** 20 ? size(b) : b < 2 ** 30 ? formatMiB(b) : `${(b / 2 ** 30).toFixed(2)} GiB`);

function stepsSection(state: TrainState): string[] {
  const steps = state.steps ?? [];
  const copies = steps.filter((s) => s.kind === 'concat');
  const lines = [`training steps: ${steps.length} (${copies.length} concatenation copies), each output in a buffer of its own`];
  for (const s of copies) lines.push(`  %${s.anchor} <- copy ${s.node.inputs.map((i) => `%${i}`).join(', ')}  // ${s.node.name}`);
  return lines;
}

function paramsSection(store: ParamStore, bn: BnStore): string[] {
  const lines = [`parameters: ${store.params.length} tensors, ${store.paramFloats} floats (offset +length layout[, no decay])`];
  for (const p of store.params) lines.push(`  ${p.name} [${p.shape.join(', ')}] @${p.offset} +${p.length} ${p.layout.kind}${p.decay ? '' : ', no decay'}`);
  lines.push(`running statistics: ${bn.running.length} batch norms`);
  for (const r of bn.running) lines.push(`  ${r.bn}: ${r.c} channels, mean @${r.mean}, variance @${r.variance}`);
  return lines;
}

function buffersSection(b: TrainBuilder): string[] {
  const lines = [`buffers: ${b.buffers.length}, ${size(b.buffers.reduce((s, x) => s + x.bytes, 0))}`];
  for (const x of b.buffers) lines.push(`  buffer ${x.id} ${x.name} (${x.kind}) ${size(x.bytes)}`);
  return lines;
}

function dispatchSection(b: TrainBuilder): string[] {
  const lines = [`kernels: ${b.kernels.length} kernels, ${b.dispatches.length} dispatches; schedules: ${profileText(b.schedule.profile)}`];
  for (const k of b.kernels) lines.push(`  ${k.name}: ${k.template}, ${k.layout.length} bindings, workgroup ${k.workgroupSize}`);
  const scheduleOf = new Map(b.schedules.map((s) => [s.dispatch, s]));
  for (const d of b.dispatches) {
    const binds = d.bindings.map((x) => `${x.binding}:${b.buffers[x.buffer].name}${x.type === 'storage' ? '(w)' : ''}`).join(' ');
    lines.push(`  dispatch ${d.index} ${d.phase}: ${b.kernels[d.kernel].name} [${d.workgroups.join(', ')}] ${binds}  // ${d.label}`);
    const s = scheduleOf.get(d.index);
    if (s) lines.push(`    schedule ${scheduleText(s)}`);
  }
  return lines;
}

/** Each allocation and the buffers in it, with the dispatches each is live for. */
function memorySection(b: TrainBuilder, memory: TrainMemory): string[] {
  const spans = bufferSpans(b.buffers, b.dispatches);
  const lines = [`memory: ${b.buffers.length} buffers in ${memory.allocations.length} allocations, ${large(memory.bytes)} (${large(memory.noReuseBytes)} with an allocation each)`];
  for (const a of memory.allocations) {
    const live = (id: number) => {
      const s = spans[id];
      return a.buffers.length > 1 && s ? ` [${s.first}, ${s.last}]` : '';
    };
    lines.push(`  allocation ${a.id} ${large(a.bytes)}: ${a.buffers.map((id) => `${b.buffers[id].name}${live(id)}`).join(', ')}`);
  }
  return lines;
}

/** The state as text, every section known so far. */
export function printTrainState(state: TrainState): string {
  const parts = [printGraph(state.graph)];
  if (state.fusion) parts.push(fusionSection(state.graph, state.fusion).join('\n'));
  if (state.steps) parts.push(stepsSection(state).join('\n'));
  if (state.store && state.bn) parts.push(paramsSection(state.store, state.bn).join('\n'));
  if (state.builder) {
    parts.push(buffersSection(state.builder).join('\n'));
    if (state.builder.kernels.length > 0) parts.push(dispatchSection(state.builder).join('\n'));
  }
  if (state.grads && state.grads.clears.size > 0) parts.push(`cleared every step: ${[...state.grads.clears].sort((x, y) => x - y).map((id) => state.builder!.buffers[id].name).join(', ')}`);
  if (state.builder && state.memory) parts.push(memorySection(state.builder, state.memory).join('\n'));
  if (state.trainPlan) parts.push(programSection(state.trainPlan.program).join('\n'));
  return parts.join('\n\n');
}
