// Output files given on the command line (`export -o FILE`). What is already there belongs to the
// user: a regular file is replaced only when they say so (--force), and anything that is not a
// regular file (a device such as /dev/full, a FIFO, a directory, a symbolic link) is never replaced,
// because the atomic rename that writes the output would swap the node itself for a plain file.

import { lstatSync, type Stats } from 'node:fs';

export class OutputFileError extends Error {
  override name = 'OutputFileError';
}

/** What a non-regular node is, in words, for the refusal. */
function nodeKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * Checks that `path` may receive a new file: it does not exist, or it is a regular file and
 * `force` is set. Throws an OutputFileError saying why not otherwise.
 */
export function checkOutputFile(path: string, force: boolean): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new OutputFileError(`${path}: cannot use as an output file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isFile()) {
    throw new OutputFileError(`${path}: is ${nodeKind(st)}, not a regular file; hrn never replaces it (not even with --force): choose another output file`);
  }
  if (!force) throw new OutputFileError(`${path}: already exists; use --force to replace it, or choose another output file`);
}
