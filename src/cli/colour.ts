// Colour for hrn's messages on a terminal: the word `error:` in red and `warning:` in yellow, so
// that a failure stands out from progress lines. Only where the reader is a terminal, and as the
// common conventions ask: NO_COLOR (https://no-color.org) turns it off, FORCE_COLOR turns it on
// even into a pipe (FORCE_COLOR=0 off), as Node's own colour handling reads them.

// The two SGR sequences are written out: node:util's styleText decides by itself, in newer Node
// versions, from stdout rather than from the stream the text goes to.
const SGR = { error: ['\x1b[31m', '\x1b[39m'], warning: ['\x1b[33m', '\x1b[39m'] } as const;

/** Whether text written to `stream` should carry colour. */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** The first `error:` or `warning:` of each line (after the file, line and column or the command
 * that say where it comes from), coloured. */
export function colourMessages(text: string): string {
  return text.replace(/^([^\n]*?)\b(error|warning):/gm, (_, before: string, word: 'error' | 'warning') => `${before}${SGR[word][0]}${word}:${SGR[word][1]}`);
}
