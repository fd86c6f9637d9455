// Hover: a stage's row of `hrn stats` (its ReLUs, share, FLOPs and params), a network's whole table,
// a param's declaration, a pass's one-line summary. Counts are of each network as declared: no
// --set, no pipeline.

import { MarkupKind, type Hover, type Position, type Range } from 'vscode-languageserver';
import { BUILTIN_PIPELINES } from '../driver.js';
import { printStageTable } from '../ir/print.js';
import type { StageClause, StagesStmt } from '../parser/index.js';
import type { Analysis } from './analysis.js';
import { passAt, stageWord } from './words.js';

export function hover(a: Analysis, p: Position): Hover | null {
  const at = a.doc.wordAt(p);
  if (at === undefined) return null;
  const text = hoverText(a, p, at.word, at.range);
  return text === undefined ? null : { contents: { kind: MarkupKind.Markdown, value: text }, range: at.range };
}

function hoverText(a: Analysis, p: Position, word: string, range: Range): string | undefined {
  const ctx = a.declAt(p.line + 1);
  const stage = stageWord(word);
  if (ctx?.kind === 'network') {
    const net = ctx.decl;
    const stages = net.statements.find((s): s is StagesStmt => s.kind === 'stages');
    if (stages && a.doc.covers(stages.keyword, p)) return networkTable(a, net.name);
    const item = stages && stageOfClauseItem(a, stages.clauses, p);
    if (item !== undefined) return stageRows(a, [net.name], item);
    if (stage !== undefined) return stageRows(a, [net.name], stage);
    if (word === net.name) return networkTable(a, net.name);
    const param = net.statements.find((s) => s.kind === 'param' && s.name?.name === word);
    if (param) return `\`\`\`hrn\n${a.doc.lines[param.span.line - 1].trim()}\n\`\`\``;
    return undefined;
  }
  if (a.file.networks.some((n) => n.name === word)) return networkTable(a, word);
  if (ctx === undefined) return undefined;
  if (stage !== undefined) return stageRows(a, a.file.networks.map((n) => n.name), stage);
  const pass = passAt(a.doc.lines[p.line], range);
  if (pass) return `**${pass.name}**: ${pass.summary}\n\n\`\`\`\n${pass.usage}\n\`\`\``;
  const builtin = BUILTIN_PIPELINES[word];
  if (builtin !== undefined) return `built-in pipeline **${word}**: \`${builtin}\``;
  return undefined;
}

/** A number of a `depths`, `channels` or `strides` list is about one stage: its position's. */
function stageOfClauseItem(a: Analysis, clauses: readonly StageClause[], p: Position): string | undefined {
  for (const c of clauses) {
    if (c.name === 'widths' || c.value?.kind !== 'list') continue;
    const i = c.value.items.findIndex((item) => a.doc.covers(item.span, p));
    if (i >= 0) return `S${i + 1}`;
  }
  return undefined;
}

const DECLARED = 'as declared (no --set, no pipeline)';

function networkTable(a: Analysis, name: string): string {
  const s = a.stats(name);
  if (s === undefined) return unresolved(name);
  return [`**${s.network}** (input ${s.input}, ${s.classes} classes), ${DECLARED}:`, '', '```', printStageTable(s), '```', '', `FLOPs count ${s.flops.convention}.`].join('\n');
}

/** The stage's row of each network's table, under the table's header. */
function stageRows(a: Analysis, names: readonly string[], stage: string): string | undefined {
  const parts: string[] = [];
  for (const name of names) {
    const s = a.stats(name);
    if (s === undefined) {
      parts.push(unresolved(name));
      continue;
    }
    const [header, rule, ...rows] = printStageTable(s).split('\n');
    const row = rows.find((r) => r.split(/\s+/)[0] === stage);
    const known = Object.keys(s.relus.stages);
    if (row === undefined) parts.push(`**${name}** has no stage ${stage} (its stages: ${known.join(', ')})`);
    else parts.push([`**${stage}** of **${name}**, ${DECLARED}:`, '', '```', header, rule, row, '```'].join('\n'));
  }
  return parts.length === 0 ? undefined : parts.join('\n\n');
}

function unresolved(name: string): string {
  return `**${name}** has errors: no counts until they are fixed`;
}
