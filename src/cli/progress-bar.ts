// The one look of hrn's progress bars on a terminal (infer's images, tune's candidates): redrawn in
// place five times a second and cleared when done; Ctrl-C stays with the command, not the bar.

import cliProgress from 'cli-progress';
import type { ErrStream } from './stderr.js';

/** A started bar on `stream` with `format` (cli-progress's placeholders), at 0 of `total`. */
export function startBar(stream: ErrStream, format: string, total: number, payload: Record<string, string>): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    {
      format,
      stream: stream as unknown as NodeJS.WritableStream,
      barsize: 24,
      hideCursor: false,
      gracefulExit: false,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, payload);
  return bar;
}
