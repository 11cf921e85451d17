// Siglent SDS1000X-E / SDS2000X Plus and Keysight InfiniiVision 1000 X / 2000 X scopes against their simulators
// over TCP. Channel 1 carries a 1 kHz, 2 Vpp sine; each family scales its samples its own way (Siglent: VDIV/OFST
// or the WAVEDESC block, signed codes; Keysight: the preamble's yincrement/yorigin/yreference), and every one
// must come out in volts at the signal's frequency.

import { describe, expect, it } from 'vitest';
import { OutOfRangeError, ParameterError } from '../src/errors.js';
import type { ScopeMeasurements, Waveform } from '../src/types.js';
import { frequencyOf, rejectsWithoutIo, settled, useBench } from './drivers-support.js';

/** Within 2 %. */
const near = (actual: number, expected: number) => expect(Math.abs(actual / expected - 1)).toBeLessThan(0.02);

describe.each([
  { model: 'SDS1104X-E', manufacturer: 'Siglent', channels: 4, messages: 7 },
  { model: 'SDS1202X-E', manufacturer: 'Siglent', channels: 2, messages: 7 },
  { model: 'SDS2104X Plus', manufacturer: 'Siglent', channels: 4, messages: 8 },
  { model: 'DSOX1204G', manufacturer: 'Keysight', channels: 4, messages: 1 },
  { model: 'DSO-X 2024A', manufacturer: 'Keysight', channels: 4, messages: 1 },
] as const)('$model', ({ model, manufacturer, channels, messages }) => {
  const bench = useBench(model);
  const scope = () => bench.sim.instrument;

  it('is identified from *IDN? and has the scope command set', () => {
    expect(bench.driver.info).toMatchObject({ model, manufacturer, type: 'oscilloscope', channels });
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

  it('returns samples in volts at the signal frequency, with the time axis of the screen', async () => {
    await bench.driver.execute('set_timebase', { scale: 5e-4 });
    await bench.driver.execute('set_channel', { channel: 1, scale: 0.5, offset: 0.25 });
    const w = (await bench.driver.execute('get_waveform', { channel: 1 })) as Waveform;
    expect(w).toMatchObject({ channel: 1, time_scale: 5e-4, voltage_scale: 0.5, voltage_offset: 0.25 });
    expect(w.num_samples).toBe(w.samples.length);
    expect(w.samples.length).toBeGreaterThan(500);
    // The record spans the screen, centred on the trigger.
    const span = w.x_increment * w.samples.length;
    expect(span).toBeCloseTo(scope().geometry.divisions * 5e-4, 6);
    expect(w.x_origin).toBeCloseTo(-span / 2, 6);
    near(frequencyOf(w), 1000);
    expect(Math.max(...w.samples) - Math.min(...w.samples)).toBeCloseTo(2, 0);
    // A sine centred on 0 V, whatever the offset that moves it on screen.
    expect(w.samples.reduce((a, b) => a + b, 0) / w.samples.length).toBeCloseTo(0, 1);

    scope().setSignal(channels, { shape: 'square', frequency: 2500, amplitude: 1 });
    await bench.driver.execute('set_channel', { channel: channels, enabled: true, scale: 0.2 });
    const last = (await bench.driver.execute('get_waveform', { channel: channels })) as Waveform;
    near(frequencyOf(last), 2500);
  });

  it('measures, with null for what cannot be measured', async () => {
    await bench.driver.execute('set_channel', { channel: 1, scale: 0.5 });
    await settled(bench.driver);
    const before = bench.sim.messages();
    const m = (await bench.driver.execute('get_measurements', { channel: 1 })) as ScopeMeasurements;
    // Keysight takes the seven in one compound message; Siglent is asked one at a time (plus the source first).
    expect(bench.sim.messages() - before).toBe(messages);
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
      probe: 10,
    });
    await bench.driver.execute('set_timebase', { scale: 1e-3, offset: 2e-4 });
    await bench.driver.execute('set_trigger', { source: 'CHAN2', level: 0.25, slope: 'NEG' });
    await settled(bench.driver);
    expect(scope().channels[1]).toMatchObject({
      display: false,
      scale: 2,
      offset: -1,
      coupling: 'AC',
      probe: 10,
    });
    expect(scope().timebase).toMatchObject({ scale: 1e-3, offset: 2e-4 });
    expect(scope().trigger).toMatchObject({ source: 2, level: 0.25, slope: 'NEG' });
    expect(await bench.raw.query('SYST:ERR?')).toMatch(/^[+]?0,/);
  });

  it('runs, stops and reports the trigger status', async () => {
    await bench.driver.execute('trigger_stop');
    expect(await bench.driver.execute('get_trigger_status')).toBe('STOP');
    await bench.driver.execute('trigger_run');
    expect(await bench.driver.execute('get_trigger_status')).not.toBe('STOP');
    await bench.driver.execute('trigger_single');
    await bench.driver.execute('force_trigger');
    expect(await bench.driver.execute('get_trigger_status')).toBe('STOP');
    await bench.driver.execute('autoscale');
    expect(await bench.raw.query('SYST:ERR?')).toMatch(/^[+]?0,/);
  });

  it('refuses bad parameters before sending anything', async () => {
    const { driver } = bench;
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_timebase', { scale: '1e-3;*RST' }),
      ParameterError,
    );
    await rejectsWithoutIo(driver, () => driver.execute('set_timebase', { scale: 1e6 }), OutOfRangeError);
    await rejectsWithoutIo(
      driver,
      () => driver.execute('get_waveform', { channel: channels + 1 }),
      OutOfRangeError,
    );
    await rejectsWithoutIo(
      driver,
      () => driver.execute('set_trigger', { source: `CHAN${channels + 1}` }),
      ParameterError,
    );
  });
});

describe('InfiniiVision details', () => {
  const bench = useBench('DSO-X 2024A');

  it('has no GND coupling, and stops after :DIGitize with the trigger state following', async () => {
    await rejectsWithoutIo(
      bench.driver,
      () => bench.driver.execute('set_channel', { channel: 1, coupling: 'GND' }),
      ParameterError,
    );
    await bench.driver.execute('trigger_run');
    expect(await bench.raw.query(':OPER:COND?')).toBe('8');
    bench.raw.send(':DIG CHAN1\n');
    expect(await bench.raw.query(':OPER:COND?')).toBe('0');
    expect(await bench.driver.execute('get_trigger_status')).toBe('STOP');
  });

  it('offsets the trace the LabLink way: offset +1 V is the centre of the screen at −1 V', async () => {
    await bench.driver.execute('set_channel', { channel: 1, scale: 0.5, offset: 1 });
    expect(Number(await bench.raw.query(':CHAN1:OFFS?'))).toBe(-1);
    const w = (await bench.driver.execute('get_waveform', { channel: 1 })) as Waveform;
    expect(w.voltage_offset).toBe(1);
    expect(Math.max(...w.samples) - Math.min(...w.samples)).toBeCloseTo(2, 0);
  });
});
