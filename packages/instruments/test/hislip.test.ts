// HiSLIP end to end on loopback: LabLink's client (ScpiSession over TCPIP::host::hislip0,<port>::INSTR, and the
// link's device clear, locks and status byte) against the simulated HiSLIP server, plus the bytes on the wire
// checked against the IVI-6.1 message layout with hand-built messages.
//
// No independent HiSLIP client runs here: Debian's pyvisa-py is 0.5.1, which has no HiSLIP (pyvisa-py 0.6 added
// it), and lxi-tools speaks VXI-11 and raw sockets only.

import { createConnection, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstrumentIOError, InstrumentTimeoutError } from '../src/errors.js';
import { ScpiSession } from '../src/session.js';
import {
  type HislipSimServer,
  type RunningSimulator,
  serveHislip,
  startSimulator,
} from '../src/sim/index.js';
import { encodeHislip, HISLIP, openHislip } from '../src/transport/hislip.js';

let dmm: RunningSimulator;
let server: HislipSimServer;

beforeAll(async () => {
  dmm = await startSimulator('34461A');
  server = await serveHislip(dmm);
});

afterAll(async () => {
  await server.close();
  await dmm.stop();
});

async function openLink() {
  const received: Buffer[] = [];
  const link = await openHislip(server.host, server.port, 'hislip0', {
    data: (chunk) => received.push(chunk),
    closed: () => {},
  });
  const text = () => Buffer.concat(received).toString('latin1');
  const reply = async () => {
    await waitFor(() => text().endsWith('\n'));
    const answer = text();
    received.length = 0;
    return answer.trimEnd();
  };
  return { link, text, reply };
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('ScpiSession over HiSLIP', () => {
  it('queries the instrument at the address the server lists', async () => {
    expect(dmm.addresses).toEqual([dmm.resource, `TCPIP0::127.0.0.1::hislip0,${server.port}::INSTR`]);
    const session = await ScpiSession.open(server.resource);
    try {
      expect(await session.query('*IDN?')).toMatch(/^Keysight Technologies,34461A,MY\d+,/);
      expect(Number(await session.query('MEAS:VOLT:DC?'))).toBeCloseTo(5, 1);
      await session.write('BOGUS:HEADER');
      expect(await session.query('SYST:ERR?')).toMatch(/^-113,"Undefined header"$/);
    } finally {
      await session.close();
    }
  });

  it('after a timeout the next query gets its own answer, whether the session resyncs or reconnects', async () => {
    const session = await ScpiSession.open(server.resource, {
      timeoutMs: 5000,
      reconnect: { initialDelayMs: 50 },
    });
    try {
      await session.identify(); // the probe's answer, which a resync waits for
      dmm.faults.delay(1000);
      // Resync: the link is kept; the late SYST:ERR? reply is cleared away (device clear) before the probe.
      await expect(session.query('SYST:ERR?', { timeoutMs: 100, onTimeout: 'resync' })).rejects.toThrow(
        InstrumentTimeoutError,
      );
      expect(session.state).toBe('connected');
      await dmm.faults.clear();
      expect(await session.query('*OPC?')).toBe('1');
      // Reconnect: both channels are dropped and a new session initialized.
      dmm.faults.delay(1000);
      await expect(session.query('SYST:ERR?', { timeoutMs: 100 })).rejects.toThrow(InstrumentTimeoutError);
      await dmm.faults.clear();
      await new Promise<void>((resolve) => {
        const off = session.onStateChange((state) => {
          if (state !== 'connected') return;
          off();
          resolve();
        });
      });
      expect(await session.query('*OPC?')).toBe('1');
    } finally {
      await dmm.faults.clear();
      await session.close();
    }
  });

  it('refuses a device name the server does not have, with the reason the server gives', async () => {
    await expect(ScpiSession.open(`TCPIP0::127.0.0.1::hislip3,${server.port}::INSTR`)).rejects.toThrow(
      /fatal error 0: no device "hislip3"/,
    );
    await expect(ScpiSession.open('TCPIP0::127.254.254.252::hislip0::INSTR')).rejects.toThrow(
      InstrumentIOError,
    );
  });

  it('settles synchronized mode by default and overlapped mode where the server offers it', async () => {
    const { link } = await openLink();
    expect(link.info).toMatchObject({ overlapped: false, serverVersion: 0x0100, serverVendor: 'LS' });
    await link.close();
    const overlapped = await serveHislip(dmm, { overlapped: true });
    try {
      const other = await openHislip(overlapped.host, overlapped.port, 'hislip0', {
        data: () => {},
        closed: () => {},
      });
      expect(other.info.overlapped).toBe(true);
      await other.clear();
      expect(other.info.overlapped).toBe(true);
      await other.close();
      // Overlapped: two queries sent at once are answered in order, each with its own message id.
      const sync = await connect(overlapped.port);
      sync.socket.write(encodeHislip(HISLIP.initialize, 0, 0x0100_5a5a, Buffer.from('hislip0')));
      expect((await sync.next(16)).readUInt8(3)).toBe(1); // InitializeResponse control code: overlapped
      sync.socket.write(
        Buffer.concat([
          encodeHislip(HISLIP.dataEnd, 0, 0xffffff00, Buffer.from('*IDN?\n')),
          encodeHislip(HISLIP.dataEnd, 0, 0xffffff02, Buffer.from('*OPC?\n')),
        ]),
      );
      const first = await sync.next(16);
      const idn = await sync.next(Number(first.readBigUInt64BE(8)));
      const second = await sync.next(16);
      const opc = await sync.next(Number(second.readBigUInt64BE(8)));
      expect([first.readUInt32BE(4), idn.toString().split(',')[1]]).toEqual([0xffffff00, '34461A']);
      expect([second.readUInt32BE(4), opc.toString()]).toEqual([0xffffff02, '1\n']);
      sync.socket.destroy();
    } finally {
      await overlapped.close();
      dmm.addresses.splice(2);
    }
  });
});

describe('HiSLIP device controls', () => {
  it('device clear ends a read the instrument is not answering, and the next query gets its own answer', async () => {
    const { link, text, reply } = await openLink();
    try {
      dmm.faults.delay(60_000);
      const before = dmm.messages();
      await link.write(Buffer.from('*IDN?\n'), true);
      await waitFor(() => dmm.messages() > before);
      expect((await link.readStatusByte()) & 0x10).toBe(0x10); // MAV: a reply is owed
      await link.clear();
      await dmm.faults.clear();
      expect((await link.readStatusByte()) & 0x10).toBe(0);
      expect(text()).toBe('');
      await link.write(Buffer.from('SYST:ERR?\n'), true);
      expect(await reply()).toMatch(/^\+?0,/);
    } finally {
      await dmm.faults.clear();
      await link.close();
    }
  });

  it("a lock holds a second client's messages until it is released", async () => {
    const first = await openLink();
    const second = await openLink();
    try {
      await first.link.lock();
      expect(await second.link.lockInfo()).toEqual({ exclusive: true, holders: 1 });
      await expect(second.link.lock(0)).rejects.toThrow(/locked by another client/);
      const before = dmm.messages();
      await second.link.write(Buffer.from('*IDN?\n'), true);
      // The holder is served meanwhile; the second client's query waits.
      await first.link.write(Buffer.from('*IDN?\n'), true);
      expect(await first.reply()).toMatch(/34461A/);
      expect(dmm.messages()).toBe(before + 1);
      expect(second.text()).toBe('');
      await first.link.unlock();
      expect(await second.reply()).toMatch(/34461A/);
      await expect(second.link.unlock()).rejects.toThrow(/no lock held/);
      // A waiting request is granted once the holder lets go.
      await first.link.lock();
      const waiting = second.link.lock(5000);
      await first.link.unlock();
      await waiting;
      expect(await first.link.lockInfo()).toEqual({ exclusive: true, holders: 1 });
      await second.link.unlock();
    } finally {
      await first.link.close();
      await second.link.close();
    }
  });

  it('remote and local are acknowledged', async () => {
    const { link } = await openLink();
    await link.remote();
    await link.local();
    await link.close();
  });
});

describe('HiSLIP bytes on the wire (IVI-6.1 message layout)', () => {
  it('a message is "HS", type, control code, 32-bit parameter and 64-bit payload length, big-endian', () => {
    const bytes = encodeHislip(HISLIP.dataEnd, 1, 0xffffff00, Buffer.from('*IDN?\n'));
    expect(bytes.subarray(0, 16).toString('hex')).toBe(
      '4853' + '07' + '01' + 'ffffff00' + '0000000000000006',
    );
    expect(bytes.subarray(16).toString('latin1')).toBe('*IDN?\n');
  });

  it('the server answers hand-built Initialize, AsyncInitialize and DataEND messages as the standard lays out', async () => {
    const sync = await connect();
    const async = await connect();
    try {
      // Initialize: version 1.0, vendor "ZZ", sub-address "hislip0".
      sync.socket.write(
        Buffer.from('485300000100' + '5a5a' + '0000000000000007' + '686973' + '6c697030', 'hex'),
      );
      const init = await sync.next(16);
      expect(init.subarray(0, 4).toString('hex')).toBe('48530100'); // InitializeResponse, synchronized mode
      expect(init.readUInt16BE(4)).toBe(0x0100); // server protocol version
      const sessionId = init.readUInt16BE(6);
      expect(init.readBigUInt64BE(8)).toBe(0n);
      // AsyncInitialize with that session id.
      const asyncInit = Buffer.from('4853110000000000' + '0000000000000000', 'hex');
      asyncInit.writeUInt32BE(sessionId, 4);
      async.socket.write(asyncInit);
      const asyncReply = await async.next(16);
      expect(asyncReply.subarray(0, 4).toString('hex')).toBe('48531200');
      expect(asyncReply.subarray(6, 8).toString('latin1')).toBe('LS'); // server vendor id
      // DataEND, message id 0xFFFFFF00: the reply is a DataEND with the same id.
      sync.socket.write(
        Buffer.from(`48530700ffffff000000000000000006${Buffer.from('*IDN?\n').toString('hex')}`, 'hex'),
      );
      const header = await sync.next(16);
      expect(header.subarray(0, 8).toString('hex')).toBe('48530700ffffff00');
      const length = Number(header.readBigUInt64BE(8));
      expect((await sync.next(length)).toString('latin1')).toMatch(/^Keysight Technologies,34461A,.*\n$/);
      // An unknown message type is a non-fatal Error (type 3), code 1.
      sync.socket.write(Buffer.from('4853630000000000' + '0000000000000000', 'hex'));
      expect((await sync.next(16)).subarray(0, 4).toString('hex')).toBe('48530301');
    } finally {
      sync.socket.destroy();
      async.socket.destroy();
    }
  });

  it('a connection that does not start with Initialize or AsyncInitialize gets a FatalError and is closed', async () => {
    const channel = await connect();
    channel.socket.write(Buffer.from('4853060000000000' + '0000000000000000', 'hex'));
    const fatal = await channel.next(16);
    expect(fatal.subarray(0, 4).toString('hex')).toBe('48530203'); // FatalError, invalid initialization
    await waitFor(() => channel.socket.closed);
  });
});

/** A raw TCP connection to the server, read by byte counts. */
async function connect(port = server.port): Promise<{ socket: Socket; next(n: number): Promise<Buffer> }> {
  const socket = createConnection({ host: server.host, port });
  await new Promise((resolve) => socket.once('connect', resolve));
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
  });
  return {
    socket,
    async next(n) {
      await waitFor(() => pending.length >= n);
      const taken = pending.subarray(0, n);
      pending = pending.subarray(n);
      return taken;
    },
  };
}
