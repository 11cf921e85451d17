// The default simulated bench is one circuit: DP832 CH1 → 50 mΩ leads → DL3021A, the 34461A across the load,
// the DS1104Z's CH1 on the supply output and CH2 on a 0.1 V/A current probe. Every setting made over SCPI (real
// TCP) moves every instrument's readings consistently.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from '../src/sim/client.js';
import { type Bench, LOAD_SATURATION_OHMS, solveLoop, startBench } from '../src/sim/index.js';

const R = 0.05;

describe('the wired default bench', () => {
  let bench: Bench;
  let psu: RawClient;
  let load: RawClient;
  let scope: RawClient;
  let dmm: RawClient;

  /** Sends the commands and waits until the instrument has handled them. */
  const set = async (client: RawClient, ...commands: string[]) => {
    for (const command of commands) client.write(command);
    expect(await client.query('*OPC?')).toBe('1');
  };
  const num = async (client: RawClient, query: string) => Number(await client.query(query));
  /** Mean of a few readings, against the instruments' noise. */
  const avg = async (client: RawClient, query: string, n = 5) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += await num(client, query);
    return sum / n;
  };
  const supply = async () => ({
    voltage: await avg(psu, ':MEAS:VOLT? CH1'),
    current: await avg(psu, ':MEAS:CURR? CH1'),
    mode: await psu.query(':OUTP:MODE? CH1'),
  });
  const loadReading = async () => ({
    voltage: await avg(load, ':MEAS:VOLT?'),
    current: await avg(load, ':MEAS:CURR?'),
    power: await avg(load, ':MEAS:POW?'),
  });
  const meter = () => avg(dmm, 'READ?', 3);

  beforeAll(async () => {
    bench = await startBench();
    const port = (model: string) => bench.instruments.find((i) => i.model === model)?.port as number;
    psu = await RawClient.connect(port('DP832'));
    load = await RawClient.connect(port('DL3021A'));
    scope = await RawClient.connect(port('DS1104Z'));
    dmm = await RawClient.connect(port('34461A'));
  });
  afterAll(async () => {
    for (const client of [psu, load, scope, dmm]) client.close();
    await bench.stop();
  });
  beforeEach(async () => {
    await set(load, ':INP OFF', ':FUNC CURR', ':CURR 0.5');
    await set(psu, ':APPL CH1,5,1', ':OUTP CH1,ON');
  });

  it('is described as data: one loop, CH1 into the load through 50 mΩ', () => {
    expect(bench.loops).toHaveLength(1);
    expect(bench.loops[0]?.wiring).toMatchObject({ supply: { channel: 1 }, leadOhms: R });
  });

  it('with the load input off the circuit is open: the supply at its setpoint, no current, all read 5 V', async () => {
    expect(await supply()).toMatchObject({ mode: 'CV' });
    expect((await supply()).current).toBeCloseTo(0, 3);
    expect(await meter()).toBeCloseTo(5, 3);
    const l = await loadReading();
    expect(l.voltage).toBeCloseTo(5, 2);
    expect(l.current).toBeCloseTo(0, 2);
  });

  it('with the supply output off every instrument reads 0 V', async () => {
    await set(load, ':INP ON');
    await set(psu, ':OUTP CH1,OFF');
    expect(await meter()).toBeCloseTo(0, 3);
    expect((await loadReading()).current).toBeCloseTo(0, 2);
    expect((await supply()).voltage).toBeCloseTo(0, 2);
  });

  it('load CC 0.5 A: the supply in CV gives 0.5 A, the load and the meter see 5 V less the lead drop', async () => {
    await set(load, ':INP ON');
    const s = await supply();
    expect(s.mode).toBe('CV');
    expect(s.voltage).toBeCloseTo(5, 2);
    expect(s.current).toBeCloseTo(0.5, 3);
    const expected = 5 - 0.5 * R; // 4.975 V
    expect(Math.abs((await meter()) - expected)).toBeLessThan(1e-3);
    const l = await loadReading();
    expect(Math.abs(l.voltage - expected)).toBeLessThan(5e-3);
    expect(l.current).toBeCloseTo(0.5, 2);
    expect(l.power).toBeCloseTo(expected * 0.5, 1);
  });

  it('setting the supply to another voltage moves the meter and the load with it', async () => {
    await set(load, ':INP ON');
    await set(psu, ':SOUR1:VOLT 12');
    expect(Math.abs((await meter()) - (12 - 0.5 * R))).toBeLessThan(1e-3);
    expect((await loadReading()).voltage).toBeCloseTo(12 - 0.5 * R, 1);
  });

  it('load CC 2 A past the 1 A limit: the supply goes CC at 1 A and the voltage collapses', async () => {
    await set(load, ':CURR 2', ':INP ON');
    const s = await supply();
    expect(s.mode).toBe('CC');
    expect(s.current).toBeCloseTo(1, 2);
    // The load cannot hold 2 A: it turns fully on (its on-resistance), so V_load = 1 A × R_sat and the supply
    // output is 1 A × (R_lead + R_sat).
    expect(s.voltage).toBeCloseTo(1 * (R + LOAD_SATURATION_OHMS), 2);
    expect(Math.abs((await meter()) - LOAD_SATURATION_OHMS)).toBeLessThan(1e-3);
    const l = await loadReading();
    expect(l.current).toBeCloseTo(1, 2);
    expect(l.voltage).toBeLessThan(0.05);
  });

  it('load CR 10 Ω: I = V / (10 Ω + R_lead)', async () => {
    await set(load, ':FUNC RES', ':RES 10', ':INP ON');
    const current = 5 / (10 + R);
    expect((await supply()).current).toBeCloseTo(current, 3);
    expect((await loadReading()).current).toBeCloseTo(current, 2);
    expect(Math.abs((await meter()) - current * 10)).toBeLessThan(1e-3);
  });

  it('load CV 4 V: the load sinks until the supply limits at 1 A and holds its 4 V', async () => {
    await set(load, ':FUNC VOLT', ':VOLT 4', ':INP ON');
    const s = await supply();
    expect(s.mode).toBe('CC');
    expect(s.current).toBeCloseTo(1, 2);
    expect(s.voltage).toBeCloseTo(4 + 1 * R, 2);
    expect(Math.abs((await meter()) - 4)).toBeLessThan(1e-3);
  });

  it('load CP 2 W: V·I = 2 W at the load, on the supply CV line', async () => {
    await set(load, ':FUNC POW', ':POW 2', ':INP ON');
    const current = (5 - Math.sqrt(25 - 4 * R * 2)) / (2 * R);
    const l = await loadReading();
    expect(l.current).toBeCloseTo(current, 2);
    expect(l.power).toBeCloseTo(2, 1);
    expect((await supply()).mode).toBe('CV');
    // 10 W cannot come through a 1 A limit at 5 V: the load runs fully on and the voltage collapses.
    await set(load, ':POW 10');
    expect((await supply()).mode).toBe('CC');
    expect(await meter()).toBeLessThan(0.05);
  });

  it('the scope: CH1 averages the supply voltage, CH2 0.1 V/A × the load current', async () => {
    await set(psu, ':APPL CH1,5,2');
    await set(load, ':CURR 1.5', ':INP ON');
    await set(scope, ':CHAN1:SCAL 0.5', ':CHAN1:OFFS -5', ':CHAN2:SCAL 0.05', ':CHAN2:OFFS -0.15', ':RUN');
    expect(await num(scope, ':MEAS:VAVG? CHAN1')).toBeCloseTo(5, 1);
    expect(Math.abs((await num(scope, ':MEAS:VAVG? CHAN2')) - 0.15)).toBeLessThan(0.01);
    // The bench's other channels keep their generated signals.
    await set(scope, ':CHAN3:DISP ON');
    expect(await num(scope, ':MEAS:FREQ? CHAN3')).toBeCloseTo(250, -1);
    await set(scope, ':CHAN3:DISP OFF');
  });

  it('a load step shows on scope CH1: a dip below the mean right after the step, then recovery', async () => {
    await set(psu, ':APPL CH1,5,2');
    await set(load, ':CURR 0.5', ':INP ON');
    // Wait for the step on CH1 falling through 4.9 V, single shot; then step the load from 0.5 A to 1.5 A.
    await set(
      scope,
      ':CHAN1:SCAL 0.2',
      ':CHAN1:OFFS -5',
      ':TRIG:EDG:SOUR CHAN1',
      ':TRIG:EDG:SLOP NEG',
      ':TRIG:EDG:LEV 4.9',
      ':TIM:MAIN:SCAL 0.0001',
      ':SING',
    );
    await set(load, ':CURR 1.5');
    expect(await scope.query(':TRIG:STAT?')).toBe('STOP');
    const vmin = await num(scope, ':MEAS:VMIN? CHAN1');
    const vavg = await num(scope, ':MEAS:VAVG? CHAN1');
    const vmax = await num(scope, ':MEAS:VMAX? CHAN1');
    // A 1 A step into 0.5 Ω of output impedance: 0.5 V down at the step, back to 5 V within the record.
    expect(vavg - vmin).toBeGreaterThan(0.3);
    expect(vmax).toBeCloseTo(5, 1);
    // The record centres the trigger: the samples before it sit at 5 V, the dip starts at the trigger.
    const pre = (await scope.query(':WAV:PRE?')).split(',').map(Number);
    await set(scope, ':WAV:SOUR CHAN1', ':WAV:MODE NORM', ':WAV:FORM BYTE');
    const data = await scope.queryBlock(':WAV:DATA?');
    const [, , points, , , , , yinc, yorig, yref] = pre as number[];
    const volts = Array.from(data, (b) => (b - (yorig as number) - (yref as number)) * (yinc as number));
    expect(volts.length).toBe(points);
    const half = Math.floor(volts.length / 2);
    expect(Math.min(...volts.slice(0, half - 5))).toBeGreaterThan(4.9);
    expect(Math.min(...volts.slice(half, half + 50))).toBeLessThan(4.8);
    await set(
      scope,
      ':TRIG:EDG:SOUR CHAN1',
      ':TRIG:EDG:SLOP POS',
      ':TRIG:EDG:LEV 0',
      ':TIM:MAIN:SCAL 0.001',
      ':RUN',
    );
  });
});

describe('the operating point', () => {
  const supply = { output: true, voltageSet: 5, currentSet: 1 };
  const load = { input: true, mode: 'CC' as const, setpoint: 0.5, maxCurrent: 40, maxPower: 200 };

  it('solves the CV/CC crossover of the supply against each load mode', () => {
    expect(solveLoop(supply, load, R)).toMatchObject({ supplyVoltage: 5, supplyMode: 'CV' });
    expect(solveLoop(supply, load, R).current).toBeCloseTo(0.5, 9);
    expect(solveLoop(supply, { ...load, input: false }, R)).toMatchObject({ current: 0, loadVoltage: 5 });
    expect(solveLoop({ ...supply, output: false }, load, R)).toMatchObject({ current: 0, loadVoltage: 0 });
    const cr = solveLoop(supply, { ...load, mode: 'CR', setpoint: 2 }, R);
    expect(cr.supplyMode).toBe('CC'); // 5 V / 2.05 Ω > 1 A
    expect(cr.current).toBeCloseTo(1, 9);
    expect(cr.loadVoltage).toBeCloseTo(2, 6);
  });

  it('keeps the load within its power rating', () => {
    const big = { output: true, voltageSet: 30, currentSet: 3 };
    const p = solveLoop(big, { ...load, setpoint: 3, maxPower: 50 }, R);
    expect(p.loadVoltage * p.current).toBeCloseTo(50, 6);
  });
});

describe('unwired', () => {
  it("startBench({ wiring: 'none' }) gives independent instruments: the meter's 5 V, the load's 12 V source", async () => {
    const bench = await startBench({ wiring: 'none' });
    try {
      expect(bench.loops).toEqual([]);
      const port = (model: string) => bench.instruments.find((i) => i.model === model)?.port as number;
      const dmm = await RawClient.connect(port('34461A'));
      const load = await RawClient.connect(port('DL3021A'));
      expect(Number(await dmm.query('READ?'))).toBeCloseTo(5, 3);
      expect(Number(await load.query(':MEAS:VOLT?'))).toBeCloseTo(12, 1);
      dmm.close();
      load.close();
    } finally {
      await bench.stop();
    }
  });

  it('refuses a wiring naming an instrument the bench lacks', async () => {
    await expect(
      startBench({
        models: ['DP832'],
        wiring: {
          loops: [
            { supply: { instrument: 'DP832', channel: 1 }, load: { instrument: 'DL3021A' }, leadOhms: 0.05 },
          ],
        },
      }),
    ).rejects.toThrow(/no DL3021A on the bench/);
  });
});
