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
  queryAll,
  rigolDL3021,
  rigolDP832,
  TableDriver,
  validate,
} from '../src/drivers/index.js';
import { InstrumentIOError, InstrumentTimeoutError, OutOfRangeError, ParameterError } from '../src/errors.js';

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

// Instruments that do not take IEEE 488.2 compound messages cannot be made from the simulators (they all do), so
// these stand in for them: an Io answering each query it is sent with a canned reply, or failing as told.
describe('queryAll on an instrument that does not take compound messages', () => {
  const QUERIES = [':MEAS:VOLT?', ':MEAS:CURR?'];
  /** Answers `V` and `I` to the single queries; a compound message as `compound` says. */
  function instrument(compound: 'first-only' | 'timeout') {
    const sent: string[] = [];
    let gone = false;
    const io = {
      sent,
      unplug: () => {
        gone = true;
      },
      query: async (command: string) => {
        sent.push(command);
        if (gone) throw new InstrumentTimeoutError(`no answer to ${command}`);
        if (command.includes(';')) {
          if (compound === 'timeout') throw new InstrumentTimeoutError(`no answer to ${command}`);
          return '12.5';
        }
        return command === ':MEAS:VOLT?' ? '12.5' : '0.4';
      },
      write: async () => {},
      queryBlock: async () => Buffer.alloc(0),
      queryFramed: async () => Buffer.alloc(0),
    };
    return io as typeof io & Io;
  }

  it('fails the reading answered with too few replies, then asks one at a time and never compound again', async () => {
    const io = instrument('first-only');
    await expect(queryAll(io, QUERIES, true)).rejects.toThrow(/1 answers to 2 queries/);
    expect(await queryAll(io, QUERIES, true)).toEqual(['12.5', '0.4']);
    expect(await queryAll(io, QUERIES, true)).toEqual(['12.5', '0.4']);
    expect(io.sent).toEqual([QUERIES.join(';'), ...QUERIES, ...QUERIES]);
  });

  it('after a compound message goes unanswered, one query at a time decides', async () => {
    const io = instrument('timeout');
    await expect(queryAll(io, QUERIES, true)).rejects.toBeInstanceOf(InstrumentTimeoutError);
    expect(await queryAll(io, QUERIES, true)).toEqual(['12.5', '0.4']);
    // Answered one at a time but not as one message: one at a time from then on.
    expect(await queryAll(io, QUERIES, true)).toEqual(['12.5', '0.4']);
    expect(io.sent.filter((c) => c.includes(';'))).toHaveLength(1);
  });

  it('an instrument that stopped answering altogether is asked in one message again once it is back', async () => {
    const io = instrument('first-only');
    io.unplug();
    await expect(queryAll(io, QUERIES, true)).rejects.toBeInstanceOf(InstrumentTimeoutError);
    await expect(queryAll(io, QUERIES, true)).rejects.toBeInstanceOf(InstrumentTimeoutError);
    const compoundSent = () => io.sent.filter((c) => c.includes(';')).length;
    expect(compoundSent()).toBe(1);
    await expect(queryAll(io, QUERIES, true)).rejects.toBeInstanceOf(InstrumentTimeoutError);
    expect(compoundSent()).toBe(2);
  });

  it('a link error is not taken for a refusal', async () => {
    const sent: string[] = [];
    const io = {
      query: async (command: string) => {
        sent.push(command);
        if (sent.length === 1) throw new InstrumentIOError('connection reset');
        return '1;2';
      },
    } as unknown as Io;
    await expect(queryAll(io, QUERIES, true)).rejects.toBeInstanceOf(InstrumentIOError);
    expect(await queryAll(io, QUERIES, true)).toEqual(['1', '2']);
    expect(sent).toEqual([QUERIES.join(';'), QUERIES.join(';')]);
  });
});
