// HiSLIP (IVI-6.1, High-Speed LAN Instrument Protocol): two TCP connections to one port, a synchronous channel for
// Data/DataEND messages and an asynchronous one for device clear, locks, remote/local and the status byte.
// Opened for TCPIP[board]::host::hislip<n>[,<port>]::INSTR.
//
// Every message has a 16-byte header: "HS", message type, control code, a 32-bit parameter (a message id, a
// session id …) and a 64-bit payload length, all big-endian.

import type { Socket } from 'node:net';
import { InstrumentIOError, InstrumentTimeoutError } from '../errors.js';
import { connectSocket, peerName } from './tcp.js';
import type { MessageTransport, TransportHandlers } from './types.js';

export const HISLIP = {
  initialize: 0,
  initializeResponse: 1,
  fatalError: 2,
  error: 3,
  asyncLock: 4,
  asyncLockResponse: 5,
  data: 6,
  dataEnd: 7,
  deviceClearComplete: 8,
  deviceClearAcknowledge: 9,
  asyncRemoteLocalControl: 10,
  asyncRemoteLocalResponse: 11,
  trigger: 12,
  interrupted: 13,
  asyncInterrupted: 14,
  asyncMaximumMessageSize: 15,
  asyncMaximumMessageSizeResponse: 16,
  asyncInitialize: 17,
  asyncInitializeResponse: 18,
  asyncDeviceClear: 19,
  asyncServiceRequest: 20,
  asyncStatusQuery: 21,
  asyncStatusResponse: 22,
  asyncDeviceClearAcknowledge: 23,
  asyncLockInfo: 24,
  asyncLockInfoResponse: 25,
} as const;

/** Protocol version 1.0, as major << 8 | minor. */
export const HISLIP_VERSION = 0x0100;
/** The first message id of a session, and again after each device clear; ids then go up by two. */
export const FIRST_MESSAGE_ID = 0xffff_ff00;
export const HEADER_LENGTH = 16;
/** Payloads larger than this are refused (a garbled length must not allocate gigabytes). */
export const MAX_PAYLOAD = 64 * 1024 * 1024;
/** LabLink's vendor id in Initialize: two ASCII characters. */
const VENDOR_ID = ('L'.charCodeAt(0) << 8) | 'L'.charCodeAt(0);
/** The remote/local control codes LabLink sends (IVI-6.1 table "AsyncRemoteLocalControl"). */
const GO_REMOTE = 3;
const GO_LOCAL = 6;

export interface HislipMessage {
  type: number;
  control: number;
  parameter: number;
  payload: Buffer;
}

export function encodeHislip(
  type: number,
  control: number,
  parameter: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.write('HS', 0, 'latin1');
  header.writeUInt8(type, 2);
  header.writeUInt8(control, 3);
  header.writeUInt32BE(parameter >>> 0, 4);
  header.writeBigUInt64BE(BigInt(payload.length), 8);
  return Buffer.concat([header, payload]);
}

export class HislipFramingError extends Error {}

/** Cuts HiSLIP messages out of a TCP byte stream. */
export class HislipReader {
  private pending: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer): HislipMessage[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: HislipMessage[] = [];
    while (this.pending.length >= HEADER_LENGTH) {
      if (this.pending[0] !== 0x48 || this.pending[1] !== 0x53) {
        throw new HislipFramingError('poorly formed message header (no "HS" prologue)');
      }
      const length = this.pending.readBigUInt64BE(8);
      if (length > BigInt(MAX_PAYLOAD))
        throw new HislipFramingError(`payload of ${length} bytes is too large`);
      const end = HEADER_LENGTH + Number(length);
      if (this.pending.length < end) break;
      messages.push({
        type: this.pending.readUInt8(2),
        control: this.pending.readUInt8(3),
        parameter: this.pending.readUInt32BE(4),
        payload: Buffer.from(this.pending.subarray(HEADER_LENGTH, end)),
      });
      this.pending = this.pending.subarray(end);
    }
    return messages;
  }
}

/** One HiSLIP channel: messages in, and a way to wait for the next one of a given type. */
class Channel {
  private readonly reader = new HislipReader();
  private waiter: { types: number[]; resolve(m: HislipMessage): void; reject(e: Error): void } | null = null;
  /** Messages nobody waits for (Data on the sync channel, service requests on the async one). */
  onMessage: (message: HislipMessage) => void = () => {};
  onClosed: (error: Error) => void = () => {};
  private failure: Error | null = null;
  closing = false;

  constructor(
    readonly socket: Socket,
    private readonly peer: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      let messages: HislipMessage[];
      try {
        messages = this.reader.feed(chunk);
      } catch (error) {
        socket.destroy(error as Error);
        return;
      }
      for (const message of messages) {
        if (message.type === HISLIP.fatalError) {
          const text = message.payload.toString('latin1');
          socket.destroy(new Error(`fatal error ${message.control}${text ? `: ${text}` : ''}`));
          return;
        }
        const waiter = this.waiter;
        if (waiter?.types.includes(message.type)) {
          this.waiter = null;
          waiter.resolve(message);
        } else {
          this.onMessage(message);
        }
      }
    });
    socket.on('error', (error) => {
      this.failure = error;
    });
    socket.on('close', () => {
      const error = new InstrumentIOError(
        `HiSLIP connection to ${peer} ${this.failure ? `failed: ${this.failure.message}` : 'closed'}`,
      );
      this.waiter?.reject(error);
      this.waiter = null;
      if (!this.closing) this.onClosed(error);
    });
  }

  send(type: number, control: number, parameter: number, payload?: Buffer): void {
    this.socket.write(encodeHislip(type, control, parameter, payload));
  }

  /** The next message of one of `types`; rejects after `timeoutMs` or if the connection ends. */
  next(types: number[], timeoutMs: number, what: string): Promise<HislipMessage> {
    if (this.socket.destroyed) {
      return Promise.reject(new InstrumentIOError(`HiSLIP connection to ${this.peer} is closed`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new InstrumentTimeoutError(`${this.peer}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        types,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.destroy().once('close', () => resolve()));
  }
}

async function connectChannel(host: string, port: number, peer: string, timeoutMs: number): Promise<Channel> {
  return new Channel(await connectSocket(host, port, peer, timeoutMs), peer);
}

export interface HislipOptions {
  connectTimeoutMs?: number;
  /** The largest message LabLink accepts, announced to the server. Default 1 MiB. */
  maxMessageSize?: number;
}

/** The session's parameters as the server settled them. */
export interface HislipSessionInfo {
  sessionId: number;
  serverVersion: number;
  /** Overlapped mode (true) or synchronized mode (false), as the InitializeResponse said. */
  overlapped: boolean;
  serverVendor: string;
  /** The largest message the server accepts. */
  maxMessageSize: number;
}

export async function openHislip(
  host: string,
  port: number,
  subAddress: string,
  handlers: TransportHandlers,
  options: HislipOptions = {},
): Promise<HislipLink> {
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  const peer = peerName(host, port);
  const sync = await connectChannel(host, port, peer, timeoutMs);
  let asyncChannel: Channel | null = null;
  try {
    sync.send(
      HISLIP.initialize,
      0,
      ((HISLIP_VERSION << 16) | VENDOR_ID) >>> 0,
      Buffer.from(subAddress, 'latin1'),
    );
    const init = await sync.next([HISLIP.initializeResponse], timeoutMs, 'InitializeResponse');
    const sessionId = init.parameter & 0xffff;
    asyncChannel = await connectChannel(host, port, peer, timeoutMs);
    asyncChannel.send(HISLIP.asyncInitialize, 0, sessionId);
    const asyncInit = await asyncChannel.next(
      [HISLIP.asyncInitializeResponse],
      timeoutMs,
      'AsyncInitializeResponse',
    );
    const ours = options.maxMessageSize ?? 1024 * 1024;
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(ours));
    asyncChannel.send(HISLIP.asyncMaximumMessageSize, 0, 0, size);
    const sizeReply = await asyncChannel.next(
      [HISLIP.asyncMaximumMessageSizeResponse],
      timeoutMs,
      'AsyncMaximumMessageSizeResponse',
    );
    const theirs = sizeReply.payload.length >= 8 ? Number(sizeReply.payload.readBigUInt64BE(0)) : ours;
    const vendor = asyncInit.parameter & 0xffff;
    const info: HislipSessionInfo = {
      sessionId,
      serverVersion: init.parameter >>> 16,
      overlapped: (init.control & 1) === 1,
      serverVendor: String.fromCharCode(vendor >> 8, vendor & 0xff),
      // At least 256 bytes whatever the server says: a server claiming a few would have each command sent as
      // thousands of messages.
      maxMessageSize: Math.max(HEADER_LENGTH + 256, Math.min(theirs, MAX_PAYLOAD)),
    };
    return new HislipLink(`${peer} ${subAddress} (HiSLIP)`, sync, asyncChannel, info, handlers, timeoutMs);
  } catch (error) {
    await sync.close();
    await asyncChannel?.close();
    throw error instanceof InstrumentIOError
      ? error
      : new InstrumentIOError(`HiSLIP at ${peer}: ${(error as Error).message}`);
  }
}

export class HislipLink implements MessageTransport {
  private messageId = FIRST_MESSAGE_ID;
  /** The id of the query whose reply is awaited, or null. */
  private awaited: number | null = null;
  /** Set once a reply has been taken whole: the next message tells the server so (RMT-delivered). */
  private rmtDelivered = false;
  private closed = false;
  /** The asynchronous channel carries one request at a time. */
  private asyncQueue: Promise<unknown> = Promise.resolve();
  private clearing = false;

  constructor(
    readonly peer: string,
    private readonly sync: Channel,
    private readonly async: Channel,
    readonly info: HislipSessionInfo,
    private readonly handlers: TransportHandlers,
    private readonly timeoutMs: number,
  ) {
    sync.onMessage = (message) => this.onSync(message);
    let reported = false;
    const lost = (error: Error) => {
      if (this.closed || reported) return;
      reported = true;
      void this.close();
      handlers.closed(error instanceof InstrumentIOError ? error : new InstrumentIOError(error.message));
    };
    sync.onClosed = lost;
    async.onClosed = lost;
  }

  private onSync(message: HislipMessage): void {
    if (message.type !== HISLIP.data && message.type !== HISLIP.dataEnd) return;
    // A reply to anything but the query in hand (one given up on, one from before a clear) is dropped.
    if (this.clearing || this.awaited === null || message.parameter !== this.awaited) return;
    if (message.type === HISLIP.dataEnd) {
      this.awaited = null;
      this.rmtDelivered = true;
    }
    if (message.payload.length > 0) this.handlers.data(message.payload);
  }

  async write(bytes: Buffer, expectReply = false): Promise<void> {
    if (this.closed) throw new InstrumentIOError(`HiSLIP link to ${this.peer} is closed`);
    // In synchronized mode a new message before the last reply is read is an error the server reports as
    // Interrupted; clear the device instead, so a late answer is never taken for this command's.
    if (this.awaited !== null) await this.clear();
    const max = this.info.maxMessageSize - HEADER_LENGTH;
    let at = 0;
    do {
      const piece = bytes.subarray(at, at + max);
      at += max;
      const last = at >= bytes.length;
      const id = this.messageId;
      this.messageId = (this.messageId + 2) >>> 0;
      this.sync.send(last ? HISLIP.dataEnd : HISLIP.data, this.rmtDelivered ? 1 : 0, id, piece);
      this.rmtDelivered = false;
      if (last && expectReply) this.awaited = id;
    } while (at < bytes.length);
  }

  /**
   * Device clear: AsyncDeviceClear on the asynchronous channel, then DeviceClearComplete on the synchronous one;
   * the server drops what it was doing and message ids start again.
   */
  clear(): Promise<void> {
    return this.onAsync(async () => {
      this.clearing = true;
      try {
        this.async.send(HISLIP.asyncDeviceClear, 0, 0);
        const ack = await this.async.next(
          [HISLIP.asyncDeviceClearAcknowledge],
          this.timeoutMs,
          'AsyncDeviceClearAcknowledge',
        );
        this.sync.send(HISLIP.deviceClearComplete, ack.control & 1, 0);
        const done = await this.sync.next(
          [HISLIP.deviceClearAcknowledge],
          this.timeoutMs,
          'DeviceClearAcknowledge',
        );
        this.info.overlapped = (done.control & 1) === 1;
        this.messageId = FIRST_MESSAGE_ID;
        this.awaited = null;
        this.rmtDelivered = false;
      } finally {
        this.clearing = false;
      }
    });
  }

  /** Exclusive lock; the server answers once granted, or refuses when `timeoutMs` passes first. */
  lock(timeoutMs = 0): Promise<void> {
    return this.onAsync(async () => {
      this.async.send(HISLIP.asyncLock, 1, timeoutMs);
      const reply = await this.async.next(
        [HISLIP.asyncLockResponse],
        timeoutMs + this.timeoutMs,
        'AsyncLockResponse',
      );
      if (reply.control === 0) throw new InstrumentIOError(`${this.peer} is locked by another client`);
      if (reply.control !== 1) throw new InstrumentIOError(`lock of ${this.peer} failed (${reply.control})`);
    });
  }

  unlock(): Promise<void> {
    return this.onAsync(async () => {
      // The release names the last message sent, so the server releases only after it has handled it.
      this.async.send(HISLIP.asyncLock, 0, (this.messageId - 2) >>> 0);
      const reply = await this.async.next([HISLIP.asyncLockResponse], this.timeoutMs, 'AsyncLockResponse');
      if (reply.control !== 1 && reply.control !== 2) {
        throw new InstrumentIOError(`${this.peer}: no lock held by this client`);
      }
    });
  }

  /** How many clients hold a lock, and whether the exclusive one is held (AsyncLockInfo). */
  lockInfo(): Promise<{ exclusive: boolean; holders: number }> {
    return this.onAsync(async () => {
      this.async.send(HISLIP.asyncLockInfo, 0, 0);
      const reply = await this.async.next(
        [HISLIP.asyncLockInfoResponse],
        this.timeoutMs,
        'AsyncLockInfoResponse',
      );
      return { exclusive: reply.control === 1, holders: reply.parameter };
    });
  }

  remote(): Promise<void> {
    return this.remoteLocal(GO_REMOTE);
  }

  local(): Promise<void> {
    return this.remoteLocal(GO_LOCAL);
  }

  /** The status byte (AsyncStatusQuery). */
  readStatusByte(): Promise<number> {
    return this.onAsync(async () => {
      this.async.send(HISLIP.asyncStatusQuery, this.rmtDelivered ? 1 : 0, (this.messageId - 2) >>> 0);
      const reply = await this.async.next(
        [HISLIP.asyncStatusResponse],
        this.timeoutMs,
        'AsyncStatusResponse',
      );
      return reply.control;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.sync.close(), this.async.close()]);
  }

  private remoteLocal(code: number): Promise<void> {
    return this.onAsync(async () => {
      this.async.send(HISLIP.asyncRemoteLocalControl, code, (this.messageId - 2) >>> 0);
      await this.async.next([HISLIP.asyncRemoteLocalResponse], this.timeoutMs, 'AsyncRemoteLocalResponse');
    });
  }

  private onAsync<T>(job: () => Promise<T>): Promise<T> {
    const run = this.asyncQueue.then(job);
    this.asyncQueue = run.catch(() => {});
    return run;
  }
}
