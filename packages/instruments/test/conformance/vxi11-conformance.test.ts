// The simulated VXI-11 host against VXI-11 clients LabLink did not write: Debian's pyvisa-py (python3-pyvisa-py)
// opens the instruments behind one host with standard resource strings (TCPIP::<ip>::INSTR for inst0,
// TCPIP0::<ip>::instN::INSTR for the others) and must get the manual's answers, a waveform block, device clear and
// an exclusive lock a second session cannot take; Debian's lxi-tools (`lxi scpi --address <ip>`, through liblxi and
// libtirpc) asks *IDN?. Each suite is skipped, with a notice naming its package, where its tool is missing.
//
// HiSLIP is not here: pyvisa-py 0.5.1, the version Debian ships, has no HiSLIP (it arrived in pyvisa-py 0.6), and
// lxi-tools speaks VXI-11 and raw sockets only. HiSLIP is tested with LabLink's own client (hislip.test.ts).

import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningSimulator,
  type SimModel,
  serveVxi11,
  startSimulator,
  type Vxi11SimHost,
} from '../../src/sim/index.js';
import { SCPI } from './expected-answers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pyvisa_conformance.py', import.meta.url));
const hasPyvisa = spawnSync(PYTHON, ['-c', 'import pyvisa, pyvisa_py']).status === 0;
const hasLxi = spawnSync('lxi', ['--version']).status === 0;
if (!hasPyvisa) {
  console.warn(
    `SKIPPED VXI-11 conformance with pyvisa-py: not found for ${PYTHON}. ` +
      'Install the Debian packages python3-pyvisa python3-pyvisa-py.',
  );
}
if (!hasLxi) console.warn('SKIPPED VXI-11 conformance with lxi: install the Debian package lxi-tools.');

const MODELS = Object.keys(SCPI) as SimModel[];
const run = promisify(execFile);

let sims: RunningSimulator[] = [];
let host: Vxi11SimHost;

beforeAll(async () => {
  sims = await Promise.all(MODELS.map((model) => startSimulator(model)));
  host = await serveVxi11(sims);
});

afterAll(async () => {
  await host?.close();
  await Promise.all(sims.map((sim) => sim.stop()));
});

/** The resource a lab script would type: inst0 is the default device, so its name may be left out. */
function resourceOf(index: number): string {
  return index === 0 ? `TCPIP::${host.host}::INSTR` : `TCPIP0::${host.host}::inst${index}::INSTR`;
}

describe.skipIf(!hasPyvisa)('pyvisa-py over VXI-11', () => {
  let results: Array<Record<string, unknown>> = [];
  const scope = MODELS.indexOf('DS1104Z');

  beforeAll(async () => {
    const checks = [
      ...MODELS.map((model, i) => ({
        kind: 'scpi',
        resource: resourceOf(i),
        measurement: SCPI[model]?.measurement,
      })),
      { kind: 'waveform', resource: resourceOf(scope) },
      { kind: 'controls', resource: resourceOf(0) },
    ];
    // Asynchronous on purpose: the simulators answer from this process's event loop while Python runs.
    const { stdout } = await run(PYTHON, [SCRIPT, JSON.stringify(checks)], { timeout: 60_000 });
    results = JSON.parse(stdout);
  }, 90_000);

  it.each(MODELS.map((model, i) => [model, i] as const))(
    '%s behind the host answers *IDN?, a measurement and SYST:ERR? as its manual says',
    (model, i) => {
      const expected = SCPI[model] as NonNullable<(typeof SCPI)[SimModel]>;
      const result = results[i] ?? {};
      expect(result.exception).toBeUndefined();
      expect(result.idn).toMatch(expected.idn);
      expect(result.measurement).toMatch(expected.answer);
      expect(result.error).toMatch(/^[+]?-113,"Undefined header"$/);
    },
  );

  it('reads a DS1104Z waveform with query_binary_values', () => {
    const result = results[MODELS.length] ?? {};
    expect(result.exception).toBeUndefined();
    const points = Number(String(result.preamble).split(',')[2]);
    expect(result.data).toHaveLength(points);
    expect(result.after).toBe('1');
  });

  it('clears the device, and holds an exclusive lock against a second session until unlocked', () => {
    const result = results[MODELS.length + 1] ?? {};
    expect(result.exception).toBeUndefined();
    expect(result.after_clear).toMatch(SCPI[MODELS[0] as SimModel]?.idn as RegExp);
    expect(result.second_lock).toBe('VI_ERROR_RSRC_LOCKED'); // VXI-11 error 11, as pyvisa-py names it
    expect(result.while_locked).toMatch(SCPI[MODELS[0] as SimModel]?.idn as RegExp);
    expect(result.after_unlock).toMatch(SCPI[MODELS[0] as SimModel]?.idn as RegExp);
  });
});

describe.skipIf(!hasLxi)('lxi-tools over VXI-11', () => {
  it('`lxi scpi --address <ip> "*IDN?"` gets the first instrument behind the host', async () => {
    const { stdout } = await run('lxi', ['scpi', '--address', host.host, '--timeout', '5', '*IDN?'], {
      timeout: 30_000,
    });
    expect(stdout.trim()).toMatch(SCPI[MODELS[0] as SimModel]?.idn as RegExp);
  });
});
