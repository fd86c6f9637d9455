// "Did you mean": the candidate closest to a mistyped word, when it is close enough to be a typo.

import { distance } from 'fastest-levenshtein';

/**
 * The candidate nearest to `word` by edit distance, if at most a third of the word's length
 * (at least 1) away; ties go to the earlier candidate.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
