// Wording the page shares between its views: counts with the right plural, whole numbers as the
// CLI prints them.

/** `n` in the CLI's grouping (12,345). */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `1 batch`, `4 batches`: the noun agrees with the count (`many` for irregular plurals). */
export function plural(n: number, one: string, many = `${one}${/(s|x|z|ch|sh)$/.test(one) ? 'es' : 's'}`): string {
  return `${int(n)} ${n === 1 ? one : many}`;
}
