// VXI-11 (TCP/IP Instrument Protocol, VXIbus Consortium): SCPI as ONC RPC calls on the instrument's core channel,
// found through the portmapper on port 111, with an abort channel that ends a read still waiting.
// Opened for TCPIP[board]::host[::inst0 | ::gpib0,<n>]::INSTR.

import { InstrumentIOError } from '../errors.js';
import { broadcastGetPort, getPort, RpcTcpClient, XdrReader, XdrWriter } from './oncrpc.js';
import type { MessageTransport, TransportHandlers } from './types.js';

export const VXI11 = {
  core: { program: 0x0607af, version: 1 },
  abort: { program: 0x0607b0, version: 1 },
} as const;

/** Core channel procedures. */
export const CORE = {
  createLink: 10,
  deviceWrite: 11,
  deviceRead: 12,
  deviceReadStb: 13,
  deviceTrigger: 14,
  deviceClear: 15,
  deviceRemote: 16,
  deviceLocal: 17,
  deviceLock: 18,
  deviceUnlock: 19,
  destroyLink: 23,
} as const;
export const ABORT_PROCEDURE = 1;

/** Device_Flags bits. */
export const FLAG = { waitLock: 1, end: 8, termCharSet: 128 } as const;
/** Device_ReadResp reason bits: the read stopped at requestSize, at the termination character, or at END. */
export const REASON = { requestCount: 1, termChar: 2, end: 4 } as const;

/** Device_ErrorCode values and what they mean. */
export const VXI11_ERRORS: Record<number, string> = {
  0: 'no error',
  1: 'syntax error',
  3: 'device not accessible',
  4: 'invalid link identifier',
  5: 'parameter error',
  6: 'channel not established',
  8: 'operation not supported',
  9: 'out of resources',
  11: 'device locked by another link',
  12: 'no lock held by this link',
  15: 'I/O timeout',
  17: 'I/O error',
  21: 'invalid address',
  23: 'abort',
  29: 'channel already established',
};
export const ERR = { ioTimeout: 15, abort: 23, locked: 11, notSupported: 8, invalidLink: 4 } as const;

export class Vxi11Error extends InstrumentIOError {
  constructor(
    readonly code: number,
    what: string,
  ) {
    super(`${what}: VXI-11 error ${code} (${VXI11_ERRORS[code] ?? 'unknown'})`);
  }
}

/**
 * The hosts whose portmapper knows a VXI-11 core channel, asked with one GETPORT datagram to `address` (a subnet's
 * broadcast address, or one host) and the answers that come within `waitMs`. Each is an instrument (inst0) or a
 * gateway.
 */
export async function findVxi11Hosts(address: string, waitMs: number): Promise<string[]> {
  const answers = await broadcastGetPort(address, VXI11.core.program, VXI11.core.version, waitMs);
  return answers.map((answer) => answer.address);
}

export interface Vxi11Options {
  connectTimeoutMs?: number;
  /** What the instrument may take to answer one device_read; the session's own timeout usually ends it first. */
  ioTimeoutMs?: number;
  /** Ends a read at this byte as well as at END (instruments behind GPIB gateways that send no END). */
  termChar?: number;
  /** Where the portmapper listens; 111 except in tests. */
  portmapperPort?: number;
}

/** Bytes asked for per device_read; the instrument's maxRecvSize bounds writes. */
const READ_CHUNK = 1024 * 1024;
/** Spare time for the RPC reply beyond the io_timeout the instrument was given. */
const RPC_MARGIN_MS = 2000;

export async function openVxi11(
  host: string,
  device: string,
  handlers: TransportHandlers,
  options: Vxi11Options = {},
): Promise<MessageTransport> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const port = await getPort(
    host,
    VXI11.core.program,
    VXI11.core.version,
    connectTimeoutMs,
    options.portmapperPort,
  ).catch((error: Error) => {
    throw new InstrumentIOError(`no VXI-11 portmapper at ${host}: ${error.message}`);
  });
  if (port === 0) throw new InstrumentIOError(`${host} runs a portmapper but no VXI-11 instrument server`);
  const core = await RpcTcpClient.connect(host, port, connectTimeoutMs);
  try {
    const link = await createLink(core, device, connectTimeoutMs);
    return new Vxi11Link(host, device, core, link, handlers, options);
  } catch (error) {
    await core.close();
    throw error;
  }
}

interface LinkInfo {
  id: number;
  abortPort: number;
  maxRecvSize: number;
}

async function createLink(core: RpcTcpClient, device: string, timeoutMs: number): Promise<LinkInfo> {
  const clientId = (Math.random() * 0x7fff_ffff) | 0;
  const args = new XdrWriter().int(clientId).bool(false).uint(0).string(device).bytes();
  const reply = new XdrReader(
    await core.call(VXI11.core.program, VXI11.core.version, CORE.createLink, args, timeoutMs),
  );
  const error = reply.int();
  if (error !== 0) throw new Vxi11Error(error, `cannot open ${device} at ${core.peer}`);
  const id = reply.int();
  const abortPort = reply.uint();
  const maxRecvSize = reply.uint();
  return { id, abortPort, maxRecvSize };
}

/** One link to one device: a session's commands, plus clear, lock, remote/local. */
class Vxi11Link implements MessageTransport {
  readonly peer: string;
  private closed = false;
  /** The read in flight, if any: a new command or a clear ends it first. */
  private reading: Promise<void> | null = null;
  private abortRequested = false;
  private readonly ioTimeoutMs: number;

  constructor(
    private readonly host: string,
    device: string,
    private readonly core: RpcTcpClient,
    private readonly link: LinkInfo,
    private readonly handlers: TransportHandlers,
    private readonly options: Vxi11Options,
  ) {
    this.peer = `${host} ${device} (VXI-11)`;
    this.ioTimeoutMs = options.ioTimeoutMs ?? 10_000;
    core.onClosed = (error) => {
      if (!this.closed) handlers.closed(error);
    };
  }

  async write(bytes: Buffer, expectReply = false): Promise<void> {
    if (this.reading) {
      // The previous reply was never read to its end (the session gave up on it): clear the instrument so its
      // late answer cannot be taken for this command's.
      await this.clear();
    }
    const max = Math.max(1, this.link.maxRecvSize || bytes.length);
    for (let at = 0; at < bytes.length || at === 0; at += max) {
      const piece = bytes.subarray(at, at + max);
      const last = at + max >= bytes.length;
      const args = new XdrWriter()
        .int(this.link.id)
        .uint(this.ioTimeoutMs)
        .uint(0)
        .uint(last ? FLAG.end : 0)
        .opaque(piece)
        .bytes();
      const reply = new XdrReader(await this.callCore(CORE.deviceWrite, args, this.ioTimeoutMs));
      const error = reply.int();
      if (error !== 0) throw new Vxi11Error(error, `write to ${this.peer} failed`);
      if (bytes.length === 0) break;
    }
    if (expectReply) this.reading = this.readReply().finally(() => (this.reading = null));
  }

  /** device_read until END (or the termination character), handing each piece on as it comes. */
  private async readReply(): Promise<void> {
    this.abortRequested = false;
    const termChar = this.options.termChar;
    const flags = termChar === undefined ? 0 : FLAG.termCharSet;
    for (;;) {
      const args = new XdrWriter()
        .int(this.link.id)
        .uint(READ_CHUNK)
        .uint(this.ioTimeoutMs)
        .uint(0)
        .uint(flags)
        .int(termChar ?? 0)
        .bytes();
      let error: number;
      let reason: number;
      let data: Buffer;
      try {
        const reply = new XdrReader(await this.callCore(CORE.deviceRead, args, this.ioTimeoutMs));
        error = reply.int();
        reason = reply.int();
        data = reply.opaque();
      } catch {
        // The link failed (onClosed reports it), or the reply was malformed: nobody awaits this read, so it must
        // not throw; the session's timeout reports the missing answer.
        return;
      }
      if (this.closed || this.abortRequested) return;
      // An instrument slower than io_timeout: keep asking until the session gives up (its timeout) or an
      // answer comes.
      if (error === ERR.ioTimeout) continue;
      if (error !== 0) return; // aborted, or the device failed: the session's timeout reports it
      if (data.length > 0) this.handlers.data(data);
      if (reason & (REASON.end | REASON.termChar)) return;
    }
  }

  /**
   * Device clear: a read still waiting is ended through the abort channel (device_abort), then device_clear
   * empties the instrument's input and output.
   */
  async clear(): Promise<void> {
    if (this.reading) {
      this.abortRequested = true;
      await this.abort().catch(() => {});
      await this.reading;
    }
    await this.generic(CORE.deviceClear, 'device clear');
  }

  /** device_abort on the abort channel: a new connection to the port create_link named. */
  async abort(): Promise<void> {
    const channel = await RpcTcpClient.connect(
      this.host,
      this.link.abortPort,
      this.options.connectTimeoutMs ?? 5000,
    );
    try {
      const reply = new XdrReader(
        await channel.call(
          VXI11.abort.program,
          VXI11.abort.version,
          ABORT_PROCEDURE,
          new XdrWriter().int(this.link.id).bytes(),
          this.options.connectTimeoutMs ?? 5000,
        ),
      );
      const error = reply.int();
      if (error !== 0) throw new Vxi11Error(error, `device abort at ${this.peer} failed`);
    } finally {
      await channel.close();
    }
  }

  remote(): Promise<void> {
    return this.generic(CORE.deviceRemote, 'remote');
  }

  local(): Promise<void> {
    return this.generic(CORE.deviceLocal, 'local');
  }

  /** device_lock, waiting up to `timeoutMs` for another link's lock to go. */
  async lock(timeoutMs = 0): Promise<void> {
    const args = new XdrWriter()
      .int(this.link.id)
      .uint(timeoutMs > 0 ? FLAG.waitLock : 0)
      .uint(timeoutMs)
      .bytes();
    const error = new XdrReader(await this.callCore(CORE.deviceLock, args, timeoutMs)).int();
    if (error !== 0) throw new Vxi11Error(error, `lock of ${this.peer} refused`);
  }

  async unlock(): Promise<void> {
    const reply = await this.callCore(CORE.deviceUnlock, new XdrWriter().int(this.link.id).bytes(), 0);
    const error = new XdrReader(reply).int();
    if (error !== 0) throw new Vxi11Error(error, `unlock of ${this.peer} refused`);
  }

  /** The status byte (device_readstb). */
  async readStatusByte(): Promise<number> {
    const reply = new XdrReader(
      await this.callCore(CORE.deviceReadStb, this.genericArgs(), this.ioTimeoutMs),
    );
    const error = reply.int();
    if (error !== 0) throw new Vxi11Error(error, `status byte of ${this.peer}`);
    return reply.uint() & 0xff;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // destroy_link is a courtesy: the server drops the link with the connection anyway.
    await this.callCore(CORE.destroyLink, new XdrWriter().int(this.link.id).bytes(), 0, 1000).catch(() => {});
    await this.core.close();
  }

  private genericArgs(): Buffer {
    return new XdrWriter().int(this.link.id).uint(0).uint(0).uint(this.ioTimeoutMs).bytes();
  }

  private async generic(procedure: number, what: string): Promise<void> {
    const error = new XdrReader(await this.callCore(procedure, this.genericArgs(), this.ioTimeoutMs)).int();
    if (error !== 0) throw new Vxi11Error(error, `${what} of ${this.peer} failed`);
  }

  private callCore(
    procedure: number,
    args: Buffer,
    serverTimeoutMs: number,
    limitMs?: number,
  ): Promise<Buffer> {
    return this.core.call(
      VXI11.core.program,
      VXI11.core.version,
      procedure,
      args,
      limitMs ?? serverTimeoutMs + RPC_MARGIN_MS,
    );
  }
}
