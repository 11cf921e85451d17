// What every simulator shares: several connections to one instrument, fault injection, and benches.

import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from '../src/sim/client.js';
import {
  formatBench,
  type PowerSupplySim,
  type RunningSimulator,
  SIM_MODELS,
  startBench,
  startSimulator,
} from '../src/sim/index.js';

describe('connections', () => {
  let sim: RunningSimulator<PowerSupplySim>;
  beforeEach(async () => {
    sim = await startSimulator('DP832');
  });
  afterEach(() => sim.stop());

  it('share the instrument: a change through one is seen through another', async () => {
    const a = await RawClient.connect(sim.port);
    const b = await RawClient.connect(sim.port);
    a.write(':APPL CH2,7.5,0.3;:OUTP CH2,ON');
    expect(await a.query('*OPC?')).toBe('1');
    expect(await b.query(':APPL? CH2;:OUTP? CH2')).toBe('CH2:30V/3A,7.500,0.3000;ON');
    b.write('BAD:HEADER');
    expect(await a.query('SYST:ERR?')).toBe('-113,"Undefined header"');
    a.close();
    b.close();
  });

  it('each have their own input buffer and their own replies', async () => {
    const a = await RawClient.connect(sim.port);
    const b = await RawClient.connect(sim.port);
    // Interleave half-written messages: neither connection sees the other's bytes or replies.
    a.send(':INST:NSEL');
    b.send('*ID');
    a.send('? ');
    b.send('N?\n');
    a.send('\n');
    expect(await b.readUntil('\n')).toMatch(/^RIGOL TECHNOLOGIES,DP832,/);
    expect(await a.readUntil('\n')).toBe('1');
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).query(`*OPC?;:APPL? CH${(i % 3) + 1},VOLT`)),
    );
    expect(replies.every((reply) => reply === '1;0.000')).toBe(true);
    a.close();
    b.close();
  });

  it('accept CR LF as the terminator', async () => {
    const client = await RawClient.connect(sim.port);
    client.send('*IDN?\r\n:INST?\r\n');
    expect(await client.readUntil('\n')).toMatch(/^RIGOL/);
    expect(await client.readUntil('\n')).toBe('CH1');
    client.close();
  });
});

describe('faults', () => {
  let sim: RunningSimulator<PowerSupplySim>;
  beforeEach(async () => {
    sim = await startSimulator('DP832');
  });
  afterEach(() => sim.stop());

  it('delay holds every reply back until the delay has passed', async () => {
    const client = await RawClient.connect(sim.port);
    sim.faults.delay(1500);
    client.write('*IDN?');
    await expect(client.readUntil('\n', 100)).rejects.toThrow(/no reply/);
    expect(await client.readUntil('\n', 5000)).toMatch(/^RIGOL/);
    sim.faults.delay(0);
    expect(await client.query('*OPC?')).toBe('1');
    client.close();
  });

  it('dropConnections closes every connection; new ones are accepted', async () => {
    const a = await RawClient.connect(sim.port);
    const b = await RawClient.connect(sim.port);
    await sim.faults.dropConnections();
    await a.closedByPeer();
    await b.closedByPeer();
    const c = await RawClient.connect(sim.port);
    expect(await c.query('*OPC?')).toBe('1');
    c.close();
  });

  it('dropConnections with refuseNew refuses connections until clear()', async () => {
    const a = await RawClient.connect(sim.port);
    await sim.faults.dropConnections({ refuseNew: true });
    await a.closedByPeer();
    await expect(RawClient.connect(sim.port)).rejects.toThrow(/ECONNREFUSED/);
    await sim.faults.clear();
    const b = await RawClient.connect(sim.port);
    expect(await b.query('*OPC?')).toBe('1');
    b.close();
  });

  it('garbageNext corrupts exactly the next reply', async () => {
    const client = await RawClient.connect(sim.port);
    sim.faults.garbageNext();
    const garbage = await client.query('*IDN?');
    expect(garbage).not.toMatch(/RIGOL/);
    expect(await client.query('*IDN?')).toMatch(/^RIGOL/);
    client.close();
  });

  it('pushError queues an error as the instrument would', async () => {
    const client = await RawClient.connect(sim.port);
    sim.faults.pushError(-222);
    sim.faults.pushError(-300, 'Device-specific error; overheated');
    expect(Number(await client.query('*STB?')) & 4).toBe(4);
    expect(await client.query('SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await client.query('SYST:ERR?')).toBe('-300,"Device-specific error; overheated"');
    expect(await client.query('*ESR?')).toBe(String(128 + 16 + 8));
    client.close();
  });
});

describe('benches', () => {
  it('knows every model of the brief', () => {
    expect([...SIM_MODELS].sort()).toEqual(
      [
        '1685B',
        '1902B',
        '34461A',
        '9130B',
        '9205B',
        '9206B',
        'DL3021',
        'DL3021A',
        'DP832',
        'DS1054Z',
        'DS1102D',
        'DS1104Z',
        'MSO2072A',
        // Issue 17's drivers.
        'E36312A',
        'E36313A',
        'SPD3303X',
        'SPD3303X-E',
        'SDL1020X',
        'SDL1020X-E',
        'SDL1030X',
        'SDL1030X-E',
        '34465A',
        'DM3068',
        'SDS1104X-E',
        'SDS1202X-E',
        'SDS2104X Plus',
        'DSOX1204G',
        'DSO-X 2024A',
        'KA3005P',
        '2400',
        '2401',
        '2410',
        '2420',
        '2450',
      ].sort(),
    );
  });

  it('refuses an unknown model, naming the known ones', async () => {
    await expect(startSimulator('HP3478A')).rejects.toThrow(/unknown simulator model "HP3478A".*DP832/);
  });

  it('starts the default bench: one PSU, load, scope and DMM with distinct serials', async () => {
    const bench = await startBench();
    expect(bench.instruments.map((instrument) => instrument.model)).toEqual([
      'DP832',
      'DL3021A',
      'DS1104Z',
      '34461A',
    ]);
    const idns = await Promise.all(
      bench.instruments.map(async (instrument) => {
        expect(instrument.resource).toBe(`TCPIP0::127.0.0.1::${instrument.port}::SOCKET`);
        const client = await RawClient.connect(instrument.port);
        const idn = await client.query('*IDN?');
        client.close();
        return idn;
      }),
    );
    expect(new Set(idns.map((idn) => idn.split(',')[2])).size).toBe(4);
    const text = formatBench(bench);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toMatch(/^DP832 +TCPIP0::127\.0\.0\.1::\d+::SOCKET$/m);
    await bench.stop();
  });

  it('starts many instruments on OS-chosen ports, cycling through the models given', async () => {
    const bench = await startBench({ models: ['DP832', 'ds1054z'], count: 40 });
    expect(new Set(bench.instruments.map((instrument) => instrument.port)).size).toBe(40);
    expect(bench.instruments[39]?.model).toBe('DS1054Z');
    const serials = await Promise.all(
      bench.instruments.map(async (instrument) => {
        const client = await RawClient.connect(instrument.port);
        const serial = (await client.query('*IDN?')).split(',')[2];
        client.close();
        return serial;
      }),
    );
    expect(new Set(serials).size).toBe(40);
    await bench.stop();
  });

  it('takes a serial number and a port when asked', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const sim = await startSimulator('DL3021', { serial: 'DL3A204800938', port });
    expect(sim.port).toBe(port);
    const client = await RawClient.connect(port);
    expect(await client.query('*IDN?')).toBe('RIGOL TECHNOLOGIES,DL3021,DL3A204800938,00.01.05.00.01');
    client.close();
    await sim.stop();
  });
});
