// The driver toolkit's pure parts: SCPI number formatting and parameter validation (no instrument needed).

import { describe, expect, it } from 'vitest';
import { formatNumber, formatSteps, rigolDL3021, rigolDP832, validate } from '../src/drivers/index.js';
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
