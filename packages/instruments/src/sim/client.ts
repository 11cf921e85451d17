// A minimal raw-socket client for the simulators' own tests and for poking at a simulator by hand: it writes
// strings and reads replies framed by a terminator or as IEEE 488.2 blocks. It deliberately shares no code with
// the package's instrument sessions, so the simulator tests check the bytes on the wire themselves.

import net from 'node:net';

type Parser<T> = (buffer: Buffer) => { value: T; consumed: number } | undefined;

export class RawClient {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  /** Reads run one after another, in the order they were asked for, like the replies arrive. */
  private reads: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends text as is (add the terminator yourself for serial-protocol instruments). */
  send(text: string): void {
    this.socket.write(text);
  }

  /** Sends a SCPI message (terminated with '\n'). */
  write(message: string): void {
    this.send(`${message}\n`);
  }

  /** Sends a SCPI query and reads the reply line without its '\n'. */
  async query(message: string, timeoutMs?: number): Promise<string> {
    this.write(message);
    return this.readUntil('\n', timeoutMs);
  }

  /** Sends a query answered by an IEEE 488.2 definite-length block and returns the block's payload. */
  async queryBlock(message: string, timeoutMs?: number): Promise<Buffer> {
    this.write(message);
    return this.read(parseBlock, timeoutMs);
  }

  /** Reads up to and including the terminator; returns what came before it. */
  readUntil(terminator: string, timeoutMs?: number): Promise<string> {
    return this.read((buffer) => {
      const end = buffer.indexOf(terminator, 0, 'latin1');
      if (end < 0) return undefined;
      return { value: buffer.subarray(0, end).toString('latin1'), consumed: end + terminator.length };
    }, timeoutMs);
  }

  /** Resolves when the server closes the connection. */
  closedByPeer(timeoutMs = 2000): Promise<void> {
    return this.read(() => undefined, timeoutMs).then(
      () => undefined,
      (error: Error) => {
        if (!this.closed) throw error;
      },
    );
  }

  close(): void {
    this.socket.destroy();
  }

  private read<T>(parse: Parser<T>, timeoutMs = 2000): Promise<T> {
    const next = this.reads.then(
      () => this.readNow(parse, timeoutMs),
      () => this.readNow(parse, timeoutMs),
    );
    this.reads = next;
    return next;
  }

  private readNow<T>(parse: Parser<T>, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
      const finish = (error?: Error, value?: T) => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (error) reject(error);
        else resolve(value as T);
      };
      const attempt = () => {
        let parsed: ReturnType<Parser<T>>;
        try {
          parsed = parse(this.buffer);
        } catch (error) {
          finish(error as Error);
          return;
        }
        if (parsed) {
          this.buffer = this.buffer.subarray(parsed.consumed);
          finish(undefined, parsed.value);
        } else if (this.closed) {
          finish(new Error('connection closed'));
        }
      };
      this.waiter = attempt;
      attempt();
    });
  }
}

/** '#' <n> <n digits of length> <payload> '\n'. */
const parseBlock: Parser<Buffer> = (buffer) => {
  if (buffer.length < 2) return undefined;
  if (buffer[0] !== 0x23) throw new Error(`not a block: ${buffer.subarray(0, 20).toString('latin1')}`);
  const digits = Number(String.fromCharCode(buffer[1] as number));
  if (buffer.length < 2 + digits) return undefined;
  const length = Number(buffer.subarray(2, 2 + digits).toString('latin1'));
  const start = 2 + digits;
  if (buffer.length < start + length + 1) return undefined;
  return { value: buffer.subarray(start, start + length), consumed: start + length + 1 };
};
