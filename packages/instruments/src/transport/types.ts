// What a session needs from the link to one instrument: bytes out, bytes in, and word when the link dies.

import type { InstrumentIOError } from '../errors.js';

export interface Transport {
  /** The other end, for messages: "192.168.1.50:5025", "/dev/ttyUSB0". */
  readonly peer: string;
  /**
   * Resolves once the bytes are handed on; rejects with InstrumentIOError. `expectReply` says a reply is awaited:
   * a byte stream ignores it (replies simply arrive), a message-based link (VXI-11, HiSLIP, USBTMC) reads one
   * reply message only when asked.
   */
  write(bytes: Buffer, expectReply?: boolean): Promise<void>;
  /** Ends the link. The handlers are not called after this. */
  close(): Promise<void>;
}

/** A link whose interface carries whole messages and device-level controls (VXI-11, HiSLIP, USBTMC). */
export interface MessageTransport extends Transport {
  /** Device clear: ends a read still waiting and empties the instrument's input and output. */
  clear(): Promise<void>;
  /** Exclusive lock; waits up to `timeoutMs` for another client's lock to go (0: fails at once). */
  lock(timeoutMs?: number): Promise<void>;
  unlock(): Promise<void>;
  remote(): Promise<void>;
  local(): Promise<void>;
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

/** Where the Linux USBTMC driver's nodes are; the roots are for tests, which use a stand-in tree. */
export interface UsbtmcOptions {
  /** Default /dev. */
  devRoot?: string;
  /** Default /sys/class/usbmisc. */
  sysfsRoot?: string;
}

export interface TransportOptions {
  /** How long a TCP connection may take to open. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** VXI-11 and HiSLIP: how long the instrument may take over one read before it is asked again. Default 10 s. */
  ioTimeoutMs?: number;
  /** USBTMC device and sysfs roots. */
  usbtmc?: UsbtmcOptions;
  /** Line settings for serial (ASRL) resources. */
  serial?: SerialOptions;
}
