// A TCP port on 127.0.0.1 that nothing listens on, for a server a test starts (redis-server).
import { createServer } from 'node:net';

/** A port the system just handed out and took back: free unless another process grabs it first. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => done(p));
    });
    s.on('error', fail);
  });
}
