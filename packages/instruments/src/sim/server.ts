// Serves one simulated instrument to any number of byte streams at once: TCP connections (the LAN socket port of
// a real instrument) and caller-supplied streams (a pty or serial port). Every stream has its own input buffer and
// reply order; all share the instrument, as the front panel, USB and LAN of a real instrument do.
// Faults for tests are injected here, between the wire and the instrument.

import net from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimProtocol } from './protocol.js';

/** Faults a test can inject into a running simulator. */
export interface FaultControls {
  /** Delays every reply by this many milliseconds (0 restores prompt replies). */
  delay(ms: number): void;
  /** Drops every TCP connection; with refuseNew, also refuses new ones (the port closes) until clear(). */
  dropConnections(options?: { refuseNew?: boolean }): Promise<void>;
  /** Replaces the next reply with garbage of the same framing. */
  garbageNext(): void;
  /** Queues an instrument error, as if the instrument had raised it. */
  pushError(code: number, message?: string): void;
  /** Ends every fault: no delay, no pending garbage, and the port accepting again. */
  clear(): Promise<void>;
}

/** A message longer than this without a terminator is an input buffer overrun (-363). */
const MAX_INPUT = 64 * 1024;

export class SimServer {
  private readonly tcp = new net.Server();
  private readonly sockets = new Set<net.Socket>();
  private delayMs = 0;
  private garbagePending = false;
  private address: { host: string; port: number } | undefined;
  private listening = false;
  /** Messages received on every stream, counted as they arrive. */
  messages = 0;
  /** Called after each message has been handled (a wired circuit notes the moment a setting changed). */
  readonly handled = new Set<() => void>();

  constructor(private readonly protocol: SimProtocol) {
    this.tcp.on('connection', (socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      this.serveStream(socket);
    });
  }

  /** Starts listening; port 0 lets the OS choose. Resolves to the bound port. */
  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen({ host, port }, () => {
        this.tcp.off('error', reject);
        resolve();
      });
    });
    this.listening = true;
    const bound = (this.tcp.address() as net.AddressInfo).port;
    this.address = { host, port: bound };
    return bound;
  }

  /**
   * Serves the protocol on a stream until it ends. Returns a function that detaches from the stream without
   * closing it.
   */
  serveStream(stream: Duplex): () => void {
    let buffer = '';
    let queue: Promise<void> = Promise.resolve();
    const onData = (chunk: Buffer | string) => {
      buffer += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      let end = buffer.indexOf(this.protocol.inputTerminator);
      while (end >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (message.trim() !== '') this.messages++;
        // Replies go out in order: each message waits for the previous one (and any injected delay).
        queue = queue.then(() => this.reply(stream, message));
        end = buffer.indexOf(this.protocol.inputTerminator);
      }
      if (buffer.length > MAX_INPUT) {
        buffer = '';
        this.protocol.pushError(-363, 'Input buffer overrun');
      }
    };
    const onError = () => stream.destroy();
    stream.on('data', onData);
    stream.on('error', onError);
    return () => {
      stream.off('data', onData);
      stream.off('error', onError);
    };
  }

  readonly faults: FaultControls = {
    delay: (ms) => {
      if (!(ms >= 0)) throw new RangeError(`delay must be ≥ 0 ms, got ${ms}`);
      this.delayMs = ms;
    },
    dropConnections: async (options = {}) => {
      for (const socket of this.sockets) socket.destroy();
      if (options.refuseNew && this.listening) await this.closeListener();
    },
    garbageNext: () => {
      this.garbagePending = true;
    },
    pushError: (code, message) => this.protocol.pushError(code, message),
    clear: async () => {
      this.delayMs = 0;
      this.garbagePending = false;
      if (!this.listening && this.address) await this.listen(this.address.host, this.address.port);
    },
  };

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.listening) await this.closeListener();
  }

  private async closeListener(): Promise<void> {
    this.listening = false;
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }

  private async reply(stream: Duplex, message: string): Promise<void> {
    if (message.trim() === '') return;
    if (this.delayMs > 0) await sleep(this.delayMs);
    let reply: Buffer | undefined;
    try {
      reply = this.protocol.handle(message);
    } catch (error) {
      // A simulator bug must not take the bench down; it surfaces as a device-specific error instead.
      this.protocol.pushError(-300, `Device-specific error; ${(error as Error).message}`);
      return;
    }
    for (const listener of this.handled) listener();
    if (reply === undefined || stream.destroyed) return;
    if (this.garbagePending) {
      this.garbagePending = false;
      reply = this.protocol.garbage();
    }
    stream.write(reply);
  }
}
