// SCPI power supplies (Rigol DP832, B&K 9130B, 9205B, 9206B) against their simulators over TCP.

import { describe, expect, it } from 'vitest';
import { OutOfRangeError, ParameterError, UnknownCommandError } from '../src/errors.js';
import type { PowerSupplyReadings } from '../src/types.js';
import { type ErrorClass, rejectsWithoutIo, settled, useBench } from './drivers-support.js';

describe.each([
  { model: 'DP832', channels: 3, query: (ch: number) => `:SOUR${ch}:VOLT?` },
  { model: '9130B', channels: 3, query: (ch: number) => `INST:NSEL ${ch};:VOLT?` },
  { model: '9205B', channels: 1, query: () => 'VOLT?' },
  { model: '9206B', channels: 1, query: () => 'VOLT?' },
] as const)('$model', ({ model, channels, query }) => {
  const bench = useBench(model);
  const last = channels as number;
  const channel = (n: number) => bench.sim.instrument.channel(n);

  it('is identified from *IDN? and describes its channels', () => {
    expect(bench.driver.info.model).toBe(model);
    expect(bench.driver.info.type).toBe('power_supply');
    expect(bench.driver.info.ratings).toHaveLength(channels);
    expect(bench.driver.identity.model).toBe(model);
    expect(bench.driver.commands.map((c) => c.name)).toEqual([
      'set_voltage',
      'set_current',
      'set_output',
      'get_readings',
      'get_setpoints',
    ]);
  });

  it('sets each channel, as a second connection sees', async () => {
    for (let ch = 1; ch <= last; ch++) {
      await bench.driver.execute('set_voltage', { voltage: 2.3 + ch / 10, channel: ch });
      await settled(bench.driver);
      expect(Number(await bench.raw.query(query(ch)))).toBeCloseTo(2.3 + ch / 10, 6);
    }
    await bench.driver.execute('set_current', { current: 0.25, channel: last });
    await bench.driver.execute('set_output', { enabled: true, channel: last });
    await settled(bench.driver);
    expect(channel(last).currentSet).toBe(0.25);
    expect(channel(last).output).toBe(true);
    const setpoints = (await bench.driver.execute('get_setpoints', { channel: last })) as Record<
      string,
      number
    >;
    expect(setpoints.voltage).toBeCloseTo(2.3 + last / 10, 6);
    expect(setpoints.current).toBe(0.25);
    await bench.driver.safeState();
  });

  it('reads CV into 10 Ω at 5 V (0.5 A), and CC once the current limit is below that', async () => {
    await bench.driver.execute('set_voltage', { voltage: 5 });
    await bench.driver.execute('set_current', { current: 1 });
    await bench.driver.execute('set_output', { enabled: true });
    const cv = (await bench.driver.readings?.(1)) as PowerSupplyReadings;
    expect(cv).toMatchObject({ channel: 1, voltage_set: 5, current_set: 1, output_enabled: true });
    expect(cv).toMatchObject({ in_cv_mode: true, in_cc_mode: false });
    expect(cv.voltage_actual).toBeCloseTo(5, 1);
    expect(cv.current_actual).toBeCloseTo(0.5, 2);
    expect(Date.parse(cv.timestamp)).not.toBeNaN();

    await bench.driver.execute('set_current', { current: 0.2 });
    const cc = (await bench.driver.execute('get_readings', { channel: 1 })) as PowerSupplyReadings;
    expect(cc).toMatchObject({ in_cv_mode: false, in_cc_mode: true });
    expect(cc.current_actual).toBeCloseTo(0.2, 2);
    expect(cc.voltage_actual).toBeCloseTo(2, 1);
  });

  it('safeState turns every output off', async () => {
    for (let ch = 1; ch <= last; ch++)
      await bench.driver.execute('set_output', { enabled: true, channel: ch });
    await bench.driver.safeState();
    expect(bench.sim.instrument.channels.map((c) => c.output)).toEqual(Array(channels).fill(false));
    const off = (await bench.driver.readings?.(1)) as PowerSupplyReadings;
    expect(off).toMatchObject({ output_enabled: false, in_cv_mode: false, in_cc_mode: false });
  });

  it('refuses bad parameters before sending anything', async () => {
    const { driver } = bench;
    const before = channel(1).voltageSet;
    const bad = (params: Record<string, unknown>, type: ErrorClass = ParameterError) =>
      rejectsWithoutIo(driver, () => driver.execute('set_voltage', params), type);

    expect(await bad({ voltage: '5;*RST' })).toMatchObject({ field: 'voltage' });
    expect(await bad({ voltage: '5' })).toMatchObject({ field: 'voltage' });
    expect(await bad({ voltage: 1, channel: last + 1 }, OutOfRangeError)).toMatchObject({ field: 'channel' });
    const rating = driver.info.ratings[last - 1]?.max_voltage ?? 0;
    expect(await bad({ voltage: rating + 0.1, channel: last }, OutOfRangeError)).toMatchObject({
      field: 'voltage',
      limit: rating,
    });
    const limit = driver.info.ratings[0]?.max_current ?? 0;
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_current', { current: limit * 2 }),
      OutOfRangeError,
    );
    await rejectsWithoutIo(driver, () => driver.execute('set_output', { enabled: 'yes' }), ParameterError);
    await rejectsWithoutIo(driver, () => driver.execute('set_frequency', { hz: 1 }), UnknownCommandError);
    expect(channel(1).voltageSet).toBe(before);
  });

  it('passes raw SCPI through', async () => {
    expect(await bench.driver.raw('*IDN?')).toContain(model);
    expect(await bench.driver.raw('*CLS')).toBeUndefined();
  });
});

describe('DP832 readings in one compound query', () => {
  const bench = useBench('DP832');

  it('costs one message and one reply, and reads what six queries would', async () => {
    await bench.driver.execute('set_voltage', { voltage: 4, channel: 2 });
    await bench.driver.execute('set_output', { enabled: true, channel: 2 });
    await settled(bench.driver);
    const before = bench.sim.messages();
    const r = (await bench.driver.readings?.(2)) as PowerSupplyReadings;
    expect(bench.sim.messages() - before).toBe(1);
    expect(r).toMatchObject({ channel: 2, voltage_set: 4, output_enabled: true, in_cv_mode: true });
    // The same figures, asked one by one on a second connection.
    expect(Number(await bench.raw.query(':SOUR2:VOLT?'))).toBe(r.voltage_set);
    expect(Number(await bench.raw.query(':SOUR2:CURR?'))).toBe(r.current_set);
    expect(await bench.raw.query(':OUTP:MODE? CH2')).toBe('CV');
  });
});
