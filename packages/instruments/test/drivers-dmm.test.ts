// Keysight 34461A multimeter against its simulator (5 V, 0.1 A and 1 kΩ at its inputs).

import { describe, expect, it } from 'vitest';
import { OutOfRangeError, ParameterError } from '../src/errors.js';
import type { MultimeterReadings } from '../src/types.js';
import { rejectsWithoutIo, settled, useBench } from './drivers-support.js';

describe('34461A', () => {
  const bench = useBench('34461A');
  const readings = async () => (await bench.driver.readings?.()) as MultimeterReadings;

  it('is identified from *IDN? and reads DC volts on autorange by default', async () => {
    expect(bench.driver.info).toMatchObject({
      model: '34461A',
      type: 'multimeter',
      manufacturer: 'Keysight',
    });
    const r = await readings();
    expect(r).toMatchObject({ function: 'VOLT:DC', range: 'AUTO', unit: 'V' });
    expect(r.value).toBeCloseTo(5, 3);
  });

  it.each([
    ['CURR:DC', 'A', 0.1],
    ['RES', 'Ω', 1000],
    ['VOLT:DC', 'V', 5],
  ] as const)('measures %s after set_function', async (fn, unit, value) => {
    await bench.driver.execute('set_function', { function: fn });
    const r = await readings();
    expect(r).toMatchObject({ function: fn, unit, range: 'AUTO' });
    expect(Math.abs((r.value ?? 0) / value - 1)).toBeLessThan(1e-4);
  });

  it('sets a manual range, reports an overload as null, and returns to AUTO', async () => {
    await bench.driver.execute('set_range', { range: 10 });
    expect(await readings()).toMatchObject({ range: 10 });
    expect(await bench.raw.query('VOLT:DC:RANG:AUTO?')).toBe('0');
    await bench.driver.execute('set_range', { range: 1 });
    expect((await readings()).value).toBeNull();
    await bench.driver.execute('set_range', { range: 'auto' });
    expect(await readings()).toMatchObject({ range: 'AUTO' });
  });

  it('reads in one message, and follows a function changed at the front panel', async () => {
    await bench.driver.execute('set_function', { function: 'VOLT:DC' });
    await readings();
    let before = bench.sim.messages();
    expect(await readings()).toMatchObject({ function: 'VOLT:DC', range: 'AUTO' });
    expect(bench.sim.messages() - before).toBe(1);
    // Someone else (the front panel, another program) selects resistance on a fixed 10 kΩ range.
    await bench.raw.write('CONF:RES');
    await bench.raw.write('RES:RANG 10000');
    expect(await bench.raw.query('*OPC?')).toBe('1');
    before = bench.sim.messages();
    const r = await readings();
    expect(r).toMatchObject({ function: 'RES', unit: 'Ω', range: 10_000 });
    expect(Math.abs((r.value ?? 0) / 1000 - 1)).toBeLessThan(1e-4);
    // The guess (DC volts) was wrong: a second message asked the range of resistance; the next reading is one.
    expect(bench.sim.messages() - before).toBe(2);
    before = bench.sim.messages();
    expect(await readings()).toMatchObject({ function: 'RES', range: 10_000 });
    expect(bench.sim.messages() - before).toBe(1);
    await bench.driver.execute('set_function', { function: 'VOLT:DC' });
  });

  it('refuses bad parameters before changing anything', async () => {
    const { driver } = bench;
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_function', { function: 'VOLT:DC;*RST' }),
      ParameterError,
    );
    await rejectsWithoutIo(driver, () => driver.execute('set_range', { range: '10;*RST' }), ParameterError);
    await rejectsWithoutIo(driver, () => driver.execute('set_range', { range: -1 }), OutOfRangeError);
    // The ceiling depends on the function, which only the meter knows: asked, then refused before any change.
    await expect(driver.execute('set_range', { range: 2000 })).rejects.toMatchObject({
      field: 'range',
      limit: 1000,
    });
    await settled(driver);
    expect(bench.sim.instrument.autorange.VOLT).toBe(true);
  });
});
