// Siglent SPD3303X / SPD3303X-E and Keysight E36312A / E36313A supplies against their simulators over TCP: each
// spells the channel its own way (a header node, a channel list), and reports CV/CC its own way (a hex status
// word, an operation condition register).

import { describe, expect, it } from 'vitest';
import { OutOfRangeError, ParameterError } from '../src/errors.js';
import type { PowerSupplyReadings } from '../src/types.js';
import { type ErrorClass, rejectsWithoutIo, settled, useBench } from './drivers-support.js';

describe.each([
  {
    model: 'SPD3303X',
    manufacturer: 'Siglent',
    ratings: [32, 32],
    voltageOf: (ch: number) => `CH${ch}:VOLT?`,
  },
  {
    model: 'SPD3303X-E',
    manufacturer: 'Siglent',
    ratings: [32, 32],
    voltageOf: (ch: number) => `CH${ch}:VOLT?`,
  },
  {
    model: 'E36312A',
    manufacturer: 'Keysight',
    ratings: [6, 25, 25],
    voltageOf: (ch: number) => `VOLT? (@${ch})`,
  },
  {
    model: 'E36313A',
    manufacturer: 'Keysight',
    ratings: [6, 25, 25],
    voltageOf: (ch: number) => `VOLT? (@${ch})`,
  },
] as const)('$model', ({ model, manufacturer, ratings, voltageOf }) => {
  const bench = useBench(model);
  const channels = ratings.length;
  const channel = (n: number) => bench.sim.instrument.channel(n);

  it('is identified from *IDN? with its channels and ratings', () => {
    expect(bench.driver.info).toMatchObject({ model, manufacturer, type: 'power_supply', channels });
    expect(bench.driver.info.ratings.map((r) => r.max_voltage)).toEqual(ratings);
    expect(bench.driver.identity.model).toBe(model);
  });

  it('sets each channel in its own spelling, as a second connection reads back', async () => {
    for (let ch = 1; ch <= channels; ch++) {
      await bench.driver.execute('set_voltage', { voltage: 1.5 + ch, channel: ch });
      await settled(bench.driver);
      expect(Number(await bench.raw.query(voltageOf(ch)))).toBeCloseTo(1.5 + ch, 6);
      expect(channel(ch).voltageSet).toBeCloseTo(1.5 + ch, 9);
    }
    await bench.driver.execute('set_current', { current: 0.75, channel: channels });
    await bench.driver.execute('set_output', { enabled: true, channel: channels });
    await settled(bench.driver);
    expect(channel(channels)).toMatchObject({ currentSet: 0.75, output: true });
    expect(await bench.driver.execute('get_setpoints', { channel: channels })).toEqual({
      voltage: 1.5 + channels,
      current: 0.75,
    });
    await bench.driver.safeState();
  });

  it('reads CV into 10 Ω at 5 V, CC once the limit is below 0.5 A, and neither when off', async () => {
    const ch = 2;
    await bench.driver.execute('set_voltage', { voltage: 5, channel: ch });
    await bench.driver.execute('set_current', { current: 1, channel: ch });
    await bench.driver.execute('set_output', { enabled: true, channel: ch });
    const cv = (await bench.driver.readings?.(ch)) as PowerSupplyReadings;
    expect(cv).toMatchObject({ channel: ch, voltage_set: 5, current_set: 1, output_enabled: true });
    expect(cv).toMatchObject({ in_cv_mode: true, in_cc_mode: false });
    expect(cv.voltage_actual).toBeCloseTo(5, 1);
    expect(cv.current_actual).toBeCloseTo(0.5, 2);

    await bench.driver.execute('set_current', { current: 0.2, channel: ch });
    const cc = (await bench.driver.readings?.(ch)) as PowerSupplyReadings;
    expect(cc).toMatchObject({ in_cv_mode: false, in_cc_mode: true });
    expect(cc.voltage_actual).toBeCloseTo(2, 1);

    await bench.driver.safeState();
    const off = (await bench.driver.readings?.(ch)) as PowerSupplyReadings;
    expect(off).toMatchObject({ output_enabled: false, in_cv_mode: false, in_cc_mode: false });
  });

  it('safeState turns every output off, fixed ones included', async () => {
    for (const c of bench.sim.instrument.channels) c.output = true;
    await bench.driver.safeState();
    expect(bench.sim.instrument.channels.map((c) => c.output)).toEqual(
      bench.sim.instrument.channels.map(() => false),
    );
  });

  it('refuses bad parameters before sending anything', async () => {
    const { driver } = bench;
    const before = channel(1).voltageSet;
    const bad = (params: Record<string, unknown>, type: ErrorClass = ParameterError) =>
      rejectsWithoutIo(driver, () => driver.execute('set_voltage', params), type);
    expect(await bad({ voltage: '5;*RST' })).toMatchObject({ field: 'voltage' });
    expect(await bad({ voltage: 1, channel: channels + 1 }, OutOfRangeError)).toMatchObject({
      field: 'channel',
    });
    expect(await bad({ voltage: (ratings[0] as number) + 0.1, channel: 1 }, OutOfRangeError)).toMatchObject({
      field: 'voltage',
      limit: ratings[0],
    });
    expect(channel(1).voltageSet).toBe(before);
  });
});

describe('E36312A readings in one compound query', () => {
  const bench = useBench('E36312A');

  it('costs one message, with the channel list in every query', async () => {
    await bench.driver.execute('set_voltage', { voltage: 12, channel: 3 });
    await bench.driver.execute('set_output', { enabled: true, channel: 3 });
    await settled(bench.driver);
    const before = bench.sim.messages();
    const r = (await bench.driver.readings?.(3)) as PowerSupplyReadings;
    expect(bench.sim.messages() - before).toBe(1);
    // 12 V into 10 Ω wants 1.2 A; the 1 A limit holds it in CC.
    expect(r).toMatchObject({ channel: 3, voltage_set: 12, in_cc_mode: true });
    expect(await bench.raw.query('OUTP? (@1:3)')).toBe('0,0,1');
    expect(await bench.raw.query('STAT:OPER:COND? (@3)')).toBe('1024');
  });
});
