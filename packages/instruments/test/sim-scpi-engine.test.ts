// The SCPI engine as pure logic: header patterns, parameters, the current-path rule, the error queue and the
// IEEE 488.2 status registers. The per-instrument suites check the same behaviour over TCP.

import { describe, expect, it } from 'vitest';
import { type CommandSpec, ScpiInstrument } from '../src/sim/scpi/engine.js';
import { Params } from '../src/sim/scpi/params.js';
import { compilePattern, matchHeader } from '../src/sim/scpi/pattern.js';

const identity = { manufacturer: 'ACME', model: 'X1', serial: 'SN1', firmware: '1.0' };

function instrument(commands: CommandSpec[], errorQueueSize = 20) {
  const scpi = new ScpiInstrument({ identity, commands, reset: () => {}, errorQueueSize });
  return { scpi, run: (message: string) => scpi.execute(message)?.toString('latin1') };
}

describe('header patterns', () => {
  const voltage = compilePattern('[:SOURce<n>]:VOLTage[:LEVel][:IMMediate][:AMPLitude]');

  it('accepts short and long forms in any case, with optional nodes left out', () => {
    for (const header of [
      'VOLT',
      'voltage',
      'SOUR:VOLT',
      'source:Volt:Lev:imm:ampl',
      'VOLT:AMPL',
      'SOURce:VOLTage',
    ]) {
      expect(matchHeader(voltage, header.split(':')), header).not.toBeNull();
    }
  });

  it('rejects anything between the short and the long form, and unknown nodes', () => {
    for (const header of ['VOLTA', 'VOL', 'SOUR:CURR', 'VOLT:LEV:LEV', 'LEV:VOLT']) {
      expect(matchHeader(voltage, header.split(':')), header).toBeNull();
    }
  });

  it('reports numeric suffixes by keyword', () => {
    expect(matchHeader(voltage, ['SOUR2', 'VOLT'])?.get('SOURce')).toBe(2);
    expect(matchHeader(voltage, ['VOLT'])?.get('SOURce')).toBeUndefined();
    const channel = compilePattern(':CHANnel<n>:SCALe');
    expect(matchHeader(channel, ['chan3', 'scal'])?.get('CHANnel')).toBe(3);
    expect(matchHeader(channel, ['CHANNEL12', 'SCALE'])?.get('CHANnel')).toBe(12);
  });
});

describe('parameters', () => {
  it('splits at commas outside quotes', () => {
    const params = Params.parse(' CH1, 5 , "a,b"');
    expect(params.count).toBe(3);
    expect(params.text(0)).toBe('CH1');
    expect(params.number(1)).toBe(5);
    expect(params.string(2)).toBe('a,b');
  });

  it('reads numbers with unit suffixes and MIN/MAX/DEF keywords', () => {
    expect(Params.parse('500mV').number(0)).toBeCloseTo(0.5);
    expect(Params.parse('2.5E-3').number(0)).toBeCloseTo(0.0025);
    expect(Params.parse('1 KHZ').number(0)).toBe(1000);
    expect(Params.parse('max').number(0, { keywords: { MAX: 30 } })).toBe(30);
  });

  it('throws the SCPI error a real instrument queues', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { code: number }).code;
      }
      return 0;
    };
    expect(code(() => Params.parse('').number(0))).toBe(-109);
    expect(code(() => Params.parse('abc').number(0))).toBe(-104);
    expect(code(() => Params.parse('5 furlongs').number(0))).toBe(-131);
    expect(code(() => Params.parse('31').number(0, { max: 30 }))).toBe(-222);
    expect(code(() => Params.parse('CC').keyword(0, ['CURRent', 'VOLTage']))).toBe(-224);
    expect(code(() => Params.parse('1,2').atMost(1))).toBe(-108);
    expect(code(() => Params.parse('CH4').channel(0, ['CH'], 3))).toBe(-224);
  });
});

describe('program messages', () => {
  const state = { volts: 0, amps: 0 };
  const { scpi, run } = instrument([
    {
      pattern: '[:SOURce]:VOLTage[:LEVel]',
      set: (ctx) => {
        state.volts = ctx.params.number(0, { min: 0, max: 30 });
      },
      query: () => String(state.volts),
    },
    {
      pattern: '[:SOURce]:CURRent[:LEVel]',
      set: (ctx) => {
        state.amps = ctx.params.number(0, { min: 0, max: 3 });
      },
      query: () => String(state.amps),
    },
  ]);

  it('answers *IDN? with the four identity fields', () => {
    expect(run('*IDN?')).toBe('ACME,X1,SN1,1.0');
  });

  it('joins the replies of one message with ";"', () => {
    expect(run('VOLT 5;:CURR 1;:VOLT?;:CURR?')).toBe('5;1');
  });

  it('resolves headers without a leading colon against the current path', () => {
    // After :SOUR:VOLT the path is SOUR, so CURR means :SOUR:CURR.
    expect(run(':SOUR:VOLT 7;CURR 2;VOLT?;CURR?')).toBe('7;2');
    // After :SOUR:VOLT:LEV the path is SOUR:VOLT, where CURR does not exist.
    expect(run(':SOUR:VOLT:LEV 8;CURR 0.5')).toBeUndefined();
    expect(run('SYST:ERR?')).toBe('-113,"Undefined header"');
    expect(run('VOLT?;CURR?')).toBe('8;2');
    // Common commands neither use nor change the path.
    expect(run(':SOUR:VOLT 9;*OPC;CURR?')).toBe('2');
  });

  it('abandons the rest of a message after an error, keeping what ran before it', () => {
    expect(run('VOLT 3;:VOLT 99;:CURR 0.1')).toBeUndefined();
    expect(run('VOLT?;CURR?')).toBe('3;2');
    expect(run('SYST:ERR?;:SYST:ERR?')).toBe('-222,"Data out of range";0,"No error"');
  });

  it('sets the ESR bit of each error class, and *ESR? clears it', () => {
    run('*CLS');
    run('NOPE');
    run('VOLT 100');
    expect(run('*ESR?')).toBe(String(32 + 16));
    expect(run('*ESR?')).toBe('0');
  });

  it('summarises the error queue and enabled events in *STB?', () => {
    run('*CLS');
    expect(run('*STB?')).toBe('0');
    run('NOPE');
    expect(Number(run('*STB?')) & 4).toBe(4);
    run('*ESE 32;*SRE 32');
    expect(run('*ESE?;*SRE?')).toBe('32;32');
    expect(Number(run('*STB?'))).toBe(4 + 32 + 64);
    run('*CLS;*ESE 0;*SRE 0');
    expect(run('*STB?')).toBe('0');
    expect(scpi.status.errorCount).toBe(0);
  });

  it('sets the OPC bit with *OPC and answers *OPC? with 1', () => {
    run('*CLS;*OPC');
    expect(run('*ESR?;*OPC?')).toBe('1;1');
  });

  it('replaces the newest entry with -350 when the queue overflows', () => {
    const small = instrument([], 5);
    for (let i = 0; i < 8; i++) small.run(`BAD${i}`);
    const errors = Array.from({ length: 6 }, () => small.run('SYST:ERR?'));
    expect(errors).toEqual([
      '-113,"Undefined header"',
      '-113,"Undefined header"',
      '-113,"Undefined header"',
      '-113,"Undefined header"',
      '-350,"Queue overflow"',
      '0,"No error"',
    ]);
  });

  it('treats a malformed header as a syntax error', () => {
    run('*CLS');
    run('VOLT$ 3');
    expect(run('SYST:ERR:NEXT?')).toBe('-102,"Syntax error"');
  });
});
