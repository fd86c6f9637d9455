// `--queue` and `--queue-name`, which `hrn sweep`, `hrn worker` and `hrn criticality` share: the
// command line's side of the BullMQ queue in src/sweep/queue.ts.

import { DEFAULT_QUEUE_NAME, queueAt, type QueueTarget } from '../sweep/queue.js';
import { stringOption, type OptionSpec, type ParsedCommand } from './args.js';

export const QUEUE_OPTIONS: Record<string, OptionSpec> = {
  queue: { type: 'string', value: 'redis[s]://HOST:PORT', help: 'use a BullMQ queue in this Redis instead of training here (rediss:// for TLS)' },
  'queue-name': { type: 'string', value: 'NAME', help: `the queue's name (default ${DEFAULT_QUEUE_NAME})` },
};

/** The queue the command line names; undefined without --queue. */
export function queueTarget(p: ParsedCommand): QueueTarget | undefined {
  const url = stringOption(p, 'queue');
  if (url === undefined) return undefined;
  return queueAt(url, stringOption(p, 'queue-name') ?? DEFAULT_QUEUE_NAME);
}
