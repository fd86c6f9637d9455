// A template's `//#include NAME` lines (and `//#include NAME with body ... //#endinclude` blocks),
// expanded before anything else is parsed: see template.ts for the markup. `load` reads a snippet
// (`lib/NAME`) from the template source.

const INCLUDE = /^\s*\/\/#include\s+(\w+)(\s+with\s+body)?\s*$/;
const END_INCLUDE = /^\s*\/\/#endinclude\s*$/;
const BODY = /^\s*\/\/#body\s*$/;

/** The snippet kernels/lib/NAME.wgsl with its own includes expanded, its `//#body` lines replaced by `body`. */
function includeSnippet(name: string, at: number, snippet: string, body: string[] | undefined, load: (name: string) => string, including: string[]): string[] {
  const lib = `lib/${snippet}`;
  const where = `kernel template ${name}:${at}`;
  if (including.includes(lib)) throw new Error(`${where}: ${lib} includes itself`);
  let text: string;
  try {
    text = load(lib);
  } catch (e) {
    throw new Error(`${where}: #include ${snippet}: ${(e as Error).message}`);
  }
  const lines = expandIncludes(lib, text, load, [...including, lib]).replace(/\n$/, '').split('\n');
  const holes = lines.filter((l) => BODY.test(l)).length;
  if (body === undefined && holes > 0) throw new Error(`${where}: ${lib} has a //#body, so it is included 'with body' ... //#endinclude`);
  if (body !== undefined && holes === 0) throw new Error(`${where}: ${lib} has no //#body line for the body this include gives`);
  return body === undefined ? lines : lines.flatMap((l) => (BODY.test(l) ? body : [l]));
}

/** `source` with every `//#include NAME` line (or block, with its body) replaced by kernels/lib/NAME.wgsl, recursively. */
export function expandIncludes(name: string, source: string, load: (name: string) => string, including: string[] = []): string {
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
      out.push(...includeSnippet(name, i + 1, m[1], undefined, load, including));
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
    const body = expandIncludes(name, lines.slice(i + 1, end).join('\n'), load, including).split('\n');
    out.push(...includeSnippet(name, i + 1, m[1], body, load, including));
    i = end;
  }
  return out.join('\n');
}

const PARTS = /^\s*\/\/#parts\s+(\w+)\s*$/;
const SECTION = /^\s*\/\/#section\s+(\w+)\s*$/;

/** The sections of kernels/chain/OP.wgsl by name (the lines before the first one are its header comment). */
function partSections(op: string, load: (name: string) => string): Map<string, string[]> {
  const file = `chain/${op}`;
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of load(file).replace(/\n$/, '').split('\n')) {
    const m = SECTION.exec(line);
    if (m) {
      if (out.has(m[1])) throw new Error(`kernel template ${file}: section ${m[1]} twice`);
      current = [];
      out.set(m[1], current);
    } else current?.push(line);
  }
  return out;
}

/**
 * `source` with each `//#parts SECTION` line replaced by that section of each part's file
 * kernels/chain/<op>.wgsl, in the order `parts` lists them (none: the line goes). A chain's kernels
 * compose its ops' parts this way (src/ops/<op>/kernels.ts says what each part reads).
 */
export function expandParts(name: string, source: string, parts: readonly string[], load: (name: string) => string): string {
  const lines = source.split('\n');
  if (parts.length > 0 && !lines.some((l) => PARTS.test(l))) throw new Error(`kernel template ${name}: has no //#parts line for the parts ${parts.join(', ')}`);
  const files = parts.map((op) => ({ op, sections: partSections(op, load) }));
  return lines
    .flatMap((line, i) => {
      const m = PARTS.exec(line);
      if (!m) return [line];
      return files.flatMap(({ op, sections }) => {
        const section = sections.get(m[1]);
        if (section === undefined) throw new Error(`kernel template ${name}:${i + 1}: kernels/chain/${op}.wgsl has no section ${m[1]}`);
        return section;
      });
    })
    .join('\n');
}
