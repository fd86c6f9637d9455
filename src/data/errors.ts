// The one error type of the data layer. Every message names the file (or directory) and says what
// is wrong with it, so the CLI can print it as is.

export class DataError extends Error {
  /** The file or directory the problem is in. */
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'DataError';
    this.file = file;
  }
}
