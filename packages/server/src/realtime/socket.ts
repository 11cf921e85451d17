// What the gateway needs from a WebSocket (a `ws` 8 WebSocket has all of it). Writing against this small
// interface keeps the writer testable with a fake socket and the gateway independent of the plugin's typings.

export interface WireSocket {
  readonly readyState: number;
  /** Bytes accepted by send() but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** `binary: false` sends UTF-8 bytes as a text frame. */
  send(data: string | Uint8Array, options: { binary: boolean }, callback?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  /** Destroys the connection at once, without a close handshake (for dead peers). */
  terminate(): void;
  ping(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'pong' | 'ping', listener: (data: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

export const OPEN = 1;
