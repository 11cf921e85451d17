// A VXI-11 host for simulated instruments, as a LAN/GPIB gateway is one: a portmapper on port 111 (TCP and UDP,
// answering GETPORT, CALLIT of the null procedure for broadcast discovery, and rpcbind's GETADDR), one core
// channel serving several instruments as inst0, inst1, …, and an abort channel.
//
// VXI-11 clients always ask port 111, so two hosts cannot share an address. Each host therefore takes a loopback
// address of its own (any 127.x.y.z answers on Linux), chosen at random and retried while taken: test files
// running in parallel each get theirs.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import net from 'node:net';
import { Duplex } from 'node:stream';
import {
  ACCEPT,
  decodeCall,
  encodeReply,
  frameRecord,
  IPPROTO_TCP,
  PORTMAPPER,
  RecordReader,
  type RpcCall,
  XdrReader,
  XdrWriter,
} from '../transport/oncrpc.js';
import { ABORT_PROCEDURE, CORE, ERR, FLAG, REASON, VXI11 } from '../transport/vxi11.js';

/** What the host needs of one instrument: a way to talk to it over a byte stream of its own. */
export interface Vxi11Device {
  /** The byte that ends a message to the instrument; added to a write that ends (END) without it. */
  inputTerminator: string;
  serveStream(stream: Duplex): () => void;
}

export interface Vxi11HostOptions {
  /** The address to serve on. Default: a random free 127.x.y.z. */
  host?: string;
}

/** Largest write the host accepts in one device_write (announced as maxRecvSize). */
const MAX_RECV_SIZE = 1024 * 1024;
/** Random loopback addresses tried before giving up. */
const ADDRESS_ATTEMPTS = 20;

interface Link {
  id: number;
  device: number;
  connection: net.Socket;
  stream: Duplex;
  detach: () => void;
  /** Replies from the instrument, one message per entry, and how much of the first has been read. */
  output: Buffer[];
  readOffset: number;
  /** Wakes a device_read waiting for output (or for an abort). */
  wake: (() => void) | null;
  aborted: boolean;
}

export class Vxi11SimHost {
  private readonly core = new net.Server();
  private readonly abortServer = new net.Server();
  private readonly portmapper = new net.Server();
  private udp: UdpSocket | null = null;
  private readonly connections = new Set<net.Socket>();
  private readonly links = new Map<number, Link>();
  private nextLinkId = 1;
  /** The link holding each device's lock, and those waiting for it. */
  private readonly locks = new Map<number, number>();
  private readonly lockWaiters = new Set<() => void>();
  host = '';
  corePort = 0;
  abortPort = 0;

  private constructor(private readonly devices: readonly Vxi11Device[]) {
    this.core.on('connection', (socket) => this.serveRpc(socket, (call) => this.coreCall(call, socket)));
    this.abortServer.on('connection', (socket) => this.serveRpc(socket, (call) => this.abortCall(call)));
    this.portmapper.on('connection', (socket) => this.serveRpc(socket, (call) => this.portmapperCall(call)));
  }

  /** Starts a host serving `devices` as inst0, inst1, … */
  static async start(devices: readonly Vxi11Device[], options: Vxi11HostOptions = {}): Promise<Vxi11SimHost> {
    const host = new Vxi11SimHost(devices);
    if (options.host !== undefined) {
      await host.listen(options.host).catch(async (error) => {
        await host.close();
        throw error;
      });
      return host;
    }
    for (let attempt = 1; ; attempt++) {
      const address = `127.${1 + randomByte(254)}.${randomByte(256)}.${1 + randomByte(254)}`;
      try {
        await host.listen(address);
        return host;
      } catch (error) {
        await host.close();
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= ADDRESS_ATTEMPTS)
          throw error;
      }
    }
  }

  /** The VISA address of each device, in order. */
  get resources(): string[] {
    return this.devices.map((_, i) => `TCPIP0::${this.host}::inst${i}::INSTR`);
  }

  private async listen(host: string): Promise<void> {
    this.host = host;
    // The portmapper first: port 111 is the one that can be taken.
    await listenTcp(this.portmapper, host, PORTMAPPER.port);
    this.udp = await listenUdp(host, PORTMAPPER.port, (message, reply) => {
      void Promise.resolve(this.answer(message, (call) => this.portmapperCall(call, true))).then(
        (answer) => answer && reply(answer),
      );
    });
    this.corePort = await listenTcp(this.core, host, 0);
    this.abortPort = await listenTcp(this.abortServer, host, 0);
  }

  async close(): Promise<void> {
    for (const link of [...this.links.values()]) this.destroyLink(link);
    for (const socket of this.connections) socket.destroy();
    const udp = this.udp;
    this.udp = null;
    await Promise.all([
      ...[this.core, this.abortServer, this.portmapper].map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
      new Promise<void>((resolve) => (udp ? udp.close(() => resolve()) : resolve())),
    ]);
  }

  // ---- RPC plumbing -------------------------------------------------------------------------------------------------

  private serveRpc(
    socket: net.Socket,
    handle: (call: RpcCall) => Promise<Buffer | null> | Buffer | null,
  ): void {
    socket.setNoDelay(true);
    this.connections.add(socket);
    const records = new RecordReader();
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = records.feed(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const message of messages) {
        // Calls are answered as each completes: a device_read may wait while other calls go on.
        void Promise.resolve(this.answer(message, handle)).then((reply) => {
          if (reply && !socket.destroyed) socket.write(frameRecord(reply));
        });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connections.delete(socket);
      for (const link of [...this.links.values()]) if (link.connection === socket) this.destroyLink(link);
    });
  }

  /** Decodes a call and encodes its reply; null for a call that gets no answer (garbage, a failed CALLIT). */
  private answer(
    message: Buffer,
    handle: (call: RpcCall) => Promise<Buffer | null> | Buffer | null,
  ): Promise<Buffer | null> | Buffer | null {
    let call: RpcCall;
    try {
      call = decodeCall(message);
    } catch {
      return null;
    }
    const wrap = (results: Buffer | null) =>
      results === null ? null : encodeReply(call.xid, ACCEPT.success, results);
    try {
      const results = handle(call);
      if (results instanceof Promise) {
        return results.then(wrap, (error) => refusal(call.xid, error));
      }
      return wrap(results);
    } catch (error) {
      return refusal(call.xid, error);
    }
  }

  // ---- portmapper ---------------------------------------------------------------------------------------------------

  private portmapperCall(call: RpcCall, udp = false): Buffer | null {
    if (call.program !== PORTMAPPER.program) throw new Refused(ACCEPT.progUnavailable);
    if (call.version < 2 || call.version > 4) throw new Refused(ACCEPT.progMismatch, versions(2, 4));
    const args = new XdrReader(call.args);
    if (call.procedure === 0) return Buffer.alloc(0);
    if (call.version === 2 && call.procedure === PORTMAPPER.getPort) {
      const program = args.uint();
      const version = args.uint();
      const protocol = args.uint();
      return new XdrWriter().uint(this.portOf(program, version, protocol)).bytes();
    }
    if (call.version === 2 && call.procedure === PORTMAPPER.callIt) {
      // Broadcast discovery (clnt_broadcast): call the core channel's null procedure through the portmapper.
      const program = args.uint();
      const version = args.uint();
      const procedure = args.uint();
      const port = this.portOf(program, version, IPPROTO_TCP);
      // A broadcast CALLIT is never answered with an error: silence means "not here".
      if (port === 0 || procedure !== 0) {
        if (udp) return null;
        throw new Refused(ACCEPT.procUnavailable);
      }
      return new XdrWriter().uint(port).opaque(Buffer.alloc(0)).bytes();
    }
    if (call.version > 2 && call.procedure === 3) {
      // rpcbind GETADDR (versions 3 and 4, asked first by libtirpc clients): a universal address h1.h2.h3.h4.p1.p2.
      const program = args.uint();
      const version = args.uint();
      const netid = args.string();
      const port = this.portOf(program, version, netid.startsWith('udp') ? 17 : IPPROTO_TCP);
      const uaddr = port === 0 ? '' : `${this.host}.${port >> 8}.${port & 0xff}`;
      return new XdrWriter().string(uaddr).bytes();
    }
    throw new Refused(ACCEPT.procUnavailable);
  }

  private portOf(program: number, version: number, protocol: number): number {
    if (protocol !== IPPROTO_TCP) return 0;
    if (program === VXI11.core.program && version === VXI11.core.version) return this.corePort;
    if (program === VXI11.abort.program && version === VXI11.abort.version) return this.abortPort;
    return 0;
  }

  // ---- abort channel ------------------------------------------------------------------------------------------------

  private abortCall(call: RpcCall): Buffer {
    if (call.program !== VXI11.abort.program) throw new Refused(ACCEPT.progUnavailable);
    if (call.version !== VXI11.abort.version) throw new Refused(ACCEPT.progMismatch, versions(1, 1));
    if (call.procedure === 0) return Buffer.alloc(0);
    if (call.procedure !== ABORT_PROCEDURE) throw new Refused(ACCEPT.procUnavailable);
    const link = this.links.get(new XdrReader(call.args).int());
    if (!link) return errorOnly(ERR.invalidLink);
    link.aborted = true;
    link.wake?.();
    return errorOnly(0);
  }

  // ---- core channel -------------------------------------------------------------------------------------------------

  private async coreCall(call: RpcCall, connection: net.Socket): Promise<Buffer> {
    if (call.program !== VXI11.core.program) throw new Refused(ACCEPT.progUnavailable);
    if (call.version !== VXI11.core.version) throw new Refused(ACCEPT.progMismatch, versions(1, 1));
    const args = new XdrReader(call.args);
    if (call.procedure === 0) return Buffer.alloc(0);
    if (call.procedure === CORE.createLink) return this.createLink(args, connection);
    const link = this.links.get(args.int());
    if (!link) return call.procedure === CORE.deviceReadStb ? readStbReply(ERR.invalidLink, 0) : errorOnly(4);
    switch (call.procedure) {
      case CORE.deviceWrite:
        return this.deviceWrite(link, args);
      case CORE.deviceRead:
        return this.deviceRead(link, args);
      case CORE.deviceReadStb: {
        const flags = args.uint();
        const lockTimeout = args.uint();
        const locked = await this.waitForLock(link, flags, lockTimeout);
        // MAV (bit 4): a reply waits to be read.
        return readStbReply(locked, link.output.length > 0 ? 0x10 : 0);
      }
      case CORE.deviceTrigger:
      case CORE.deviceClear:
      case CORE.deviceRemote:
      case CORE.deviceLocal: {
        const flags = args.uint();
        const lockTimeout = args.uint();
        const locked = await this.waitForLock(link, flags, lockTimeout);
        if (locked !== 0) return errorOnly(locked);
        if (call.procedure === CORE.deviceClear) this.deviceClear(link);
        if (call.procedure === CORE.deviceTrigger) link.stream.push(Buffer.from('*TRG\n'));
        return errorOnly(0);
      }
      case CORE.deviceLock: {
        const flags = args.uint();
        const lockTimeout = args.uint();
        const holder = this.locks.get(link.device);
        if (holder === link.id) return errorOnly(ERR.locked);
        const waited = await this.waitForLock(link, flags, lockTimeout);
        if (waited !== 0) return errorOnly(waited);
        this.locks.set(link.device, link.id);
        return errorOnly(0);
      }
      case CORE.deviceUnlock: {
        if (this.locks.get(link.device) !== link.id) return errorOnly(12);
        this.releaseLock(link);
        return errorOnly(0);
      }
      case CORE.destroyLink:
        this.destroyLink(link);
        return errorOnly(0);
      default:
        // device_enable_srq, device_docmd, interrupt channels: not offered by this host.
        return errorOnly(ERR.notSupported);
    }
  }

  private async createLink(args: XdrReader, connection: net.Socket): Promise<Buffer> {
    args.int(); // client id
    const lockDevice = args.bool();
    const lockTimeout = args.uint();
    const name = args.string();
    const index = /^inst(\d+)$/i.exec(name)?.[1];
    const device = index === undefined ? -1 : Number(index);
    if (!(device >= 0 && device < this.devices.length)) {
      return new XdrWriter().int(3).int(0).uint(0).uint(0).bytes(); // device not accessible
    }
    const link = this.newLink(device, connection);
    if (lockDevice) {
      const waited = await this.waitForLock(link, FLAG.waitLock, lockTimeout);
      if (waited !== 0) {
        this.destroyLink(link);
        return new XdrWriter().int(waited).int(0).uint(0).uint(0).bytes();
      }
      this.locks.set(device, link.id);
    }
    return new XdrWriter().int(0).int(link.id).uint(this.abortPort).uint(MAX_RECV_SIZE).bytes();
  }

  private newLink(device: number, connection: net.Socket): Link {
    const link: Link = {
      id: this.nextLinkId++,
      device,
      connection,
      stream: new Duplex(),
      detach: () => {},
      output: [],
      readOffset: 0,
      wake: null,
      aborted: false,
    };
    this.attachStream(link);
    this.links.set(link.id, link);
    return link;
  }

  /** A fresh stream to the instrument: replies still owed to an old one (after a clear) go nowhere. */
  private attachStream(link: Link): void {
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        if (link.stream === stream) {
          link.output.push(Buffer.from(chunk));
          link.wake?.();
        }
        callback();
      },
    });
    link.stream = stream;
    link.detach = (this.devices[link.device] as Vxi11Device).serveStream(stream);
  }

  private destroyLink(link: Link): void {
    if (!this.links.delete(link.id)) return;
    if (this.locks.get(link.device) === link.id) this.releaseLock(link);
    link.aborted = true;
    link.wake?.();
    link.detach();
    link.stream.destroy();
  }

  private deviceClear(link: Link): void {
    link.detach();
    link.stream.destroy();
    link.output = [];
    link.readOffset = 0;
    link.aborted = true; // a read still waiting on this link ends
    link.wake?.();
    this.attachStream(link);
  }

  private async deviceWrite(link: Link, args: XdrReader): Promise<Buffer> {
    const ioTimeout = args.uint();
    const lockTimeout = args.uint();
    const flags = args.uint();
    const data = args.opaque();
    void ioTimeout;
    const locked = await this.waitForLock(link, flags, lockTimeout);
    if (locked !== 0) return new XdrWriter().int(locked).uint(0).bytes();
    const terminator = (this.devices[link.device] as Vxi11Device).inputTerminator;
    const ended = flags & FLAG.end && !data.toString('latin1').endsWith(terminator);
    link.stream.push(ended ? Buffer.concat([data, Buffer.from(terminator)]) : data);
    return new XdrWriter().int(0).uint(data.length).bytes();
  }

  private async deviceRead(link: Link, args: XdrReader): Promise<Buffer> {
    const requestSize = args.uint();
    const ioTimeout = args.uint();
    const lockTimeout = args.uint();
    const flags = args.uint();
    const termChar = args.int() & 0xff;
    const reply = (error: number, reason = 0, data = Buffer.alloc(0)) =>
      new XdrWriter().int(error).int(reason).opaque(data).bytes();
    const locked = await this.waitForLock(link, flags, lockTimeout);
    if (locked !== 0) return reply(locked);
    link.aborted = false;
    if (link.output.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ioTimeout);
        function done() {
          clearTimeout(timer);
          link.wake = null;
          resolve();
        }
        link.wake = done;
      });
    }
    if (link.aborted) {
      link.aborted = false;
      return reply(ERR.abort);
    }
    const message = link.output[0];
    if (!message) return reply(ERR.ioTimeout);
    let end = Math.min(message.length, link.readOffset + Math.max(1, requestSize));
    let reason = 0;
    if (flags & FLAG.termCharSet) {
      const at = message.indexOf(termChar, link.readOffset);
      if (at >= 0 && at < end) {
        end = at + 1;
        reason |= REASON.termChar;
      }
    }
    const data = message.subarray(link.readOffset, end);
    if (end === message.length) {
      link.output.shift();
      link.readOffset = 0;
      reason |= REASON.end;
    } else {
      link.readOffset = end;
      if (!(reason & REASON.termChar)) reason |= REASON.requestCount;
    }
    return reply(0, reason, Buffer.from(data));
  }

  /** 0 when the link may use its device now (or once another link's lock goes within lockTimeout), else 11. */
  private async waitForLock(link: Link, flags: number, lockTimeout: number): Promise<number> {
    const free = () => {
      const holder = this.locks.get(link.device);
      return holder === undefined || holder === link.id;
    };
    if (free()) return 0;
    if (!(flags & FLAG.waitLock) || lockTimeout === 0) return ERR.locked;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (!free()) return;
        done();
      };
      const timer = setTimeout(() => done(), lockTimeout);
      const done = () => {
        clearTimeout(timer);
        this.lockWaiters.delete(check);
        resolve();
      };
      this.lockWaiters.add(check);
    });
    return free() ? 0 : ERR.locked;
  }

  private releaseLock(link: Link): void {
    this.locks.delete(link.device);
    for (const waiter of [...this.lockWaiters]) waiter();
  }
}

/** An RPC-level refusal (program, version or procedure unavailable). */
class Refused extends Error {
  constructor(
    readonly acceptStat: number,
    readonly results: Buffer = Buffer.alloc(0),
  ) {
    super(`refused (${acceptStat})`);
  }
}

function refusal(xid: number, error: unknown): Buffer {
  if (error instanceof Refused) return encodeReply(xid, error.acceptStat, error.results);
  return encodeReply(xid, ACCEPT.garbageArgs);
}

function versions(low: number, high: number): Buffer {
  return new XdrWriter().uint(low).uint(high).bytes();
}

function errorOnly(code: number): Buffer {
  return new XdrWriter().int(code).bytes();
}

function readStbReply(error: number, stb: number): Buffer {
  return new XdrWriter().int(error).uint(stb).bytes();
}

function randomByte(range: number): number {
  return Math.floor(Math.random() * range);
}

function listenTcp(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function listenUdp(
  host: string,
  port: number,
  onMessage: (message: Buffer, reply: (answer: Buffer) => void) => void,
): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('message', (message, from) => {
      onMessage(message, (answer) => socket.send(answer, from.port, from.address));
    });
    socket.once('error', reject);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}
