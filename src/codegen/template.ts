// WGSL templates live in kernels/*.wgsl. A template is WGSL with two kinds of markup, both
// invisible to a WGSL reader's eye for structure:
//   {{NAME}}                  replaced by a value (a number, an identifier, or a generated block);
//   //#if FLAG ... //#else ... //#endif   (on their own lines, may nest) kept or dropped by a flag.
// Every placeholder must be given and every given value must be used, so a template and its
// generator cannot drift apart silently.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const KERNEL_DIR = fileURLToPath(new URL('../../kernels/', import.meta.url));
const cache = new Map<string, string>();

export function kernelDir(): string {
  return KERNEL_DIR;
}

export function loadTemplate(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    const path = `${KERNEL_DIR}${name}.wgsl`;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`kernel template ${name}: cannot read ${path}: ${(e as Error).message}`);
    }
    cache.set(name, text);
  }
  return text;
}

export type TemplateValues = Record<string, string | number>;

/** Instantiates a template: conditional blocks first, then placeholders. */
export function instantiate(
  name: string,
  values: TemplateValues,
  flags: Record<string, boolean> = {},
  source: string = loadTemplate(name),
): string {
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
  const text = out.join('\n').replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
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
  return text;
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
