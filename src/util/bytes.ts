// Byte counts in words for messages (sizes against a limit: a data file, a GPU buffer).

/** `bytes` in mebibytes with one decimal, e.g. `12.5 MiB`. */
export const formatMiB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
