// B&K serial-protocol supplies (1685B, 1902B) against their simulators: over TCP, and over a real serial line
// (a socat pty pair) as they are wired on a bench.

import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInstrument } from '../src/connect.js';
import type { Driver } from '../src/driver.js';
import { OutOfRangeError, ParameterError } from '../src/errors.js';
import { type PowerSupplySim, type RunningSimulator, startSimulator } from '../src/sim/index.js';
import type { PowerSupplyReadings } from '../src/types.js';
import { rejectsWithoutIo, useBench } from './drivers-support.js';
import { closeSerialPort, hasSocat, openSerialPort, type PtyPair, startPtyPair } from './pty-pair.js';

describe.each([
  { model: '1685B', current: { value: 1.23, wire: '123' }, maxVoltage: 18 },
  { model: '1902B', current: { value: 1.23, wire: '012' }, maxVoltage: 60 },
] as const)('$model over TCP', ({ model, current, maxVoltage }) => {
  const bench = useBench(model, { named: true });
  const gets = async () => {
    bench.raw.send('GETS\r');
    return (await bench.raw.readUntil('OK\r')).trim();
  };

  it('takes its identity from the model, never asking *IDN?', () => {
    expect(bench.driver.identity).toEqual({
      manufacturer: 'B&K Precision',
      model,
      serial_number: null,
      firmware_version: null,
    });
    expect(bench.driver.info.ratings[0]?.max_voltage).toBe(maxVoltage);
    expect(bench.driver.stats.commands).toBe(0);
  });

  it('rounds setpoints to the protocol resolution: 2.3 V is VOLT023, not the original VOLT022', async () => {
    await bench.driver.execute('set_voltage', { voltage: 2.3 });
    await bench.driver.execute('set_current', { current: current.value });
    expect(await gets()).toBe(`023${current.wire}`);
    expect(bench.sim.instrument.channel(1).voltageSet).toBe(2.3);
  });

  it('switches the output with the inverted SOUT and reads CV, then CC, into 10 Ω', async () => {
    await bench.driver.execute('set_voltage', { voltage: 5 });
    await bench.driver.execute('set_current', { current: 1 });
    await bench.driver.execute('set_output', { enabled: true });
    expect(bench.sim.instrument.channel(1).output).toBe(true);
    const cv = (await bench.driver.readings?.()) as PowerSupplyReadings;
    expect(cv).toMatchObject({ voltage_set: 5, current_set: 1, output_enabled: true, in_cv_mode: true });
    expect(cv.current_actual).toBeCloseTo(0.5, 2);

    await bench.driver.execute('set_current', { current: 0.2 });
    const cc = (await bench.driver.execute('get_readings')) as PowerSupplyReadings;
    expect(cc).toMatchObject({ in_cv_mode: false, in_cc_mode: true });
    expect(cc.voltage_actual).toBeCloseTo(2, 1);

    await bench.driver.safeState();
    expect(bench.sim.instrument.channel(1).output).toBe(false);
    expect(await bench.driver.execute('get_setpoints')).toEqual({ voltage: 5, current: 0.2 });
  });

  it('refuses bad parameters before sending anything', async () => {
    const { driver } = bench;
    const before = await gets();
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_voltage', { voltage: '5;SOUT0' }),
      ParameterError,
    );
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_voltage', { voltage: maxVoltage + 1 }),
      OutOfRangeError,
    );
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_output', { enabled: true, channel: 2 }),
      OutOfRangeError,
    );
    expect(await gets()).toBe(before);
  });

  it('passes raw protocol commands through, reading up to OK', async () => {
    expect(await bench.driver.raw('GMAX')).toMatch(/^\d{6}$/);
  });
});

if (!hasSocat) {
  console.warn('drivers-bk-serial.test.ts: serial-line tests SKIPPED: install the Debian package "socat"');
}

describe.skipIf(!hasSocat)('1685B over a serial line (socat pty pair)', () => {
  const base = join(tmpdir(), `lablink-bk-${randomUUID()}`);
  let pty: PtyPair;
  let port: SerialPort;
  let sim: RunningSimulator<PowerSupplySim>;
  let driver: Driver;

  beforeAll(async () => {
    pty = startPtyPair(`${base}-host`, `${base}-psu`);
    await pty.ready;
    sim = await startSimulator('1685B');
    port = await openSerialPort(`${base}-psu`);
    sim.serveStream(port);
    driver = await connectInstrument(`ASRL${base}-host::INSTR`, { model: '1685B' });
  });

  afterAll(async () => {
    await driver?.close();
    await closeSerialPort(port);
    await sim?.stop();
    await pty?.stop();
  });

  it('sets, reads and turns off through the serial line', async () => {
    expect(driver.identity.model).toBe('1685B');
    await driver.execute('set_voltage', { voltage: 2.3 });
    await driver.execute('set_output', { enabled: true });
    const on = (await driver.readings?.()) as PowerSupplyReadings;
    expect(on).toMatchObject({ voltage_set: 2.3, output_enabled: true, in_cv_mode: true });
    expect(on.current_actual).toBeCloseTo(0.23, 2);
    await driver.safeState();
    expect(sim.instrument.channel(1)).toMatchObject({ voltageSet: 2.3, output: false });
  });
});
