// The pass registry: every pass is registered here once, under the name a pipeline writes.
// Names may be two words (`equalize width`); a step `equalize width max=20` resolves to the pass
// `equalize width` with the argument `max=20`.

import type { AnyPass, PipelineArg, PipelineStep } from './types.js';
import { alphaPass } from './alpha.js';
import { cullPass } from './cull.js';
import { deepreshapePass } from './deepreshape.js';
import { equalizeDepthPass } from './equalize-depth.js';
import { equalizeWidthPass } from './equalize-width.js';
import { reusePass } from './reuse.js';
import { scalePass } from './scale.js';
import { snlPass } from './snl.js';
import { thinPass } from './thin.js';

export class PassRegistry {
  private readonly passes = new Map<string, AnyPass>();

  register(pass: AnyPass): this {
    if (this.passes.has(pass.name)) throw new Error(`pass registry: '${pass.name}' registered twice`);
    this.passes.set(pass.name, pass);
    return this;
  }

  get(name: string): AnyPass | undefined {
    return this.passes.get(name);
  }

  has(name: string): boolean {
    return this.passes.has(name);
  }

  /** All passes, in registration order. */
  list(): AnyPass[] {
    return [...this.passes.values()];
  }

  /** Pass names whose first word is `word` (`equalize` -> `equalize width`, `equalize depth`). */
  namesStartingWith(word: string): string[] {
    return [...this.passes.keys()].filter((n) => n.split(' ')[0] === word);
  }

  /**
   * The pass a step names and the arguments left for it: the two-word name wins when it exists
   * (`equalize` + `width`), else the one-word name. Undefined when nothing matches.
   */
  resolve(step: Pick<PipelineStep, 'pass' | 'args'>): { pass: AnyPass; args: PipelineArg[] } | undefined {
    const first = step.args[0];
    if (first !== undefined) {
      const two = this.passes.get(`${step.pass} ${first.text}`);
      if (two) return { pass: two, args: step.args.slice(1) };
    }
    const one = this.passes.get(step.pass);
    return one ? { pass: one, args: [...step.args] } : undefined;
  }
}

/** A registry holding every pass hrn ships. */
export function builtinRegistry(): PassRegistry {
  return new PassRegistry()
    .register(equalizeWidthPass)
    .register(equalizeDepthPass)
    .register(alphaPass)
    .register(cullPass)
    .register(thinPass)
    .register(reusePass)
    .register(scalePass)
    .register(deepreshapePass)
    .register(snlPass);
}

let shared: PassRegistry | undefined;

/** The shared built-in registry (built on first use). */
export function defaultRegistry(): PassRegistry {
  shared ??= builtinRegistry();
  return shared;
}
