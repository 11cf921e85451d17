// ONC RPC (RFC 5531) as VXI-11 uses it: XDR encoding (RFC 4506), calls over TCP with record marking, single
// datagrams over UDP, and the portmapper's GETPORT. Shared by the VXI-11 client, its discovery and the simulated
// VXI-11 server, so both ends read the same layout.

import { createSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { InstrumentIOError, InstrumentTimeoutError } from '../errors.js';
import { connectSocket, peerName } from './tcp.js';

// ---- XDR ------------------------------------------------------------------------------------------------------------

/** Builds an XDR byte string: every item a multiple of four bytes, big-endian. */
export class XdrWriter {
  private readonly parts: Buffer[] = [];

  uint(value: number): this {
    const word = Buffer.alloc(4);
    word.writeUInt32BE(value >>> 0);
    this.parts.push(word);
    return this;
  }

  int(value: number): this {
    const word = Buffer.alloc(4);
    word.writeInt32BE(value | 0);
    this.parts.push(word);
    return this;
  }

  bool(value: boolean): this {
    return this.uint(value ? 1 : 0);
  }

  /** Variable-length opaque: length, bytes, zero padding to four. */
  opaque(bytes: Buffer): this {
    this.uint(bytes.length);
    this.parts.push(bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4));
    return this;
  }

  string(text: string): this {
    return this.opaque(Buffer.from(text, 'latin1'));
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Reads an XDR byte string; running past its end is a garbled message, not a crash. */
export class XdrReader {
  private at = 0;

  constructor(private readonly data: Buffer) {}

  private need(n: number): void {
    if (this.at + n > this.data.length) throw new RpcGarbageError('XDR data ends early');
  }

  uint(): number {
    this.need(4);
    const value = this.data.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  int(): number {
    this.need(4);
    const value = this.data.readInt32BE(this.at);
    this.at += 4;
    return value;
  }

  bool(): boolean {
    return this.uint() !== 0;
  }

  opaque(): Buffer {
    const length = this.uint();
    this.need(length);
    const bytes = this.data.subarray(this.at, this.at + length);
    this.at += length + ((4 - (length % 4)) % 4);
    return Buffer.from(bytes);
  }

  string(): string {
    return this.opaque().toString('latin1');
  }

  /** What follows the current position (a call's arguments, a reply's results). */
  rest(): Buffer {
    return this.data.subarray(this.at);
  }
}

/** Malformed XDR or RPC framing: the peer is not speaking the protocol, an I/O failure of the link like any other. */
export class RpcGarbageError extends InstrumentIOError {}

// ---- RPC messages ---------------------------------------------------------------------------------------------------

export const RPC_VERSION = 2;
export const MSG_CALL = 0;
export const MSG_REPLY = 1;
export const REPLY_ACCEPTED = 0;
export const REPLY_DENIED = 1;
/** accept_stat values. */
export const ACCEPT = {
  success: 0,
  progUnavailable: 1,
  progMismatch: 2,
  procUnavailable: 3,
  garbageArgs: 4,
} as const;
const AUTH_NONE = 0;

export const PORTMAPPER = { program: 100000, version: 2, port: 111, getPort: 3, callIt: 5 } as const;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface RpcCall {
  xid: number;
  program: number;
  version: number;
  procedure: number;
  args: Buffer;
}

export function encodeCall(call: RpcCall): Buffer {
  return Buffer.concat([
    new XdrWriter()
      .uint(call.xid)
      .uint(MSG_CALL)
      .uint(RPC_VERSION)
      .uint(call.program)
      .uint(call.version)
      .uint(call.procedure)
      .uint(AUTH_NONE)
      .uint(0) // credentials: none
      .uint(AUTH_NONE)
      .uint(0) // verifier: none
      .bytes(),
    call.args,
  ]);
}

/** Reads a call message (the server side); throws RpcGarbageError when it is not one. */
export function decodeCall(message: Buffer): RpcCall {
  const xdr = new XdrReader(message);
  const xid = xdr.uint();
  if (xdr.uint() !== MSG_CALL) throw new RpcGarbageError('not an RPC call');
  if (xdr.uint() !== RPC_VERSION) throw new RpcGarbageError('not RPC version 2');
  const program = xdr.uint();
  const version = xdr.uint();
  const procedure = xdr.uint();
  xdr.uint();
  xdr.opaque(); // credentials
  xdr.uint();
  xdr.opaque(); // verifier
  return { xid, program, version, procedure, args: Buffer.from(xdr.rest()) };
}

/** An accepted reply; `results` follow a SUCCESS, the supported version range follows a PROG_MISMATCH. */
export function encodeReply(xid: number, acceptStat: number, results: Buffer = Buffer.alloc(0)): Buffer {
  const head = new XdrWriter()
    .uint(xid)
    .uint(MSG_REPLY)
    .uint(REPLY_ACCEPTED)
    .uint(AUTH_NONE)
    .uint(0)
    .uint(acceptStat)
    .bytes();
  return Buffer.concat([head, results]);
}

/** Reads a reply to call `xid`: its results, or an RpcError saying why the call was refused. */
export function decodeReply(message: Buffer): { xid: number; results: Buffer } {
  const xdr = new XdrReader(message);
  const xid = xdr.uint();
  if (xdr.uint() !== MSG_REPLY) throw new RpcGarbageError('not an RPC reply');
  if (xdr.uint() !== REPLY_ACCEPTED)
    throw new RpcError('the RPC call was denied (version or authentication)');
  xdr.uint();
  xdr.opaque(); // verifier
  const stat = xdr.uint();
  if (stat !== ACCEPT.success) {
    const why = [
      '',
      'program unavailable',
      'program version mismatch',
      'procedure unavailable',
      'garbage arguments',
    ];
    throw new RpcError(`RPC call refused: ${why[stat] ?? `status ${stat}`}`);
  }
  return { xid, results: Buffer.from(xdr.rest()) };
}

export class RpcError extends Error {}

// ---- record marking (RPC over TCP) ----------------------------------------------------------------------------------

const LAST_FRAGMENT = 0x8000_0000;
/** Larger records are refused: nothing VXI-11 sends comes near it, and a garbled header must not allocate gigabytes. */
const MAX_RECORD = 64 * 1024 * 1024;

/** One record as a single last fragment. */
export function frameRecord(message: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE((LAST_FRAGMENT | message.length) >>> 0);
  return Buffer.concat([header, message]);
}

/** Empty fragments tolerated in one record: a peer sending only headers would otherwise be read forever. */
const MAX_EMPTY_FRAGMENTS = 64;

/**
 * Reassembles records from a TCP byte stream; `feed` returns the records completed by a chunk. Chunks of a
 * fragment still arriving are kept apart and joined once it is complete, so a large record costs one copy, not one
 * per chunk.
 */
export class RecordReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private fragments: Buffer[] = [];
  private size = 0;
  private empty = 0;

  feed(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const records: Buffer[] = [];
    while (this.buffered >= 4) {
      const first = this.chunks[0] as Buffer;
      const header = (first.length >= 4 ? first : this.joined()).readUInt32BE(0);
      const length = header & ~LAST_FRAGMENT;
      if (this.size + length > MAX_RECORD) throw new RpcGarbageError(`RPC record over ${MAX_RECORD} bytes`);
      if (length === 0 && ++this.empty > MAX_EMPTY_FRAGMENTS)
        throw new RpcGarbageError(`RPC record of over ${MAX_EMPTY_FRAGMENTS} empty fragments`);
      if (this.buffered < 4 + length) break;
      const all = this.joined();
      this.fragments.push(all.subarray(4, 4 + length));
      this.size += length;
      const rest = all.subarray(4 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      if (header & LAST_FRAGMENT) {
        records.push(Buffer.concat(this.fragments));
        this.fragments = [];
        this.size = 0;
        this.empty = 0;
      }
    }
    return records;
  }

  /** The buffered bytes as one Buffer (joined only when there is more than one chunk). */
  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
}

// ---- a client over TCP ----------------------------------------------------------------------------------------------

/**
 * RPC calls over one TCP connection, answered by xid (a server may answer calls on one connection in any order:
 * VXI-11's device_read may still be waiting when a call on another channel ends it).
 */
export class RpcTcpClient {
  private nextXid = (Math.random() * 0x7fff_ffff) >>> 0;
  private readonly waiting = new Map<
    number,
    { resolve(results: Buffer): void; reject(error: Error): void }
  >();
  private readonly records = new RecordReader();
  private failure: Error | null = null;
  /** Called once if the connection ends without close(). */
  onClosed: ((error: Error) => void) | null = null;
  private closing = false;

  private constructor(
    private readonly socket: Socket,
    readonly peer: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      let records: Buffer[];
      try {
        records = this.records.feed(chunk);
      } catch (error) {
        socket.destroy(error as Error);
        return;
      }
      for (const record of records) {
        try {
          const { xid, results } = decodeReply(record);
          const waiter = this.waiting.get(xid);
          this.waiting.delete(xid);
          waiter?.resolve(results);
        } catch (error) {
          // The xid is the first word of any reply, garbled or not: fail only the call it answers.
          const xid = record.length >= 4 ? record.readUInt32BE(0) : -1;
          const waiter = this.waiting.get(xid);
          this.waiting.delete(xid);
          waiter?.reject(new InstrumentIOError(`${peer}: ${(error as Error).message}`));
        }
      }
    });
    socket.on('error', (error) => {
      this.failure = error;
    });
    socket.on('close', () => {
      const error = new InstrumentIOError(
        `connection to ${peer} ${this.failure ? `failed: ${this.failure.message}` : 'closed'}`,
      );
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
      if (!this.closing) this.onClosed?.(error);
    });
  }

  static async connect(host: string, port: number, timeoutMs: number): Promise<RpcTcpClient> {
    const peer = peerName(host, port);
    return new RpcTcpClient(await connectSocket(host, port, peer, timeoutMs), peer);
  }

  /** One call; rejects with InstrumentTimeoutError after `timeoutMs` (the connection stays usable). */
  call(
    program: number,
    version: number,
    procedure: number,
    args: Buffer,
    timeoutMs: number,
  ): Promise<Buffer> {
    if (this.socket.destroyed) {
      return Promise.reject(new InstrumentIOError(`connection to ${this.peer} is closed`));
    }
    const xid = this.nextXid;
    this.nextXid = (this.nextXid + 1) >>> 0;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(xid);
        reject(new InstrumentTimeoutError(`${this.peer}: no RPC reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(xid, {
        resolve: (results) => {
          clearTimeout(timer);
          resolve(results);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.socket.write(frameRecord(encodeCall({ xid, program, version, procedure, args })));
    });
  }

  get localAddress(): string {
    return this.socket.localAddress ?? '';
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.destroy().once('close', () => resolve()));
  }
}

/** The portmapper's GETPORT arguments: which program, version and protocol (IPPROTO_TCP / IPPROTO_UDP). */
export function encodeGetPort(program: number, version: number, protocol: number): Buffer {
  return new XdrWriter().uint(program).uint(version).uint(protocol).uint(0).bytes();
}

/** Asks the portmapper at `host` (TCP port 111) where an RPC program listens; 0 means it is not registered. */
export async function getPort(
  host: string,
  program: number,
  version: number,
  timeoutMs: number,
  portmapperPort: number = PORTMAPPER.port,
): Promise<number> {
  const client = await RpcTcpClient.connect(host, portmapperPort, timeoutMs);
  try {
    const results = await client.call(
      PORTMAPPER.program,
      PORTMAPPER.version,
      PORTMAPPER.getPort,
      encodeGetPort(program, version, IPPROTO_TCP),
      timeoutMs,
    );
    return new XdrReader(results).uint();
  } finally {
    await client.close();
  }
}

/** A portmapper's answer to a broadcast GETPORT. */
export interface PortmapperAnswer {
  address: string;
  port: number;
}

/**
 * Sends one GETPORT datagram to `address` (a broadcast address, or one host) and collects every answer that
 * arrives within `waitMs`: the hosts where `program` is registered (port 0 answers are left out).
 */
export function broadcastGetPort(
  address: string,
  program: number,
  version: number,
  waitMs: number,
  portmapperPort: number = PORTMAPPER.port,
): Promise<PortmapperAnswer[]> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const xid = (Math.random() * 0x7fff_ffff) >>> 0;
    const answers = new Map<string, number>();
    let done = false;
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (error) reject(new InstrumentIOError(`VXI-11 broadcast to ${address} failed: ${error.message}`));
      else resolve([...answers].map(([from, port]) => ({ address: from, port })));
    };
    const timer = setTimeout(() => finish(null), waitMs);
    socket.on('message', (message, from) => {
      try {
        const reply = decodeReply(message);
        if (reply.xid !== xid) return;
        const port = new XdrReader(reply.results).uint();
        if (port > 0 && !answers.has(from.address)) answers.set(from.address, port);
      } catch {
        // Not an answer to our call: ignored, as another host's noise on the port would be.
      }
    });
    socket.once('error', finish);
    socket.bind(0, () => {
      socket.setBroadcast(true);
      const call = encodeCall({
        xid,
        program: PORTMAPPER.program,
        version: PORTMAPPER.version,
        procedure: PORTMAPPER.getPort,
        args: encodeGetPort(program, version, IPPROTO_TCP),
      });
      socket.send(call, portmapperPort, address, (error) => {
        if (error) finish(error);
      });
    });
  });
}
