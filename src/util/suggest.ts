// "Did you mean ...?": the closest known word to a mistyped one (commands, options, pass names,
// parameters), or nothing when no candidate is close enough to be a plausible typo.

import { closest, distance } from 'fastest-levenshtein';

/** The candidate nearest to `word` (case-insensitive edit distance), if it is within a typo's reach:
 * at most two edits, or a third of the word for long words, and never the whole word. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || word.length === 0) return undefined;
  const lower = candidates.map((c) => c.toLowerCase());
  const best = closest(word.toLowerCase(), lower);
  const d = distance(word.toLowerCase(), best);
  const reach = Math.max(2, Math.floor(word.length / 3));
  return d < word.length && d <= reach ? candidates[lower.indexOf(best)] : undefined;
}

/** `; did you mean 'X'?` for messages, or an empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  return s === undefined ? '' : `; did you mean '${s}'?`;
}
