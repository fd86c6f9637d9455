// A redis-server of the test's own, on a free port in a temporary directory, without persistence
// (so that a restart loses every job, as a Redis without AOF or RDB does), optionally with a
// password or TLS only. The queue tests start, stop and restart it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';

export interface RedisOptions {
  password?: string;
  /** Serve TLS only, with this certificate and key (PEM files). */
  tls?: { cert: string; key: string };
}

/** Polls `cond` every `stepMs` until it holds; fails after `timeoutMs` with `what`. */
export async function until(what: string, cond: () => boolean, timeoutMs: number, stepMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export class TestRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'hrn-redis-'));
  private proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly o: RedisOptions,
  ) {}

  static async start(o: RedisOptions = {}): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), o);
    await r.up();
    return r;
  }

  /** redis-cli against this server (plain connections only). */
  cli(...args: string[]): string {
    const auth = this.o.password ? ['-a', this.o.password, '--no-auth-warning'] : [];
    return spawnSync('redis-cli', ['-p', String(this.port), ...auth, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  }

  async up(): Promise<void> {
    const listen = this.o.tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.o.tls.cert, '--tls-key-file', this.o.tls.key, '--tls-ca-cert-file', this.o.tls.cert, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    const auth = this.o.password ? ['--requirepass', this.o.password] : [];
    this.proc = spawn('redis-server', [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...auth], { stdio: 'ignore' });
    const alive = () =>
      this.o.tls
        ? spawnSync('redis-cli', ['-p', String(this.port), '--tls', '--cacert', this.o.tls.cert, 'ping'], { encoding: 'utf8' }).stdout?.trim() !== ''
        : /PONG|NOAUTH/.test(spawnSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8' }).stdout ?? '');
    await until(`redis-server on port ${this.port}`, alive, 10_000);
  }

  /** Stops the server; without persistence, everything it held is gone. */
  async down(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGKILL');
    await once(p, 'exit');
  }

  async close(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl into `dir`. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key };
}
