// Korad / RND KA3005P against its simulator over a real serial line (a socat pty pair), as it is wired on a
// bench: commands go out bare (no terminator) and paced, replies come back bare and fixed-width.

import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectInstrument } from '../src/connect.js';
import type { Driver } from '../src/driver.js';
import { OutOfRangeError, ParameterError } from '../src/errors.js';
import { type PowerSupplySim, type RunningSimulator, startSimulator } from '../src/sim/index.js';
import { koradSerialLink } from '../src/sim/instruments/korad.js';
import type { PowerSupplyReadings } from '../src/types.js';
import { rejectsWithoutIo } from './drivers-support.js';
import { closeSerialPort, hasSocat, openSerialPort, type PtyPair, startPtyPair } from './pty-pair.js';

if (!hasSocat) {
  console.warn('drivers-korad.test.ts: SKIPPED: install the Debian package "socat"');
}

describe.skipIf(!hasSocat)('KA3005P over a serial line (socat pty pair)', () => {
  const base = join(tmpdir(), `lablink-korad-${randomUUID()}`);
  let pty: PtyPair;
  let port: SerialPort;
  let sim: RunningSimulator<PowerSupplySim>;
  let driver: Driver;
  /** Every byte the supply received, to check what went over the line. */
  let wire = '';

  beforeAll(async () => {
    pty = startPtyPair(`${base}-host`, `${base}-psu`);
    await pty.ready;
    sim = await startSimulator('KA3005P');
    port = await openSerialPort(`${base}-psu`);
    port.on('data', (chunk: Buffer) => {
      wire += chunk.toString('latin1');
    });
    sim.serveStream(koradSerialLink(port));
    driver = await connectInstrument(`ASRL${base}-host::INSTR`, { model: 'RND 320-KA3005P' });
  });

  afterAll(async () => {
    await driver?.close();
    await closeSerialPort(port);
    await sim?.stop();
    await pty?.stop();
  });

  it('takes its identity from the named model and sends nothing to learn it', () => {
    expect(driver.identity).toEqual({
      manufacturer: 'Korad',
      model: 'KA3005P',
      serial_number: null,
      firmware_version: null,
    });
    expect(driver.info.ratings).toEqual([{ channel: 1, max_voltage: 30, max_current: 5, max_power: 150 }]);
    expect(driver.stats.commands).toBe(0);
  });

  it('sets with bare commands and reads CV, then CC, into 10 Ω', async () => {
    await driver.execute('set_voltage', { voltage: 5 });
    await driver.execute('set_current', { current: 1 });
    await driver.execute('set_output', { enabled: true });
    // Nothing answers a setting: the bytes are still on their way when the write resolves.
    await vi.waitFor(() => expect(wire).toContain('VSET1:5.00ISET1:1.000OUT1'));
    expect(wire).not.toMatch(/[\r\n]/);
    const cv = (await driver.readings?.()) as PowerSupplyReadings;
    expect(cv).toMatchObject({ voltage_set: 5, current_set: 1, output_enabled: true, in_cv_mode: true });
    expect(cv.voltage_actual).toBeCloseTo(5, 1);
    expect(cv.current_actual).toBeCloseTo(0.5, 2);
    expect(sim.instrument.channel(1)).toMatchObject({ voltageSet: 5, currentSet: 1, output: true });

    await driver.execute('set_current', { current: 0.2 });
    const cc = (await driver.readings?.()) as PowerSupplyReadings;
    expect(cc).toMatchObject({ in_cv_mode: false, in_cc_mode: true });
    expect(cc.voltage_actual).toBeCloseTo(2, 1);
  });

  it('safeState turns the output off, and readings then show neither mode', async () => {
    await driver.safeState();
    expect(sim.instrument.channel(1).output).toBe(false);
    const off = (await driver.readings?.()) as PowerSupplyReadings;
    expect(off).toMatchObject({ output_enabled: false, in_cv_mode: false, in_cc_mode: false });
    expect(await driver.execute('get_setpoints')).toEqual({ voltage: 5, current: 0.2 });
  });

  it('refuses bad parameters before sending anything, and raw queries it cannot frame', async () => {
    await rejectsWithoutIo(driver, () => driver.execute('set_voltage', { voltage: 31 }), OutOfRangeError);
    await rejectsWithoutIo(driver, () => driver.execute('set_voltage', { voltage: '5OUT1' }), ParameterError);
    await expect(driver.raw('*IDN?')).rejects.toBeInstanceOf(ParameterError);
    expect(await driver.raw('VSET1?')).toBe('05.00');
    expect(driver.rawKind('OUT1')).toBe('write');
    expect(driver.rawKind('VOUT1?')).toBe('query');
  });
});
