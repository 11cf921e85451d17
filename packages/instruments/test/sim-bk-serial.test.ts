// The B&K serial-protocol supplies (1685B, 1902B): over TCP, and over a caller's stream via serveStream.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../src/sim/client.js';
import { type PowerSupplySim, type RunningSimulator, startSimulator } from '../src/sim/index.js';

/** Sends a command and returns the data lines before "OK" ('' for a bare OK). */
async function command(client: RawClient, text: string): Promise<string> {
  client.send(`${text}\r`);
  const reply = await client.readUntil('OK\r');
  return reply.replace(/\r$/, '');
}

describe('B&K 1685B (18 V / 5 A; current A×100 in setpoints, A×1000 in readings)', () => {
  let sim: RunningSimulator<PowerSupplySim>;
  let psu: RawClient;
  beforeAll(async () => {
    sim = await startSimulator('1685B');
    psu = await RawClient.connect(sim.port);
  });
  afterAll(async () => {
    psu.close();
    await sim.stop();
  });

  it('reports its maximum setpoints with GMAX', async () => {
    expect(await command(psu, 'GMAX')).toBe('180500');
  });

  it('answers a set with a bare OK and reads the setpoints back with GETS', async () => {
    expect(await command(psu, 'SESS')).toBe('');
    expect(await command(psu, 'VOLT050')).toBe('');
    expect(await command(psu, 'CURR123')).toBe('');
    expect(await command(psu, 'GETS')).toBe('050123');
  });

  it('turns the output on with SOUT0 and off with SOUT1 (inverted), GOUT 0 meaning on', async () => {
    expect(await command(psu, 'SOUT1')).toBe('');
    expect(await command(psu, 'GOUT')).toBe('1');
    expect(await command(psu, 'SOUT0')).toBe('');
    expect(await command(psu, 'GOUT')).toBe('0');
  });

  it('reads VVVVIIIIM with GETD and goes from CV to CC on the 10 Ω load', async () => {
    await command(psu, 'VOLT050');
    await command(psu, 'CURR100');
    const cv = await command(psu, 'GETD');
    expect(cv).toMatch(/^\d{9}$/);
    expect(Number(cv.slice(0, 4)) / 100).toBeCloseTo(5, 1);
    expect(Number(cv.slice(4, 8)) / 1000).toBeCloseTo(0.5, 2);
    expect(cv[8]).toBe('0');

    await command(psu, 'CURR025');
    const cc = await command(psu, 'GETD');
    expect(Number(cc.slice(0, 4)) / 100).toBeCloseTo(2.5, 1);
    expect(Number(cc.slice(4, 8)) / 1000).toBeCloseTo(0.25, 2);
    expect(cc[8]).toBe('1');
  });

  it('ignores commands beyond its rating or unknown, without a reply, changing nothing', async () => {
    await command(psu, 'VOLT050');
    psu.send('VOLT181\r');
    psu.send('CURR501\r');
    psu.send('*IDN?\r');
    expect(await command(psu, 'GETS')).toBe('050025');
  });
});

describe('B&K 1902B (60 V / 15 A; current A×10 in setpoints, A×100 in readings)', () => {
  let sim: RunningSimulator<PowerSupplySim>;
  let psu: RawClient;
  beforeAll(async () => {
    sim = await startSimulator('1902B');
    psu = await RawClient.connect(sim.port);
  });
  afterAll(async () => {
    psu.close();
    await sim.stop();
  });

  it('uses its own resolution in every reply', async () => {
    expect(await command(psu, 'GMAX')).toBe('600150');
    await command(psu, 'VOLT240');
    await command(psu, 'CURR150');
    expect(await command(psu, 'GETS')).toBe('240150');
    await command(psu, 'SOUT0');
    const reading = await command(psu, 'GETD');
    // 24 V into 10 Ω: 2.4 A, under the 15 A limit.
    expect(Number(reading.slice(0, 4)) / 100).toBeCloseTo(24, 1);
    expect(Number(reading.slice(4, 8)) / 100).toBeCloseTo(2.4, 1);
    expect(reading[8]).toBe('0');
  });

  it('accepts commands ended by CR LF as well', async () => {
    psu.send('GOUT\r\n');
    expect(await psu.readUntil('OK\r')).toBe('0\r');
  });
});

describe('serveStream', () => {
  it('serves the serial protocol on any duplex stream, sharing the instrument with TCP', async () => {
    const sim = await startSimulator('1685B');
    // A socket pair stands in for a pty: the simulator gets one end, the test talks on the other.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const serial = await RawClient.connect(port);
    const detach = sim.serveStream(await accepted);
    const tcp = await RawClient.connect(sim.port);

    await command(serial, 'VOLT123');
    expect(await command(tcp, 'GETS')).toBe('123100');
    expect(await command(serial, 'GETS')).toBe('123100');

    detach();
    serial.send('GETS\r');
    await expect(serial.readUntil('OK\r', 200)).rejects.toThrow(/no reply/);
    serial.close();
    tcp.close();
    server.close();
    await sim.stop();
  });
});
