// WGSL templates live in kernels/*.wgsl. A template is WGSL with four kinds of markup, all
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
//                             including kernel gives: kernels/lib/store_loop.wgsl).
// Every placeholder must be given and every given value must be used, so a template and its
// generator cannot drift apart silently. The generator computes values and tables; the WGSL text,
// unrolled blocks included, is the template's.

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
/** Each template's text with its includes expanded and its blocks parsed, kept for the next kernel of that template. */
const parsed = new Map<string, ParsedTemplate>();

/** Sets the template source every kernel generator reads from (replacing any earlier one). */
export function setTemplateSource(s: TemplateSource): void {
  source = s;
  cache.clear();
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

const INCLUDE = /^\s*\/\/#include\s+(\w+)(\s+with\s+body)?\s*$/;
const END_INCLUDE = /^\s*\/\/#endinclude\s*$/;
const BODY = /^\s*\/\/#body\s*$/;

/** The snippet kernels/lib/NAME.wgsl with its own includes expanded, its `//#body` lines replaced by `body`. */
function includeSnippet(name: string, at: number, snippet: string, body: string[] | undefined, including: string[]): string[] {
  const lib = `lib/${snippet}`;
  const where = `kernel template ${name}:${at}`;
  if (including.includes(lib)) throw new Error(`${where}: ${lib} includes itself`);
  let text: string;
  try {
    text = loadTemplate(lib);
  } catch (e) {
    throw new Error(`${where}: #include ${snippet}: ${(e as Error).message}`);
  }
  const lines = expandIncludes(lib, text, [...including, lib]).replace(/\n$/, '').split('\n');
  const holes = lines.filter((l) => BODY.test(l)).length;
  if (body === undefined && holes > 0) throw new Error(`${where}: ${lib} has a //#body, so it is included 'with body' ... //#endinclude`);
  if (body !== undefined && holes === 0) throw new Error(`${where}: ${lib} has no //#body line for the body this include gives`);
  return body === undefined ? lines : lines.flatMap((l) => (BODY.test(l) ? body : [l]));
}

/** `source` with every `//#include NAME` line (or block, with its body) replaced by kernels/lib/NAME.wgsl, recursively. */
function expandIncludes(name: string, source: string, including: string[] = []): string {
  if (!source.includes('include')) return source;
  const lines = source.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = INCLUDE.exec(lines[i]);
    if (END_INCLUDE.test(lines[i])) throw new Error(`kernel template ${name}:${i + 1}: #endinclude without an include 'with body'`);
    if (!m) {
      out.push(lines[i]);
      continue;
    }
    if (!m[2]) {
      out.push(...includeSnippet(name, i + 1, m[1], undefined, including));
      continue;
    }
    // The body runs to the #endinclude that closes this include (bodies may hold includes with bodies).
    let depth = 1;
    let end = i + 1;
    for (; end < lines.length; end++) {
      if (INCLUDE.exec(lines[end])?.[2]) depth++;
      else if (END_INCLUDE.test(lines[end]) && --depth === 0) break;
    }
    if (end === lines.length) throw new Error(`kernel template ${name}:${i + 1}: #include ${m[1]} with body has no #endinclude`);
    const body = expandIncludes(name, lines.slice(i + 1, end).join('\n'), including).split('\n');
    out.push(...includeSnippet(name, i + 1, m[1], body, including));
    i = end;
  }
  return out.join('\n');
}

/** One item of a table that `//#for` walks: its fields, by name. */
export interface TemplateItem {
  readonly [field: string]: string | number | boolean | TemplateTable;
}
export type TemplateTable = readonly TemplateItem[];
export type TemplateValues = Record<string, string | number | TemplateTable>;

/** A loop variable's field, `x.field`. */
interface FieldRef {
  v: string;
  f: string;
}

type Block =
  /** `parts`: the text split at its `{{x.field}}`s, where it has any. */
  | { kind: 'line'; text: string; parts?: (string | FieldRef)[]; line: number }
  | { kind: 'if'; cond: string; neg: boolean; then: Block[]; else: Block[]; line: number }
  | { kind: 'for'; name: string; table: string; body: Block[]; line: number };

const DIRECTIVE = /^\s*\/\/#(if|else|endif|for|endfor)\b\s*(.*?)\s*$/;
const FIELD = /\{\{(\w+)\.(\w+)\}\}/g;

/** A line's text split at its `{{x.field}}`s, or undefined when it has none. */
function lineParts(text: string): (string | FieldRef)[] | undefined {
  if (!text.includes('.')) return undefined;
  const parts: (string | FieldRef)[] = [];
  let at = 0;
  for (const m of text.matchAll(FIELD)) {
    parts.push(text.slice(at, m.index), { v: m[1], f: m[2] });
    at = m.index + m[0].length;
  }
  if (at === 0) return undefined;
  parts.push(text.slice(at));
  return parts;
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
      const block: Block = { kind: 'if', cond: c[2], neg: c[1] === '!', then: [], else: [], line: i + 1 };
      into.push(block);
      open.push({ block, into });
      into = block.then;
    } else if (kw === 'for') {
      const f = /^(\w+)\s+in\s+([\w.]+)$/.exec(rest);
      if (!f) throw new Error(`${at}: #for takes 'NAME in TABLE', not '${rest}'`);
      const block: Block = { kind: 'for', name: f[1], table: f[2], body: [], line: i + 1 };
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

/** The loop variables in scope while a template renders, and the template's name for messages. */
interface Scope {
  name: string;
  items: Map<string, TemplateItem>;
}

/** The value of a loop variable's field (`x.field`) in scope. */
function fieldValue(scope: Scope, ref: FieldRef, line: number): TemplateItem[string] {
  const item = scope.items.get(ref.v);
  if (!item) throw new Error(`kernel template ${scope.name}:${line}: ${ref.v} is not a #for variable here`);
  if (!(ref.f in item)) throw new Error(`kernel template ${scope.name}:${line}: the items of ${ref.v} have no field ${ref.f}`);
  return item[ref.f];
}

function dottedValue(scope: Scope, dotted: string, line: number): TemplateItem[string] {
  const [v, f] = dotted.split('.');
  return fieldValue(scope, { v, f }, line);
}

/** The lines of `blocks` with flags decided and tables walked. */
function renderBlocks(scope: Scope, blocks: Block[], values: TemplateValues, flags: Record<string, boolean>, out: string[]): void {
  const { name, items } = scope;
  for (const b of blocks) {
    if (b.kind === 'line') {
      if (b.parts === undefined || items.size === 0) {
        out.push(b.text);
      } else {
        let text = '';
        for (const p of b.parts) text += typeof p === 'string' ? p : String(fieldValue(scope, p, b.line));
        out.push(text);
      }
    } else if (b.kind === 'if') {
      let on: boolean;
      if (b.cond.includes('.')) {
        const v = dottedValue(scope, b.cond, b.line);
        if (typeof v !== 'boolean') throw new Error(`kernel template ${name}:${b.line}: #if ${b.cond} is not a boolean field`);
        on = v;
      } else {
        if (!(b.cond in flags)) throw new Error(`kernel template ${name}:${b.line}: flag ${b.cond} not given`);
        on = flags[b.cond];
      }
      renderBlocks(scope, on !== b.neg ? b.then : b.else, values, flags, out);
    } else {
      const table = b.table.includes('.') ? dottedValue(scope, b.table, b.line) : values[b.table];
      if (!Array.isArray(table)) throw new Error(`kernel template ${name}:${b.line}: #for ${b.name} in ${b.table}: no table ${b.table} given`);
      // The loop variable shadows an outer one of its name while the block renders.
      const outer = items.get(b.name);
      for (const item of table as TemplateTable) {
        items.set(b.name, item);
        renderBlocks(scope, b.body, values, flags, out);
      }
      if (outer === undefined) items.delete(b.name);
      else items.set(b.name, outer);
    }
  }
}

/** Every global flag the blocks test, so that a missing one is refused even in a block that is dropped. */
function checkFlags(name: string, blocks: Block[], flags: Record<string, boolean>): void {
  for (const b of blocks) {
    if (b.kind === 'if') {
      if (!b.cond.includes('.') && !(b.cond in flags)) throw new Error(`kernel template ${name}:${b.line}: flag ${b.cond} not given`);
      checkFlags(name, b.then, flags);
      checkFlags(name, b.else, flags);
    } else if (b.kind === 'for') {
      checkFlags(name, b.body, flags);
    }
  }
}

interface ParsedTemplate {
  text: string;
  /** The text with its includes expanded. */
  source: string;
  blocks: Block[];
  /** The tables of the values that a `//#for` walks. */
  tables: Set<string>;
}

/** The tables of the values that the blocks' `//#for`s walk (not the tables inside items). */
function walkedTables(blocks: Block[], into = new Set<string>()): Set<string> {
  for (const b of blocks) {
    if (b.kind === 'for') {
      if (!b.table.includes('.')) into.add(b.table);
      walkedTables(b.body, into);
    } else if (b.kind === 'if') {
      walkedTables(b.then, into);
      walkedTables(b.else, into);
    }
  }
  return into;
}

/** `text` with its includes expanded and its blocks parsed, once per template and text. */
function parsedTemplate(name: string, text: string): ParsedTemplate {
  const hit = parsed.get(name);
  if (hit?.text === text) return hit;
  const source = expandIncludes(name, text);
  const blocks = parseBlocks(name, source);
  const entry = { text, source, blocks, tables: walkedTables(blocks) };
  parsed.set(name, entry);
  return entry;
}

/**
 * Instantiates a template: includes first, then conditional blocks and tables, then placeholders.
 * `slots` gives the WGSL identifier of each binding slot; slot placeholders are filled in last.
 */
export function instantiate(
  name: string,
  values: TemplateValues,
  flags: Record<string, boolean> = {},
  templateSource: string = loadTemplate(name),
  slots: Record<string, string> = {},
): string {
  const { source, blocks, tables } = parsedTemplate(name, templateSource);
  checkFlags(name, blocks, flags);
  const out: string[] = [];
  renderBlocks({ name, items: new Map() }, blocks, values, flags, out);
  const used = new Set<string>();
  const text = out.join('\n').replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    if (key in slots) return whole;
    const v = values[key];
    if (v === undefined) throw new Error(`kernel template ${name}: no value for {{${key}}}`);
    if (Array.isArray(v)) throw new Error(`kernel template ${name}: {{${key}}} is a table, which only #for walks`);
    used.add(key);
    return String(v);
  });
  for (const [key, v] of Object.entries(values)) {
    if (used.has(key) || (Array.isArray(v) ? tables.has(key) : source.includes(`{{${key}}}`))) continue;
    throw new Error(`kernel template ${name}: value ${key} is not used by the template`);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in slots)) throw new Error(`kernel template ${name}: no value for {{${key}}}`);
    return slots[key];
  });
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
