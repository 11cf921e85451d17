// VXI-11 end to end on loopback: LabLink's client (ScpiSession over TCPIP::host::instN::INSTR, and the link's own
// device clear, abort, lock and remote/local) against the simulated VXI-11 host, whose portmapper answers on port
// 111 of a loopback address of its own. The portmapper is also checked call by call, as any ONC RPC client sees it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstrumentIOError, InstrumentTimeoutError } from '../src/errors.js';
import { ScpiSession } from '../src/session.js';
import { type RunningSimulator, serveVxi11, startSimulator, type Vxi11SimHost } from '../src/sim/index.js';
import {
  broadcastGetPort,
  getPort,
  IPPROTO_TCP,
  PORTMAPPER,
  RpcTcpClient,
  XdrReader,
  XdrWriter,
} from '../src/transport/oncrpc.js';
import type { MessageTransport } from '../src/transport/types.js';
import { openVxi11, VXI11, Vxi11Error } from '../src/transport/vxi11.js';

let psu: RunningSimulator;
let scope: RunningSimulator;
let host: Vxi11SimHost;

beforeAll(async () => {
  psu = await startSimulator('DP832');
  scope = await startSimulator('DS1104Z');
  host = await serveVxi11([psu, scope]);
});

afterAll(async () => {
  await host.close();
  await psu.stop();
  await scope.stop();
});

/** A raw link with a handler that collects every reply byte. */
async function openLink(device = 'inst0', options: Parameters<typeof openVxi11>[3] = {}) {
  const received: Buffer[] = [];
  const link = (await openVxi11(
    host.host,
    device,
    { data: (chunk) => received.push(chunk), closed: () => {} },
    options,
  )) as MessageTransport;
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

describe('the simulated VXI-11 host', () => {
  it('serves each instrument as instN at its own loopback address, also listed in the instrument addresses', () => {
    expect(host.host).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(host.host).not.toBe('127.0.0.1');
    expect(psu.addresses).toEqual([psu.resource, `TCPIP0::${host.host}::inst0::INSTR`]);
    expect(scope.addresses[1]).toBe(`TCPIP0::${host.host}::inst1::INSTR`);
  });

  it('answers the portmapper on TCP and UDP port 111 with the core channel port', async () => {
    expect(await getPort(host.host, VXI11.core.program, VXI11.core.version, 2000)).toBe(host.corePort);
    expect(await getPort(host.host, VXI11.abort.program, VXI11.abort.version, 2000)).toBe(host.abortPort);
    expect(await getPort(host.host, 100003, 3, 2000)).toBe(0); // NFS: not here
    const answers = await broadcastGetPort(host.host, VXI11.core.program, VXI11.core.version, 300);
    expect(answers).toEqual([{ address: host.host, port: host.corePort }]);
  });

  it('answers rpcbind GETADDR (version 4) with a universal address, as libtirpc clients ask first', async () => {
    const client = await RpcTcpClient.connect(host.host, PORTMAPPER.port, 2000);
    try {
      const args = new XdrWriter()
        .uint(VXI11.core.program)
        .uint(VXI11.core.version)
        .string('tcp')
        .string('')
        .string('')
        .bytes();
      const uaddr = new XdrReader(await client.call(PORTMAPPER.program, 4, 3, args, 2000)).string();
      expect(uaddr).toBe(`${host.host}.${host.corePort >> 8}.${host.corePort & 0xff}`);
      await expect(client.call(PORTMAPPER.program, 9, 3, args, 2000)).rejects.toThrow(/version mismatch/);
      await expect(client.call(424242, 1, 0, Buffer.alloc(0), 2000)).rejects.toThrow(/program unavailable/);
      const getport = new XdrWriter().uint(VXI11.core.program).uint(1).uint(IPPROTO_TCP).uint(0).bytes();
      expect(new XdrReader(await client.call(PORTMAPPER.program, 2, 3, getport, 2000)).uint()).toBe(
        host.corePort,
      );
    } finally {
      await client.close();
    }
  });

  it('gives a second host another address, and refuses an address whose port 111 is taken', async () => {
    const other = await serveVxi11([psu]);
    try {
      expect(other.host).not.toBe(host.host);
      await expect(serveVxi11([psu], { host: host.host })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await other.close();
      psu.addresses.splice(2);
    }
  });
});

describe('ScpiSession over VXI-11', () => {
  it('queries each instrument behind the host by its device name', async () => {
    const session = await ScpiSession.open(`TCPIP::${host.host}::inst0::INSTR`);
    const second = await ScpiSession.open(`TCPIP0::${host.host}::inst1::INSTR`);
    try {
      expect(await session.query('*IDN?')).toMatch(/^RIGOL TECHNOLOGIES,DP832,DP8C\d+,00\.01\.14$/);
      await session.write(':APPL CH1,5,1');
      await session.write(':OUTP CH1,ON');
      expect(Number(await session.query(':MEAS:VOLT? CH1'))).toBeCloseTo(5, 1);
      expect(await second.query('*IDN?')).toMatch(/^RIGOL TECHNOLOGIES,DS1104Z,/);
      await session.write(':OUTP CH1,OFF');
    } finally {
      await session.close();
      await second.close();
    }
  });

  it('reads a binary waveform block whole, line feeds inside it included', async () => {
    const session = await ScpiSession.open(`TCPIP0::${host.host}::inst1::INSTR`);
    try {
      await session.write(':WAV:SOUR CHAN1;:WAV:MODE NORM;:WAV:FORM BYTE');
      const points = Number((await session.query(':WAV:PRE?')).split(',')[2]);
      const block = await session.queryBlock(':WAV:DATA?');
      expect(block.length).toBe(points);
      expect(await session.query('*OPC?')).toBe('1');
    } finally {
      await session.close();
    }
  });

  it('after a timeout the next query gets its own answer, whether the session resyncs or reconnects', async () => {
    const session = await ScpiSession.open(`TCPIP0::${host.host}::inst0::INSTR`, {
      timeoutMs: 5000,
      reconnect: { initialDelayMs: 50 },
    });
    try {
      await session.identify(); // the probe's answer, which a resync waits for
      psu.faults.delay(1000);
      // Resync: the link is kept; the late SYST:ERR? reply is cleared away (device clear) before the probe.
      await expect(session.query('SYST:ERR?', { timeoutMs: 100, onTimeout: 'resync' })).rejects.toThrow(
        InstrumentTimeoutError,
      );
      expect(session.state).toBe('connected');
      await psu.faults.clear();
      expect(await session.query('*OPC?')).toBe('1');
      // Reconnect: the link is dropped and opened again (a new VXI-11 link).
      psu.faults.delay(1000);
      await expect(session.query('SYST:ERR?', { timeoutMs: 100 })).rejects.toThrow(InstrumentTimeoutError);
      await psu.faults.clear();
      await new Promise<void>((resolve) => {
        const off = session.onStateChange((state) => {
          if (state !== 'connected') return;
          off();
          resolve();
        });
      });
      expect(await session.query(':SOUR1:VOLT?')).toMatch(/^\d+\.\d+$/);
    } finally {
      await psu.faults.clear();
      await session.close();
    }
  });

  it('is defined by the connect address: an unknown device name is refused, a host without portmapper too', async () => {
    await expect(ScpiSession.open(`TCPIP0::${host.host}::inst7::INSTR`)).rejects.toThrow(
      /cannot open inst7 .*VXI-11 error 3 \(device not accessible\)/,
    );
    await expect(ScpiSession.open('TCPIP0::127.254.254.253::inst0::INSTR')).rejects.toThrow(
      InstrumentIOError,
    );
  });
});

describe('VXI-11 device controls', () => {
  it('device clear ends a read the instrument is not answering, and the next query gets its own answer', async () => {
    // The read's own io_timeout outlasts the test: only device_abort can end it in time.
    const { link, text, reply } = await openLink('inst0', { ioTimeoutMs: 120_000 });
    try {
      psu.faults.delay(60_000); // the reply to the next query would take a minute
      const before = psu.messages();
      await link.write(Buffer.from('*IDN?\n'), true);
      await waitFor(() => psu.messages() > before);
      await link.clear(); // device_abort on the abort channel ends the read, then device_clear
      await psu.faults.clear();
      expect(text()).toBe('');
      await link.write(Buffer.from('SYST:ERR?\n'), true);
      expect(await reply()).toMatch(/^0,/);
    } finally {
      await psu.faults.clear();
      await link.close();
    }
  });

  it('a lock held by one link refuses another until released', async () => {
    const first = await openLink('inst0');
    const second = await openLink('inst0');
    try {
      await first.link.lock();
      await expect(second.link.lock(0)).rejects.toThrow(/device locked by another link/);
      await expect(second.link.write(Buffer.from('*IDN?\n'), true)).rejects.toThrow(Vxi11Error);
      // Another instrument behind the same host is not locked.
      const other = await openLink('inst1');
      await other.link.write(Buffer.from('*IDN?\n'), true);
      expect(await other.reply()).toMatch(/DS1104Z/);
      await other.link.close();
      // Waiting for the lock: granted once the first link lets go.
      const waiting = second.link.lock(5000);
      await first.link.unlock();
      await waiting;
      await second.link.write(Buffer.from('*IDN?\n'), true);
      expect(await second.reply()).toMatch(/DP832/);
      await second.link.unlock();
      await expect(second.link.unlock()).rejects.toThrow(/no lock held by this link/);
    } finally {
      await first.link.close();
      await second.link.close();
    }
  });

  it('remote and local answer, and the status byte says when a reply waits to be read (MAV)', async () => {
    const { link } = await openLink('inst0');
    const stb = () => (link as unknown as { readStatusByte(): Promise<number> }).readStatusByte();
    try {
      await link.remote();
      await link.local();
      expect((await stb()) & 0x10).toBe(0);
      await link.write(Buffer.from('*IDN?\n'), false); // asked, not read
      let mav = 0;
      for (let i = 0; i < 100 && mav === 0; i++) {
        mav = (await stb()) & 0x10;
        if (mav === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(mav).toBe(0x10);
      await link.clear();
      expect((await stb()) & 0x10).toBe(0);
    } finally {
      await link.close();
    }
  });

  it('reports a link the host drops', async () => {
    const other = await serveVxi11([psu]);
    psu.addresses.splice(2);
    let closed: Error | null = null;
    const link = await openVxi11(other.host, 'inst0', { data: () => {}, closed: (e) => (closed = e) });
    await other.close();
    await waitFor(() => closed !== null);
    expect(closed).toBeInstanceOf(InstrumentIOError);
    await link.close();
  });
});
