// WGSL templates live in kernels/*.wgsl. A template is WGSL with three kinds of markup, all
// invisible to a WGSL reader's eye for structure:
//   {{NAME}}                  replaced by a value (a number, an identifier, or a generated block);
//   {{slot}}                  (lower case) a storage binding's WGSL identifier, from the binding
//                             renderer (kernels/bindings.ts); generated blocks may use it too;
//   //#if FLAG ... //#else ... //#endif   (on their own lines, may nest) kept or dropped by a flag;
//   //#include NAME          (on its own line) replaced, before anything else, by the WGSL snippet
//                             kernels/lib/NAME.wgsl that several templates share (it may include
//                             in turn); its placeholders and flags count as the template's own.
// Every placeholder must be given and every given value must be used, so a template and its
// generator cannot drift apart silently.

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

/** Sets the template source every kernel generator reads from (replacing any earlier one). */
export function setTemplateSource(s: TemplateSource): void {
  source = s;
  cache.clear();
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

const INCLUDE = /^\s*\/\/#include\s+(\w+)\s*$/;

/** `source` with every `//#include NAME` line replaced by kernels/lib/NAME.wgsl, recursively. */
function expandIncludes(name: string, source: string, including: string[] = []): string {
  if (!source.includes('//#include')) return source;
  return source
    .split('\n')
    .map((line, i) => {
      const m = INCLUDE.exec(line);
      if (!m) return line;
      const lib = `lib/${m[1]}`;
      if (including.includes(lib)) throw new Error(`kernel template ${name}:${i + 1}: ${lib} includes itself`);
      let text: string;
      try {
        text = loadTemplate(lib);
      } catch (e) {
        throw new Error(`kernel template ${name}:${i + 1}: #include ${m[1]}: ${(e as Error).message}`);
      }
      return expandIncludes(lib, text, [...including, lib]).replace(/\n$/, '');
    })
    .join('\n');
}

export type TemplateValues = Record<string, string | number>;

/**
 * Instantiates a template: includes first, then conditional blocks, then placeholders. `slots`
 * gives the WGSL identifier of each binding slot; slot placeholders may also stand in generated
 * values, so they are filled in last.
 */
export function instantiate(
  name: string,
  values: TemplateValues,
  flags: Record<string, boolean> = {},
  templateSource: string = loadTemplate(name),
  slots: Record<string, string> = {},
): string {
  const source = expandIncludes(name, templateSource);
  const out: string[] = [];
  const stack: { keep: boolean; parentKeep: boolean; flag: string }[] = [];
  let keep = true;
  const lines = source.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*\/\/#(if|else|endif)\b\s*(!?)(\w*)\s*$/.exec(line);
    if (!m) {
      if (keep) out.push(line);
      return;
    }
    const [, kw, neg, flag] = m;
    if (kw === 'if') {
      if (!(flag in flags)) throw new Error(`kernel template ${name}:${i + 1}: flag ${flag} not given`);
      const on = neg ? !flags[flag] : flags[flag];
      stack.push({ keep: on, parentKeep: keep, flag });
      keep = keep && on;
    } else if (kw === 'else') {
      const top = stack[stack.length - 1];
      if (!top) throw new Error(`kernel template ${name}:${i + 1}: #else without #if`);
      top.keep = !top.keep;
      keep = top.parentKeep && top.keep;
    } else {
      const top = stack.pop();
      if (!top) throw new Error(`kernel template ${name}:${i + 1}: #endif without #if`);
      keep = top.parentKeep;
    }
  });
  if (stack.length > 0) throw new Error(`kernel template ${name}: unterminated #if ${stack[stack.length - 1].flag}`);
  const used = new Set<string>();
  const text = out.join('\n').replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    if (key in slots) return whole;
    if (!(key in values)) throw new Error(`kernel template ${name}: no value for {{${key}}}`);
    used.add(key);
    return String(values[key]);
  });
  const allFlagsText = source;
  for (const key of Object.keys(values)) {
    if (!used.has(key) && !allFlagsText.includes(`{{${key}}}`)) {
      throw new Error(`kernel template ${name}: value ${key} is not used by the template`);
    }
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
