// Reaching Redis, and saying why not. BullMQ's connections retry forever, which is right once a
// sweep or a worker is running (Redis may restart) but wrong at the start: a dead port, a typo in
// the host or a wrong password would leave `hrn sweep` silent and `hrn worker` printing the same
// error forever. So both commands first connect once, without retries, and stop with the reason.

import { RedisConnection } from 'bullmq';
import { UserError } from '../errors.js';
import { redactRedisUrl, type RedisTarget } from './redis-url.js';

/** How long the first connection may take before the command gives up. */
export const CONNECT_TIMEOUT_MS = 5000;

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True for an error that means "Redis cannot be reached" rather than a problem with one command. */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as NodeJS.ErrnoException).code;
  return (code !== undefined && CONNECTION_CODES.has(code)) || /^Connection is closed\.?$/.test(e.message);
}

/** Why Redis could not be used, in words; `t` says what was asked for (TLS, a database). */
export function redisFailureReason(e: unknown, t: Pick<RedisTarget, 'host' | 'port' | 'tls' | 'db'>): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const msg = redactRedisUrl(err.message);
  if (code === 'ECONNREFUSED') return `connection refused (nothing listens on ${t.host}:${t.port}; is redis-server running?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return `host not found: '${t.host}'`;
  if (code === 'ETIMEDOUT') return `no answer from ${t.host}:${t.port} within ${CONNECT_TIMEOUT_MS / 1000} s (${t.tls ? 'does the server speak TLS? ' : ''}a firewall, or the wrong host?)`;
  if (code === 'ECONNRESET' && !t.tls) return 'the server closed the connection (if it expects TLS, use rediss://)';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${t.host} cannot be reached (${code})`;
  if (/^WRONGPASS/.test(msg)) return 'authentication failed: wrong user name or password';
  if (/^NOAUTH/.test(msg)) return 'authentication failed: the server requires a password (redis://:PASSWORD@HOST:PORT)';
  if (/DB index is out of range/i.test(msg)) return `database ${t.db} does not exist on this server`;
  if (t.tls && (err.name === 'ParserError' || /wrong version number|packet length too long/i.test(msg))) return 'the server does not speak TLS (use redis:// for a plain connection)';
  if (t.tls && /certificate|self[- ]signed|altname|CERT_/i.test(`${code} ${msg}`)) {
    return `TLS: ${msg} (a private CA can be given to Node with NODE_EXTRA_CA_CERTS=FILE)`;
  }
  if (/^Connection is closed/.test(msg)) return `the server closed the connection${t.tls ? '' : ' (if it expects TLS, use rediss://)'}`;
  return msg;
}

/**
 * Connects once (no retries) and asks for PONG; throws a UserError with the reason when that
 * fails or takes longer than `timeoutMs`.
 */
export async function checkRedis(target: RedisTarget, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const conn = new RedisConnection(
    { ...target.connection, retryStrategy: () => null, connectTimeout: timeoutMs },
    { shared: false, blocking: false, skipVersionCheck: true },
  );
  // Failures come back through `conn.client`, except a refused SELECT (a database the server does
  // not have), which ioredis only reports as an event; its reply arrives before the GET's below.
  let refused: unknown;
  conn.on('error', (e) => (refused ??= e));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    // A name lookup is outside ioredis's connect timeout; the whole check is bounded here.
    timer = setTimeout(() => fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs + 1000);
  });
  try {
    await Promise.race([
      (async () => {
        const client = await conn.client;
        await client.get('hrn:connection-check');
        if (refused !== undefined) throw refused;
      })(),
      timeout,
    ]);
  } catch (e) {
    throw new UserError(`cannot use the queue at ${target.display}: ${redisFailureReason(e, target)}`);
  } finally {
    clearTimeout(timer);
    await conn.close().catch(() => {});
  }
}

/**
 * Messages about a connection that was working and is lost: one line when it goes (and again if
 * the reason changes), one when it is back, instead of a line at every retry.
 */
export class ConnectionNotices {
  private down: string | undefined;

  constructor(
    private readonly target: RedisTarget,
    private readonly say: (line: string) => void,
    private readonly who: string,
  ) {}

  /** An error event of a BullMQ queue or worker. Returns false when it is not about the connection. */
  error(e: unknown): boolean {
    if (!isConnectionError(e)) return false;
    // The hints for a first connection (use rediss://) do not apply to one that was working.
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ECONNRESET' || code === 'EPIPE' || /^Connection is closed/.test((e as Error).message) ? 'the server closed the connection' : redisFailureReason(e, this.target);
    if (reason !== this.down) {
      this.say(`${this.who}: lost the connection to Redis at ${this.target.display}: ${reason}; retrying until it is back`);
      this.down = reason;
    }
    return true;
  }

  /** The connection is up (again). */
  ready(): void {
    if (this.down === undefined) return;
    this.down = undefined;
    this.say(`${this.who}: connected to Redis at ${this.target.display} again`);
  }
}
