// Issue 9, finding 5: raw SCPI and hung instruments, over HTTP against real servers and simulators on real
// sockets. Raw queries that act are refused like writes; an unanswered raw query costs a short timeout and a
// resync, not a reconnect; raw commands respect locks; and an instrument whose process is stopped (SIGSTOP: its
// kernel still accepts TCP connections) is "not responding" — not a flip-flop between reconnecting and
// connected — and connected again by itself once resumed.

import type { ChildProcess } from 'node:child_process';
import { RawClient } from '@lablink/instruments/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Published } from '../src/bus.js';
import { http, type Json, spawnCli, startTestServer, type TestServer, until } from './helpers.js';

const scpi = (server: TestServer, id: string, command: string, session_id?: string) =>
  http(`${server.url}/api/equipment/${id}/scpi`, {
    body: session_id ? { command, session_id } : { command },
  });

const command = (server: TestServer, id: string, action: string, parameters: Json, session_id?: string) =>
  http(`${server.url}/api/equipment/${id}/command`, {
    body: session_id ? { action, parameters, session_id } : { action, parameters },
  });

/** Every equipment_state event published for one instrument, in order. */
function stateEvents(server: TestServer, id: string): { states: string[]; stop(): void } {
  const states: string[] = [];
  const stop = server.services.bus.subscribe('equipment', (message: Published) => {
    const data = message.data as Json;
    if (message.type === 'equipment_state' && data?.equipment_id === id) states.push(data.state);
  });
  return { states, stop };
}

async function stateOf(server: TestServer, id: string): Promise<string> {
  return (await http(`${server.url}/api/equipment/${id}`)).body.equipment.state;
}

/** Polls REST until the instrument is in `state` (a generous deadline, never a measure of speed). */
async function waitForState(server: TestServer, id: string, state: string, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await stateOf(server, id);
    if (now === state) return;
    if (Date.now() > deadline) throw new Error(`${id} still ${now}, not ${state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('raw SCPI on the simulated bench', () => {
  let server: TestServer;
  let ids: Json;
  const raws: RawClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({ LABLINK_SIM: 'on' });
    const { body } = await http(`${server.url}/api/equipment/list`);
    ids = Object.fromEntries((body as Json[]).map((e) => [e.type, e.id]));
  });

  afterAll(async () => {
    for (const raw of raws) raw.close();
    await server.dispose();
  });

  it('refuses *TST? and *CAL? (a self-test, a calibration) on a supply and a load, like writes', async () => {
    for (const id of [ids.power_supply, ids.electronic_load]) {
      for (const cmd of ['*TST?', '*CAL?', '*tst?', ' *CAL? ']) {
        const res = await scpi(server, id, cmd);
        expect([id, cmd, res.status, res.body.code]).toEqual([id, cmd, 403, 'raw_write_refused']);
        expect(res.body.detail).toMatch(/act.*bypass its safety limits/);
      }
      // A plain query still passes.
      expect((await scpi(server, id, '*IDN?')).status).toBe(200);
    }
    // Where no output can be bypassed, the self-test runs (the simulator answers 0: passed).
    const dmm = await scpi(server, ids.multimeter, '*TST?');
    expect(dmm).toMatchObject({ status: 200, body: { reply: '0' } });
  });

  it('an unanswered raw query costs one short timeout: no reconnect, and the lock holder’s next command succeeds', async () => {
    const id = ids.power_supply;
    const holder = 'raw-test-holder';
    const lock = await http(`${server.url}/api/locks/acquire`, {
      body: { equipment_id: id, session_id: holder },
    });
    expect(lock.status).toBe(200);
    const events = stateEvents(server, id);
    try {
      const before = (await http(`${server.url}/api/equipment/${id}/status`)).body.statistics;
      for (let i = 0; i < 2; i++) {
        const unanswered = await scpi(server, id, 'FOO?', holder);
        expect(unanswered.status).toBe(504);
        expect(unanswered.body).toMatchObject({ code: 'instrument_timeout' });
        expect(unanswered.body.detail).toMatch(/no reply to "FOO\?"/);
        // Right after, the holder's command goes through on the same link.
        const set = await command(server, id, 'set_voltage', { voltage: 1.5 + i, channel: 1 }, holder);
        expect(set.status).toBe(200);
      }
      expect(await stateOf(server, id)).toBe('connected');
      expect(events.states).toEqual([]);
      const after = (await http(`${server.url}/api/equipment/${id}/status`)).body.statistics;
      expect(after.reconnects).toBe(before.reconnects);
      // The instrument kept the setpoint, and its error queue still says why FOO? got no answer.
      const port = Number(
        String((await http(`${server.url}/api/equipment/${id}`)).body.equipment.resource_string).split(
          '::',
        )[2],
      );
      const sim = await RawClient.connect(port);
      raws.push(sim);
      expect(Number(await sim.query(':SOUR1:VOLT?'))).toBeCloseTo(2.5);
      // A query the instrument answers is read as before.
      const idn = await scpi(server, id, '*IDN?', holder);
      expect(idn).toMatchObject({ status: 200, body: { reply: expect.stringMatching(/DP832/) } });
    } finally {
      events.stop();
      await http(`${server.url}/api/locks/release`, { body: { equipment_id: id, session_id: holder } });
    }
  });

  it('refuses every raw command — queries too — from anyone but the lock holder, naming the holder', async () => {
    for (const [id, write] of [
      [ids.power_supply, null],
      [ids.multimeter, 'CONF:VOLT:DC'],
      [ids.oscilloscope, ':RUN'],
    ] as const) {
      const holder = `holder-of-${id}`;
      expect(
        (await http(`${server.url}/api/locks/acquire`, { body: { equipment_id: id, session_id: holder } }))
          .status,
      ).toBe(200);
      try {
        for (const cmd of ['*IDN?', 'FOO?', ...(write ? [write, '*TST?'] : [])]) {
          for (const intruder of [undefined, 'someone-else']) {
            const res = await scpi(server, id, cmd, intruder);
            expect([cmd, intruder, res.status, res.body.code]).toEqual([cmd, intruder, 409, 'locked']);
            expect(res.body.detail).toContain(holder);
          }
        }
        // The holder may.
        expect((await scpi(server, id, '*IDN?', holder)).status).toBe(200);
        if (write) expect((await scpi(server, id, write, holder)).status).toBe(200);
      } finally {
        await http(`${server.url}/api/locks/release`, { body: { equipment_id: id, session_id: holder } });
      }
      // Unlocked, anyone may query again.
      expect((await scpi(server, id, '*IDN?')).status).toBe(200);
    }
  });
});

describe('a hung instrument (its simulator process SIGSTOPped)', { timeout: 180_000 }, () => {
  let sim: ChildProcess;
  let resource: string;
  let server: TestServer;

  beforeAll(async () => {
    sim = spawnCli(['sim', '--models', 'DP832']);
    let out = '';
    resource = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lablink sim did not start: ${out}`)), 90_000);
      sim.stdout?.on('data', (d) => {
        out += d;
        const match = /(TCPIP0::\S+::SOCKET)/.exec(out);
        if (match?.[1] && out.includes('Simulated bench running')) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      sim.on('exit', (code) => reject(new Error(`lablink sim exited with ${code}: ${out}`)));
    });
    server = await startTestServer();
  }, 120_000);

  afterAll(async () => {
    await server?.dispose();
    if (sim?.pid !== undefined && sim.exitCode === null) {
      process.kill(sim.pid, 'SIGCONT');
      const exited = new Promise((r) => sim.once('exit', r));
      process.kill(sim.pid, 'SIGTERM');
      await exited;
    }
  });

  it('is not_responding — not a flip-flop with connected — and connected again by itself after SIGCONT', async () => {
    const connected = await http(`${server.url}/api/equipment/connect`, {
      body: { resource_string: resource },
    });
    expect(connected.status).toBe(200);
    const id: string = connected.body.equipment_id;
    expect(await stateOf(server, id)).toBe('connected');
    const events = stateEvents(server, id);
    const pid = sim.pid as number;
    let stopped = false;
    try {
      process.kill(pid, 'SIGSTOP');
      stopped = true;
      // Nobody sends it anything: LabLink notices by itself.
      await waitForState(server, id, 'not_responding');
      const detail = (await http(`${server.url}/api/equipment/${id}`)).body.equipment;
      expect(detail.error).toMatch(/no reply to "\*IDN\?"/);
      expect((await http(`${server.url}/health`)).body.connected_devices).toBe(0);
      // Commands fail at once with a clear reason instead of waiting behind the hung instrument.
      const refused = await command(server, id, 'set_voltage', { voltage: 1, channel: 1 });
      expect(refused.status).toBe(503);
      expect(refused.body.detail).toMatch(/not_responding/);

      // Reconnect attempts go on underneath (each TCP connect succeeds: the stopped process's kernel accepts
      // it) but none counts as connected: the state stays put for several attempts.
      const since = Date.now();
      await until(() => Date.now() - since > 9_000, 'several reconnect attempts', 20_000);
      expect(events.states).toEqual(['not_responding']);
      expect(await stateOf(server, id)).toBe('not_responding');

      process.kill(pid, 'SIGCONT');
      stopped = false;
      await waitForState(server, id, 'connected');
      expect(events.states).toEqual(['not_responding', 'connected']);
      expect((await command(server, id, 'set_voltage', { voltage: 2, channel: 1 })).status).toBe(200);
      expect((await http(`${server.url}/api/equipment/${id}/readings`)).status).toBe(200);
    } finally {
      if (stopped) process.kill(pid, 'SIGCONT');
      events.stop();
    }
  });
});
