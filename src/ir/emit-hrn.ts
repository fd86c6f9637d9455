// Writes a network back out as .hrn source, so a family member or a pass's output can be kept,
// edited and fed to hrn again. The ReLU plan (culled, thinned, reuse) has no statement of its own
// in the language: it is written as a pipeline that recreates it, named `<network>-plan`.

import { blockText, headText, stemText, type ArchIR, type StageIR } from './arch.js';
import { reluLayerNames } from './lower.js';

function list(xs: readonly number[]): string {
  return `[${xs.join(', ')}]`;
}

/** Pipeline steps that turn ordinary ReLUs into this network's ReLU plan. */
export function reluPlanSteps(arch: ArchIR): string[] {
  const pick = (f: (s: StageIR) => boolean) => arch.stages.filter(f).map((s) => s.name);
  const steps: string[] = [];
  const culled = pick((s) => s.relu.culled);
  const thinned = pick((s) => !s.relu.culled && s.relu.thinned);
  if (culled.length) steps.push(`cull ${culled.join(' ')}`);
  if (thinned.length) steps.push(`thin ${thinned.join(' ')}`);
  // Group stages by reuse factor so each `reuse N` names its stages.
  const byReuse = new Map<number, string[]>();
  for (const s of arch.stages) {
    if (s.relu.culled || s.relu.reuse <= 1) continue;
    byReuse.set(s.relu.reuse, [...(byReuse.get(s.relu.reuse) ?? []), s.name]);
  }
  for (const [n, stages] of byReuse) steps.push(`reuse ${n} ${stages.join(' ')}`);
  // Single ReLU layers, by name.
  for (const s of arch.stages) {
    if (s.relu.culled) continue;
    const names = reluLayerNames(arch, s);
    if (s.relu.culledLayers?.length) steps.push(`cull ${s.relu.culledLayers.map((p) => names[p]).join(' ')}`);
    const byN = new Map<number, string[]>();
    for (const [p, n] of Object.entries(s.relu.layerReuse ?? {})) if (!s.relu.culledLayers?.includes(Number(p))) byN.set(n, [...(byN.get(n) ?? []), names[Number(p)]]);
    for (const [n, layers] of byN) steps.push(`reuse ${n} ${layers.join(' ')}`);
  }
  // SNL masks the ReLUs the steps above leave, so it comes last.
  if (arch.snl) steps.push(`snl ${arch.snl.budget}${arch.snl.granularity === 'channel' ? ' per-channel' : ''}`);
  return steps;
}

export function emitHrn(arch: ArchIR): string {
  const lines: string[] = [];
  if (arch.history.length) lines.push(`# made by hrn from: ${arch.history.join('; ')}`);
  lines.push(`network ${arch.name} {`);
  const basis = arch.widths;
  const stemFromM = basis !== undefined && basis.m === arch.stem.channels;
  if (stemFromM) lines.push(`  param m = ${basis.m}`);
  lines.push(`  input   ${arch.input.c}x${arch.input.h}x${arch.input.w}`);
  lines.push(`  classes ${arch.classes}`);
  lines.push(`  kernel  ${arch.kernel}`);
  lines.push(`  stem    ${stemText(arch.stem, stemFromM ? 'm' : undefined)}`);
  lines.push(`  block   ${blockText(arch)}`);
  const depths = list(arch.stages.map((s) => s.depth));
  const strides = list(arch.stages.map((s) => s.stride));
  const widths = stemFromM && basis.factors.length > 0 ? `widths ${list(basis.factors)}` : `channels ${list(arch.stages.map((s) => s.channels))}`;
  lines.push(`  stages  depths ${depths} ${widths} strides ${strides}`);
  lines.push(`  head    ${headText(arch.head)}`);
  lines.push(`  criticality ${arch.criticality.join(' > ')}`);
  lines.push('}');
  const plan = reluPlanSteps(arch);
  if (plan.length) {
    lines.push('', `# run with --pipeline ${arch.name}-plan to restore this network's ReLU plan`);
    lines.push(`pipeline ${arch.name}-plan {`, ...plan.map((s) => `  ${s}`), '}');
  }
  return `${lines.join('\n')}\n`;
}
