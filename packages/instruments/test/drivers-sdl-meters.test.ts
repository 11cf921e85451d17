// Siglent SDL1000X loads, the Keysight 34465A and the Rigol DM3068 against their simulators over TCP. The loads
// sink from a 12 V source behind 0.1 Ω; the meters' leads see 5 V, 0.1 A and 1 kΩ.

import { describe, expect, it } from 'vitest';
import { OutOfRangeError, ParameterError } from '../src/errors.js';
import type { ElectronicLoadReadings, MultimeterReadings } from '../src/types.js';
import { rejectsWithoutIo, settled, useBench } from './drivers-support.js';

describe.each([
  { model: 'SDL1020X', watts: 200 },
  { model: 'SDL1020X-E', watts: 200 },
  { model: 'SDL1030X', watts: 300 },
  { model: 'SDL1030X-E', watts: 300 },
] as const)('$model', ({ model, watts }) => {
  const bench = useBench(model);
  const readings = async () => (await bench.driver.readings?.()) as ElectronicLoadReadings;

  it('is identified from *IDN? with its rating', () => {
    expect(bench.driver.info).toMatchObject({ model, manufacturer: 'Siglent', type: 'electronic_load' });
    expect(bench.driver.info.ratings).toEqual([
      { channel: 1, max_voltage: 150, max_current: 30, max_power: watts },
    ]);
  });

  it('switches modes with the function keywords and sinks what the mode asks', async () => {
    await bench.driver.execute('set_mode', { mode: 'CV' });
    await bench.driver.execute('set_voltage', { voltage: 11 });
    await settled(bench.driver);
    expect(await bench.raw.query(':SOUR:FUNC?')).toBe('VOLTAGE');
    expect(await bench.raw.query('SYST:ERR?')).toMatch(/^0,/);
    expect(await readings()).toMatchObject({ mode: 'CV', setpoint: 11, load_enabled: false });

    await bench.driver.execute('set_mode', { mode: 'CC' });
    await bench.driver.execute('set_current', { current: 2 });
    await bench.driver.execute('set_input', { enabled: true });
    const cc = await readings();
    expect(cc).toMatchObject({ mode: 'CC', setpoint: 2, load_enabled: true });
    expect(cc.current).toBeCloseTo(2, 1);
    expect(cc.voltage).toBeCloseTo(11.8, 1);

    await bench.driver.safeState();
    expect(bench.sim.instrument.input).toBe(false);
  });

  it('refuses what exceeds its rating or CR range before sending anything', async () => {
    const { driver } = bench;
    await rejectsWithoutIo(driver, () => driver.execute('set_current', { current: 31 }), OutOfRangeError);
    await rejectsWithoutIo(driver, () => driver.execute('set_power', { power: watts + 1 }), OutOfRangeError);
    const low = await rejectsWithoutIo(
      driver,
      () => driver.execute('set_resistance', { resistance: 0.02 }),
      OutOfRangeError,
    );
    expect(low).toMatchObject({ field: 'resistance', limit: 0.03 });
  });
});

describe('34465A', () => {
  const bench = useBench('34465A');

  it('is identified from *IDN? and reads like the 34461A', async () => {
    expect(bench.driver.info).toMatchObject({
      model: '34465A',
      manufacturer: 'Keysight',
      type: 'multimeter',
    });
    await bench.driver.execute('set_function', { function: 'RES' });
    const r = (await bench.driver.readings?.()) as MultimeterReadings;
    expect(r).toMatchObject({ function: 'RES', unit: 'Ω', range: 'AUTO' });
    expect(r.value).toBeCloseTo(1000, 0);
    await bench.driver.execute('set_range', { range: 100 });
    expect(await bench.driver.readings?.()).toMatchObject({ range: 100, value: null });
  });
});

describe('DM3068', () => {
  const bench = useBench('DM3068');
  const readings = async () => (await bench.driver.readings?.()) as MultimeterReadings;

  it('is identified from *IDN? and reads DC volts on autorange', async () => {
    expect(bench.driver.info).toMatchObject({ model: 'DM3068', manufacturer: 'Rigol', type: 'multimeter' });
    const r = await readings();
    expect(r).toMatchObject({ function: 'VOLT:DC', range: 'AUTO', unit: 'V' });
    expect(r.value).toBeCloseTo(5, 3);
  });

  it.each([
    ['CURR:DC', 'DCI', 'A', 0.1],
    ['RES', '2WR', 'Ω', 1000],
    ['VOLT:DC', 'DCV', 'V', 5],
  ] as const)('measures %s (%s on the wire)', async (fn, reply, unit, value) => {
    await bench.driver.execute('set_function', { function: fn });
    await settled(bench.driver);
    expect(await bench.raw.query(':FUNC?')).toBe(reply);
    const r = await readings();
    expect(r).toMatchObject({ function: fn, unit, range: 'AUTO' });
    expect(Math.abs((r.value ?? 0) / value - 1)).toBeLessThan(1e-4);
  });

  it('sets a range by index: 5 V goes to the 20 V range (index 2), 1.5 V to 2 V and overloads', async () => {
    await bench.driver.execute('set_range', { range: 5 });
    await settled(bench.driver);
    expect(await bench.raw.query(':MEAS:VOLT:DC:RANG?')).toBe('2');
    expect(await readings()).toMatchObject({ range: 20 });
    await bench.driver.execute('set_range', { range: 1.5 });
    const over = await readings();
    expect(over).toMatchObject({ range: 2, value: null });
    await bench.driver.execute('set_range', { range: 'AUTO' });
    expect((await readings()).range).toBe('AUTO');
  });

  it('refuses a range beyond the function before changing anything', async () => {
    const { driver } = bench;
    await rejectsWithoutIo(driver, () => driver.execute('set_range', { range: '2;*RST' }), ParameterError);
    await expect(driver.execute('set_range', { range: 1001 })).rejects.toMatchObject({
      field: 'range',
      limit: 1000,
    });
    await settled(driver);
    expect(await bench.raw.query(':MEAS:AUTO?')).toBe('1');
  });
});
