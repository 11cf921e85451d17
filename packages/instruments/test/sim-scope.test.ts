// The Rigol oscilloscopes over TCP: DS1104Z/DS1054Z (DS1000Z), DS1102D (DS1000D), MSO2072A (MSO2000A).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../src/sim/client.js';
import { type OscilloscopeSim, type RunningSimulator, startSimulator } from '../src/sim/index.js';
import type { Signal } from '../src/sim/physics/scope.js';

interface Preamble {
  format: number;
  type: number;
  points: number;
  count: number;
  xinc: number;
  xorig: number;
  xref: number;
  yinc: number;
  yorig: number;
  yref: number;
}

async function preamble(scope: RawClient): Promise<Preamble> {
  const fields = (await scope.query(':WAV:PRE?')).split(',').map(Number);
  expect(fields).toHaveLength(10);
  const [format, type, points, count, xinc, xorig, xref, yinc, yorig, yref] = fields as number[];
  return { format, type, points, count, xinc, xorig, xref, yinc, yorig, yref } as Preamble;
}

/** Reads a BYTE waveform and converts it with the preamble, as the DS1000Z guide says. */
async function volts(scope: RawClient, pre: Preamble): Promise<number[]> {
  const data = await scope.queryBlock(':WAV:DATA?');
  expect(data.length).toBe(pre.points);
  return Array.from(data, (byte) => (byte - pre.yorig - pre.yref) * pre.yinc);
}

/** Frequency from the rising zero crossings of a record (hysteresis against noise), interpolated. */
function crossingFrequency(samples: number[], xinc: number, level = 0, hysteresis = 0.2): number {
  const times: number[] = [];
  let armed = false;
  for (let i = 1; i < samples.length; i++) {
    const v = samples[i] as number;
    if (v < level - hysteresis) armed = true;
    if (armed && v >= level) {
      let k = i;
      while (k > 0 && (samples[k - 1] as number) >= level) k--;
      const a = samples[k - 1] as number;
      const b = samples[k] as number;
      times.push((k - 1 + (level - a) / (b - a)) * xinc);
      armed = false;
    }
  }
  return (times.length - 1) / ((times.at(-1) as number) - (times[0] as number));
}

describe('Rigol DS1104Z', () => {
  let sim: RunningSimulator<OscilloscopeSim>;
  let scope: RawClient;
  beforeAll(async () => {
    sim = (await startSimulator('DS1104Z')) as RunningSimulator<OscilloscopeSim>;
    scope = await RawClient.connect(sim.port);
  });
  afterAll(async () => {
    scope.close();
    await sim.stop();
  });

  it('identifies itself as the DS1000Z guide shows', async () => {
    expect(await scope.query('*IDN?')).toMatch(/^RIGOL TECHNOLOGIES,DS1104Z,DS1ZA\d{9},00\.04\.04\.SP4$/);
  });

  it('describes a NORMal BYTE read of the 12-division screen in the 10-field preamble', async () => {
    scope.write(':WAV:SOUR CHAN1;:WAV:MODE NORM;:WAV:FORM BYTE');
    expect(await scope.query(':WAV:SOUR?;:WAV:MODE?;:WAV:FORM?')).toBe('CHAN1;NORM;BYTE');
    expect(await scope.query(':WAV:PRE?')).toMatch(
      /^0,0,1200,1,\d\.\d{6}e[+-]\d\d,-?\d\.\d{6}e[+-]\d\d,0,\d\.\d{6}e[+-]\d\d,-?\d+,127$/,
    );
    const pre = await preamble(scope);
    const timebase = Number(await scope.query(':TIM:MAIN:SCAL?'));
    expect(pre.xinc).toBeCloseTo((12 * timebase) / 1200, 12);
    expect(pre.xorig).toBeCloseTo(-6 * timebase, 12);
    expect(pre.yinc).toBeCloseTo(Number(await scope.query(':CHAN1:SCAL?')) / 25, 9);
  });

  it('sends channel 1 as a 1 kHz, 2 Vpp sine that decodes with the preamble', async () => {
    const pre = await preamble(scope);
    const samples = await volts(scope, pre);
    expect(Math.max(...samples)).toBeCloseTo(1, 0);
    expect(Math.min(...samples)).toBeCloseTo(-1, 0);
    expect(crossingFrequency(samples, pre.xinc)).toBeGreaterThan(990);
    expect(crossingFrequency(samples, pre.xinc)).toBeLessThan(1010);
  });

  it('puts the trigger point (rising edge through 0 V) at the screen centre', async () => {
    const pre = await preamble(scope);
    const samples = await volts(scope, pre);
    const centre = Math.round(-pre.xorig / pre.xinc);
    expect(Math.abs(samples[centre] as number)).toBeLessThan(0.15);
    expect((samples[centre + 20] as number) - (samples[centre - 20] as number)).toBeGreaterThan(0.5);
    expect(await scope.query(':TRIG:STAT?')).toBe('TD');
  });

  it('follows a signal set in process, the timebase and the vertical settings', async () => {
    sim.instrument.setSignal(1, { shape: 'sine', frequency: 5000, amplitude: 4 });
    scope.write(':TIM:MAIN:SCAL 0.0002;:CHAN1:SCAL 2;:CHAN1:OFFS 1');
    expect(await scope.query(':TIMebase:MAIN:SCALe?;:CHANnel1:SCALe?;:CHAN1:OFFSet?')).toBe(
      '2.000000e-04;2.000000e+00;1.000000e+00',
    );
    const pre = await preamble(scope);
    expect(pre.yorig).toBe(Math.round(1 / pre.yinc));
    const samples = await volts(scope, pre);
    // The offset moves the trace, not the decoded volts.
    expect(Math.max(...samples)).toBeCloseTo(2, 0);
    expect(crossingFrequency(samples, pre.xinc)).toBeCloseTo(5000, -2);
    expect(Number(await scope.query(':MEAS:FREQ? CHAN1'))).toBeCloseTo(5000, -2);
    scope.write(':CHAN1:OFFS 0;:CHAN1:SCAL 1;:TIM:MAIN:SCAL 0.001');
    sim.instrument.setSignal(1, { shape: 'sine', frequency: 1000, amplitude: 2 });
  });

  it('measures amplitude and timing from the samples on screen', async () => {
    scope.write(':MEAS:SOUR CHAN1');
    expect(await scope.query(':MEAS:SOUR?')).toBe('CHAN1');
    const value = async (query: string) => Number(await scope.query(query));
    expect(await value(':MEAS:VPP?')).toBeCloseTo(2, 0);
    expect(await value(':MEAS:VMAX?')).toBeCloseTo(1, 0);
    expect(await value(':MEAS:VMIN?')).toBeCloseTo(-1, 0);
    expect(Math.abs(await value(':MEAS:VAV?'))).toBeLessThan(0.05);
    expect(await value(':MEAS:VRMS?')).toBeCloseTo(Math.SQRT1_2, 1);
    expect(await value(':MEAS:FREQ?')).toBeCloseTo(1000, -1);
    expect(await value(':MEAS:PER?')).toBeCloseTo(0.001, 5);
    // Channel 2: 500 Hz, 3 Vpp square, 50 % duty.
    expect(await value(':MEASure:FREQuency? CHAN2')).toBeCloseTo(500, -1);
    expect(await value(':MEAS:PDUT? CHAN2')).toBeCloseTo(0.5, 1);
    expect(await value(':MEAS:PWID? CHAN2')).toBeCloseTo(0.001, 4);
    expect(await scope.query(':MEAS:VPP?')).toMatch(/^\d\.\d{6}e[+-]\d\d$/);
  });

  it('answers the items of one compound message from one acquisition, and a new one for the next message', async () => {
    // A noisy trace: separate acquisitions would disagree in their extremes.
    const original = { ...(sim.instrument.signals[0] as Signal) };
    sim.instrument.setSignal(1, { ...original, noise: 0.05 });
    const ask = async () =>
      (await scope.query(':MEAS:ITEM? VPP,CHAN1;:MEAS:ITEM? VMAX,CHAN1;:MEAS:ITEM? VMIN,CHAN1'))
        .split(';')
        .map(Number) as [number, number, number];
    const [vpp, vmax, vmin] = await ask();
    expect(vpp).toBeCloseTo(vmax - vmin, 5);
    const again = await ask();
    expect(again[0]).toBeCloseTo(again[1] - again[2], 5);
    expect(again).not.toEqual([vpp, vmax, vmin]);
    sim.instrument.setSignal(1, original);
  });

  it('answers the DS1000Z :MEASure:ITEM? form', async () => {
    expect(Number(await scope.query(':MEAS:ITEM? VPP,CHAN1'))).toBeCloseTo(2, 0);
    expect(Number(await scope.query(':MEAS:ITEM? FREQ,CHAN2'))).toBeCloseTo(500, -1);
    scope.write(':MEAS:ITEM BOGUS,CHAN1');
    expect(await scope.query(':SYST:ERR?')).toBe('-224,"Illegal parameter value"');
  });

  it('reports 9.9E37 for what cannot be measured', async () => {
    sim.instrument.setSignal(3, { shape: 'dc', offset: 0.5 });
    scope.write(':CHAN3:DISP ON');
    expect(await scope.query(':MEAS:FREQ? CHAN3')).toBe('9.9E37');
    expect(Number(await scope.query(':MEAS:VAVG? CHAN3'))).toBeCloseTo(0.5, 1);
    scope.write(':CHAN3:DISP OFF');
    expect(await scope.query(':MEAS:VPP? CHAN3')).toBe('9.9E37');
    expect(await scope.queryBlock(':WAV:DATA? CHAN3')).toHaveLength(0);
  });

  it('changes signals with the sim-only SIMulate:SIGNal', async () => {
    scope.write(':SIMulate:SIGNal CHAN4,SQUARE,2000,1');
    expect(await scope.query(':SIM:SIGN? CHAN4')).toBe(
      'SQUARE,2.000000e+03,1.000000e+00,0.000000e+00,2.000000e-02',
    );
    scope.write(':CHAN4:DISP 1');
    expect(Number(await scope.query(':MEAS:FREQ? CHAN4'))).toBeCloseTo(2000, -2);
  });

  it('round-trips channel and trigger settings', async () => {
    scope.write(':CHAN2:COUP AC;:CHAN2:PROB 10;:CHAN2:DISP 0');
    expect(await scope.query(':CHAN2:COUP?;:CHAN2:PROB?;:CHAN2:DISP?')).toBe('AC;1.000000e+01;0');
    scope.write(':CHAN2:COUP DC;:CHAN2:PROB 1;:CHAN2:DISP 1');
    scope.write(':TRIG:MODE EDGE;:TRIG:EDG:SOUR CHAN2;:TRIG:EDGE:LEV 0.5;:TRIG:EDG:SLOP NEG');
    expect(await scope.query(':TRIG:MODE?;:TRIG:EDG:SOUR?;:TRIG:EDG:LEV?;:TRIG:EDG:SLOP?')).toBe(
      'EDGE;CHAN2;5.000000e-01;NEG',
    );
    scope.write(':TRIG:EDG:SOUR CHAN1;:TRIG:EDG:LEV 0;:TRIG:EDG:SLOP POS');
  });

  it('queues errors for bad settings and keeps the old value', async () => {
    scope.write(':CHAN5:SCAL 1');
    scope.write(':CHAN1:SCAL 20');
    scope.write(':CHAN1:COUP XX');
    scope.write(':TIM:SCAL 100');
    expect(await scope.query(':SYST:ERR?')).toBe('-114,"Header suffix out of range"');
    expect(await scope.query(':SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await scope.query(':SYST:ERR?')).toBe('-224,"Illegal parameter value"');
    expect(await scope.query(':SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await scope.query(':CHAN1:SCAL?;:CHAN1:COUP?')).toBe('1.000000e+00;DC');
  });

  it('sends WORD (two bytes per point) and ASCii (volts in a block)', async () => {
    scope.write(':WAV:SOUR CHAN2;:WAV:FORM WORD');
    const pre = await preamble(scope);
    expect(pre.format).toBe(1);
    const words = await scope.queryBlock(':WAV:DATA?');
    expect(words.length).toBe(2 * pre.points);
    expect(words.readUInt8(1)).toBe(0);
    scope.write(':WAV:FORM ASC');
    expect(await scope.query(':WAV:FORM?')).toBe('ASC');
    const text = (await scope.queryBlock(':WAV:DATA?')).toString('latin1').split(',').map(Number);
    expect(text).toHaveLength(1200);
    expect(Math.max(...text)).toBeCloseTo(1.5, 0);
    scope.write(':WAV:SOUR CHAN1;:WAV:FORM BYTE');
  });

  it('keeps its last capture once stopped, and reads memory in RAW mode', async () => {
    scope.write(':STOP');
    expect(await scope.query(':TRIG:STAT?')).toBe('STOP');
    const first = await scope.queryBlock(':WAV:DATA?');
    sim.instrument.setSignal(1, { frequency: 3000 });
    const second = await scope.queryBlock(':WAV:DATA?');
    expect(second.equals(first)).toBe(true);
    scope.write(':WAV:MODE RAW');
    const raw = await preamble(scope);
    expect(raw.type).toBe(2);
    expect(raw.points).toBe(12000);
    expect(await scope.queryBlock(':WAV:DATA?')).toHaveLength(12000);
    scope.write(':WAV:MODE NORM;:RUN');
    const fresh = await volts(scope, await preamble(scope));
    expect(crossingFrequency(fresh, (await preamble(scope)).xinc)).toBeCloseTo(3000, -2);
    sim.instrument.setSignal(1, { frequency: 1000 });
  });

  it('captures once and stops after :SINGle', async () => {
    scope.write(':SING');
    expect(await scope.query(':TRIG:STAT?')).toBe('STOP');
    expect(await scope.query(':TRIG:SWE?')).toBe('SING');
    scope.write(':TRIG:SWE AUTO;:RUN');
    expect(await scope.query(':TRIG:STAT?')).toBe('TD');
  });

  it('waits in NORMal sweep when nothing crosses the level, and :TFORce captures anyway', async () => {
    scope.write(':TRIG:SWE NORM;:TRIG:EDG:LEV 5');
    expect(await scope.query(':TRIG:STAT?')).toBe('WAIT');
    scope.write(':TRIG:SWE SING;:TFOR');
    expect(await scope.query(':TRIG:STAT?')).toBe('STOP');
    scope.write(':TRIG:SWE AUTO;:TRIG:EDG:LEV 0;:RUN');
    expect(await scope.query(':TRIG:STAT?')).toBe('TD');
  });

  it('autoscales to show the signals on screen', async () => {
    sim.instrument.setSignal(1, { frequency: 20000, amplitude: 8 });
    scope.write(':AUT');
    expect(Number(await scope.query(':CHAN1:SCAL?'))).toBeGreaterThanOrEqual(8 / 8);
    expect(Number(await scope.query(':TIM:SCAL?'))).toBeLessThan(1e-4);
    const pre = await preamble(scope);
    const samples = await volts(scope, pre);
    expect(Math.max(...samples) - Math.min(...samples)).toBeCloseTo(8, 0);
    sim.instrument.setSignal(1, { frequency: 1000, amplitude: 2 });
    scope.write('*RST');
    expect(await scope.query(':TIM:SCAL?;:CHAN1:SCAL?')).toBe('1.000000e-03;1.000000e+00');
  });
});

describe('Rigol DS1054Z', () => {
  it('is a DS1000Z with four channels', async () => {
    const sim = await startSimulator('DS1054Z');
    const scope = await RawClient.connect(sim.port);
    expect((await scope.query('*IDN?')).split(',')[1]).toBe('DS1054Z');
    expect(await scope.query(':CHAN4:SCAL?')).toBe('1.000000e+00');
    scope.close();
    await sim.stop();
  });
});

describe('Rigol DS1102D (DS1000D dialect)', () => {
  let sim: RunningSimulator<OscilloscopeSim>;
  let scope: RawClient;
  beforeAll(async () => {
    sim = (await startSimulator('DS1102D')) as RunningSimulator<OscilloscopeSim>;
    scope = await RawClient.connect(sim.port);
  });
  afterAll(async () => {
    scope.close();
    await sim.stop();
  });

  it('identifies itself in mixed case', async () => {
    expect(await scope.query('*IDN?')).toMatch(/^Rigol Technologies,DS1102D,DS1EB\d{9},00\.04\.04$/);
  });

  it('uses :TIMebase:SCALe (no MAIN node) and rejects the DS1000Z spelling', async () => {
    scope.write(':TIM:SCAL 0.0005');
    expect(await scope.query(':TIM:SCAL?;:TIMebase:DELayed:SCALe?')).toBe('5.000e-04;5.000e-04');
    scope.write(':TIM:MAIN:SCAL 0.001');
    expect(await scope.query(':SYST:ERR?')).toBe('-113,"Undefined header"');
    scope.write(':TIM:SCAL 0.001');
  });

  it('has two channels and 600-point screen records', async () => {
    scope.write(':CHAN3:DISP 1');
    expect(await scope.query(':SYST:ERR?')).toBe('-114,"Header suffix out of range"');
    scope.write(':WAV:POIN:MODE NORM');
    const pre = await preamble(scope);
    expect(pre.points).toBe(600);
    const samples = await volts(scope, pre);
    expect(crossingFrequency(samples, pre.xinc)).toBeCloseTo(1000, -1);
    expect(await scope.queryBlock(':WAV:DATA? CHAN2')).toHaveLength(600);
  });

  it('answers the extra timing measurements with three-digit mantissas', async () => {
    const period = Number(await scope.query(':MEAS:PER? CHAN2'));
    expect(period).toBeCloseTo(0.002, 4);
    expect(await scope.query(':MEAS:VPP? CHAN2')).toMatch(/^\d\.\d{3}e[+-]\d\d$/);
    for (const item of ['RIS', 'FALL', 'PWID', 'NWID', 'DUTY', 'PDUT', 'NDUT']) {
      expect(Number(await scope.query(`:MEAS:${item}? CHAN2`)), item).toBeGreaterThan(0);
    }
    expect(Number(await scope.query(':MEAS:DUTY? CHAN2'))).toBeCloseTo(0.5, 1);
    expect(Number(await scope.query(':MEAS:RIS? CHAN1'))).toBeCloseTo(0.000295, 4);
  });

  it('takes its own :AUTO and :FORCetrig spellings', async () => {
    scope.write(':AUTO;:FORC');
    expect(await scope.query('*OPC?')).toBe('1');
    expect(await scope.query(':SYST:ERR?')).toBe('0,"No error"');
  });
});

describe('Rigol MSO2072A', () => {
  it('has a 14-division screen read as 1400 points', async () => {
    const sim = await startSimulator('MSO2072A');
    const scope = await RawClient.connect(sim.port);
    expect((await scope.query('*IDN?')).split(',').slice(0, 2)).toEqual(['RIGOL TECHNOLOGIES', 'MSO2072A']);
    const pre = await preamble(scope);
    expect(pre.points).toBe(1400);
    expect(pre.xinc).toBeCloseTo((14 * 1e-3) / 1400, 12);
    const samples = await volts(scope, pre);
    expect(crossingFrequency(samples, pre.xinc)).toBeCloseTo(1000, -1);
    scope.write(':MEAS:ITEM? VPP,CHAN1');
    expect(await scope.query(':SYST:ERR?')).toBe('-113,"Undefined header"');
    scope.close();
    await sim.stop();
  });
});
