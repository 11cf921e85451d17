// Rigol oscilloscopes (DS1054Z, DS1104Z, DS1102D, MSO2072A) against their simulators. Channel 1 carries a 1 kHz,
// 2 Vpp sine unless a test changes it.

import { describe, expect, it } from 'vitest';
import { InstrumentError, OutOfRangeError, ParameterError } from '../src/errors.js';
import type { ScopeMeasurements, Waveform } from '../src/types.js';
import { frequencyOf, rejectsWithoutIo, settled, useBench } from './drivers-support.js';

/** Within 2 %. */
const near = (actual: number, expected: number) => expect(Math.abs(actual / expected - 1)).toBeLessThan(0.02);

describe.each([
  { model: 'DS1054Z', channels: 4, compound: true },
  { model: 'DS1104Z', channels: 4, compound: true },
  { model: 'DS1102D', channels: 2, compound: false },
  { model: 'MSO2072A', channels: 2, compound: true },
] as const)('$model', ({ model, channels, compound }) => {
  const bench = useBench(model);
  const scope = () => bench.sim.instrument;

  it('is identified from *IDN?, has no readings and the scope command set', () => {
    expect(bench.driver.info).toMatchObject({ model, type: 'oscilloscope', channels, ratings: [] });
    expect(bench.driver.readings).toBeUndefined();
    expect(bench.driver.commands.map((c) => c.name)).toEqual([
      'set_timebase',
      'set_channel',
      'set_trigger',
      'trigger_single',
      'trigger_run',
      'trigger_stop',
      'autoscale',
      'force_trigger',
      'get_trigger_status',
      'get_measurements',
      'get_waveform',
    ]);
  });

  it('returns real samples in volts at the signal frequency, on any channel', async () => {
    await bench.driver.execute('set_timebase', { scale: 5e-4 });
    await bench.driver.execute('set_channel', { channel: 1, scale: 0.5 });
    const w = (await bench.driver.execute('get_waveform', { channel: 1 })) as Waveform;
    expect(w.channel).toBe(1);
    expect(w.num_samples).toBe(w.samples.length);
    expect(w.samples.length).toBeGreaterThan(500);
    expect(w).toMatchObject({ time_scale: 5e-4, voltage_scale: 0.5, voltage_offset: 0 });
    expect(w.sample_rate).toBeCloseTo(1 / w.x_increment, 0);
    near(frequencyOf(w), 1000);
    expect(Math.max(...w.samples) - Math.min(...w.samples)).toBeCloseTo(2, 0);

    scope().setSignal(channels, { shape: 'sine', frequency: 2500, amplitude: 1 });
    await bench.driver.execute('set_channel', { channel: channels, enabled: true, scale: 0.2 });
    await bench.driver.execute('trigger_run');
    const last = (await bench.driver.execute('get_waveform', { channel: channels })) as Waveform;
    expect(last.channel).toBe(channels);
    near(frequencyOf(last), 2500);
  });

  it('measures, with null for what cannot be measured', async () => {
    const before = bench.sim.messages();
    const m = (await bench.driver.execute('get_measurements', { channel: 1 })) as ScopeMeasurements;
    // The seven measurements in one compound message where the family takes them, else one query each.
    expect(bench.sim.messages() - before).toBe(compound ? 1 : 7);
    near(m.freq ?? 0, 1000);
    expect(m.period).toBeCloseTo(1e-3, 4);
    expect(m.vpp).toBeCloseTo(2, 0);
    scope().setSignal(2, { shape: 'dc', offset: 1 });
    await bench.driver.execute('set_channel', { channel: 2, enabled: true });
    const dc = (await bench.driver.execute('get_measurements', { channel: 2 })) as ScopeMeasurements;
    expect(dc.freq).toBeNull();
    expect(dc.vavg).toBeCloseTo(1, 1);
  });

  it('configures channel, timebase and trigger, as the instrument shows', async () => {
    await bench.driver.execute('set_channel', {
      channel: 2,
      enabled: false,
      scale: 2,
      offset: -1,
      coupling: 'AC',
    });
    await bench.driver.execute('set_timebase', { scale: 1e-3, offset: 2e-4 });
    await bench.driver.execute('set_trigger', { source: 'CHAN2', level: 0.25, slope: 'NEG' });
    await settled(bench.driver);
    expect(scope().channels[1]).toMatchObject({ display: false, scale: 2, offset: -1, coupling: 'AC' });
    expect(scope().timebase).toMatchObject({ scale: 1e-3, offset: 2e-4 });
    expect(scope().trigger).toMatchObject({ source: 2, level: 0.25, slope: 'NEG' });
    expect(Number(await bench.raw.query(':CHAN2:SCAL?'))).toBe(2);
  });

  it('runs, stops and reports the trigger status', async () => {
    await bench.driver.execute('trigger_stop');
    expect(await bench.driver.execute('get_trigger_status')).toBe('STOP');
    await bench.driver.execute('trigger_run');
    expect(await bench.driver.execute('get_trigger_status')).not.toBe('STOP');
    await bench.driver.execute('trigger_single');
    await bench.driver.execute('force_trigger');
    await bench.driver.execute('autoscale');
    expect(await bench.raw.query('SYST:ERR?')).toMatch(/^0,/);
    await bench.driver.safeState();
  });

  it('refuses bad parameters before sending anything, and a short preamble after', async () => {
    const { driver } = bench;
    const before = structuredClone(scope().channels);
    await rejectsWithoutIo(
      driver,
      () => driver.execute('get_waveform', { channel: channels + 1 }),
      OutOfRangeError,
    );
    await rejectsWithoutIo(driver, () => driver.execute('set_channel', { scale: 1 }), ParameterError);
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_channel', { channel: 1, scale: '1;*RST' }),
      ParameterError,
    );
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_channel', { channel: 1, coupling: 'DC;*RST' }),
      ParameterError,
    );
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_timebase', { scale: 1000_000 }),
      OutOfRangeError,
    );
    await rejectsWithoutIo(driver, () => driver.execute('set_trigger', { source: 'CHAN9' }), ParameterError);
    expect(scope().channels).toEqual(before);

    bench.sim.faults.garbageNext();
    await expect(driver.execute('get_waveform', { channel: 1 })).rejects.toThrow(InstrumentError);
    await expect(driver.execute('get_waveform', { channel: 1 })).resolves.toMatchObject({ channel: 1 });
  });
});
