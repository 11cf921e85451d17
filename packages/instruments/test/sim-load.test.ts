// The Rigol DL3021/DL3021A electronic load over TCP, against its default source: 12 V behind 0.1 Ω.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../src/sim/client.js';
import { type ElectronicLoadSim, type RunningSimulator, startSimulator } from '../src/sim/index.js';

describe('Rigol DL3021A', () => {
  let sim: RunningSimulator<ElectronicLoadSim>;
  let load: RawClient;
  const reading = async () => {
    const [voltage, current, power] = (await load.query(':MEAS:VOLT?;:MEAS:CURR?;:MEAS:POW?'))
      .split(';')
      .map(Number);
    return { voltage, current, power } as { voltage: number; current: number; power: number };
  };

  beforeAll(async () => {
    sim = (await startSimulator('DL3021A')) as RunningSimulator<ElectronicLoadSim>;
    load = await RawClient.connect(sim.port);
  });
  afterAll(async () => {
    load.close();
    await sim.stop();
  });

  it('identifies itself as the DL3000 guide shows', async () => {
    expect(await load.query('*IDN?')).toMatch(/^RIGOL TECHNOLOGIES,DL3021A,DL3A\d{9},00\.01\.05\.00\.01$/);
  });

  it('starts in CC with the input off, showing the open-circuit voltage and no current', async () => {
    expect(await load.query(':SOUR:FUNC?')).toBe('CC');
    expect(await load.query(':SOUR:INP:STAT?')).toBe('0');
    const r = await reading();
    expect(r.voltage).toBeCloseTo(12, 1);
    expect(r.current).toBeLessThan(0.005);
  });

  it('takes the real function keywords in any form and rejects CC/CV with -224', async () => {
    load.write(':SOURce:FUNCtion VOLTage');
    expect(await load.query(':FUNC?')).toBe('CV');
    load.write('func res');
    expect(await load.query('FUNC?')).toBe('CR');
    load.write(':FUNC CC');
    load.write(':FUNC CV');
    expect(await load.query(':SYST:ERR?')).toBe('-224,"Illegal parameter value"');
    expect(await load.query(':SYST:ERR?')).toBe('-224,"Illegal parameter value"');
    expect(await load.query(':FUNC?')).toBe('CR');
  });

  it('round-trips every setpoint with optional nodes', async () => {
    load.write(':SOUR:CURR:LEV:IMM 2.5;:SOUR:VOLT:LEV 11;:SOUR:RES 4;:SOUR:POW 50');
    expect(await load.query(':CURR?;:VOLT:LEV:IMM?;:SOURCE:RESISTANCE?;:POW?')).toBe(
      '2.500000;11.000000;4.000000;50.000000',
    );
  });

  it('sinks the set current in CC: V = Vs − I·Rs', async () => {
    load.write(':FUNC CURR;:CURR 5;:INP ON');
    expect(await load.query(':INP?')).toBe('1');
    const r = await reading();
    expect(r.current).toBeCloseTo(5, 2);
    expect(r.voltage).toBeCloseTo(11.5, 1);
    expect(r.power).toBeCloseTo(57.5, 0);
  });

  it('holds the set voltage in CV by drawing (Vs − V)/Rs', async () => {
    load.write(':FUNC VOLT;:VOLT 11.8');
    const r = await reading();
    expect(r.voltage).toBeCloseTo(11.8, 1);
    expect(r.current).toBeCloseTo(2, 1);
  });

  it('draws Vs/(Rs + R) in CR and the smaller root of Rs·I² − Vs·I + P = 0 in CP', async () => {
    load.write(':FUNC RES;:RES 2.9');
    let r = await reading();
    expect(r.current).toBeCloseTo(4, 2);
    expect(r.voltage).toBeCloseTo(11.6, 1);
    expect(Number(await load.query(':MEAS:RES?'))).toBeCloseTo(2.9, 1);

    load.write(':FUNC POW;:POW 100');
    r = await reading();
    const expected = (12 - Math.sqrt(144 - 4 * 0.1 * 100)) / (2 * 0.1);
    expect(r.current).toBeCloseTo(expected, 2);
    expect(r.power).toBeCloseTo(100, 0);
  });

  it('never exceeds its 200 W rating', async () => {
    load.write(':FUNC CURR;:CURR 30');
    const r = await reading();
    expect(r.power).toBeLessThan(201);
    expect(r.current).toBeLessThan(30);
  });

  it('stops sinking when the input is turned off', async () => {
    load.write(':INP OFF');
    const r = await reading();
    expect(r.current).toBeLessThan(0.005);
    expect(await load.query(':MEAS:RES?')).toBe('9.9E37');
  });

  it('refuses setpoints beyond the ratings with -222 and keeps the old ones', async () => {
    load.write(':CURR 3');
    load.write(':CURR 41');
    load.write(':VOLT 151');
    load.write(':POW 201');
    load.write(':RES 0.01');
    for (let i = 0; i < 4; i++) expect(await load.query(':SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await load.query(':CURR?;:VOLT?;:POW?;:RES?')).toBe('3.000000;11.800000;100.000000;2.900000');
  });

  it('follows a source changed in process or with the sim-only SIMulate:SOURce', async () => {
    sim.instrument.setSource({ voltage: 24, resistance: 0.2 });
    expect(await load.query(':SIM:SOUR?')).toBe('24.000000,0.200000');
    load.write(':FUNC CURR;:CURR 5;:INP ON');
    expect((await reading()).voltage).toBeCloseTo(23, 1);
    load.write(':SIMulate:SOURce 5,1');
    const r = await reading();
    // 5 A is all a 5 V / 1 Ω source can give: the load takes its short-circuit current.
    expect(r.current).toBeCloseTo(5, 2);
    expect(r.voltage).toBeLessThan(0.01);
    load.write(':CURR 2');
    expect((await reading()).voltage).toBeCloseTo(3, 1);
  });

  it('returns to its power-on settings with *RST', async () => {
    load.write('*RST');
    expect(await load.query(':FUNC?;:INP?;:CURR?')).toBe('CC;0;1.000000');
  });
});

describe('Rigol DL3021', () => {
  it('is the same load under its own name', async () => {
    const sim = await startSimulator('DL3021');
    const load = await RawClient.connect(sim.port);
    expect((await load.query('*IDN?')).split(',')[1]).toBe('DL3021');
    load.close();
    await sim.stop();
  });
});
