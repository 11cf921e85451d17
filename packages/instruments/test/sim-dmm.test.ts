// The Keysight 34461A multimeter over TCP, measuring its simulated input (5.0 V, 0.1 A, 1 kΩ by default).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../src/sim/client.js';
import { type MultimeterSim, type RunningSimulator, startSimulator } from '../src/sim/index.js';

describe('Keysight 34461A', () => {
  let sim: RunningSimulator<MultimeterSim>;
  let dmm: RawClient;
  beforeAll(async () => {
    sim = (await startSimulator('34461A')) as RunningSimulator<MultimeterSim>;
    dmm = await RawClient.connect(sim.port);
  });
  afterAll(async () => {
    dmm.close();
    await sim.stop();
  });

  it('identifies itself as Keysight does', async () => {
    expect(await dmm.query('*IDN?')).toMatch(/^Keysight Technologies,34461A,MY5\d{9},A\.02\.14-[\d.-]+$/);
  });

  it('reads DC volts by default, in the +d.dddddddddE+dd format', async () => {
    const reading = await dmm.query('READ?');
    expect(reading).toMatch(/^[+-]\d\.\d{8}E[+-]\d\d$/);
    expect(Number(reading)).toBeCloseTo(5, 3);
    expect(await dmm.query('FUNC?')).toBe('"VOLT"');
    expect(await dmm.query('CONF?')).toBe('"VOLT +1.000000E+01,+3.000000E-06"');
  });

  it('configures functions and ranges with CONFigure, and MEASure? reads at once', async () => {
    dmm.write('CONF:VOLT:DC 1');
    expect(await dmm.query('CONF?')).toBe('"VOLT +1.000000E+00,+3.000000E-07"');
    // 5 V on the 1 V range is an overload.
    expect(await dmm.query('READ?')).toBe('+9.90000000E+37');
    dmm.write('CONF:CURR:DC');
    expect(await dmm.query('FUNC?')).toBe('"CURR"');
    expect(Number(await dmm.query('READ?'))).toBeCloseTo(0.1, 5);
    dmm.write('CONFigure:RESistance');
    expect(Number(await dmm.query('READ?'))).toBeCloseTo(1000, 1);
    expect(await dmm.query('CONF?')).toBe('"RES +1.000000E+03,+3.000000E-04"');
    expect(Number(await dmm.query('MEAS:VOLT:DC?'))).toBeCloseTo(5, 3);
    expect(await dmm.query('FUNC?')).toBe('"VOLT"');
  });

  it('selects functions by string and ranges with [SENSe:]…:RANGe', async () => {
    dmm.write('SENS:FUNC "CURR:DC"');
    expect(await dmm.query('FUNC?')).toBe('"CURR"');
    dmm.write('FUNC "VOLT:DC"');
    dmm.write('VOLT:DC:RANG 100');
    expect(await dmm.query('VOLT:DC:RANG?;:VOLT:DC:RANG:AUTO?')).toBe('+1.00000000E+02;0');
    dmm.write('SENSe:VOLTage:DC:RANGe AUTO');
    expect(await dmm.query('VOLT:RANG:AUTO?;:VOLT:RANG?')).toBe('1;+1.00000000E+01');
    dmm.write('VOLT:RANG:AUTO OFF');
    expect(await dmm.query('VOLT:RANG:AUTO?')).toBe('0');
    dmm.write('VOLT:RANG:AUTO ON');
  });

  it('autoranges to the input set in process or with the sim-only SIMulate:INPut', async () => {
    sim.instrument.setInput(0.25);
    expect(Number(await dmm.query('READ?'))).toBeCloseTo(0.25, 5);
    expect(await dmm.query('VOLT:RANG?')).toBe('+1.00000000E+00');
    dmm.write('SIMulate:INPut 230');
    expect(Number(await dmm.query('READ?'))).toBeCloseTo(230, 2);
    dmm.write('SIM:INP 0.002,CURRent');
    expect(await dmm.query('SIM:INP? CURR')).toBe('+2.00000000E-03');
    expect(Number(await dmm.query('MEAS:CURR:DC?'))).toBeCloseTo(0.002, 6);
    sim.instrument.setInput(5);
  });

  it('queues -230 for FETCh? without a fresh reading, and prints errors with a signed zero', async () => {
    dmm.write('*CLS;CONF:VOLT:DC');
    dmm.write('FETC?');
    expect(await dmm.query('SYST:ERR?')).toBe('-230,"Data corrupt or stale"');
    expect(await dmm.query('SYST:ERR?')).toBe('+0,"No error"');
    dmm.write('INIT');
    expect(Number(await dmm.query('FETC?'))).toBeCloseTo(5, 3);
  });

  it('refuses ranges it does not have with -222', async () => {
    dmm.write('CONF:VOLT:DC 2000');
    dmm.write('VOLT:RANG 5000');
    expect(await dmm.query('SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await dmm.query('SYST:ERR?')).toBe('-222,"Data out of range"');
    dmm.write('FUNC "FREQ"');
    expect(await dmm.query('SYST:ERR?')).toBe('-224,"Illegal parameter value"');
  });
});
