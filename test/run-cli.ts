// Runs `hrn` in-process with its stdout and stderr captured.

import { main } from '../src/cli/main.js';

export async function hrn(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}
