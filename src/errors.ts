// The errors a user causes, and the exit status each gives: 0 success, 1 a user error (bad source,
// bad data, impossible configuration), 2 a usage error (unknown command or option). Anything else
// is a bug in hrn. They sit below every layer that may raise them (sweeps, training, the CLI), so
// none of those needs to import the CLI.

export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_USAGE = 2;

/** Wrong command line: unknown option, missing argument. Printed with a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A problem with the user's files or configuration, described in one message. */
export class UserError extends Error {
  override name = 'UserError';
}
