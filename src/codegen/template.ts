// WGSL templates live in kernels/*.wgsl. A template is WGSL with five kinds of markup, all
// invisible to a WGSL reader's eye for structure:
//   {{NAME}}                  replaced by a value (a number, an identifier, or an expression);
//   {{slot}}                  (lower case) a storage binding's WGSL identifier, from the binding
//                             renderer (kernels/bindings.ts);
//   //#if FLAG ... //#else ... //#endif   (on their own lines, may nest) kept or dropped by a flag;
//   //#for x in LIST ... //#endfor        (on their own lines, may nest) the lines between, once for
//                             each item of the table LIST (a value that is a list of records), with
//                             {{x.field}} replaced by the item's field; `//#if x.field` tests a
//                             boolean field, and `//#for y in x.field` walks a table in the item;
//   //#include NAME          (on its own line) replaced, before anything else, by the WGSL snippet
//                             kernels/lib/NAME.wgsl that several templates share (it may include
//                             in turn); its placeholders and flags count as the template's own;
//   //#include NAME with body ... //#endinclude
//                             the same, with the lines between put where the snippet has a
//                             `//#body` line (a loop the snippet writes, around work the
//                             including kernel gives: kernels/lib/store_loop.wgsl);
//   //#parts SECTION         (on its own line, in an elementwise chain's kernels) replaced, before
//                             the includes, by that `//#section` of each of the chain's ops' files
//                             kernels/chain/<op>.wgsl, in the chain's order (templateWithParts).
// Every placeholder must be given and every given value must be used, so a template and its
// generator cannot drift apart silently. The generator computes values and tables; the WGSL text,
// unrolled blocks included, is the template's.

import { expandIncludes, expandParts } from './template-include.js';

/**
 * Where template text comes from: files under kernels/ for the CLI (template-files.ts), the bundled
 * sources in the browser. `read` gets a name such as `conv` or `lib/packed_conv` and throws when there is
 * no such template, with a message saying where it looked.
 */
export interface TemplateSource {
  read(name: string): string;
}

let source: TemplateSource | undefined;
const cache = new Map<string, string>();
/** Each template text with its includes expanded and its blocks parsed, kept for the next kernel of that text. */
const parsed = new Map<string, ParsedTemplate>();

/** Sets the template source every kernel generator reads from (replacing any earlier one). */
export function setTemplateSource(s: TemplateSource): void {
  source = s;
  cache.clear();
  composed.clear();
  parsed.clear();
}

/** The template source, if one was set. */
export function templateSource(): TemplateSource | undefined {
  return source;
}

/** A source over a fixed table of template texts, keyed by name (e.g. `conv`, `lib/packed_conv`). */
export function tableTemplateSource(table: ReadonlyMap<string, string> | Record<string, string>, where = 'the bundled kernels'): TemplateSource {
  const get = table instanceof Map ? (n: string) => table.get(n) : (n: string) => (table as Record<string, string>)[n];
  return {
    read(name) {
      const text = get(name);
      if (text === undefined) throw new Error(`no template ${name}.wgsl in ${where}`);
      return text;
    },
  };
}

const composed = new Map<string, string>();

/**
 * The text of template `name` with the parts `parts` in place of its `//#parts` lines
 * (template-include.ts), kept for the next kernel of the same parts; without parts, its text.
 */
export function templateWithParts(name: string, parts?: readonly string[]): string {
  if (parts === undefined) return loadTemplate(name);
  const key = `${name}:${parts.join(',')}`;
  let text = composed.get(key);
  if (text === undefined) {
    text = expandParts(name, loadTemplate(name), parts, loadTemplate);
    composed.set(key, text);
  }
  return text;
}

export function loadTemplate(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    if (!source) {
      throw new Error(
        `kernel template ${name}: no template source is set; Node programs import codegen/template-files.js (the CLI and the package's Node entry do), a page calls setTemplateSource`,
      );
    }
    try {
      text = source.read(name);
    } catch (e) {
      throw new Error(`kernel template ${name}: ${(e as Error).message}`);
    }
    cache.set(name, text);
  }
  return text;
}

/** One item of a table that `//#for` walks: its fields, by name. */
export interface TemplateItem {
  readonly [field: string]: string | number | boolean | TemplateTable;
}
export type TemplateTable = readonly TemplateItem[];
export type TemplateValues = Record<string, string | number | TemplateTable>;

/** A loop variable's field, `{{x.field}}` (or `x.field` in a directive). */
interface FieldRef {
  v: string;
  f: string;
}

/** A value or a binding slot, `{{NAME}}`. */
interface NameRef {
  key: string;
}

type Part = string | FieldRef | NameRef;

type Block =
  /** `parts`: the text split at its placeholders, where it has any. */
  | { kind: 'line'; text: string; parts?: Part[]; line: number }
  /** `ref`: the field a condition tests, where it is one. */
  | { kind: 'if'; cond: string; ref?: FieldRef; neg: boolean; then: Block[]; else: Block[]; line: number }
  /** `ref`: the field that holds the table, where it is one. */
  | { kind: 'for'; name: string; table: string; ref?: FieldRef; body: Block[]; line: number };

const DIRECTIVE = /^\s*\/\/#(if|else|endif|for|endfor)\b\s*(.*?)\s*$/;
const PLACEHOLDER = /\{\{(\w+)(?:\.(\w+))?\}\}/g;

/** A line's text split at its placeholders, or undefined when it has none. */
function lineParts(text: string): Part[] | undefined {
  if (!text.includes('{{')) return undefined;
  const parts: Part[] = [];
  let at = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(at, m.index), m[2] === undefined ? { key: m[1] } : { v: m[1], f: m[2] });
    at = m.index + m[0].length;
  }
  if (at === 0) return undefined;
  parts.push(text.slice(at));
  return parts;
}

/** `x.field` as a reference, or undefined for a plain name. */
function dotted(name: string): FieldRef | undefined {
  const dot = name.indexOf('.');
  return dot < 0 ? undefined : { v: name.slice(0, dot), f: name.slice(dot + 1) };
}

/** The template's lines as a tree of `//#if` and `//#for` blocks. */
function parseBlocks(name: string, source: string): Block[] {
  const root: Block[] = [];
  const open: { block: Extract<Block, { kind: 'if' | 'for' }>; into: Block[] }[] = [];
  let into = root;
  source.split('\n').forEach((text, i) => {
    const m = DIRECTIVE.exec(text);
    if (!m) {
      const other = /^\s*\/\/#(\w+)/.exec(text);
      if (other) throw new Error(`kernel template ${name}:${i + 1}: #${other[1]} is no directive here (only #if, #else, #endif, #for, #endfor and, before them, #include)`);
      into.push({ kind: 'line', text, parts: lineParts(text), line: i + 1 });
      return;
    }
    const [, kw, rest] = m;
    const at = `kernel template ${name}:${i + 1}`;
    const top = open[open.length - 1];
    if (kw === 'if') {
      const c = /^(!?)([\w.]+)$/.exec(rest);
      if (!c) throw new Error(`${at}: #if takes a flag or a boolean field, not '${rest}'`);
      const block: Block = { kind: 'if', cond: c[2], ref: dotted(c[2]), neg: c[1] === '!', then: [], else: [], line: i + 1 };
      into.push(block);
      open.push({ block, into });
      into = block.then;
    } else if (kw === 'for') {
      const f = /^(\w+)\s+in\s+([\w.]+)$/.exec(rest);
      if (!f) throw new Error(`${at}: #for takes 'NAME in TABLE', not '${rest}'`);
      const block: Block = { kind: 'for', name: f[1], table: f[2], ref: dotted(f[2]), body: [], line: i + 1 };
      into.push(block);
      open.push({ block, into });
      into = block.body;
    } else if (kw === 'else') {
      if (top?.block.kind !== 'if' || into === top.block.else) throw new Error(`${at}: #else without #if`);
      into = top.block.else;
    } else {
      const want = kw === 'endif' ? 'if' : 'for';
      if (top?.block.kind !== want) throw new Error(`${at}: #${kw} without #${want}`);
      open.pop();
      into = top.into;
    }
  });
  const left = open[open.length - 1];
  if (left) throw new Error(`kernel template ${name}: unterminated #${left.block.kind} ${left.block.kind === 'if' ? left.block.cond : left.block.table}`);
  return root;
}

/** What a template renders with: its values, flags and slots, the loop variables in scope, and the values it used. */
interface Scope {
  name: string;
  values: TemplateValues;
  flags: Record<string, boolean>;
  slots: Record<string, string>;
  items: Map<string, TemplateItem>;
  used: Set<string>;
}

/** The value of a loop variable's field (`x.field`) in scope. */
function fieldValue(scope: Scope, ref: FieldRef, line: number): TemplateItem[string] {
  const item = scope.items.get(ref.v);
  if (!item) throw new Error(`kernel template ${scope.name}:${line}: ${ref.v} is not a #for variable here`);
  const v = item[ref.f];
  if (v === undefined) throw new Error(`kernel template ${scope.name}:${line}: the items of ${ref.v} have no field ${ref.f}`);
  return v;
}

/**
 * The text of `{{key}}`: a slot's identifier, or a value, whose own text may name slots (a value
 * that is WGSL of a generator's). Each value used is noted, for the check that all of them are.
 */
function nameText(scope: Scope, key: string): string {
  const slot = scope.slots[key];
  if (slot !== undefined) return slot;
  const v = scope.values[key];
  if (v === undefined) throw new Error(`kernel template ${scope.name}: no value for {{${key}}}`);
  if (Array.isArray(v)) throw new Error(`kernel template ${scope.name}: {{${key}}} is a table, which only #for walks`);
  scope.used.add(key);
  const text = String(v);
  return text.includes('{{') ? text.replace(/\{\{(\w+)\}\}/g, (_, slotKey: string) => slotText(scope, slotKey)) : text;
}

function slotText(scope: Scope, key: string): string {
  const slot = scope.slots[key];
  if (slot === undefined) throw new Error(`kernel template ${scope.name}: no value for {{${key}}}`);
  return slot;
}

/** A line with its placeholders filled in; a field's text may hold placeholders of its own. */
function lineText(scope: Scope, parts: Part[], line: number): string {
  let text = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      text += p;
    } else if ('key' in p) {
      text += nameText(scope, p.key);
    } else {
      const v = String(fieldValue(scope, p, line));
      text += v.includes('{{') ? v.replace(/\{\{(\w+)\}\}/g, (_, key: string) => nameText(scope, key)) : v;
    }
  }
  return text;
}

/** The lines of `blocks` with flags decided, tables walked and placeholders filled in. */
function renderBlocks(scope: Scope, blocks: Block[], out: string[]): void {
  const { name, items, flags, values } = scope;
  for (const b of blocks) {
    if (b.kind === 'line') {
      out.push(b.parts === undefined ? b.text : lineText(scope, b.parts, b.line));
    } else if (b.kind === 'if') {
      let on: boolean;
      if (b.ref) {
        const v = fieldValue(scope, b.ref, b.line);
        if (typeof v !== 'boolean') throw new Error(`kernel template ${name}:${b.line}: #if ${b.cond} is not a boolean field`);
        on = v;
      } else {
        if (!(b.cond in flags)) throw new Error(`kernel template ${name}:${b.line}: flag ${b.cond} not given`);
        on = flags[b.cond];
      }
      renderBlocks(scope, on !== b.neg ? b.then : b.else, out);
    } else {
      const table = b.ref ? fieldValue(scope, b.ref, b.line) : values[b.table];
      if (!Array.isArray(table)) throw new Error(`kernel template ${name}:${b.line}: #for ${b.name} in ${b.table}: no table ${b.table} given`);
      // The loop variable shadows an outer one of its name while the block renders.
      const outer = items.get(b.name);
      for (const item of table as TemplateTable) {
        items.set(b.name, item);
        renderBlocks(scope, b.body, out);
      }
      if (outer === undefined) items.delete(b.name);
      else items.set(b.name, outer);
    }
  }
}

/** Every global flag the blocks test, with its first line: a missing one is refused even where its block is dropped. */
function testedFlags(blocks: Block[], into = new Map<string, number>()): Map<string, number> {
  for (const b of blocks) {
    if (b.kind === 'if') {
      if (!b.ref && !into.has(b.cond)) into.set(b.cond, b.line);
      testedFlags(b.then, into);
      testedFlags(b.else, into);
    } else if (b.kind === 'for') {
      testedFlags(b.body, into);
    }
  }
  return into;
}

interface ParsedTemplate {
  text: string;
  /** The text with its includes expanded. */
  source: string;
  blocks: Block[];
  /** The tables of the values that a `//#for` walks. */
  tables: Set<string>;
  /** Every `{{NAME}}` of the text, rendered or not. */
  names: Set<string>;
  /** The flags the blocks test, with the line of the first test of each. */
  flags: Map<string, number>;
}

/** The tables of the values that the blocks' `//#for`s walk (not the tables inside items). */
function walkedTables(blocks: Block[], into = new Set<string>()): Set<string> {
  for (const b of blocks) {
    if (b.kind === 'for') {
      if (!b.ref) into.add(b.table);
      walkedTables(b.body, into);
    } else if (b.kind === 'if') {
      walkedTables(b.then, into);
      walkedTables(b.else, into);
    }
  }
  return into;
}

/** `text` with its includes expanded and its blocks parsed, once per text (a template composed of parts is a text of its own). */
function parsedTemplate(name: string, text: string): ParsedTemplate {
  const hit = parsed.get(text);
  if (hit !== undefined) return hit;
  const source = expandIncludes(name, text, loadTemplate);
  const blocks = parseBlocks(name, source);
  const names = new Set([...source.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]));
  const entry = { text, source, blocks, tables: walkedTables(blocks), names, flags: testedFlags(blocks) };
  parsed.set(text, entry);
  return entry;
}

/**
 * Instantiates a template: includes first, then conditional blocks and tables, each line's
 * placeholders filled in as it is written. `slots` gives the WGSL identifier of each binding slot,
 * which a value's or a field's text may name too.
 */
export function instantiate(
  name: string,
  values: TemplateValues,
  flags: Record<string, boolean> = {},
  templateSource: string = loadTemplate(name),
  slots: Record<string, string> = {},
): string {
  const parsedText = parsedTemplate(name, templateSource);
  const { blocks, tables, names } = parsedText;
  for (const [flag, line] of parsedText.flags) if (!(flag in flags)) throw new Error(`kernel template ${name}:${line}: flag ${flag} not given`);
  const out: string[] = [];
  const used = new Set<string>();
  renderBlocks({ name, values, flags, slots, items: new Map(), used }, blocks, out);
  for (const [key, v] of Object.entries(values)) {
    if (used.has(key) || (Array.isArray(v) ? tables.has(key) : names.has(key))) continue;
    throw new Error(`kernel template ${name}: value ${key} is not used by the template`);
  }
  return out.join('\n');
}

/** `123u`: a WGSL u32 literal. */
export function u(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`codegen: ${n} is not a u32`);
  return `${n}u`;
}

/** `-3i` / `3i`: a WGSL i32 literal. */
export function i(n: number): string {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new Error(`codegen: ${n} is not an i32`);
  return `${n}i`;
}

/** A WGSL f32 literal that round-trips the float32 value. */
export function f(x: number): string {
  const v = Math.fround(x);
  if (!Number.isFinite(v)) throw new Error(`codegen: ${x} is not a finite f32`);
  const s = v.toString();
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}
