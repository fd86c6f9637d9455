// Completion, by where the cursor is: declaration keywords at the top level; statement keywords,
// block kinds, head items, stage names and the network's params in a network; pass and pipeline
// names in a pipeline block (and in a sweep's pipeline strings); settings, params, networks and
// pipelines in a sweep block.

import { CompletionItemKind, type CompletionItem, type Position } from 'vscode-languageserver';
import { BUILTIN_PIPELINES } from '../driver.js';
import { BLOCK_KINDS, HEAD_ITEMS } from '../ir/arch.js';
import type { NetworkDecl, ParamStmt } from '../parser/index.js';
import { CLAUSE_KEYWORDS, Network, Pipeline, STATEMENT_KEYWORDS, Sweep } from '../parser/tokens.js';
import { defaultRegistry } from '../passes/registry.js';
import type { Analysis, SweepSupport } from './analysis.js';
import { openAt } from './words.js';

const DECLARATIONS = [Network, Pipeline, Sweep].map((t) => t.name);
const STATEMENTS = STATEMENT_KEYWORDS.map((t) => t.name);
const CLAUSES = CLAUSE_KEYWORDS.map((t) => t.name);
const STEM_CONVS = ['conv3x3', 'conv5x5', 'conv7x7'];
const SWEEP_AXES = ['grid', 'list', 'sample'];
const NO_PIPELINE = 'none';

export function complete(a: Analysis, p: Position, sweeps: SweepSupport | undefined): CompletionItem[] {
  const before = a.doc.before(p);
  // What is being typed is not context: `block bot` completes like `block `.
  const lead = before.replace(/[A-Za-z0-9_-]*$/, '');
  const { depth, inString } = openAt(a.doc, p);
  const ctx = a.declAt(p.line + 1);
  if (depth === 0 || ctx === undefined) return lead.trim() === '' ? words(DECLARATIONS, CompletionItemKind.Keyword) : [];
  if (ctx.kind === 'network') return inNetwork(a, ctx.decl, lead);
  if (ctx.kind === 'pipeline') return inPipeline(a, lead);
  if (inString) return inPipeline(a, lead.slice(lead.lastIndexOf('"') + 1));
  return inSweep(a, lead, sweeps);
}

function inNetwork(a: Analysis, net: NetworkDecl, lead: string): CompletionItem[] {
  const statement = /^\s*([A-Za-z_]\w*)\b/.exec(lead)?.[1];
  if (lead.trim() === '') return words(STATEMENTS, CompletionItemKind.Keyword);
  if (/^\s*param\s+$/.test(lead)) return [];
  if (statement === 'block') return /^\s*block\s+$/.test(lead) ? words(BLOCK_KINDS, CompletionItemKind.EnumMember) : words(['groups'], CompletionItemKind.Keyword);
  if (statement === 'head') return words(HEAD_ITEMS, CompletionItemKind.EnumMember);
  if (statement === 'criticality') return stageNames(a, [net]);
  if (/^\s*stem\s+$/.test(lead)) return words(STEM_CONVS, CompletionItemKind.EnumMember);
  const items = params(net);
  if (statement === 'stages') items.push(...words(CLAUSES.filter((c) => !new RegExp(`\\b${c}\\b`).test(lead)), CompletionItemKind.Keyword));
  if (statement === 'stem' && !/\bstride\b/.test(lead)) items.push(...words(['stride'], CompletionItemKind.Keyword));
  return items;
}

/** `lead` is the text of the steps before the word being typed. */
function inPipeline(a: Analysis, lead: string): CompletionItem[] {
  const step = lead.slice(lead.lastIndexOf(';') + 1);
  if (step.trim() === '') return [...passes(), ...pipelines(a)];
  const first = /^\s*([A-Za-z_][\w-]*)\s+$/.exec(step)?.[1];
  const second = first === undefined ? [] : defaultRegistry().namesStartingWith(first).filter((n) => n.includes(' '));
  if (second.length > 0) return passes(second, (n) => n.slice(n.indexOf(' ') + 1));
  return stageNames(a, a.file.networks);
}

function inSweep(a: Analysis, lead: string, sweeps: SweepSupport | undefined): CompletionItem[] {
  if (lead.trim() === '') return [...words(sweeps?.settings ?? [], CompletionItemKind.Property), ...words(SWEEP_AXES, CompletionItemKind.Keyword)];
  const setting = /^\s*([A-Za-z_][\w-]*)\b/.exec(lead)?.[1];
  if (setting === 'sample') {
    if (/^\s*sample\s+$/.test(lead)) return [...a.file.networks.flatMap(params).filter(firstOfLabel()), ...words(sweeps?.sampled ?? [], CompletionItemKind.Property)];
    const insideCall = (lead.match(/\(/g) ?? []).length > (lead.match(/\)/g) ?? []).length;
    if (!insideCall && /[=[,]\s*$/.test(lead)) return words(sweeps?.distributions ?? [], CompletionItemKind.Function);
    return [];
  }
  if ((setting === 'grid' || setting === 'list') && /^\s*\w+\s+$/.test(lead)) return a.file.networks.flatMap(params).filter(firstOfLabel());
  if (setting === 'network') return words(a.file.networks.map((n) => n.name), CompletionItemKind.Class);
  if (setting === 'pipelines') return [...pipelines(a), ...words([NO_PIPELINE], CompletionItemKind.Keyword)];
  if (setting === 'augment') return words(['on', 'off'], CompletionItemKind.EnumMember);
  if (setting === 'fit') return words(['pad', 'resize'], CompletionItemKind.EnumMember);
  return [];
}

function words(list: readonly string[], kind: CompletionItemKind): CompletionItem[] {
  return list.map((label) => ({ label, kind }));
}

/** The registry's passes (or those named), each with its summary and argument forms. */
function passes(names = defaultRegistry().list().map((p) => p.name), label: (name: string) => string = (n) => n): CompletionItem[] {
  return names.map((name) => {
    const pass = defaultRegistry().get(name)!;
    return { label: label(name), kind: CompletionItemKind.Function, detail: pass.summary, documentation: pass.usage };
  });
}

function pipelines(a: Analysis): CompletionItem[] {
  const own = a.file.pipelines.map((pl) => ({ label: pl.name, kind: CompletionItemKind.Module, detail: 'pipeline of this file' }));
  const builtin = Object.entries(BUILTIN_PIPELINES).map(([label, text]) => ({ label, kind: CompletionItemKind.Module, detail: `built-in pipeline: ${text}` }));
  return [...own, ...builtin];
}

function params(net: NetworkDecl): CompletionItem[] {
  return net.statements
    .filter((s): s is ParamStmt & { name: NonNullable<ParamStmt['name']> } => s.kind === 'param' && s.name !== undefined)
    .map((s) => ({ label: s.name.name, kind: CompletionItemKind.Variable, detail: `param of ${net.name}` }));
}

/** Stage names of the networks that resolved (S1 ... the most stages any of them has). */
function stageNames(a: Analysis, nets: readonly NetworkDecl[]): CompletionItem[] {
  const most = Math.max(0, ...nets.map((n) => a.network(n.name)?.stages.length ?? 0));
  return Array.from({ length: most }, (_, i) => ({ label: `S${i + 1}`, kind: CompletionItemKind.Constant, detail: 'stage' }));
}

/** Keeps the first item of each label (a param declared by several networks is offered once). */
function firstOfLabel(): (item: CompletionItem) => boolean {
  const seen = new Set<string>();
  return (item) => !seen.has(item.label) && (seen.add(item.label), true);
}
