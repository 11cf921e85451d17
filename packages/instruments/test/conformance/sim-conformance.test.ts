// Conformance of the simulators with an independent SCPI client: Debian's pyvisa-py opens every simulated model
// as TCPIP0::127.0.0.1::<port>::SOCKET and must get the manual's answers. Skipped, with a notice, when
// pyvisa-py is not installed.

import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, SIM_MODELS, type SimModel, startSimulator } from '../../src/sim/index.js';
import { BK_SERIAL, SCPI } from './expected-answers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pyvisa_conformance.py', import.meta.url));
const available = spawnSync(PYTHON, ['-c', 'import pyvisa, pyvisa_py']).status === 0;
if (!available) {
  console.warn(
    `SKIPPED simulator conformance: pyvisa-py not found for ${PYTHON}. ` +
      'Install the Debian packages python3-pyvisa python3-pyvisa-py.',
  );
}

describe.skipIf(!available)('pyvisa-py against every simulator', () => {
  const sims = new Map<SimModel, RunningSimulator>();
  let results: Array<Record<string, unknown>> = [];
  const checks: Array<{ model: SimModel; kind: string; resource?: string; measurement?: string }> = [
    ...SIM_MODELS.map((model) => ({
      model,
      kind: BK_SERIAL.includes(model) ? 'bk-serial' : 'scpi',
      measurement: SCPI[model]?.measurement,
    })),
    { model: 'DS1104Z', kind: 'waveform' },
  ];
  const resultOf = (model: SimModel, kind: string) =>
    results[checks.findIndex((check) => check.model === model && check.kind === kind)] ?? {};

  beforeAll(async () => {
    for (const model of SIM_MODELS) sims.set(model, await startSimulator(model));
    for (const check of checks) check.resource = sims.get(check.model)?.resource;
    // Asynchronous on purpose: the simulators answer from this process's event loop while Python runs.
    const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, JSON.stringify(checks)], {
      timeout: 60_000,
    });
    results = JSON.parse(stdout);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([...sims.values()].map((sim) => sim.stop()));
  });

  it.each(Object.keys(SCPI) as SimModel[])(
    '%s answers *IDN?, a measurement and SYST:ERR? as its manual says',
    (model) => {
      const expected = SCPI[model] as NonNullable<(typeof SCPI)[SimModel]>;
      const result = resultOf(model, 'scpi');
      expect(result.exception).toBeUndefined();
      expect(result.idn).toMatch(expected.idn);
      expect(result.measurement).toMatch(expected.answer);
      expect(result.error).toMatch(/^[+]?-113,"Undefined header"$/);
    },
  );

  it.each(BK_SERIAL)('%s speaks the B&K serial protocol to pyvisa-py', (model) => {
    const result = resultOf(model, 'bk-serial');
    expect(result.exception).toBeUndefined();
    expect(result).toMatchObject({ set: 'OK', gets: expect.stringMatching(/^050\d{3}$/), gets_ok: 'OK' });
    expect(result.gmax).toBe(model === '1685B' ? '180500' : '600150');
  });

  it('reads a DS1104Z waveform with query_binary_values and decodes it with the preamble', () => {
    const result = resultOf('DS1104Z', 'waveform');
    expect(result.exception).toBeUndefined();
    const [, , points, , , , , yinc, yorig, yref] = String(result.preamble)
      .split(',')
      .map(Number) as number[];
    const data = result.data as number[];
    expect(data).toHaveLength(points as number);
    const volts = data.map((byte) => (byte - (yorig as number) - (yref as number)) * (yinc as number));
    expect(Math.max(...volts) - Math.min(...volts)).toBeCloseTo(2, 0);
    // The block's trailing newline was consumed: the next query on the session is answered in step.
    expect(result.after).toBe('1');
  });
});
