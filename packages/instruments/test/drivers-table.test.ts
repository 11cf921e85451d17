// The driver toolkit's pure parts: SCPI number formatting and parameter validation (no instrument needed).

import { describe, expect, it } from 'vitest';
import {
  bk1685B,
  type DriverDefinition,
  type DriverSession,
  formatNumber,
  formatSteps,
  genericScpi,
  type Io,
  keysight34461A,
  rigolDL3021,
  rigolDP832,
  TableDriver,
  validate,
} from '../src/drivers/index.js';
import { OutOfRangeError, ParameterError } from '../src/errors.js';

describe('formatNumber', () => {
  it.each([
    [2.3, '2.3'],
    [0.1 + 0.2, '0.3'],
    [5, '5'],
    [0, '0'],
    [-0, '0'],
    [-1.25, '-1.25'],
    [1e-9, '1e-9'],
    [2.9999999999999996, '3'],
    [123456.789, '123456.789'],
  ])('%d → %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });
});

describe('formatSteps (BK serial protocol)', () => {
  it('rounds to the resolution instead of truncating', () => {
    expect(formatSteps(2.3, 0.1, 3)).toBe('023');
    expect(formatSteps(5, 0.1, 3)).toBe('050');
    expect(formatSteps(1.005, 0.01, 3)).toBe('101');
    expect(formatSteps(0.04, 0.1, 3)).toBe('000');
  });
});

describe('validate', () => {
  const setVoltage = rigolDP832.commands.set_voltage?.params ?? {};

  it('applies defaults and keeps valid values', () => {
    expect(validate('set_voltage', setVoltage, { voltage: 5 }, rigolDP832.info)).toEqual({
      voltage: 5,
      channel: 1,
    });
  });

  it.each([
    [{ voltage: '5;*RST' }, 'voltage'],
    [{ voltage: '5' }, 'voltage'],
    [{ voltage: Number.NaN }, 'voltage'],
    [{ voltage: Number.POSITIVE_INFINITY }, 'voltage'],
    [{}, 'voltage'],
    [{ voltage: 1, channel: 1.5 }, 'channel'],
    [{ voltage: 1, channel: '1' }, 'channel'],
    [{ voltage: 1, colour: 'red' }, 'colour'],
  ])('rejects %o naming %s', (params, field) => {
    const error = catchError(() => validate('set_voltage', setVoltage, params, rigolDP832.info));
    expect(error).toBeInstanceOf(ParameterError);
    expect(error).not.toBeInstanceOf(OutOfRangeError);
    expect((error as ParameterError).field).toBe(field);
  });

  it('checks each channel against its own rating', () => {
    expect(validate('set_voltage', setVoltage, { voltage: 30, channel: 2 }, rigolDP832.info)).toMatchObject({
      voltage: 30,
    });
    const error = catchError(() =>
      validate('set_voltage', setVoltage, { voltage: 6, channel: 3 }, rigolDP832.info),
    );
    expect(error).toBeInstanceOf(OutOfRangeError);
    expect(error).toMatchObject({ field: 'voltage', value: 6, limit: 5, bound: 'max' });
  });

  it('rejects channels the model lacks and negative setpoints', () => {
    expect(
      catchError(() => validate('set_voltage', setVoltage, { voltage: 1, channel: 4 }, rigolDP832.info)),
    ).toMatchObject({
      field: 'channel',
      limit: 3,
    });
    expect(
      catchError(() => validate('set_voltage', setVoltage, { voltage: -1 }, rigolDP832.info)),
    ).toMatchObject({
      field: 'voltage',
      bound: 'min',
    });
  });

  it('matches enums case-insensitively to their canonical spelling', () => {
    const setMode = rigolDL3021.commands.set_mode?.params ?? {};
    expect(validate('set_mode', setMode, { mode: 'cv' }, rigolDL3021.info)).toEqual({ mode: 'CV' });
    expect(
      catchError(() => validate('set_mode', setMode, { mode: 'CURR;*RST' }, rigolDL3021.info)),
    ).toBeInstanceOf(ParameterError);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('rawKind: what a raw command would do (sends nothing)', () => {
  // Classification is pure: the driver never touches its session for it.
  const driverOf = (definition: DriverDefinition) =>
    new TableDriver(
      definition,
      { manufacturer: 'x', model: 'y', serial_number: null, firmware_version: null },
      {} as DriverSession,
      {} as Io,
    );

  it('reads a query as a query, and a write, or anything chained, as a write', () => {
    const psu = driverOf(rigolDP832);
    expect(psu.rawKind('*IDN?')).toBe('query');
    expect(psu.rawKind(':MEAS:VOLT? CH1')).toBe('query');
    expect(psu.rawKind('FOO?')).toBe('query');
    expect(psu.rawKind(':OUTP CH1,ON')).toBe('write');
    expect(psu.rawKind('*IDN?;*OPC?')).toBe('write');
    expect(psu.rawKind(':MEAS:VOLT? CH1;:OUTP CH1,ON')).toBe('write');
  });

  it('treats *TST? and *CAL? as acting on every SCPI instrument, in any case', () => {
    for (const definition of [rigolDP832, rigolDL3021, keysight34461A, genericScpi]) {
      const driver = driverOf(definition);
      expect(driver.rawKind('*TST?')).toBe('acting_query');
      expect(driver.rawKind(' *cal? ')).toBe('acting_query');
      expect(driver.rawKind('*TST')).toBe('write'); // not a query at all
    }
  });

  it("applies a driver's own acting queries in short, long and optional-node forms", () => {
    const dmm = driverOf(keysight34461A);
    for (const command of [
      'CAL?',
      'CALibration?',
      ':CAL:ALL?',
      'cal:adc?',
      'TEST:ALL?',
      'R? 10',
      'DATA:REM? 5',
    ])
      expect([command, dmm.rawKind(command)]).toEqual([command, 'acting_query']);
    for (const command of ['CAL:COUN?', 'CALibration:SECure:STATe?', 'TEST?', 'DATA:POINts?', 'READ?'])
      expect([command, dmm.rawKind(command)]).toEqual([command, 'query']);
    // Another model's table does not declare them.
    expect(driverOf(rigolDP832).rawKind('CAL:ADC?')).toBe('query');
  });

  it('reads only the getters of the B&K serial protocol as queries', () => {
    const bk = driverOf(bk1685B);
    expect(bk.rawKind('GMAX')).toBe('query');
    expect(bk.rawKind('GETD')).toBe('query');
    expect(bk.rawKind('VOLT050')).toBe('write');
    expect(bk.rawKind('SOUT0')).toBe('write');
  });
});
