// The grammar artifacts stay in step with the parser: the committed syntax diagrams are what the
// parser generates today, and grammar/hrn.ebnf names exactly the parser's rules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syntaxDiagramsHtml } from '../src/parser/diagrams.js';
import { LEXICAL_TOKENS } from '../src/parser/lexer.js';
import { hrnParser } from '../src/parser/parser.js';

const ebnf = readFileSync('grammar/hrn.ebnf', 'utf8');
/** Comments removed, so rule names mentioned in prose do not count. */
const ebnfCode = ebnf.replace(/\(\*[\s\S]*?\*\)/g, '');
const productions = [...ebnfCode.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)\s*::=/gm)].map((m) => m[1]);
const syntactic = productions.filter((p) => /^[a-z]/.test(p));
const lexical = productions.filter((p) => /^[A-Z]/.test(p));
const ruleNames = hrnParser().getGAstProductions();

describe('grammar artifacts', () => {
  it('grammar/diagrams.html is what `npx tsx src/parser/diagrams.ts` generates', () => {
    const committed = readFileSync('grammar/diagrams.html', 'utf8');
    expect(committed === syntaxDiagramsHtml(), 'regenerate: npx tsx src/parser/diagrams.ts > grammar/diagrams.html').toBe(true);
  });

  it('grammar/diagrams.html works offline: its scripts and stylesheet are inline', () => {
    const html = readFileSync('grammar/diagrams.html', 'utf8');
    expect(html).not.toMatch(/<script[^>]*\ssrc=/);
    expect(html).not.toMatch(/<link[^>]*\shref=/);
    // The drawing code itself is there: the railroad library and chevrotain's entry point.
    expect(html).toContain('Railroad Diagrams');
    expect(html).toContain('drawDiagramsFromSerializedGrammar: function');
  });

  it('every parser rule is a production of hrn.ebnf, and every production is a parser rule', () => {
    const rules = Object.keys(ruleNames).sort();
    expect([...syntactic].sort()).toEqual(rules);
  });

  it('no production is defined twice', () => {
    expect(new Set(productions).size).toBe(productions.length);
  });

  it('every lexical token class has a production, and every lexical production is used or is a token', () => {
    for (const t of LEXICAL_TOKENS) expect(lexical).toContain(t.name);
    for (const name of lexical) {
      const isToken = LEXICAL_TOKENS.some((t) => t.name === name);
      const used = new RegExp(`\\b${name}\\b`).test(ebnfCode.replace(new RegExp(`^${name}\\s*::=`, 'm'), ''));
      expect(isToken || used, `${name} is neither a token nor used`).toBe(true);
    }
  });

  it('every name a production refers to is defined', () => {
    const defined = new Set(productions);
    const bodies = ebnfCode
      .split(/^[A-Za-z_][A-Za-z0-9_]*\s*::=/m)
      .slice(1)
      .join(' ')
      .replace(/'[^']*'/g, ' ') // literals
      .replace(/\[[^\]]*\]/g, ' ') // character classes
      .replace(/#x[0-9A-Fa-f]+/g, ' ');
    for (const ref of bodies.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      expect(defined.has(ref), `${ref} is used but not defined`).toBe(true);
    }
  });
});

describe('editor grammar', () => {
  it('grammar/hrn.tmLanguage.json is JSON and its patterns compile', () => {
    const tm = JSON.parse(readFileSync('grammar/hrn.tmLanguage.json', 'utf8')) as unknown;
    const patterns: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if ((k === 'match' || k === 'begin' || k === 'end') && typeof x === 'string') patterns.push(x);
          else walk(x);
        }
      }
    };
    walk(tm);
    expect(patterns.length).toBeGreaterThan(10);
    for (const p of patterns) expect(() => new RegExp(p)).not.toThrow();
  });
});
