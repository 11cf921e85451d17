// A WebSocket client written over a bare TCP socket, for what a well-behaved library will not do: announce a
// 16 MB frame and send only part of it, or hold a message half-sent. Frames are masked with a zero key (so the
// payload goes out unchanged, without a copy); the server's frames are parsed as they arrive, and each text or
// binary frame is validated against the protocol's schemas, payloads included (problems go to `problems` and to
// realtime-client's `invalidMessages`; a wait fails at once after an invalid message).

import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { checkServerFrame } from './realtime-client.js';

export interface RawFrame {
  opcode: number;
  payload: Buffer;
}

export class RawWebSocket {
  readonly frames: RawFrame[] = [];
  /** Schema violations in the server's messages. */
  readonly problems: string[] = [];
  /** The close frame's code, once one arrived. */
  closeCode: number | null = null;
  /** Resolves when the TCP connection is gone (after a close frame, a reset or our own destroy). */
  readonly ended: Promise<void>;
  private buffer = Buffer.alloc(0);
  private waiters = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('error', () => {}); // EPIPE/ECONNRESET while we are still sending: the server closed first
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => this.wake());
  }

  /** Opens `url` (http://host:port/path) with the given extra headers; rejects on anything but 101. */
  static open(url: string, headers: Record<string, string> = {}): Promise<RawWebSocket> {
    const { hostname, port, pathname, host } = new URL(url);
    const socket = connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
    const request = [
      `GET ${pathname} HTTP/1.1`,
      `Host: ${host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      '',
      '',
    ].join('\r\n');
    return new Promise((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString('latin1');
        if (!status.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status.split('\r\n')[0]}`));
          return;
        }
        const ws = new RawWebSocket(socket);
        socket.on('data', (data: Buffer) => ws.receive(data));
        if (head.length > end + 4) ws.receive(head.subarray(end + 4));
        resolve(ws);
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('connect', () => socket.write(request));
    });
  }

  /** Writes the header of a masked client frame announcing `length` bytes (text, final, unless told). */
  sendHeader(length: number, opcode = 0x1, fin = true): boolean {
    const first = (fin ? 0x80 : 0) | opcode;
    let header: Buffer;
    if (length < 126) {
      header = Buffer.from([first, 0x80 | length]);
    } else if (length < 65536) {
      header = Buffer.alloc(4);
      header[0] = first;
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = first;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    return this.socket.write(Buffer.concat([header, Buffer.alloc(4)])); // + a zero masking key
  }

  /** Payload bytes of the frame in progress (the zero mask leaves them as they are). */
  write(data: Buffer | string): boolean {
    return this.socket.write(data);
  }

  /** A whole text frame. */
  sendText(text: string): void {
    const payload = Buffer.from(text);
    this.sendHeader(payload.length);
    this.write(payload);
  }

  /** The JSON text messages received so far. */
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field by the assertions
  get messages(): any[] {
    return this.frames.filter((f) => f.opcode === 0x1).map((f) => JSON.parse(f.payload.toString('utf8')));
  }

  /** Resolves when `condition` holds (checked at each frame and at the end of the connection). */
  until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const look = () => {
        if (this.problems.length > 0) {
          clearTimeout(timer);
          this.waiters.delete(look);
          reject(new Error(`the server sent an invalid message: ${this.problems[0]}`));
          return;
        }
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(look);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(look);
        reject(new Error(`timed out waiting for ${what}; frames: ${this.describe()}`));
      }, timeoutMs);
      this.waiters.add(look);
      look();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private describe(): string {
    return JSON.stringify(
      this.frames.map((f) => ({ opcode: f.opcode, payload: f.payload.toString('utf8').slice(0, 120) })),
    );
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) break;
      const opcode = (this.buffer[0] ?? 0) & 0x0f;
      let length = (this.buffer[1] ?? 0) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) break;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) break;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) break;
      const payload = this.buffer.subarray(offset, offset + length);
      this.buffer = this.buffer.subarray(offset + length);
      this.frames.push({ opcode, payload });
      if (opcode === 0x1 || opcode === 0x2)
        this.problems.push(...checkServerFrame(payload, opcode === 0x2).problems);
      if (opcode === 0x8) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
