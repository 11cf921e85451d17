// The SCPI power supplies over real TCP: Rigol DP832, B&K 9130B, 9205B, 9206B.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../src/sim/client.js';
import { type PowerSupplySim, type RunningSimulator, startSimulator } from '../src/sim/index.js';

async function open(model: string) {
  const sim = (await startSimulator(model)) as RunningSimulator<PowerSupplySim>;
  const client = await RawClient.connect(sim.port);
  return { sim, client };
}

describe('Rigol DP832', () => {
  let sim: RunningSimulator<PowerSupplySim>;
  let psu: RawClient;
  beforeAll(async () => ({ sim, client: psu } = await open('DP832')));
  afterAll(async () => {
    psu.close();
    await sim.stop();
  });

  it('identifies itself as the DP800 guide shows', async () => {
    expect(await psu.query('*IDN?')).toMatch(/^RIGOL TECHNOLOGIES,DP832,DP8C\d{9},00\.01\.14$/);
  });

  it('starts like the original mock: outputs off, 0 V, 1 A limit', async () => {
    expect(await psu.query(':APPL? CH1')).toBe('CH1:30V/3A,0.000,1.0000');
    expect(await psu.query(':APPL? CH3')).toBe('CH3:5V/3A,0.000,1.0000');
    expect(await psu.query(':OUTP? CH2')).toBe('OFF');
    expect(Number(await psu.query(':MEAS:VOLT? CH1'))).toBeLessThan(0.01);
  });

  it('round-trips setpoints in long, short and mixed-case forms', async () => {
    psu.write(':SOURce1:VOLTage:LEVel:IMMediate:AMPLitude 12.5');
    expect(await psu.query(':SOUR1:VOLT?')).toBe('12.500');
    psu.write('sour2:curr 0.25');
    expect(await psu.query(':Source2:Current:Level?')).toBe('0.2500');
    psu.write(':APPL CH3,3.3,0.5');
    expect(await psu.query(':APPL? CH3')).toBe('CH3:5V/3A,3.300,0.5000');
    expect(await psu.query(':APPL? CH3,VOLT')).toBe('3.300');
    expect(await psu.query(':APPLY? CH3,CURRENT')).toBe('0.5000');
  });

  it('addresses channel-less commands to the selected channel', async () => {
    psu.write(':INST CH2');
    expect(await psu.query(':INST?')).toBe('CH2');
    expect(await psu.query(':INST:NSEL?')).toBe('2');
    psu.write(':VOLT 4');
    expect(await psu.query(':SOUR2:VOLT?')).toBe('4.000');
    psu.write(':INSTrument:NSELect 1');
    expect(await psu.query(':INSTrument:SELEct?;:INST:SEL?')).toBe('CH1;CH1');
  });

  it('answers several queries of a ";" chain in one reply, with the current path rule', async () => {
    expect(await psu.query(':SOUR1:VOLT 5;CURR 1;VOLT?;CURR?')).toBe('5.000;1.0000');
    expect(await psu.query(':APPL? CH1;:OUTP? CH1;:OUTP:MODE? CH1')).toBe('CH1:30V/3A,5.000,1.0000;OFF;CV');
  });

  it('goes from CV to CC on the 10 Ω load when V/R exceeds the current limit', async () => {
    psu.write(':APPL CH1,5,1;:OUTP CH1,ON');
    const [volts, amps, watts] = (await psu.query(':MEAS:ALL? CH1')).split(',').map(Number);
    expect(volts).toBeCloseTo(5, 1);
    expect(amps).toBeCloseTo(0.5, 2);
    expect(watts).toBeCloseTo(2.5, 1);
    expect(await psu.query(':OUTP:MODE? CH1')).toBe('CV');

    psu.write(':SOUR1:VOLT 15');
    expect(await psu.query(':OUTP:MODE? CH1')).toBe('CC');
    expect(Number(await psu.query(':MEAS:CURR? CH1'))).toBeCloseTo(1, 2);
    expect(Number(await psu.query(':MEAS? CH1'))).toBeCloseTo(10, 1);
    expect(Number(await psu.query(':MEAS:POWE? CH1'))).toBeCloseTo(10, 0);
  });

  it('follows the load set through the in-process API and the sim-only SIMulate:LOAD', async () => {
    psu.write(':APPL CH1,5,1;:OUTP CH1,ON');
    sim.instrument.setLoadResistance(1, 100);
    expect(Number(await psu.query(':MEAS:CURR? CH1'))).toBeCloseTo(0.05, 2);
    psu.write(':SIMulate:LOAD CH1,2');
    expect(await psu.query(':SIM:LOAD? CH1')).toBe('2');
    expect(await psu.query(':OUTP:MODE? CH1')).toBe('CC');
    psu.write(':SIM:LOAD CH1,10;:OUTP CH1,OFF');
    expect(Number(await psu.query(':MEAS:CURR? CH1'))).toBeLessThan(0.001);
  });

  it('refuses out-of-range setpoints with -222 and changes nothing', async () => {
    psu.write(':APPL CH2,10,1');
    psu.write(':SOUR2:VOLT 30.5');
    psu.write(':SOUR3:VOLT 5.1');
    psu.write(':APPL CH2,12,3.5');
    expect(await psu.query(':SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await psu.query(':SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await psu.query(':SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await psu.query(':SYST:ERR?')).toBe('0,"No error"');
    expect(await psu.query(':APPL? CH2')).toBe('CH2:30V/3A,10.000,1.0000');
    expect(await psu.query(':SOUR3:VOLT?')).toBe('3.300');
  });

  it('queues -113 for an unknown header and -224 for a bad parameter, with the ESR bits', async () => {
    psu.write('*CLS');
    psu.write(':VOLTAGEX 1');
    psu.write(':OUTP CH1,MAYBE');
    psu.write(':INST CH4');
    expect(await psu.query('SYST:ERR?')).toBe('-113,"Undefined header"');
    expect(await psu.query('SYST:ERR?')).toBe('-224,"Illegal parameter value"');
    expect(await psu.query('SYST:ERR?')).toBe('-224,"Illegal parameter value"');
    expect(await psu.query('*ESR?')).toBe(String(32 + 16));
  });

  it('overflows its 20-entry error queue with -350', async () => {
    psu.write('*CLS');
    for (let i = 0; i < 25; i++) psu.write('BOGUS');
    const errors: string[] = [];
    for (let i = 0; i < 21; i++) errors.push(await psu.query('SYST:ERR?'));
    expect(errors.slice(0, 19).every((e) => e === '-113,"Undefined header"')).toBe(true);
    expect(errors[19]).toBe('-350,"Queue overflow"');
    expect(errors[20]).toBe('0,"No error"');
  });

  it('answers the IEEE 488.2 common queries', async () => {
    expect(await psu.query('*OPC?')).toBe('1');
    expect(await psu.query('*TST?')).toBe('0');
    expect(await psu.query('SYST:VERS?')).toMatch(/^\d{4}\.\d$/);
    psu.write('*RST');
    expect(await psu.query(':APPL? CH1;:OUTP? CH1')).toBe('CH1:30V/3A,0.000,1.0000;OFF');
  });
});

describe('B&K Precision 9130B', () => {
  let sim: RunningSimulator<PowerSupplySim>;
  let psu: RawClient;
  beforeAll(async () => ({ sim, client: psu } = await open('9130B')));
  afterAll(async () => {
    psu.close();
    await sim.stop();
  });

  it('identifies itself', async () => {
    expect(await psu.query('*IDN?')).toMatch(/^B&K Precision,9130B,\w+,[\d.-]+$/);
  });

  it('acts on the channel chosen with INST:NSEL or INST[:SEL]', async () => {
    psu.write('INST:NSEL 2');
    psu.write('VOLT 12;CURR 0.5');
    expect(await psu.query('INST?')).toBe('CH2');
    expect(await psu.query('VOLT?;CURR?')).toBe('12.000;0.500');
    psu.write('INST CH3');
    psu.write('VOLTage:LEVel 4.5');
    psu.write('INSTrument:SELect FIRst');
    expect(await psu.query('INST:NSEL?')).toBe('1');
    expect(await psu.query('APP:VOLT?')).toBe('0.000,12.000,4.500');
  });

  it('sets all three channels at once with APPLy', async () => {
    psu.write('APP:VOLT 1,2,3');
    psu.write('APP:CURR 0.1,0.2,0.3');
    psu.write('APP:OUT 1,0,1');
    expect(await psu.query('APPly:VOLTage?')).toBe('1.000,2.000,3.000');
    expect(await psu.query('APP:CURR?')).toBe('0.100,0.200,0.300');
    expect(await psu.query('APP:OUT?')).toBe('1,0,1');
    const volts = (await psu.query('MEAS:VOLT:ALL?')).split(',').map(Number);
    expect(volts[0]).toBeCloseTo(1, 1);
    expect(volts[1]).toBeLessThan(0.01);
    // 3 V into 10 Ω wants 0.3 A: exactly at the 0.3 A limit, so CV still holds.
    expect(volts[2]).toBeCloseTo(3, 1);
  });

  it('measures the selected channel and turns only it on or off', async () => {
    psu.write('APP:OUT 0,0,0');
    psu.write('INST:NSEL 1;:VOLT 5;:CURR 2;:OUTP ON');
    expect(await psu.query('OUTP?')).toBe('1');
    expect(Number(await psu.query('MEAS:VOLT?'))).toBeCloseTo(5, 1);
    expect(Number(await psu.query('MEAS:CURR?'))).toBeCloseTo(0.5, 2);
    expect(await psu.query('APP:OUT?')).toBe('1,0,0');
  });

  it('refuses more than 5 V on CH3 and changes nothing', async () => {
    psu.write('APP:VOLT 1,2,3');
    psu.write('INST CH3;:VOLT 6');
    psu.write('APP:VOLT 4,5,5.5');
    expect(await psu.query('SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await psu.query('SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await psu.query('APP:VOLT?')).toBe('1.000,2.000,3.000');
  });
});

describe.each([
  ['9205B', 60, 10],
  ['9206B', 120, 5],
])('B&K Precision %s', (model, maxVolts, maxAmps) => {
  let sim: RunningSimulator<PowerSupplySim>;
  let psu: RawClient;
  beforeAll(async () => ({ sim, client: psu } = await open(model)));
  afterAll(async () => {
    psu.close();
    await sim.stop();
  });

  it('identifies itself', async () => {
    expect((await psu.query('*IDN?')).split(',').slice(0, 2)).toEqual(['B&K Precision', model]);
  });

  it(`takes setpoints up to ${maxVolts} V / ${maxAmps} A and no further`, async () => {
    psu.write(`VOLT ${maxVolts};CURR ${maxAmps}`);
    expect(await psu.query('VOLT?;CURR?')).toBe(`${maxVolts.toFixed(3)};${maxAmps.toFixed(3)}`);
    psu.write(`VOLT ${maxVolts + 1}`);
    psu.write(`CURR ${maxAmps + 0.1}`);
    expect(await psu.query('SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await psu.query('SYST:ERR?')).toBe('-222,"Data out of range"');
    expect(await psu.query('VOLT?;CURR?')).toBe(`${maxVolts.toFixed(3)};${maxAmps.toFixed(3)}`);
  });

  it('regulates CV then CC into its 10 Ω load', async () => {
    psu.write('APPL 20,1;:OUTP ON');
    expect(await psu.query('APPL?')).toBe('20.000,1.000');
    expect(Number(await psu.query('MEAS:CURR?'))).toBeCloseTo(1, 2);
    expect(Number(await psu.query('MEAS:VOLT?'))).toBeCloseTo(10, 1);
    psu.write('CURR 3');
    expect(Number(await psu.query('MEAS:VOLT?'))).toBeCloseTo(20, 1);
    expect(Number(await psu.query('MEAS:POW?'))).toBeCloseTo(40, 0);
    psu.write('OUTP OFF');
    expect(await psu.query('OUTP?')).toBe('0');
  });
});
