// What each simulated model must answer an independent client, as its programming manual says: shared by the
// conformance suites of every interface (raw socket, VXI-11).

import type { SimModel } from '../../src/sim/index.js';

/** Per SCPI model: the *IDN? it must give, a measurement query and the shape of its answer. */
export const SCPI: Partial<Record<SimModel, { idn: RegExp; measurement: string; answer: RegExp }>> = {
  ...Object.fromEntries(
    (['2400', '2401', '2410', '2420', '2450'] as const).map((model) => [
      model,
      {
        idn: new RegExp(`^KEITHLEY INSTRUMENTS( INC\\.)?,MODEL ${model},`),
        measurement: ':SENS:CURR:PROT?',
        answer: /^\+1\.050000E-04$/,
      },
    ]),
  ),
  DP832: {
    idn: /^RIGOL TECHNOLOGIES,DP832,DP8C\d+,00\.01\.14$/,
    measurement: ':MEAS:VOLT? CH1',
    answer: /^\d+\.\d{4}$/,
  },
  '9130B': { idn: /^B&K Precision,9130B,/, measurement: 'MEAS:VOLT?', answer: /^\d+\.\d{3}$/ },
  '9205B': { idn: /^B&K Precision,9205B,/, measurement: 'MEAS:CURR?', answer: /^\d+\.\d{4}$/ },
  '9206B': { idn: /^B&K Precision,9206B,/, measurement: 'MEAS:VOLT?', answer: /^\d+\.\d{3}$/ },
  DL3021: { idn: /^RIGOL TECHNOLOGIES,DL3021,DL3A/, measurement: ':MEAS:VOLT?', answer: /^1[12]\.\d{6}$/ },
  DL3021A: { idn: /^RIGOL TECHNOLOGIES,DL3021A,DL3A/, measurement: ':MEAS:VOLT?', answer: /^1[12]\.\d{6}$/ },
  DS1054Z: {
    idn: /^RIGOL TECHNOLOGIES,DS1054Z,/,
    measurement: ':MEAS:ITEM? VPP,CHAN1',
    answer: /^2\.\d{6}e\+00$/,
  },
  DS1104Z: {
    idn: /^RIGOL TECHNOLOGIES,DS1104Z,/,
    measurement: ':MEAS:VPP? CHAN1',
    answer: /^2\.\d{6}e\+00$/,
  },
  DS1102D: {
    idn: /^Rigol Technologies,DS1102D,/,
    measurement: ':MEAS:FREQ? CHAN1',
    answer: /^\d\.\d{3}e\+0[23]$/,
  },
  MSO2072A: {
    idn: /^RIGOL TECHNOLOGIES,MSO2072A,/,
    measurement: ':MEAS:VPP? CHAN1',
    answer: /^2\.\d{6}e\+00$/,
  },
  '34461A': {
    idn: /^Keysight Technologies,34461A,MY/,
    measurement: 'MEAS:VOLT:DC?',
    answer: /^\+4\.99\d{6}E\+00$|^\+5\.00\d{6}E\+00$/,
  },
};
export const BK_SERIAL: readonly SimModel[] = ['1685B', '1902B'];
