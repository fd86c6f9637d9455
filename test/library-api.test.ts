// The library's errors for options a caller got wrong (plain JavaScript, or a cast): one sentence
// naming the function called and the option, rather than a message the caller must decode.

import { describe, expect, it } from 'vitest';
import { compilePlan, loadNetworksFromText, lowerNetwork, planNetwork, type PlanOptions } from '../src/index.js';

const TEXT = 'network T {\n  input 1x8x8\n  classes 3\n  stem conv3x3(2)\n  block basic\n  stages depths [1] widths []\n  head avgpool fc\n}\n';

function tiny() {
  return loadNetworksFromText('t.hrn', TEXT, new Map(), { set: [] }).networks[0]!;
}

describe('plan options', () => {
  it('compilePlan without a batch names the function and the option', () => {
    const graph = lowerNetwork(tiny());
    // @ts-expect-error the type says so too: a plan is compiled for a fixed number of images
    expect(() => compilePlan(graph, {})).toThrow(/^compilePlan: options\.batch is required: the number of images per run, a positive integer/);
    expect(() => compilePlan(graph, undefined as unknown as PlanOptions)).toThrow(/^compilePlan: options\.batch is required/);
  });

  it('a batch that is not a positive integer is named with the function called', () => {
    expect(() => planNetwork(tiny(), { batch: 0 })).toThrow(/^planNetwork: options\.batch must be a positive integer \(the number of images per run\), got 0$/);
    expect(() => compilePlan(lowerNetwork(tiny()), { batch: '4' as unknown as number })).toThrow(/^compilePlan: options\.batch must be a positive integer .*, got "4"$/);
  });
});
