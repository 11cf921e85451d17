// Keithley 2400-series SourceMeters against their simulators over TCP (a 1 kΩ device under test).

import { describe, expect, it } from 'vitest';
import { findDriver } from '../src/drivers/index.js';
import { OutOfRangeError, ParameterError } from '../src/errors.js';
import type { SmuReadings } from '../src/types.js';
import { rejectsWithoutIo, settled, useBench } from './drivers-support.js';

describe.each([
  ['2400', 210],
  ['2410', 1100],
] as const)('Keithley %s', (model, maxVoltage) => {
  const bench = useBench(model);
  const readings = async () => (await bench.driver.readings?.()) as SmuReadings;

  it('is identified from *IDN? ("MODEL 2400") as an SMU with its rating', () => {
    expect(bench.driver.info).toMatchObject({ model, type: 'smu', manufacturer: 'Keithley', channels: 1 });
    expect(bench.driver.info.ratings[0]).toMatchObject({ max_voltage: maxVoltage, max_current: 1.05 });
    expect(bench.driver.identity.model).toBe(`MODEL ${model}`);
  });

  it('sources a voltage through a resistor, then clamps at its current compliance', async () => {
    const { driver } = bench;
    await driver.execute('set_source_function', { function: 'VOLT' });
    await driver.execute('set_voltage', { voltage: 5 });
    await driver.execute('set_current_compliance', { current_compliance: 0.01 });
    expect(await readings()).toMatchObject({
      source_function: 'VOLT',
      voltage_set: 5,
      current_compliance: 0.01,
      output_enabled: false,
      voltage: 0,
      current: 0,
      in_compliance: false,
    });
    await driver.execute('set_output', { enabled: true });
    const free = await readings();
    expect(free).toMatchObject({ output_enabled: true, in_compliance: false, resistance: null });
    expect(free.voltage).toBeCloseTo(5, 3);
    expect(free.current).toBeCloseTo(0.005, 5);

    await driver.execute('set_current_compliance', { current_compliance: 0.001 });
    const clamped = await readings();
    expect(clamped.in_compliance).toBe(true);
    expect(clamped.current).toBeCloseTo(0.001, 5);
    expect(clamped.voltage).toBeCloseTo(1, 3);
  });

  it('sources a current within its voltage compliance', async () => {
    const { driver } = bench;
    await driver.execute('set_source_function', { function: 'CURR' });
    await driver.execute('set_current', { current: 0.002 });
    await driver.execute('set_voltage_compliance', { voltage_compliance: 10 });
    const r = await readings();
    expect(r).toMatchObject({ source_function: 'CURR', current_set: 0.002, voltage_compliance: 10 });
    expect(r.voltage).toBeCloseTo(2, 3);
    expect(await driver.execute('get_setpoints')).toMatchObject({ current: 0.002, voltage_compliance: 10 });
  });

  it('is made safe: the output goes off and is confirmed', async () => {
    await bench.driver.execute('set_output', { enabled: true });
    await bench.driver.safeState();
    expect(bench.sim.instrument.output).toBe(false);
    expect(await bench.raw.query(':OUTP?')).toBe('0');
  });

  it('refuses bad parameters before sending anything', async () => {
    const { driver } = bench;
    await settled(driver);
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_voltage', { voltage: maxVoltage + 1 }),
      OutOfRangeError,
    );
    await rejectsWithoutIo(driver, () => driver.execute('set_current', { current: 1e308 }), OutOfRangeError);
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_current_compliance', { current_compliance: 1e-20 }),
      OutOfRangeError,
    );
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_voltage', { voltage: Number.NaN }),
      ParameterError,
    );
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_voltage', { voltage: '5;:OUTP ON' }),
      ParameterError,
    );
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_source_function', { function: 'RES' }),
      ParameterError,
    );
    expect(await bench.raw.query('SYST:ERR?')).toMatch(/^0,/);
  });
});

it('knows the whole 2400 family by its *IDN? model field', () => {
  for (const [model, volts, amps] of [
    ['MODEL 2401', 21, 1.05],
    ['MODEL 2420', 63, 3.15],
    ['MODEL 2450', 210, 1.05],
  ] as const) {
    const info = findDriver(model)?.info;
    expect(info).toMatchObject({ type: 'smu', model: model.slice(6) });
    expect(info?.ratings[0]).toMatchObject({ max_voltage: volts, max_current: amps });
  }
});
