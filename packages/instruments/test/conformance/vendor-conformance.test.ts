// Conformance of the Siglent, Keysight (E36300, 34465A, InfiniiVision), Rigol DM3068 and Korad simulators with an
// independent client: Debian's pyvisa-py opens each as TCPIP0::127.0.0.1::<port>::SOCKET and must get the answers
// their programming manuals give, waveforms included (decoded here the way each manual says). Skipped, with a
// notice, when pyvisa-py is not installed.

import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, type SimModel, startSimulator } from '../../src/sim/index.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pyvisa_vendor_conformance.py', import.meta.url));
const available = spawnSync(PYTHON, ['-c', 'import pyvisa, pyvisa_py']).status === 0;
if (!available) {
  console.warn(
    `SKIPPED vendor simulator conformance: pyvisa-py not found for ${PYTHON}. ` +
      'Install the Debian packages python3-pyvisa python3-pyvisa-py.',
  );
}

const KEYSIGHT_NUMBER = String.raw`[+-]\d\.\d{8}E[+-]\d{2}`;

/** Per SCPI model: its *IDN?, and queries with the shape of their answers. */
const SCPI: Array<{ model: SimModel; idn: RegExp; queries: Array<[string, RegExp]> }> = [
  {
    model: 'SPD3303X',
    idn: /^Siglent Technologies,SPD3303X,SPD3\w+,[\d.]+\w*,V[\d.]+$/,
    queries: [
      ['CH1:VOLT?', /^0\.000$/],
      ['MEAS:CURR? CH1', /^\d\.\d{3}$/],
      ['SYST:STAT?', /^0x[0-9a-f]{4}$/],
    ],
  },
  {
    model: 'SPD3303X-E',
    idn: /^Siglent Technologies,SPD3303X-E,/,
    queries: [['MEAS:VOLT? CH2', /^\d\.\d{3}$/]],
  },
  {
    model: 'E36312A',
    idn: /^Keysight Technologies,E36312A,MY\d+,/,
    queries: [
      ['MEAS:VOLT? (@1:3)', new RegExp(`^${KEYSIGHT_NUMBER}(,${KEYSIGHT_NUMBER}){2}$`)],
      ['OUTP? (@1,2)', /^0,0$/],
      ['STAT:OPER:COND? (@1)', /^0$/],
    ],
  },
  {
    model: 'E36313A',
    idn: /^Keysight Technologies,E36313A,/,
    queries: [['CURR? (@1)', /^\+1\.00000000E\+00$/]],
  },
  ...(['SDL1020X', 'SDL1020X-E', 'SDL1030X', 'SDL1030X-E'] as const).map((model) => ({
    model,
    idn: new RegExp(`^Siglent Technologies,${model},SDL`),
    queries: [
      [':MEAS:VOLT?', /^1[12]\.\d{4}$/],
      [':SOUR:FUNC?', /^CURRENT$/],
      [':SOUR:CURR:LEV:IMM?', /^1\.000$/],
    ] as Array<[string, RegExp]>,
  })),
  {
    model: '34465A',
    idn: /^Keysight Technologies,34465A,MY/,
    queries: [['MEAS:VOLT:DC?', /^\+(4\.99|5\.00)\d{6}E\+00$/]],
  },
  {
    model: 'DM3068',
    idn: /^Rigol Technologies,DM3068,DM3O/,
    queries: [
      [':FUNC?', /^DCV$/],
      [':MEAS:VOLT:DC?', /^(4\.99|5\.00)\d{4}e\+00$/],
      [':MEAS:AUTO?', /^1$/],
    ],
  },
  ...(['SDS1104X-E', 'SDS1202X-E'] as const).map((model) => ({
    model,
    idn: new RegExp(`^Siglent Technologies,${model},SDS`),
    queries: [
      ['C1:VDIV?', /^C1:VDIV 1\.00E\+00V$/],
      ['TDIV?', /^TDIV 1\.00E-03S$/],
      ['C1:PAVA? PKPK', /^C1:PAVA PKPK,(1\.9\d|2\.[0-2]\d)E\+00V$/],
      ['C2:PAVA? FREQ', /^C2:PAVA FREQ,(4\.9\d|5\.0\d)E\+02Hz$/],
    ] as Array<[string, RegExp]>,
  })),
  {
    model: 'SDS2104X Plus',
    idn: /^Siglent Technologies,SDS2104X Plus,SDS/,
    queries: [
      [':CHAN1:SCAL?', /^1\.00E\+00$/],
      [':MEAS:SIMP:VAL? PKPK', /^(1\.9\d|2\.[0-2]\d)E\+00$/],
      [':MEAS:SIMP:VAL? FREQ', /^(9\.9\d|1\.0\d)E\+0[23]$/],
    ],
  },
  ...(['DSOX1204G', 'DSO-X 2024A'] as const).map((model) => ({
    model,
    idn: new RegExp(`^KEYSIGHT TECHNOLOGIES,${model},[A-Z]{2}\\d+,[\\d.]+$`),
    queries: [
      [':MEAS:VPP? CHAN1', /^\+(1\.9|2\.[0-2])\d{7}E\+00$/],
      [':MEAS:FREQ? CHAN3', /^\+9\.9E\+37$/],
      [':TIM:SCAL?', /^\+1\.00000000E-03$/],
    ] as Array<[string, RegExp]>,
  })),
];

interface Check {
  model: SimModel;
  kind: string;
  queries?: string[];
  resource?: string;
}

describe.skipIf(!available)('pyvisa-py against the vendor simulators', () => {
  const sims = new Map<SimModel, RunningSimulator>();
  let results: Array<Record<string, unknown>> = [];
  const checks: Check[] = [
    ...SCPI.map(({ model, queries }) => ({ model, kind: 'scpi', queries: queries.map(([q]) => q) })),
    { model: 'SDS1104X-E', kind: 'siglent-legacy' },
    { model: 'SDS2104X Plus', kind: 'siglent-scpi' },
    { model: 'DSOX1204G', kind: 'keysight' },
    { model: 'KA3005P', kind: 'korad' },
  ];
  const resultOf = (model: SimModel, kind: string) =>
    results[checks.findIndex((check) => check.model === model && check.kind === kind)] ?? {};

  beforeAll(async () => {
    for (const check of checks) {
      if (!sims.has(check.model)) sims.set(check.model, await startSimulator(check.model));
      check.resource = sims.get(check.model)?.resource;
    }
    // Asynchronous on purpose: the simulators answer from this process's event loop while Python runs.
    const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, JSON.stringify(checks)], {
      timeout: 60_000,
    });
    results = JSON.parse(stdout);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([...sims.values()].map((sim) => sim.stop()));
  });

  it.each(SCPI.map((entry) => [entry.model, entry] as const))(
    '%s answers *IDN?, its manual queries and SYST:ERR?',
    (model, expected) => {
      const result = resultOf(model, 'scpi');
      expect(result.exception).toBeUndefined();
      expect(result.idn).toMatch(expected.idn);
      const answers = result.answers as string[];
      expected.queries.forEach(([, shape], i) => {
        expect(answers[i]).toMatch(shape);
      });
      expect(result.error).toMatch(/^[+]?-113,"Undefined header"$/);
    },
  );

  it('SDS1104X-E: C1:WF? DAT2 decodes with VDIV and OFST into the 2 Vpp sine', () => {
    const result = resultOf('SDS1104X-E', 'siglent-legacy');
    expect(result.exception).toBeUndefined();
    expect(result).toMatchObject({ head: 'DAT2,', trailer: '\n\n' });
    const vdiv = Number.parseFloat(String(result.vdiv));
    const ofst = Number.parseFloat(String(result.ofst));
    expect(vdiv).toBe(1);
    const volts = (result.codes as number[]).map((code) => (code * vdiv) / 25 - ofst);
    expect(volts).toHaveLength(1400);
    expect(Math.max(...volts) - Math.min(...volts)).toBeCloseTo(2, 0);
  });

  it('SDS2104X Plus: the WAVEDESC preamble scales the signed samples into the 2 Vpp sine', () => {
    const result = resultOf('SDS2104X Plus', 'siglent-scpi');
    expect(result.exception).toBeUndefined();
    const desc = Buffer.from(result.desc as number[]);
    expect(desc).toHaveLength(346);
    expect(desc.toString('latin1', 0, 8)).toBe('WAVEDESC');
    const codes = result.codes as number[];
    expect(desc.readInt32LE(116)).toBe(codes.length);
    const perCode = desc.readFloatLE(156) / desc.readFloatLE(164);
    const volts = codes.map((code) => code * perCode - desc.readFloatLE(160));
    expect(Math.max(...volts) - Math.min(...volts)).toBeCloseTo(2, 0);
    expect(result.after).toBe('1');
  });

  it('DSOX1204G: :WAV:PRE? scales the :WAV:DATA? block into the 2 Vpp sine', () => {
    const result = resultOf('DSOX1204G', 'keysight');
    expect(result.exception).toBeUndefined();
    const fields = String(result.preamble).split(',');
    expect(fields).toHaveLength(10);
    const [format, , points, , , , , yinc, yorig, yref] = fields.map(Number) as number[];
    expect(format).toBe(0);
    const data = result.data as number[];
    expect(data).toHaveLength(points as number);
    const volts = data.map((b) => (b - (yref as number)) * (yinc as number) + (yorig as number));
    expect(Math.max(...volts) - Math.min(...volts)).toBeCloseTo(2, 0);
    expect(result.after).toBe('1');
  });

  it('KA3005P: bare fixed-width replies and a status byte', () => {
    const result = resultOf('KA3005P', 'korad');
    expect(result.exception).toBeUndefined();
    expect(result).toMatchObject({ 'VSET1?': '12.34', 'ISET1?': '1.500' });
    // 12.34 V into 10 Ω wants 1.234 A, under the 1.5 A limit: CV (bit 0) with the output on (bit 6).
    expect(result['VOUT1?']).toMatch(/^12\.3\d$/);
    expect(result['IOUT1?']).toMatch(/^1\.2\d\d$/);
    expect(Number(result['STATUS?']) & 0b0100_0001).toBe(0b0100_0001);
  });
});
