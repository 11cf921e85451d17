// Conformance of the Keithley 2400 simulator with an independent client: Debian's pyvisa-py opens it as
// TCPIP0::127.0.0.1::<port>::SOCKET and must get the answers of the 2400 Series manual: the *IDN? layout, the
// five :READ? elements (V, I, R, time, status) in the 2400's number format, and compliance clamping the output with
// status bit 3 set. Skipped, with a notice, when pyvisa-py is not installed.

import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../src/sim/index.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pyvisa_smu_conformance.py', import.meta.url));
const available = spawnSync(PYTHON, ['-c', 'import pyvisa, pyvisa_py']).status === 0;
if (!available) {
  console.warn(
    `SKIPPED SMU simulator conformance: pyvisa-py not found for ${PYTHON}. ` +
      'Install the Debian packages python3-pyvisa python3-pyvisa-py.',
  );
}

const NUMBER = String.raw`[+-]\d\.\d{6}E[+-]\d{2}`;
const COMPLIANCE_BIT = 8;

interface Reading {
  voltage: number;
  current: number;
  resistance: number;
  time: number;
  status: number;
}

describe.skipIf(!available).each(['2400', '2410'] as const)(
  'Keithley %s simulator under pyvisa-py',
  (model) => {
    let sim: RunningSimulator;
    let out: Record<string, string> & Record<'free' | 'clamped' | 'current_source', Reading>;

    beforeAll(async () => {
      sim = await startSimulator(model);
      const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, sim.resource], { timeout: 30_000 });
      out = JSON.parse(stdout);
    });
    afterAll(() => sim?.stop());

    it('identifies itself as the manual shows', () => {
      expect(out.idn).toMatch(new RegExp(`^KEITHLEY INSTRUMENTS INC\\.,MODEL ${model},\\d+,`));
    });

    it('reads back its source settings in the 2400 format', () => {
      expect(out.function).toBe('VOLT');
      expect(out.level).toBe('+5.000000E+00');
      expect(out.compliance).toBe('+1.000000E-02');
      expect(out.raw).toMatch(new RegExp(`^${NUMBER}(,${NUMBER}){4}$`));
    });

    it('sources 5 V into 1 kΩ below compliance: 5 mA, no resistance computed, status clear', () => {
      expect(out.free.voltage).toBeCloseTo(5, 3);
      expect(out.free.current).toBeCloseTo(5e-3, 5);
      expect(out.free.resistance).toBeCloseTo(9.91e37, -35);
      expect(out.free.status & COMPLIANCE_BIT).toBe(0);
    });

    it('clamps at a 1 mA compliance: 1 V across the load and the compliance bit set', () => {
      expect(out.clamped.current).toBeCloseTo(1e-3, 5);
      expect(out.clamped.voltage).toBeCloseTo(1, 3);
      expect(out.clamped.status & COMPLIANCE_BIT).toBe(COMPLIANCE_BIT);
    });

    it('sources a current: 2 mA through 1 kΩ is 2 V, within a 21 V compliance', () => {
      expect(out.current_source.current).toBeCloseTo(2e-3, 5);
      expect(out.current_source.voltage).toBeCloseTo(2, 3);
      expect(out.current_source.status & COMPLIANCE_BIT).toBe(0);
    });

    it('turns its output off and queued no error through the whole session', () => {
      expect(out.output).toBe('0');
      expect(out.error).toMatch(/^0,/);
    });
  },
);
