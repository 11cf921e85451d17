// What a session needs from the link to one instrument: bytes out, bytes in, and word when the link dies.

import type { InstrumentIOError } from '../errors.js';

export interface Transport {
  /** The other end, for messages: "192.168.1.50:5025", "/dev/ttyUSB0". */
  readonly peer: string;
  /** Resolves once the bytes are handed to the OS; rejects with InstrumentIOError. */
  write(bytes: Buffer): Promise<void>;
  /** Ends the link. The handlers are not called after this. */
  close(): Promise<void>;
}

export interface TransportHandlers {
  data(chunk: Buffer): void;
  /** The link ended without close(): the peer hung up, an I/O error, a device unplugged. Called at most once. */
  closed(error: InstrumentIOError): void;
}

export interface SerialOptions {
  /** Default 9600. */
  baudRate?: number;
  /** Default 8. */
  dataBits?: 5 | 6 | 7 | 8;
  /** Default 'none'. */
  parity?: 'none' | 'even' | 'odd';
  /** Default 1. */
  stopBits?: 1 | 1.5 | 2;
  /** Default 'none'. */
  flowControl?: 'none' | 'rtscts' | 'xonxoff';
}

export interface TransportOptions {
  /** How long a TCP connection may take to open. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Line settings for serial (ASRL) resources. */
  serial?: SerialOptions;
}
