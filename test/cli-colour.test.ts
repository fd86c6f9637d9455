// Colour on a terminal only: `error:` red and `warning:` yellow when stderr is a terminal (a
// pseudo-terminal from util-linux `script`), never into a pipe, never under NO_COLOR; FORCE_COLOR
// asks for it anywhere.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colourMessages, wantsColour } from '../src/cli/colour.js';

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const root = mkdtempSync(join(tmpdir(), 'hrn-colour-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bad = join(root, 'bad.hrn');
writeFileSync(bad, 'network X {\n  input 3x32x\n}\n');

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** The environment without the colour variables, plus `extra`. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { FORCE_COLOR: _f, NO_COLOR: _n, ...rest } = process.env;
  return { ...rest, TERM: 'xterm', ...extra };
}
const hrnArgs = (...args: string[]) => [process.execPath, '--import', 'tsx', 'src/cli/run.ts', ...args];
/** hrn on a pseudo-terminal: what the terminal showed (stdout and stderr together). */
const onTerminal = (args: string[], extra?: Record<string, string>) =>
  spawnSync('script', ['-qec', hrnArgs(...args).map(quote).join(' '), '/dev/null'], { encoding: 'utf8', env: env(extra) });
const piped = (args: string[], extra?: Record<string, string>) => spawnSync(hrnArgs(...args)[0], hrnArgs(...args).slice(1), { encoding: 'utf8', env: env(extra) });

describe('colour', () => {
  it('is wanted on a terminal only; NO_COLOR turns it off, FORCE_COLOR on (FORCE_COLOR=0 off)', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({}, {})).toBe(false);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(wantsColour({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(wantsColour({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColour({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('colours the first error: or warning: of a line, nothing else', () => {
    expect(colourMessages('a.hrn:2:3: error: bad\n  x\n  ^\nhrn stats: warning: odd\nno colour here\n')).toBe(
      `a.hrn:2:3: ${RED}error:\x1b[39m bad\n  x\n  ^\nhrn stats: ${YELLOW}warning:\x1b[39m odd\nno colour here\n`,
    );
  });

  it('a real error on a terminal is red, in a pipe or under NO_COLOR it is plain; a device command (supervised) too', { timeout: 120_000 }, () => {
    const tty = onTerminal(['check', bad]);
    expect(tty.status).toBe(1);
    expect(tty.stdout).toContain(`:2:14: ${RED}error:`);
    expect(onTerminal(['check', bad], { NO_COLOR: '1' }).stdout).not.toContain('\x1b[');
    const pipe = piped(['check', bad]);
    expect(pipe.stderr).toContain(':2:14: error:');
    expect(pipe.stderr).not.toContain('\x1b[');
    expect(piped(['check', bad], { FORCE_COLOR: '1' }).stderr).toContain(`${RED}error:`);
    // train runs in the supervisor's child, which writes to the terminal through another descriptor.
    const train = onTerminal(['train', bad, '--data', 'mnist:/nowhere', '--epochs', '0']);
    expect(train.status).toBe(2);
    expect(train.stdout).toContain(`hrn train: ${RED}error:\x1b[39m --epochs`);
  });
});
