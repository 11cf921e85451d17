// Rigol DL3021 / DL3021A electronic loads against their simulators (a 12 V source behind 0.1 Ω).

import { describe, expect, it } from 'vitest';
import { OutOfRangeError, ParameterError, UnknownCommandError } from '../src/errors.js';
import type { ElectronicLoadReadings } from '../src/types.js';
import { rejectsWithoutIo, settled, useBench } from './drivers-support.js';

describe.each(['DL3021', 'DL3021A'] as const)('%s', (model) => {
  const bench = useBench(model);
  const readings = async () => (await bench.driver.readings?.()) as ElectronicLoadReadings;

  it('is identified from *IDN? with its 150 V / 40 A / 200 W rating', () => {
    expect(bench.driver.info).toMatchObject({ model, type: 'electronic_load', channels: 1 });
    expect(bench.driver.info.ratings).toEqual([
      { channel: 1, max_voltage: 150, max_current: 40, max_power: 200 },
    ]);
  });

  it.each([
    ['CV', 'voltage', 11, 'set_voltage'],
    ['CR', 'resistance', 10, 'set_resistance'],
    ['CP', 'power', 50, 'set_power'],
    ['CC', 'current', 2, 'set_current'],
  ] as const)(
    'mode %s is sent as the instrument keyword, with its setpoint',
    async (mode, field, value, command) => {
      await bench.driver.execute('set_mode', { mode });
      await bench.driver.execute(command, { [field]: value });
      await settled(bench.driver);
      // The load refuses CC/CV/CR/CP as keywords (-224): an empty error queue means CURR/VOLT/RES/POW went out.
      expect(await bench.raw.query('SYST:ERR?')).toMatch(/^0,/);
      expect(await bench.raw.query(':SOUR:FUNC?')).toBe(mode);
      const before = bench.sim.messages();
      expect(await readings()).toMatchObject({ mode, setpoint: value, load_enabled: false });
      // Mode, the four setpoints and the measurements in one compound message: one round trip per reading.
      expect(bench.sim.messages() - before).toBe(1);
    },
  );

  it('sinks what the mode asks once the input is on', async () => {
    await bench.driver.execute('set_mode', { mode: 'CC' });
    await bench.driver.execute('set_current', { current: 2 });
    await bench.driver.execute('set_input', { enabled: true });
    const cc = await readings();
    expect(cc).toMatchObject({ mode: 'CC', setpoint: 2, load_enabled: true });
    expect(cc.current).toBeCloseTo(2, 1);
    expect(cc.voltage).toBeCloseTo(11.8, 1);
    expect(cc.power).toBeCloseTo(23.6, 0);

    await bench.driver.execute('set_mode', { mode: 'CR' });
    await bench.driver.execute('set_resistance', { resistance: 10 });
    expect((await readings()).current).toBeCloseTo(12 / 10.1, 1);

    await bench.driver.safeState();
    expect(bench.sim.instrument.input).toBe(false);
    expect((await readings()).current).toBeCloseTo(0, 1);
  });

  it('refuses bad parameters before sending anything', async () => {
    const { driver } = bench;
    await driver.execute('set_current', { current: 1.5 });
    await settled(driver);
    const before = { ...bench.sim.instrument.setpoints, mode: bench.sim.instrument.mode };
    await rejectsWithoutIo(driver, () => driver.execute('set_mode', { mode: 'CURR;*RST' }), ParameterError);
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_current', { current: '5;*RST' }),
      ParameterError,
    );
    await rejectsWithoutIo(driver, () => driver.execute('set_current', { current: 41 }), OutOfRangeError);
    await rejectsWithoutIo(driver, () => driver.execute('set_power', { power: 201 }), OutOfRangeError);
    await rejectsWithoutIo(driver, () => driver.execute('set_voltage', { voltage: 150.5 }), OutOfRangeError);
    const zero = await rejectsWithoutIo(
      driver,
      () => driver.execute('set_resistance', { resistance: 0 }),
      OutOfRangeError,
    );
    expect(zero).toMatchObject({ field: 'resistance', bound: 'min' });
    await rejectsWithoutIo(driver, () => driver.execute('set_input', {}), ParameterError);
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_output', { enabled: false }),
      UnknownCommandError,
    );
    expect({ ...bench.sim.instrument.setpoints, mode: bench.sim.instrument.mode }).toEqual(before);
  });
});
