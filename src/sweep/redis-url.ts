// `--queue redis://[USER][:PASSWORD]@HOST[:PORT][/DB]` (or `rediss://` for TLS) -> the connection
// options BullMQ hands to ioredis, and the same URL with its password masked for anything hrn
// prints. The password must never reach a log: Slurm and Kubernetes keep workers' output.

import type { RedisOptions } from 'bullmq';
import { UsageError } from '../errors.js';

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

/** `scheme://` where a URL starts in free text. */
const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;

/**
 * The user information of a URL (what lies before its host's `@`) as hrn shows it: the user name
 * and a masked password when the two are cleanly apart, else all of it masked. A password may hold
 * `@`, `:` and spaces, so only the last `@` reliably ends it.
 */
function maskUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? '' : userinfo.slice(0, colon);
  return colon >= 0 && /^[^\s@%]*$/.test(user) ? `${user}:***` : '***';
}

/**
 * Masks the password of every URL in `text`, also of malformed ones (`USER:PASSWORD@` without a
 * scheme). A URL's user information is taken to run up to the last `@` before the next URL (or the
 * end of the text): a password with an `@` or a space in it is masked whole, at the price of masking
 * too much when other text after the URL holds an `@`. Leaking is the worse mistake.
 */
export function redactRedisUrl(text: string): string {
  const starts = [...text.matchAll(SCHEME)].map((m) => ({ at: m.index, body: m.index + m[0].length }));
  if (starts.length === 0) return redactBare(text);
  let out = redactBare(text.slice(0, starts[0].at));
  starts.forEach((s, i) => {
    const segment = text.slice(s.body, i + 1 < starts.length ? starts[i + 1].at : text.length);
    const at = segment.lastIndexOf('@');
    out += text.slice(s.at, s.body) + (at < 0 ? segment : `${maskUserinfo(segment.slice(0, at))}${segment.slice(at)}`);
  });
  return out;
}

/** `USER:PASSWORD@HOST` without a scheme, as a word of free text: masked up to its last `@`. */
function redactBare(text: string): string {
  return text.replace(/(^|[\s'"])([^:@/\s'"]*:)[^\s'"]*@/g, (_, before: string, user: string) => `${before}${user}***@`);
}

/**
 * The URL as an error message may show it: scheme, host, port and path, its user information
 * masked whole (a parse that went wrong may have put part of the password in the user name), its
 * query and fragment left out.
 */
function shownInError(u: URL): string {
  const auth = u.username !== '' || u.password !== '' ? '***@' : '';
  return redactRedisUrl(`${u.protocol}//${auth}${u.host}${u.pathname}`);
}

/**
 * A refusal of `--queue`. The text the user gave is never echoed: where it is not a URL, nothing
 * tells where its password ends; where it is, `shownInError` rebuilds it without the password.
 */
function bad(why: string, u?: URL): UsageError {
  const where = u ? ` in '${shownInError(u)}'` : '';
  return new UsageError(`--queue: ${redactRedisUrl(why)}${where}; expected ${REDIS_URL_FORM}`);
}

function decode(u: URL, part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw bad(`the ${what} is not valid percent-encoding`, u);
  }
}

export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL (a missing host, an unencoded / ? or # in the password, a port out of range?)');
  }
  const protocol = u.protocol.toLowerCase();
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw bad(`the scheme '${u.protocol.replace(/:$/, '')}' is not redis or rediss`, u);
  // WHATWG URL keeps the brackets of an IPv6 address; sockets want it bare.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw bad('no host', u);
  const port = u.port === '' ? 6379 : Number(u.port);
  let db: number | undefined;
  const path = u.pathname.replace(/^\//, '');
  if (path !== '') {
    if (!/^\d+$/.test(path)) throw bad(`the database '${decode(u, path, 'database')}' is not a number`, u);
    db = Number(path);
  }
  if (u.search !== '' || u.hash !== '') throw bad('options after ? or # are not supported', u);
  const username = u.username === '' ? undefined : decode(u, u.username, 'user name');
  const password = u.password === '' ? undefined : decode(u, u.password, 'password');
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
  // A user name without a password may be a password written without its colon: masked too.
  const auth = username === undefined && password === undefined ? '' : password !== undefined ? `${maskUserinfo(`${u.username}:`)}@` : '***@';
  const display = `${protocol}//${auth}${u.hostname}:${port}${db !== undefined ? `/${db}` : ''}`;
  return { connection, display, host, port, tls, ...(db !== undefined ? { db } : {}) };
}
