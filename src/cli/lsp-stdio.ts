// `hrn lsp`'s connection on stdin and stdout. vscode-languageserver reads stdin itself when handed
// the stream, but after a header it cannot read (no Content-Length, a line without a colon) it says
// nothing and leaves whatever came in the same chunk unread until more input arrives. An editor
// that waits for an answer to a message sent with the garbage would wait for ever. Here the reader
// is built from the same parts and, after each such error, told to read on through what it holds;
// the reason goes to stderr, where editors keep the server's log.

import { Buffer } from 'node:buffer';
import {
  createConnection,
  Disposable,
  ReadableStreamMessageReader,
  StreamMessageWriter,
  type Connection,
  type DataCallback,
  type RAL,
} from 'vscode-languageserver/node';

type Listener<T extends unknown[]> = (...args: T) => void;

/** stdin as the reader consumes it, with a way to hand the reader's data listeners an empty chunk. */
class Input implements RAL.ReadableStream {
  private readonly dataListeners = new Set<(data: Uint8Array) => void>();

  constructor(private readonly stream: NodeJS.ReadableStream) {}

  onClose(listener: Listener<[]>): Disposable {
    return this.on('close', listener);
  }
  onError(listener: Listener<[unknown]>): Disposable {
    return this.on('error', listener);
  }
  onEnd(listener: Listener<[]>): Disposable {
    return this.on('end', listener);
  }
  onData(listener: (data: Uint8Array) => void): Disposable {
    this.dataListeners.add(listener);
    const off = this.on('data', listener);
    return Disposable.create(() => {
      this.dataListeners.delete(listener);
      off.dispose();
    });
  }

  /** Makes the reader look again at the bytes it already buffered. */
  readOn(): void {
    for (const listener of this.dataListeners) listener(Buffer.alloc(0));
  }

  private on(event: string, listener: Parameters<NodeJS.ReadableStream['on']>[1]): Disposable {
    this.stream.on(event, listener);
    return Disposable.create(() => void this.stream.off(event, listener));
  }
}

class ResumingReader extends ReadableStreamMessageReader {
  constructor(
    private readonly input: Input,
    private readonly log: (line: string) => void,
  ) {
    super(input);
  }

  override listen(callback: DataCallback): Disposable {
    const listening = super.listen(callback);
    this.onError((e) => {
      this.log(`hrn lsp: skipped input that is not a protocol message: ${e.message.split('\n')[0]}`);
      setImmediate(() => this.input.readOn());
    });
    return listening;
  }
}

/**
 * A connection on the process's stdin and stdout. The process ends when stdin does: status 0 if
 * the client asked for a shutdown first, 1 if not, as the protocol has it.
 */
export function stdioConnection(log: (line: string) => void): Connection {
  const connection = createConnection(new ResumingReader(new Input(process.stdin), log), new StreamMessageWriter(process.stdout));
  let shutdown = false;
  connection.onShutdown(() => {
    shutdown = true;
  });
  const end = () => process.exit(shutdown ? 0 : 1);
  process.stdin.on('end', end);
  process.stdin.on('close', end);
  return connection;
}
