// `lablink sim` and `lablink scpi`, run as a user would: real processes, real sockets.

import { startSimulator } from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, runCli, spawnCli } from './helpers.js';

// Each CLI run starts a Node process (the built server, or tsx from source when the build is stale): slow on a loaded
// 2-core CI machine.
const CLI_TIMEOUT_MS = 90_000;

describe('lablink sim', { timeout: CLI_TIMEOUT_MS }, () => {
  it("starts the default bench and prints each instrument's VISA addresses, which answer *IDN?", async () => {
    const child = spawnCli(['sim']);
    const done = collect(child);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d) => {
        out += d;
        if (out.includes('Simulated bench running')) resolve();
      });
      child.on('exit', () => reject(new Error(`sim exited: ${out}`)));
    });
    const lines = out.split('\n').filter((l) => l.includes('::SOCKET'));
    expect(lines.map((l) => l.trim().split(/\s+/)[0])).toEqual(['DP832', 'DL3021A', 'DS1104Z', '34461A']);
    const resource = lines[0]?.trim().split(/\s+/)[1] as string;
    const idn = await runCli(['scpi', resource, '*IDN?']);
    expect(idn.code).toBe(0);
    expect(idn.stdout).toMatch(/^RIGOL TECHNOLOGIES,DP832,/);
    // Beside the socket, each line gives the instrument's VXI-11 and HiSLIP addresses; the DMM answers on both.
    // (VXI-11's portmapper port 111 needs root: without it the bench goes without VXI-11.)
    const addresses = lines[3]?.trim().split(/\s+/).slice(1) ?? [];
    const vxi11 = addresses.find((address) => address.endsWith('::inst3::INSTR'));
    const hislip = addresses.find((address) => address.includes('::hislip0,'));
    if (process.getuid?.() === 0) expect(vxi11).toMatch(/^TCPIP0::127\.\d+\.\d+\.\d+::inst3::INSTR$/);
    expect(hislip).toMatch(/^TCPIP0::127\.0\.0\.1::hislip0,\d+::INSTR$/);
    for (const address of [vxi11, hislip].filter(Boolean)) {
      const dmm = await runCli(['scpi', address as string, '*IDN?']);
      expect(dmm.stdout).toMatch(/^Keysight Technologies,34461A,/);
    }
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });

  it('refuses an unknown model, naming it', async () => {
    const run = await runCli(['sim', '--models', 'DP832,XYZ9000']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('XYZ9000');
  });
});

describe('lablink scpi', { timeout: CLI_TIMEOUT_MS }, () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  beforeAll(async () => {
    sim = await startSimulator('DL3021A');
  });
  afterAll(() => sim.stop());

  it('prints a query reply, and a write then SYST:ERR? shows the instrument error', async () => {
    expect((await runCli(['scpi', sim.resource, ':SOUR:FUNC?'])).stdout.trim()).toMatch(/^(CC|CURR)/);
    const write = await runCli(['scpi', sim.resource, ':BOGUS:CMD 1']);
    expect(write.code).toBe(0);
    expect(write.stdout).toContain('no reply expected');
    expect((await runCli(['scpi', sim.resource, 'SYST:ERR?'])).stdout).toMatch(/^-113,/);
  });

  it('says why when the instrument is not there, and when the resource is malformed', async () => {
    const dead = await runCli(['scpi', 'TCPIP0::127.0.0.1::1::SOCKET', '*IDN?']);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/ECONNREFUSED/);
    const bad = await runCli(['scpi', 'TCPIP0::nowhere', '*IDN?']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /"TCPIP0::nowhere" is not an instrument address: it does not end in ::INSTR or ::SOCKET/,
    );
  });
});
