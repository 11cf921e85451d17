// A HiSLIP server (IVI-6.1) for one simulated instrument, as hislip0: sessions of a synchronous and an asynchronous
// channel, Data/DataEND messages carried to the instrument and its replies carried back with the query's message id,
// device clear, an exclusive lock that holds other clients' messages until it is released, remote/local and the
// status byte. Any free port: the resource names it (TCPIP0::127.0.0.1::hislip0,<port>::INSTR).

import net from 'node:net';
import { Duplex } from 'node:stream';
import { encodeHislip, FIRST_MESSAGE_ID, HISLIP, HISLIP_VERSION, HislipReader } from '../transport/hislip.js';
import type { Vxi11Device } from './vxi11-server.js';

export interface HislipServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Offer overlapped mode (true) or synchronized mode (false, the default). */
  overlapped?: boolean;
}

/** The server's vendor id in AsyncInitializeResponse. */
const VENDOR = ('L'.charCodeAt(0) << 8) | 'S'.charCodeAt(0);
const MAX_MESSAGE_SIZE = 1024 * 1024;
/** FatalError control codes (IVI-6.1). */
const FATAL = { unidentified: 0, badHeader: 1, noSecondChannel: 2, badInitialization: 3 } as const;
/** Error control codes. */
const NON_FATAL = { unrecognizedType: 1 } as const;

interface Session {
  id: number;
  sync: net.Socket;
  async: net.Socket | null;
  overlapped: boolean;
  stream: Duplex;
  detach: () => void;
  /** The id of the last Data/DataEND received (what a reply no query was counted for carries). */
  lastMessageId: number;
  /** Bytes of a message still arriving as Data, before its DataEND. */
  partial: Buffer[];
  /** Messages held back while another session holds the lock. */
  held: Array<{ id: number; data: Buffer }>;
  /** The message ids of the queries whose replies are owed, oldest first (none: MAV clear). */
  owed: number[];
}

export class HislipSimServer {
  private readonly server = new net.Server();
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Map<number, Session>();
  private nextSessionId = 1;
  private lockHolder: number | null = null;
  private readonly lockWaiters = new Set<() => void>();
  host = '';
  port = 0;

  private constructor(
    private readonly device: Vxi11Device,
    private readonly overlapped: boolean,
  ) {
    this.server.on('connection', (socket) => this.accept(socket));
  }

  static async start(device: Vxi11Device, options: HislipServerOptions = {}): Promise<HislipSimServer> {
    const server = new HislipSimServer(device, options.overlapped ?? false);
    server.host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen({ host: server.host, port: options.port ?? 0 }, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    server.port = (server.server.address() as net.AddressInfo).port;
    return server;
  }

  get resource(): string {
    return `TCPIP0::${this.host}::hislip0,${this.port}::INSTR`;
  }

  async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) this.endSession(session);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const reader = new HislipReader();
    let session: Session | null = null;
    let isAsync = false;
    socket.on('data', (chunk: Buffer) => {
      let messages: ReturnType<HislipReader['feed']>;
      try {
        messages = reader.feed(chunk);
      } catch (error) {
        fatal(socket, FATAL.badHeader, (error as Error).message);
        return;
      }
      for (const message of messages) {
        if (!session) {
          // The first message says which channel this connection is.
          if (message.type === HISLIP.initialize) {
            session = this.initialize(socket, message.parameter, message.payload.toString('latin1'));
          } else if (message.type === HISLIP.asyncInitialize) {
            session = this.sessions.get(message.parameter & 0xffff) ?? null;
            if (!session || session.async) {
              fatal(
                socket,
                FATAL.badInitialization,
                'AsyncInitialize names no session waiting for its channel',
              );
              return;
            }
            session.async = socket;
            isAsync = true;
            socket.write(encodeHislip(HISLIP.asyncInitializeResponse, 0, VENDOR));
          } else {
            fatal(socket, FATAL.badInitialization, 'the first message must be Initialize or AsyncInitialize');
          }
          if (!session) return;
          continue;
        }
        if (isAsync) this.onAsync(session, message);
        else this.onSync(session, message);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (session) this.endSession(session);
    });
  }

  private initialize(socket: net.Socket, parameter: number, subAddress: string): Session | null {
    if (!/^hislip0$/i.test(subAddress)) {
      fatal(socket, FATAL.unidentified, `no device "${subAddress}" here; this server has hislip0`);
      return null;
    }
    void parameter; // the client's version and vendor: any 1.x client is served
    const session: Session = {
      id: this.nextSessionId++ & 0xffff,
      sync: socket,
      async: null,
      overlapped: this.overlapped,
      stream: new Duplex(),
      detach: () => {},
      lastMessageId: FIRST_MESSAGE_ID - 2,
      partial: [],
      held: [],
      owed: [],
    };
    this.attachStream(session);
    this.sessions.set(session.id, session);
    socket.write(
      encodeHislip(
        HISLIP.initializeResponse,
        this.overlapped ? 1 : 0,
        ((HISLIP_VERSION << 16) | session.id) >>> 0,
      ),
    );
    return session;
  }

  /** A fresh stream to the instrument; replies owed to the old one (before a clear) are dropped. */
  private attachStream(session: Session): void {
    const stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        if (session.stream === stream && !session.sync.destroyed) {
          // Each reply carries its query's message id (in overlapped mode several may be owed at once).
          const id = session.owed.shift() ?? session.lastMessageId;
          session.sync.write(encodeHislip(HISLIP.dataEnd, 0, id, Buffer.from(chunk)));
        }
        callback();
      },
    });
    session.stream = stream;
    session.detach = this.device.serveStream(stream);
  }

  private endSession(session: Session): void {
    if (!this.sessions.delete(session.id)) return;
    session.detach();
    session.stream.destroy();
    session.sync.destroy();
    session.async?.destroy();
    if (this.lockHolder === session.id) this.release();
  }

  private onSync(
    session: Session,
    message: { type: number; control: number; parameter: number; payload: Buffer },
  ) {
    switch (message.type) {
      case HISLIP.data:
      case HISLIP.dataEnd: {
        session.partial.push(message.payload);
        if (message.type === HISLIP.data) return;
        const data = Buffer.concat(session.partial);
        session.partial = [];
        if (this.lockHolder !== null && this.lockHolder !== session.id) {
          session.held.push({ id: message.parameter, data });
          return;
        }
        this.deliver(session, message.parameter, data);
        return;
      }
      case HISLIP.deviceClearComplete:
        session.overlapped = this.overlapped && (message.control & 1) === 1;
        session.sync.write(encodeHislip(HISLIP.deviceClearAcknowledge, session.overlapped ? 1 : 0, 0));
        return;
      case HISLIP.trigger:
        session.lastMessageId = message.parameter;
        session.stream.push(Buffer.from('*TRG\n'));
        return;
      default:
        session.sync.write(encodeHislip(HISLIP.error, NON_FATAL.unrecognizedType, 0));
    }
  }

  /** Hands one whole message to the instrument; its reply (if any) goes back with this message id. */
  private deliver(session: Session, id: number, data: Buffer): void {
    session.lastMessageId = id;
    const text = data.toString('latin1');
    if (text.includes('?')) session.owed.push(id);
    session.stream.push(
      text.endsWith(this.device.inputTerminator) ? data : Buffer.concat([data, Buffer.from('\n')]),
    );
  }

  private onAsync(
    session: Session,
    message: { type: number; control: number; parameter: number; payload: Buffer },
  ) {
    const async = session.async as net.Socket;
    const send = (type: number, control: number, parameter: number, payload?: Buffer) =>
      async.write(encodeHislip(type, control, parameter, payload));
    switch (message.type) {
      case HISLIP.asyncMaximumMessageSize: {
        const size = Buffer.alloc(8);
        size.writeBigUInt64BE(BigInt(MAX_MESSAGE_SIZE));
        send(HISLIP.asyncMaximumMessageSizeResponse, 0, 0, size);
        return;
      }
      case HISLIP.asyncDeviceClear:
        // Everything in progress for this session is dropped; the sync channel then completes the clear.
        session.detach();
        session.stream.destroy();
        session.partial = [];
        session.held = [];
        session.owed = [];
        session.lastMessageId = FIRST_MESSAGE_ID - 2;
        this.attachStream(session);
        send(HISLIP.asyncDeviceClearAcknowledge, this.overlapped ? 1 : 0, 0);
        return;
      case HISLIP.asyncLock:
        if (message.control === 1)
          void this.lock(session, message.parameter).then((ok) =>
            send(HISLIP.asyncLockResponse, ok ? 1 : 0, 0),
          );
        else if (this.lockHolder === session.id) {
          this.release();
          send(HISLIP.asyncLockResponse, 1, 0);
        } else send(HISLIP.asyncLockResponse, 3, 0);
        return;
      case HISLIP.asyncLockInfo:
        send(
          HISLIP.asyncLockInfoResponse,
          this.lockHolder === null ? 0 : 1,
          this.lockHolder === null ? 0 : 1,
        );
        return;
      case HISLIP.asyncRemoteLocalControl:
        send(HISLIP.asyncRemoteLocalResponse, 0, message.parameter);
        return;
      case HISLIP.asyncStatusQuery:
        // MAV (bit 4): a reply is still owed to this session.
        send(HISLIP.asyncStatusResponse, session.owed.length > 0 ? 0x10 : 0, 0);
        return;
      default:
        send(HISLIP.error, NON_FATAL.unrecognizedType, 0);
    }
  }

  /** Grants the exclusive lock now, or once it is released within `timeoutMs`. */
  private async lock(session: Session, timeoutMs: number): Promise<boolean> {
    const free = () => this.lockHolder === null || this.lockHolder === session.id;
    if (!free() && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const check = () => free() && done();
        const timer = setTimeout(() => done(), timeoutMs);
        const done = () => {
          clearTimeout(timer);
          this.lockWaiters.delete(check);
          resolve();
        };
        this.lockWaiters.add(check);
      });
    }
    if (!free() || !this.sessions.has(session.id)) return false;
    this.lockHolder = session.id;
    return true;
  }

  private release(): void {
    this.lockHolder = null;
    // A client waiting for the lock takes it next; otherwise the messages held back go through now, in order.
    const waiter = this.lockWaiters.values().next().value;
    if (waiter) {
      waiter();
      return;
    }
    for (const session of this.sessions.values()) {
      const held = session.held;
      session.held = [];
      for (const { id, data } of held) this.deliver(session, id, data);
    }
  }
}

function fatal(socket: net.Socket, code: number, text: string): void {
  socket.end(encodeHislip(HISLIP.fatalError, code, 0, Buffer.from(text, 'latin1')));
}
