// `--queue redis://[USER][:PASSWORD]@HOST[:PORT][/DB]` (or `rediss://` for TLS) -> the connection
// options BullMQ hands to ioredis, and the same URL with its password masked for anything hrn
// prints. The password must never reach a log: Slurm and Kubernetes keep workers' output.

import type { RedisOptions } from 'bullmq';
import { UsageError } from '../cli/errors.js';

export const REDIS_URL_FORM = 'redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://... (TLS)';

/** What `--queue` says, parsed: where to connect, and how to show it. */
export interface RedisTarget {
  connection: RedisOptions;
  /** The URL with its password masked: `redis://:***@host:6379`. */
  display: string;
  host: string;
  port: number;
  tls: boolean;
  db?: number;
}

/** Masks the password of every URL in `text`, also of malformed ones (`USER:PASSWORD@` without a scheme). */
export function redactRedisUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*:)[^@\s]*@/gi, '$1***@').replace(/(^|[\s'"])([^:@/\s'"]*:)(?!\*\*\*@)[^@\s/]*@/g, '$1$2***@');
}

function bad(url: string, why: string): UsageError {
  return new UsageError(`--queue: ${why} in '${redactRedisUrl(url)}'; expected ${REDIS_URL_FORM}`);
}

function decode(url: string, part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw bad(url, `the ${what} is not valid percent-encoding`);
  }
}

export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad(url, 'not a URL');
  }
  const protocol = u.protocol.toLowerCase();
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw bad(url, `the scheme '${u.protocol.replace(/:$/, '')}' is not redis or rediss`);
  // WHATWG URL keeps the brackets of an IPv6 address; sockets want it bare.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw bad(url, 'no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  let db: number | undefined;
  const path = u.pathname.replace(/^\//, '');
  if (path !== '') {
    if (!/^\d+$/.test(path)) throw bad(url, `the database '${decode(url, path, 'database')}' is not a number`);
    db = Number(path);
  }
  if (u.search !== '' || u.hash !== '') throw bad(url, 'options after ? or # are not supported');
  const username = u.username === '' ? undefined : decode(url, u.username, 'user name');
  const password = u.password === '' ? undefined : decode(url, u.password, 'password');
  const tls = protocol === 'rediss:';
  const connection: RedisOptions = {
    host,
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(db !== undefined ? { db } : {}),
    // ioredis speaks TLS when given TLS options; the defaults verify the server's certificate
    // against the CAs Node trusts (NODE_EXTRA_CA_CERTS adds a private one) and send the host as SNI.
    ...(tls ? { tls: {} } : {}),
    // Workers block on the queue; ioredis must not give up on their commands.
    maxRetriesPerRequest: null,
  };
  const auth = username !== undefined || password !== undefined ? `${u.username}${password !== undefined ? ':***' : ''}@` : '';
  const display = `${protocol}//${auth}${u.hostname}:${port}${db !== undefined ? `/${db}` : ''}`;
  return { connection, display, host, port, tls, ...(db !== undefined ? { db } : {}) };
}
